# Classifier-only masked KD on Split-Digits.
_base_ = ['./masked-kd_cnn_split-digits.py']

model = dict(cls_only=True)
