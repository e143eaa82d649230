# MM-Pick-a-back step 5 on CUB-200-2011 captions: the target task trained with CPG on the selected
# backbone after the key/value transfer (./_base_/cpg_target.py).
_base_ = ['./baseline_perceiver_cub.py', './_base_/cpg_target.py']
