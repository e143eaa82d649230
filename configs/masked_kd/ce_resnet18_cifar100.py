# CE baseline on CIFAR-100 (data/cifar100, cifar-100-python; no download). The other
# CIFAR-100 configs inherit from here as their CIFAR-10 twins inherit from the CE one.
_base_ = ['./ce_resnet18_cifar10.py']

data_preprocessor = dict(num_classes=100, mean=[129.304, 124.070, 112.434],
                         std=[68.170, 65.392, 70.418])
model = dict(head=dict(num_classes=100))
train_dataloader = dict(dataset=dict(type='CIFAR100', data_root='data/cifar100'))
val_dataloader = dict(dataset=dict(type='CIFAR100', data_root='data/cifar100'))
test_dataloader = val_dataloader
