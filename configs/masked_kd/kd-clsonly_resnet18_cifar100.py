# Classifier-only KD on CIFAR-100.
_base_ = ['./kd_resnet18_cifar100.py']

model = dict(cls_only=True)
