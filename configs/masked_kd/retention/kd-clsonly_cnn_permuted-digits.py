# KD with the classifier head alone as the reference (cls_only): the reference logits are the
# frozen head applied to the current backbone's features.
_base_ = ['./kd_cnn_permuted-digits.py']

model = dict(cls_only=True)
