# MOONS, class-domain-incremental order: 8 distributions (mode 0 of classes 0..3, then mode 1).
_base_ = ['./online_2d.py']

data_file = 'moons_cdi.npz'
train_dataloader = dict(dataset=dict(dataset=dict(data_file=data_file)))
test_dataloader = dict(dataset=dict(dataset=dict(data_file=data_file)))
