"""Node similarity tables: computed from features, saved and loaded for partition_zoo."""
import json

import numpy as np
import pytest

from mm_cl_addon.reassembly import partition_zoo
from mm_cl_addon.reassembly.features import extract_features
from mm_cl_addon.reassembly.sim_tables import (
    load_index,
    load_similarity,
    node_similarity,
    save_index,
    save_pair,
)

from .tiny_models import small_convnet, tiny_vit


def test_similarity_tables_feed_partition_zoo(tmp_path, images):
    feats = {name: extract_features(build(), images, progress=False).features
             for name, build in (('cnn', small_convnet), ('vit', tiny_vit))}
    self_sim = node_similarity(feats['vit'], feats['vit'])
    np.testing.assert_allclose(np.diag(self_sim), 1.0)
    cross = node_similarity(feats['cnn'], feats['vit'], 'rbf_cka')
    assert cross.shape == (2, 3)
    with pytest.raises(ValueError, match='sim_func must be one of'):
        node_similarity(feats['cnn'], feats['vit'], 'cca')
    for a, b in (('cnn', 'cnn'), ('cnn', 'vit'), ('vit', 'vit')):
        save_pair(tmp_path, a, b, node_similarity(feats[a], feats[b]))
    (tmp_path / 'index.json').write_text(json.dumps({
        'num_nodes': {'cnn': 2, 'vit': 3},
        'pairs': [['cnn', 'cnn'], ['cnn', 'vit'], ['vit', 'vit']]}))
    num_nodes, sim = load_similarity(tmp_path)
    assert sim[('cnn', 'vit')].shape == (2, 3)
    partition = partition_zoo(num_nodes, sim, K=2, eps=0.5, trial=2)
    assert partition.cuts('cnn') == (0, 1, 2)


def test_save_index_round_trips_and_a_missing_index_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='index.json not found.*compute_sim'):
        load_similarity(tmp_path)
    save_pair(tmp_path, 'a', 'a', np.eye(2))
    metas = {'a': {'num_nodes': 2, 'blocks': ['b0', 'b1'], 'method': 'fx'}}
    save_index(tmp_path, 'cka', metas, [('a', 'a')])
    assert load_index(tmp_path) == {'sim_func': 'cka', 'num_nodes': {'a': 2},
                                    'blocks': {'a': ['b0', 'b1']}, 'pairs': [['a', 'a']]}
    num_nodes, sim = load_similarity(tmp_path)
    assert num_nodes == {'a': 2} and np.array_equal(sim[('a', 'a')], np.eye(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a__a.npy', 'index.json']
