# Classifier-only KD: the frozen reference head on the student's features; gradients
# flow through it into the student's backbone.
_base_ = ['./kd_resnet18_cifar10.py']

model = dict(cls_only=True)
