# Masked KD with the classifier head alone as the reference (cls_only).
_base_ = ['./masked-kd_cnn_permuted-digits.py']

model = dict(cls_only=True)
