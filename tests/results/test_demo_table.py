"""The demo table's readers, on work dirs written in the formats of the jobs that make them."""
import json
from pathlib import Path

import pytest

from mm_cl_addon.continual.metrics import summarize
from mm_cl_addon.results.demo_table import (
    DemoRow,
    continual_result,
    demo_table,
    dery_results,
    format_demo_table,
    last_val_accuracy,
    retention_result,
    soup_results,
)
from mm_cl_addon.utils import atomic_write_json

# rows: before training, after task 1, after task 2 (the continual report's layout)
TWO_TASKS = [[0.0, 0.1], [0.9, 0.2], [0.3, 0.8]]


def write_scalars(work_dir: Path, *accuracies: float, run: str = '20261208_000000') -> None:
    """mmengine's LocalVisBackend file: one JSON record a logged step."""
    path = work_dir / run / 'vis_data' / 'scalars.json'
    path.parent.mkdir(parents=True)
    records = [dict(loss=1.0, step=1)] + [{'accuracy/top1': a, 'step': i}
                                          for i, a in enumerate(accuracies)]
    path.write_text(''.join(json.dumps(record) + '\n' for record in records))


def test_continual_result_is_acc_and_forgetting_in_percent(tmp_path):
    atomic_write_json(tmp_path / 'continual_accuracy.json', summarize(TWO_TASKS))
    # ACC = (0.3 + 0.8) / 2; forgetting of task 1 = 0.9 - 0.3
    assert continual_result(tmp_path) == '55.00 / 60.00'


def test_continual_result_adds_the_weights_used(tmp_path):
    atomic_write_json(tmp_path / 'continual_accuracy.json', summarize(TWO_TASKS))
    atomic_write_json(tmp_path / 'weight_owners.json', dict(weights_used=0.96875))
    assert continual_result(tmp_path) == '55.00 / 60.00 (weights used 96.88)'


def test_joint_training_has_no_forgetting(tmp_path):
    (tmp_path / 'task_scores.json').write_text(json.dumps(dict(task_scores=[0.9, 0.7])))
    assert continual_result(tmp_path) == '80.00 / -'


def test_retention_result_reads_the_last_row(tmp_path):
    atomic_write_json(tmp_path / 'continual_accuracy.json', summarize(TWO_TASKS))
    assert retention_result(tmp_path) == '30.00 / 80.00'


def test_last_val_accuracy_takes_the_newest_run_and_step(tmp_path):
    write_scalars(tmp_path, 50.0, run='20261207_000000')
    write_scalars(tmp_path, 60.0, 70.0, run='20261208_000000')
    assert last_val_accuracy(tmp_path) == 70.0


def test_last_val_accuracy_without_validation_names_the_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        last_val_accuracy(tmp_path)


def write_soups(work: Path, scores: dict[str, float], greedy_score: float, accepted: int,
                best_test: float, greedy_test: float) -> None:
    work.mkdir(exist_ok=True)
    (work / 'individual.jsonl').write_text(''.join(
        json.dumps(dict(checkpoint=name, score=score)) + '\n' for name, score in scores.items()))
    atomic_write_json(work / 'greedy' / 'greedy_soup.json',
                      dict(final_score=greedy_score, accepted=list(scores)[:accepted]))
    atomic_write_json(work / 'test' / 'best_ingredient.json', {'accuracy/top1': best_test})
    atomic_write_json(work / 'test' / 'greedy_soup.json', {'accuracy/top1': greedy_test})


def test_soup_results_compare_the_best_ingredient_with_the_greedy_soup(tmp_path):
    write_soups(tmp_path, {'a.pth': 90.0, 'b.pth': 95.5, 'c.pth': 91.0}, 96.25, 2, 94.0, 95.0)
    assert soup_results(tmp_path) == [('best of 3 ingredients', '95.50 / 94.00'),
                                      ('greedy soup (kept 2)', '96.25 / 95.00')]


def test_soup_results_without_ingredients_fail(tmp_path):
    with pytest.raises(FileNotFoundError, match='individual.jsonl'):
        soup_results(tmp_path)


def write_dery(work: Path, zoo: dict[str, tuple[int, float]], budget: float | None) -> None:
    atomic_write_json(work / 'sizes.json', {name: dict(params=params)
                                            for name, (params, _) in zoo.items()})
    for name, (_, accuracy) in zoo.items():
        write_scalars(work / name, accuracy)
    atomic_write_json(work / 'reassembly' / 'summary.json', dict(
        budgets=dict(max_params=budget),
        solutions=[dict(blocks=[['big', 0, 1], ['small', 1, 2]])]))
    write_scalars(work / 'ft_full', 97.0)
    write_scalars(work / 'scratch', 93.0)


def test_dery_results_pick_the_best_zoo_model_within_the_budget(tmp_path):
    # 'big' is the most accurate but over the budget: the comparison is 'small'
    write_dery(tmp_path, {'big': (90_000, 99.0), 'small': (20_000, 96.0),
                          'tiny': (5_000, 80.0)}, budget=60_000.0)
    assert dery_results(tmp_path) == [
        ('best zoo model within 60,000 params (small)', '96.00'),
        ('reassembled big[0:1] + small[1:2], fine-tuned', '97.00'),
        ('same architecture from scratch', '93.00')]


def test_dery_results_when_no_zoo_model_fits(tmp_path):
    write_dery(tmp_path, {'big': (90_000, 99.0)}, budget=1_000.0)
    with pytest.raises(ValueError, match='no zoo model fits the budget of 1000.0'):
        dery_results(tmp_path)


def test_table_groups_rows_by_kind():
    rows = [DemoRow('reuse', 's3', 'soup', 'held-out', '1'),
            DemoRow('continual', 's1', 'ER', 'ACC', '2'),
            DemoRow('transfer', 's2', 'KD', 'kept', '3')]
    lines = format_demo_table(rows).splitlines()
    assert lines[0] == '| kind | setting | method | metric | result |'
    assert [line.split(' | ')[0] for line in lines[2:]] == ['| continual', '| transfer',
                                                             '| reuse']


def test_row_kind_is_checked():
    with pytest.raises(ValueError, match="one of .*'reuse'.*got 'other'"):
        DemoRow('other', 's', 'm', 'x', '1')


def test_demo_table_has_a_row_per_method_from_the_jobs_dirs(tmp_path):
    for name in ('finetune', 'er', 'memory-head', 'finetune-task-il', 'packnet-task-il',
                 'cpg-task-il', 'retention-ce', 'retention-kd', 'retention-masked-kd'):
        atomic_write_json(tmp_path / name / 'continual_accuracy.json', summarize(TWO_TASKS))
    (tmp_path / 'joint').mkdir()
    (tmp_path / 'joint' / 'task_scores.json').write_text(json.dumps(dict(task_scores=[1.0])))
    write_soups(tmp_path / 'soups', {'a.pth': 90.0}, 90.0, 1, 89.0, 89.0)
    write_dery(tmp_path / 'dery', {'small': (20_000, 96.0)}, budget=60_000.0)
    lines = demo_table(tmp_path).splitlines()[2:]
    assert [line.split(' | ')[0] for line in lines] == (
        ['| continual'] * 7 + ['| transfer'] * 3 + ['| reuse'] * 5)
    assert lines[1].endswith('| 100.00 / - |')  # joint
    assert lines[7].endswith('| 30.00 / 80.00 |')  # fine-tuning's kept / new
