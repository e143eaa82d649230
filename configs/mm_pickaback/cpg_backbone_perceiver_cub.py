# MM-Pick-a-back step 2 on CUB-200-2011 captions: a candidate backbone task trained with CPG and
# compacted by gradual pruning (./_base_/cpg_backbone.py).
_base_ = ['./baseline_perceiver_cub.py', './_base_/cpg_backbone.py']
