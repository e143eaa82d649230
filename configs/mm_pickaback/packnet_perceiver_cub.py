# MM-Pick-a-back's task order on CUB-200-2011 captions (three image tasks, then three text tasks)
# in one Perceiver IO shared out by PackNet (./_base_/packnet.py).
_base_ = ['./baseline_perceiver_cub.py', './_base_/packnet.py']
