# MM-Pick-a-back step 2 on Oxford-102 captions: a candidate backbone task trained with CPG and
# compacted by gradual pruning (./_base_/cpg_backbone.py).
_base_ = ['./baseline_perceiver_oxford102.py', './_base_/cpg_backbone.py']
