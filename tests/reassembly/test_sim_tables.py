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
    with pytest.raises(FileNotFoundError, match='index.json does not exist.*compute_sim'):
        load_similarity(tmp_path)
    save_pair(tmp_path, 'a', 'a', np.eye(2))
    metas = {'a': {'num_nodes': 2, 'blocks': ['b0', 'b1'], 'method': 'fx'}}
    save_index(tmp_path, 'cka', metas, [('a', 'a')])
    assert load_index(tmp_path) == {'sim_func': 'cka', 'num_nodes': {'a': 2},
                                    'blocks': {'a': ['b0', 'b1']}, 'pairs': [['a', 'a']]}
    num_nodes, sim = load_similarity(tmp_path)
    assert num_nodes == {'a': 2} and np.array_equal(sim[('a', 'a')], np.eye(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a__a.npy', 'index.json']


def _two_model_tables(folder):
    """A valid table directory: models a (2 nodes) and b (3 nodes), pairs (a, a) and (a, b)."""
    save_pair(folder, 'a', 'a', np.eye(2, dtype=np.float32))
    save_pair(folder, 'a', 'b', np.full((2, 3), 0.5, dtype=np.float32))
    metas = {'a': {'num_nodes': 2, 'blocks': ['x', 'y']},
             'b': {'num_nodes': 3, 'blocks': ['x', 'y', 'z']}}
    save_index(folder, 'cka', metas, [('a', 'a'), ('a', 'b')])


@pytest.mark.parametrize('table, fault', [
    (np.full((3, 2), 0.5), r'has shape \[3, 2\], expected \[2, 3\]'),
    (np.full(6, 0.5), r'has shape \[6\], expected \[2, 3\]'),
    (np.array([[0.5, np.nan, 0.5], [0.5, 0.5, 0.5]]), 'holds NaN or Inf'),
    (np.array([[1, 2, 3], [4, 5, 6]], dtype=object), 'refused: it holds Python objects'),
    (np.full((2, 3), 'x'), 'holds <U1 values, expected numbers'),
])
def test_a_table_of_the_wrong_shape_or_content_names_the_file(tmp_path, table, fault):
    _two_model_tables(tmp_path)
    np.save(tmp_path / 'a__b.npy', table, allow_pickle=True)
    with pytest.raises(ValueError, match=f'similarity table .*a__b\\.npy: {fault}'):
        load_similarity(tmp_path)


def test_a_truncated_missing_or_foreign_table_names_the_file(tmp_path):
    _two_model_tables(tmp_path)
    path = tmp_path / 'a__b.npy'
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(ValueError, match=r'a__b\.npy: is not a readable \.npy array'):
        load_similarity(tmp_path)
    path.write_bytes(b'\x80\x04not an array')
    with pytest.raises(ValueError, match=r"a__b\.npy: is not a \.npy array \(it starts with"):
        load_similarity(tmp_path)
    path.unlink()
    with pytest.raises(FileNotFoundError, match=r'a__b\.npy does not exist; run tools/dery/'):
        load_similarity(tmp_path)


@pytest.mark.parametrize('text, fault', [
    ('{"num_nodes": {"a": 2}, "pairs": [["a", "a"]', 'is not valid JSON'),
    ('', r'is empty \(0 bytes\)'),
    ('[["a", "a"]]', 'expected a mapping at the top level, got a list'),
    ('{"num_nodes": {"a": "2"}, "pairs": [["a", "a"]]}', '"num_nodes" must map each model'),
    ('{"num_nodes": {"a": 2}, "pairs": [["a", "b"]]}', '"pairs" must be a list of'),
])
def test_a_truncated_empty_or_wrong_index_names_the_file(tmp_path, text, fault):
    (tmp_path / 'index.json').write_text(text)
    with pytest.raises(ValueError, match=f'similarity index .*index\\.json: {fault}'):
        load_similarity(tmp_path)
