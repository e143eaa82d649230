# MM-Pick-a-back's task order on MSCOCO 2017 captions (three image tasks, then three text tasks)
# in one Perceiver IO shared out by PackNet (./_base_/packnet.py).
_base_ = ['./baseline_perceiver_coco.py', './_base_/packnet.py']
