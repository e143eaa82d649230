"""tools/dery/{get_rep,compute_sim,count_inout_size,partition}.py on a tiny zoo over the digits
data."""
import json
import pickle
import runpy
import sys

import numpy as np
import pytest
import torch

from mm_cl_addon.engine.tool_main import TRACEBACK_VARIABLE
from mm_cl_addon.reassembly import Partition, partition_zoo
from mm_cl_addon.reassembly.features import read_features
from mm_cl_addon.reassembly.sim_tables import load_similarity, save_index, save_pair
from tests.payloads import CreatesMarker

from ..e2e.helpers import REPO, free_port, run_tool

ZOO = """models:
  - name: cnn
    library: mm_cl_addon
    arch: {type: SmallConvNet, in_channels: 1, widths: [8, 16]}
  - name: resnet
    library: timm
    arch: resnet18
    kwargs: {in_chans: 1, layers: [1, 1, 1, 1], channels: [8, 8, 16, 16], stem_width: 8,
             num_classes: 10}
  - name: vit
    library: timm
    arch: vit_tiny_patch16_224
    kwargs: {in_chans: 1, img_size: 8, patch_size: 2, depth: 3, embed_dim: 16, num_heads: 2,
             num_classes: 10}
"""
DATA = """data_preprocessor = dict(mean=[78.0], std=[96.0], to_rgb=False)
test_dataloader = dict(dataset=dict(type='DigitsDataset', split='test', seed=0,
                                    pipeline=[dict(type='PackInputs')]))
"""
NODES = {'cnn': 2, 'resnet': 4, 'vit': 3}


def run_script(monkeypatch, script, *args):
    """Run a tool's ``__main__`` in this process (no interpreter start-up per call); errors
    propagate as exceptions instead of the tools' one-line message."""
    monkeypatch.setattr(sys, 'argv', [script, *map(str, args)])
    monkeypatch.setenv(TRACEBACK_VARIABLE, '1')
    runpy.run_path(str(REPO / 'tools' / 'dery' / script), run_name='__main__')


@pytest.fixture(scope='module')
def zoo(tmp_path_factory):
    root = tmp_path_factory.mktemp('dery')
    (root / 'zoo.yaml').write_text(ZOO)
    (root / 'data.py').write_text(DATA)
    return root


@pytest.fixture(scope='module')
def outputs(zoo):
    with pytest.MonkeyPatch.context() as monkeypatch:
        run_script(monkeypatch, 'get_rep.py', zoo / 'zoo.yaml', zoo / 'data.py', '--out-dir',
                   zoo / 'feat', '--num-samples', 60, '--batch-size', 16, '--no-progress')
        run_script(monkeypatch, 'compute_sim.py', zoo / 'feat', '--out-dir', zoo / 'sim',
                   '--sim-func', 'cka')
        run_script(monkeypatch, 'count_inout_size.py', zoo / 'zoo.yaml', zoo / 'data.py',
                   '--out', zoo / 'inout.json')
    return zoo


def test_get_rep_writes_one_feature_file_per_model(outputs):
    for name, num_nodes in NODES.items():
        features, meta = read_features(outputs / 'feat' / f'{name}.safetensors')
        assert meta['model'] == name and meta['num_nodes'] == num_nodes
        assert meta['method'] == 'fx' and meta['num_samples'] == 60
        assert all(feat.shape[0] == 60 for feat in features.values())
    assert read_features(outputs / 'feat' / 'vit.safetensors')[1]['node_shapes'][0] == [17, 16]


def test_compute_sim_tables_feed_partition_zoo(outputs):
    num_nodes, sim = load_similarity(outputs / 'sim')
    assert num_nodes == NODES
    assert len(sim) == 6  # 3 pairs of distinct models and 3 models with themselves
    for a, b in sim:
        assert sim[(a, b)].shape == (NODES[a], NODES[b])
        assert (outputs / 'sim' / f'{a}__{b}.png').stat().st_size > 1000
    for name in NODES:
        np.testing.assert_allclose(np.diag(sim[(name, name)]), 1.0, atol=1e-6)
    partition = partition_zoo(num_nodes, sim, K=2, eps=0.5, trial=2)
    assert {block.model for block in partition.blocks} == set(NODES)


def test_count_inout_size_matches_the_features(outputs):
    report = json.loads((outputs / 'inout.json').read_text())
    assert sorted(report) == sorted(NODES)
    for name in NODES:
        meta = read_features(outputs / 'feat' / f'{name}.safetensors')[1]
        entry = report[name]
        assert entry['node_shapes'] == meta['node_shapes']
        assert [block['name'] for block in entry['blocks']] == meta['blocks']
        assert all(block['params'] > 0 and block['flops'] > 0 for block in entry['blocks'])
        assert entry['flops_counted_by'] == 'mmengine.analysis.FlopAnalyzer'
    cnn = report['cnn']['blocks'][0]
    assert (cnn['in_shape'], cnn['out_shape'], cnn['params']) == ([1, 8, 8], [8, 4, 4], 96)


@pytest.mark.e2e
def test_two_gloo_processes_match_one(outputs, tmp_path):
    """torchrun with 2 CPU processes: ranks share samples (get_rep) and pairs (compute_sim)."""
    common = dict(env=dict(PORT=str(free_port())), timeout=120)
    run_tool('bash', 'tools/dist_launch.sh', 'dery/get_rep.py', '2', str(outputs / 'zoo.yaml'),
             str(outputs / 'data.py'), '--out-dir', str(tmp_path / 'feat'), '--num-samples',
             '60', '--batch-size', '16', '--no-progress', **common)
    common['env'] = dict(PORT=str(free_port()))
    result = run_tool('bash', 'tools/dist_launch.sh', 'dery/compute_sim.py', '2',
                      str(tmp_path / 'feat'), '--out-dir', str(tmp_path / 'sim'), **common)
    assert "using the 'gloo' backend" in result.stdout + result.stderr
    for name in NODES:
        one, meta_one = read_features(outputs / 'feat' / f'{name}.safetensors')
        two, meta_two = read_features(tmp_path / 'feat' / f'{name}.safetensors')
        assert meta_one == meta_two
        for node in one:
            torch.testing.assert_close(two[node], one[node], rtol=1e-5, atol=1e-6)
    num_nodes, sim = load_similarity(tmp_path / 'sim')
    reference = load_similarity(outputs / 'sim')[1]
    assert num_nodes == NODES and sim.keys() == reference.keys()
    for key in sim:
        np.testing.assert_allclose(sim[key], reference[key], atol=1e-6)


def test_partition_tool_writes_the_partition_with_shapes_and_costs(outputs, monkeypatch, capsys):
    out = outputs / 'part' / 'partition.json'
    run_script(monkeypatch, 'partition.py', outputs / 'sim', '--out', out, '--K', 2, '--eps', 0.5,
               '--trial', 3, '--num-iter', 20, '--seed', 1, '--sizes', outputs / 'inout.json')
    printed = capsys.readouterr().out
    record = json.loads(out.read_text())
    num_nodes, sim = load_similarity(outputs / 'sim')
    expected = partition_zoo(num_nodes, sim, K=2, eps=0.5, trial=3, num_iter=20, seed=1)
    assert Partition.load(out) == expected  # the tool's file is a Partition file too
    assert (record['format'], record['K'], record['seed']) == ('mm_cl_addon.dery_partition/1', 2, 1)
    assert record['sim_func'] == 'cka' and record['num_nodes'] == NODES
    inout = json.loads((outputs / 'inout.json').read_text())
    for name in NODES:
        blocks = [block for block in record['blocks'] if block['model'] == name]
        assert [block['group'] for block in blocks] == [0, 1]
        assert blocks[0]['start'] == 0 and blocks[-1]['end'] == NODES[name]
        assert blocks[0]['end'] == blocks[1]['start']
        names = [n for block in blocks for n in block['block_names']]
        assert names == [b['name'] for b in inout[name]['blocks']]
        for block in blocks:
            assert block['in_shape'] == inout[name]['node_shapes'][block['start']]
            assert block['out_shape'] == inout[name]['node_shapes'][block['end']]
        assert sum(block['params'] for block in blocks) == sum(
            b['params'] for b in inout[name]['blocks'])
    assert [group['centre'] for group in record['groups']] == [c.model for c in expected.centres]
    for k, group in enumerate(record['groups']):
        assert {m['model'] for m in group['members']} == set(NODES)
        assert record['centres'][k] in group['members']
    assert f'score {expected.score:.4f}' in printed and 'group 1: ' in printed
    assert [p.name for p in out.parent.iterdir()] == ['partition.json']  # no temporary left


def test_partition_tool_without_sizes_and_with_sizes_of_another_zoo(outputs, monkeypatch,
                                                                      tmp_path):
    out = tmp_path / 'partition.json'
    run_script(monkeypatch, 'partition.py', outputs / 'sim', '--out', out, '--K', 2, '--eps', 0.5,
               '--trial', 2)
    block = json.loads(out.read_text())['blocks'][0]
    assert 'in_shape' not in block and block['block_names']
    sizes = json.loads((outputs / 'inout.json').read_text())
    sizes['vit']['num_nodes'] = 5
    (tmp_path / 'other.json').write_text(json.dumps(sizes))
    with pytest.raises(ValueError, match=r"model 'vit' has 5 blocks there but 3"):
        run_script(monkeypatch, 'partition.py', outputs / 'sim', '--out', tmp_path / 'x.json',
                   '--K', 2, '--eps', 0.5, '--sizes', tmp_path / 'other.json')
    with pytest.raises(FileNotFoundError, match='index.json does not exist'):
        run_script(monkeypatch, 'partition.py', tmp_path, '--out', tmp_path / 'x.json', '--K', 2)
    assert not (tmp_path / 'x.json').exists()


@pytest.fixture
def one_model_tables(tmp_path):
    """compute_sim's output for a zoo of one 2-node model, written directly."""
    save_pair(tmp_path / 'sim', 'cnn', 'cnn', np.eye(2, dtype=np.float32))
    save_index(tmp_path / 'sim', 'cka', {'cnn': {'num_nodes': 2, 'blocks': ['b0', 'b1']}},
               [('cnn', 'cnn')])
    return tmp_path / 'sim'


def test_partition_tool_refuses_a_pickled_sizes_file_without_unpickling_it(
        one_model_tables, monkeypatch, tmp_path):
    marker = tmp_path / 'ran'
    sizes = tmp_path / 'sizes.pkl'
    sizes.write_bytes(pickle.dumps(CreatesMarker(marker)))
    with pytest.raises(ValueError, match=r'block-size file .*sizes\.pkl: is not UTF-8 text'):
        run_script(monkeypatch, 'partition.py', one_model_tables, '--out', tmp_path / 'x.json',
                   '--K', 1, '--sizes', sizes)
    assert not marker.exists() and not (tmp_path / 'x.json').exists()


@pytest.mark.parametrize('text, fault', [
    ('{"cnn": {"num_nodes": 2, "node_shapes": [', 'is not valid JSON'),
    ('', r'is empty \(0 bytes\)'),
    ('{"cnn": {"num_nodes": 2}}', r"model 'cnn' lacks keys \['node_shapes', 'blocks'\]"),
])
def test_partition_tool_names_a_truncated_empty_or_wrong_sizes_file(
        one_model_tables, monkeypatch, tmp_path, text, fault):
    sizes = tmp_path / 'sizes.json'
    sizes.write_text(text)
    with pytest.raises(ValueError, match=f'block-size file .*sizes\\.json: {fault}'):
        run_script(monkeypatch, 'partition.py', one_model_tables, '--out', tmp_path / 'x.json',
                   '--K', 1, '--sizes', sizes)
