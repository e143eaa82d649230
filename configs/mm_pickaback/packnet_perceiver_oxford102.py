# MM-Pick-a-back's task order on Oxford-102 captions (three image tasks, then three text tasks)
# in one Perceiver IO shared out by PackNet (./_base_/packnet.py).
_base_ = ['./baseline_perceiver_oxford102.py', './_base_/packnet.py']
