"""Similarity between representations and between models.

For DeRy (Yang et al., "Deep Model Reassembly", NeurIPS 2022): linear and RBF CKA (biased or
debiased), linear-regression similarity, all-pairs matrices that compute each layer's
statistics once, and minibatch CKA for large sample counts. For Pick-a-back: ModelDiff
decision-distance similarity between whole models (Li et al., ISSTA 2021).
"""
from .cka import KernelStats, cka_matrix, linear_cka, rbf_bandwidth, rbf_cka
from .minibatch import MinibatchCKA
from .modeldiff import (
    decision_distance_vector,
    modeldiff_similarity,
    output_diversity,
    probabilities,
    profiling_pairs,
    search_profiling_inputs,
    select_backbone,
)
from .regression import lr_similarity

__all__ = ['KernelStats', 'MinibatchCKA', 'cka_matrix', 'decision_distance_vector', 'linear_cka',
           'lr_similarity', 'modeldiff_similarity', 'output_diversity', 'probabilities',
           'profiling_pairs', 'rbf_bandwidth', 'rbf_cka', 'search_profiling_inputs',
           'select_backbone']
