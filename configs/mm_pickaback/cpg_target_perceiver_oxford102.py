# MM-Pick-a-back step 5 on Oxford-102 captions: the target task trained with CPG on the selected
# backbone after the key/value transfer (./_base_/cpg_target.py).
_base_ = ['./baseline_perceiver_oxford102.py', './_base_/cpg_target.py']
