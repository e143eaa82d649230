# Classifier-only masked KD: the reference is the frozen head alone, applied to the
# student's own features.
_base_ = ['./masked-kd_resnet18_cifar10.py']

model = dict(cls_only=True)
