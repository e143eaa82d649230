"""The soup tools end to end on tiny digits ingredients: files written, loaded, resumed."""
import json
import runpy
import sys

import pytest
import torch

from mm_cl_addon.compat import load_checkpoint
from mm_cl_addon.soups.individual import evaluate_individuals, read_records

from ..e2e.helpers import REPO, free_port, run_tool, train, write_config

pytestmark = pytest.mark.e2e
CONFIG = REPO / 'configs' / 'soups' / 'finetune_cnn_digits.py'
TINY = """
load_from = None
model = dict(backbone=dict(widths=[8, 16]), head=dict(in_channels=16))
train_cfg = dict(max_epochs=1, val_interval=1)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=1, by_epoch=True,
                        convert_to_iter_based=True)]
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(vis_backends=vis_backends)
"""


@pytest.fixture(scope='module')
def ingredients(tmp_path_factory):
    root = tmp_path_factory.mktemp('soups')
    config = write_config(root / 'tiny.py', CONFIG, TINY)
    checkpoints = []
    for seed in (0, 1, 2):
        train(config, root / f'ingredient{seed}', '--cfg-options', f'randomness.seed={seed}')
        checkpoints.append(str(root / f'ingredient{seed}' / 'epoch_1.pth'))
    individual = root / 'individual.jsonl'
    run_tool(sys.executable, 'tools/soups/eval_individual.py', str(config),
             str(root / 'ingredient*' / 'epoch_1.pth'), '--out', str(individual))
    return root, config, checkpoints, individual


def test_individual_scores_then_resume_without_reevaluating(ingredients):
    root, _, checkpoints, individual = ingredients
    records = read_records(individual)
    assert [r['checkpoint'] for r in records] == checkpoints
    assert all(0 <= r['score'] <= 100 for r in records)
    calls = []
    resumed = evaluate_individuals(checkpoints, lambda sd: calls.append(sd) or {},
                                   'accuracy/top1', individual)
    assert calls == [] and resumed == records


@pytest.mark.parametrize('recipe', ['uniform', 'greedy'])
def test_soup_is_written_and_loaded_by_test_tool(ingredients, recipe):
    root, config, checkpoints, individual = ingredients
    out_dir = root / recipe
    run_tool(sys.executable, 'tools/soups/soup.py', str(config), '--recipe', recipe,
             '--individual', str(individual), '--out-dir', str(out_dir))
    soup = load_checkpoint(out_dir / f'{recipe}_soup.pth')
    log = json.loads((out_dir / f'{recipe}_soup.json').read_text())
    assert (out_dir / f'{recipe}_soup.png').stat().st_size > 1000
    if recipe == 'uniform':
        states = [load_checkpoint(path)['state_dict'] for path in checkpoints]
        name = 'backbone.stages.0.0.weight'
        assert torch.allclose(soup['state_dict'][name],
                              sum(s[name] for s in states) / 3, atol=1e-6)
    else:
        best = max(r['score'] for r in read_records(individual))
        assert log['final_score'] >= best
    metrics_file = root / f'{recipe}_test.json'
    run_tool(sys.executable, 'tools/test.py', str(config), str(out_dir / f'{recipe}_soup.pth'),
             '--work-dir', str(root / 'test'), '--out', str(metrics_file))
    assert 'accuracy/top1' in json.loads(metrics_file.read_text())


def test_predict_vote_and_score(ingredients):
    root, config, checkpoints, _ = ingredients
    csvs = []
    for index, checkpoint in enumerate(checkpoints):
        csvs.append(str(root / f'pred{index}.csv'))
        run_tool(sys.executable, 'tools/soups/predict.py', str(config), checkpoint,
                 '--out', csvs[-1])
    header, first = (root / 'pred0.csv').read_text().splitlines()[:2]
    assert header == 'id,pred_label,confidence' and first.startswith('digits/')
    vote = root / 'vote.csv'
    run_tool(sys.executable, 'tools/soups/hard_vote.py', *csvs, '--out', str(vote))
    assert len(vote.read_text().splitlines()) == 361
    scored = run_tool(sys.executable, 'tools/soups/score_predictions.py', str(config), str(vote))
    assert 'test accuracy' in scored.stdout


def test_wise_ft_tool_ends_are_the_two_models(ingredients):
    root, config, checkpoints, _ = ingredients
    out_dir = root / 'wise_ft'
    run_tool(sys.executable, 'tools/soups/wise_ft.py', str(config), '--initial', checkpoints[0],
             '--fine-tuned', checkpoints[1], '--alphas', '0', '0.5', '1', '--out-dir', str(out_dir))
    results = json.loads((out_dir / 'wise_ft.json').read_text())
    assert [r['alpha'] for r in results] == [0.0, 0.5, 1.0]
    for alpha, source in (('0', checkpoints[0]), ('1', checkpoints[1])):
        mixed = load_checkpoint(out_dir / f'wise_ft_alpha{alpha}.pth')['state_dict']
        original = load_checkpoint(source)['state_dict']
        assert all(torch.equal(mixed[key], original[key]) for key in original)
    assert (out_dir / 'wise_ft.png').exists()


def test_individual_scores_distributed_match_single_process(ingredients, tmp_path):
    root, config, checkpoints, individual = ingredients
    out = tmp_path / 'dist.jsonl'
    run_tool('bash', 'tools/dist_launch.sh', 'soups/eval_individual.py', '2', str(config),
             *checkpoints[:2], '--out', str(out), env=dict(PORT=str(free_port())))
    single = {r['checkpoint']: r['score'] for r in read_records(individual)}
    assert {r['checkpoint']: r['score'] for r in read_records(out)} == {
        path: single[path] for path in checkpoints[:2]}


@pytest.mark.parametrize('text, fault', [
    ('{"0": [0, 1], "1": [1', 'is not valid JSON'),
    ('', r'is empty \(0 bytes\)'),
    ('[[0, 1]]', 'expected a mapping at the top level, got a list'),
    ('{"zero": [0, 1]}', 'expected a JSON object of class index -> attribute list'),
    ('{"0": 5}', 'expected a JSON object of class index -> attribute list'),
])
def test_hard_vote_attribute_table_errors_name_the_file(tmp_path, text, fault):
    read_attribute_table = runpy.run_path(str(REPO / 'tools' / 'soups' / 'hard_vote.py'))[
        'read_attribute_table']
    path = tmp_path / 'table.json'
    path.write_text('{"0": [0, 1], "1": [1, 0]}')
    assert read_attribute_table(str(path)) == {0: [0, 1], 1: [1, 0]}
    path.write_text(text)
    with pytest.raises(ValueError, match=f'--attributes table .*table\\.json: {fault}'):
        read_attribute_table(str(path))
