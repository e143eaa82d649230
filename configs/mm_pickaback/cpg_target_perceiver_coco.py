# MM-Pick-a-back step 5 on MSCOCO 2017 captions: the target task trained with CPG on the selected
# backbone after the key/value transfer (./_base_/cpg_target.py).
_base_ = ['./baseline_perceiver_coco.py', './_base_/cpg_target.py']
