# MM-Pick-a-back step 2 on MSCOCO 2017 captions: a candidate backbone task trained with CPG and
# compacted by gradual pruning (./_base_/cpg_backbone.py).
_base_ = ['./baseline_perceiver_coco.py', './_base_/cpg_backbone.py']
