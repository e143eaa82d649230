"""tools/dery/zeroshot_reassembly.py on a tiny zoo: a timm ResNet and a timm ViT, two groups.

The tools run in this process (``runpy``), not as subprocesses: an interpreter start-up and the
imports cost more than the tools themselves here.
"""
import contextlib
import io
import json
import runpy
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmpretrain.registry import DATASETS, MODELS

from mm_cl_addon.reassembly import Partition, PartitionBlock, naswot_score, synflow_score
from mm_cl_addon.reassembly.reassemble import build_network, stitch_cost
from tests.e2e.helpers import REPO

DATA = REPO / 'configs' / 'dery' / 'zoo' / '_base_digits.py'
ZOO = """models:
  - name: res
    library: timm
    arch: resnet18
    kwargs: {in_chans: 1, num_classes: 10, layers: [1, 1, 1, 1], channels: [4, 8, 8, 16],
             stem_width: 4}
  - name: vit
    library: timm
    arch: vit_tiny_patch16_224
    kwargs: {in_chans: 1, num_classes: 10, img_size: 8, patch_size: 2, embed_dim: 16, depth: 2,
             num_heads: 2, act_layer: relu}
"""
BATCH = 32
NUM_CLASSES = 7  # the target's, not the zoo models' 10: the emitted configs must use it


def run_script(script: str, *args: str) -> SimpleNamespace:
    """``tools/dery/<script> args`` as ``__main__`` in this process: its exit code (0 unless it
    calls ``sys.exit``), stdout and stderr."""
    out, err, code = io.StringIO(), io.StringIO(), 0
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(sys, 'argv', [script, *args])
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                runpy.run_path(str(REPO / 'tools' / 'dery' / script), run_name='__main__')
            except SystemExit as exit_:
                code = exit_.code
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


@pytest.fixture(scope='module')
def case(tmp_path_factory):
    """Zoo manifest, count_inout_size's JSON and a hand-made K=2 partition."""
    root = tmp_path_factory.mktemp('zeroshot')
    (root / 'zoo.yaml').write_text(ZOO)
    run_script('count_inout_size.py', str(root / 'zoo.yaml'), str(DATA), '--out',
               str(root / 'sizes.json'))
    blocks = (PartitionBlock('res', 0, 2, 0), PartitionBlock('res', 2, 4, 1),
              PartitionBlock('vit', 0, 1, 0), PartitionBlock('vit', 1, 2, 1))
    Partition(blocks=blocks, centres=blocks[:2], score=0.0).save(root / 'partition.json')
    return root


def zeroshot(case: Path, out: str, *extra: str, check: bool = True) -> SimpleNamespace:
    result = run_script('zeroshot_reassembly.py', '--partition', str(case / 'partition.json'),
                        '--sizes', str(case / 'sizes.json'), '--zoo', str(case / 'zoo.yaml'),
                        '--data-config', str(DATA), '--num-classes', str(NUM_CLASSES),
                        '--batch-size', str(BATCH), '--out-dir', str(case / out), *extra)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope='module')
def unbudgeted(case):
    result = zeroshot(case, 'all', '--top-m', '5')
    return result, json.loads((case / 'all' / 'summary.json').read_text())


def target_batch() -> torch.Tensor:
    cfg = Config.fromfile(str(DATA))
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    preprocessor = MODELS.build(dict(type='ClsDataPreprocessor', **cfg.data_preprocessor))
    return preprocessor(pseudo_collate([dataset[i] for i in range(BATCH)]))['inputs']


def test_top_m_are_distinct_and_reranked_by_the_whole_network_proxy(case, unbudgeted):
    result, summary = unbudgeted
    chains = [tuple(map(tuple, row['blocks'])) for row in summary['solutions']]
    # Four chains, but vit -> cnn is not allowed: exactly three are feasible.
    assert len(chains) == 3 and len(set(chains)) == 3
    assert not any(first[0] == 'vit' and second[0] == 'res' for first, second in chains)
    scores = [row['network_score'] for row in summary['solutions']]
    assert scores == sorted(scores, reverse=True)
    assert [row['rank'] for row in summary['solutions']] == [1, 2, 3]
    # The block score is the source model's proxy: a chain scores the sum over its blocks.
    for row in summary['solutions']:
        assert row['block_score'] == pytest.approx(
            sum(summary['model_scores'][m] for m, _, _ in row['blocks']))
    # The re-ranking score is NASWOT of the emitted network itself, on the target batch.
    inputs = target_batch()
    for row in summary['solutions']:
        cfg = Config.fromfile(row['config'])
        assert cfg.custom_imports.imports == ['mm_cl_addon']
        assert cfg.model.backbone.type == 'DeRy'
        assert cfg.model.backbone.blocks == row['blocks']
        assert cfg.model.head.num_classes == NUM_CLASSES
        assert cfg.data_preprocessor.num_classes == NUM_CLASSES
        score = naswot_score(build_network(cfg.model, summary['seed']), inputs)
        assert score == pytest.approx(row['network_score'], abs=1e-6)
    for rank in (1, 2, 3):
        assert f'rank{rank}.py' in result.stdout or (case / 'all' / f'rank{rank}.py').is_file()
    assert 'naswot (net)' in result.stdout


def test_parameter_budget_is_respected(case, unbudgeted):
    _, summary = unbudgeted
    params = sorted(row['params'] for row in summary['solutions'])
    budget = (params[0] + params[1]) / 2  # only the cheapest chain fits
    zeroshot(case, 'budget', '--top-m', '5', '--max-params', str(budget))
    kept = json.loads((case / 'budget' / 'summary.json').read_text())['solutions']
    assert len(kept) == 1 and kept[0]['params'] == params[0] <= budget


def test_infeasible_budget_names_the_constraint_and_fails(case):
    result = zeroshot(case, 'none', '--max-params', '1', check=False)
    assert result.returncode != 0
    assert 'max_params=1.0 is below the minimum achievable params' in result.stderr
    assert not (case / 'none' / 'summary.json').exists()


def test_adapter_cost_counts_the_stitches_the_dery_backbone_builds(case):
    sizes = json.loads((case / 'sizes.json').read_text())
    torch.manual_seed(0)
    backbone = MODELS.build(dict(type='DeRy', zoo=str(case / 'zoo.yaml'), input_size=[1, 8, 8],
                                 blocks=[['res', 0, 2], ['vit', 1, 2]]))
    stitch = backbone.stitches[1]
    learned = sum(p.numel() for name, p in stitch.named_parameters() if name != 'extra_tokens')
    params, flops = stitch_cost(sizes['res']['node_shapes'][2], sizes['vit']['node_shapes'][1])
    assert params == learned > 0  # Linear(C_res, C_vit) with bias
    c_in, c_out = sizes['res']['node_shapes'][2][0], sizes['vit']['node_shapes'][1][-1]
    assert flops == c_in * c_out * sizes['vit']['node_shapes'][1][0]


def test_synflow_is_selectable_as_the_proxy(case, unbudgeted):
    zeroshot(case, 'synflow', '--proxy', 'synflow', '--top-m', '2')
    summary = json.loads((case / 'synflow' / 'summary.json').read_text())
    assert summary['proxy'] == 'synflow' and len(summary['solutions']) == 2
    for row in summary['solutions']:
        network = build_network(Config.fromfile(row['config']).model, summary['seed'])
        assert row['network_score'] == pytest.approx(synflow_score(network, (1, 8, 8)),
                                                     rel=1e-9)
    assert summary['model_scores'] != unbudgeted[1]['model_scores']  # NASWOT's
