# The CE baseline of the masked-KD family on Split-Digits: the same classifier with no
# reference hook, i.e. plain fine-tuning on the family's SGD 0.05 schedule (the fine-tuning
# baseline itself, configs/continual/finetune_cnn_split-digits.py, trains with its tuned Adam).
_base_ = ['./kd_cnn_split-digits.py']

custom_hooks = []
