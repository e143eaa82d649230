# Classifier-only KD: the previous task's frozen head judges the current features.
_base_ = ['./kd_cnn_split-digits.py']

model = dict(cls_only=True)
