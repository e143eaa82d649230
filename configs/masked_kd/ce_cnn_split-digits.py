# The CE baseline of the masked-KD family on Split-Digits: the same classifier with no
# reference hook, i.e. plain fine-tuning (equal to configs/continual/finetune_cnn_split-digits.py).
_base_ = ['./kd_cnn_split-digits.py']

custom_hooks = []
