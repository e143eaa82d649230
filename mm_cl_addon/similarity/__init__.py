"""Representation similarity between layers, for DeRy (Yang et al., "Deep Model Reassembly",
NeurIPS 2022): linear and RBF CKA (biased or debiased), linear-regression similarity, all-pairs
matrices that compute each layer's statistics once, and minibatch CKA for large sample counts.
"""
from .cka import KernelStats, cka_matrix, linear_cka, rbf_bandwidth, rbf_cka
from .minibatch import MinibatchCKA
from .regression import lr_similarity

__all__ = ['KernelStats', 'MinibatchCKA', 'cka_matrix', 'linear_cka', 'lr_similarity',
           'rbf_bandwidth', 'rbf_cka']
