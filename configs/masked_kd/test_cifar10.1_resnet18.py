# Distribution-shift test of a CIFAR-10 model on CIFAR-10.1 (v6), read from
# data/cifar10.1/cifar10.1_v6_{data,labels}.npy:
#   python tools/test.py configs/masked_kd/test_cifar10.1_resnet18.py CKPT
_base_ = ['./ce_resnet18_cifar10.py']

test_dataloader = dict(dataset=dict(
    _delete_=True, type='CIFAR10_1', data_root='data/cifar10.1', version='v6',
    pipeline=[dict(type='PackInputs')]))
