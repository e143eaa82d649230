# Classifier-only masked KD on CIFAR-100.
_base_ = ['./masked-kd_resnet18_cifar100.py']

model = dict(cls_only=True)
