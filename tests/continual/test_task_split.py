import numpy as np
import pytest
from mmengine.dataset import ConcatDataset

from mm_cl_addon.continual import TaskSplitDataset
from mm_cl_addon.continual.task_split import check_same_task_args
from mm_cl_addon.datasets import DigitsDataset

PIPELINE = [dict(type='PackInputs')]


@pytest.fixture(scope='module')
def digits():
    return DigitsDataset(split='val', pipeline=PIPELINE)


def labels_of(subset):
    return {int(subset.get_data_info(i)['gt_label']) for i in range(len(subset))}


def test_classes_per_task_and_no_overlap(digits):
    split = TaskSplitDataset(digits, tasks=5, seed=0)
    assert split.num_tasks == 5
    assert all(len(classes) == 2 for classes in split.task_classes)
    assert sorted(c for classes in split.task_classes for c in classes) == list(range(10))
    seen = set()
    for task_id, classes in enumerate(split.task_classes):
        subset = split.task_subset(task_id)
        assert labels_of(subset) == set(classes)
        indices = set(subset.indices.tolist())
        assert not indices & seen
        seen |= indices
    assert len(seen) == len(digits) == len(split)


def test_order_comes_from_the_seed(digits):
    first = TaskSplitDataset(digits, tasks=5, seed=0).task_classes
    assert TaskSplitDataset(digits, tasks=5, seed=0).task_classes == first
    others = [TaskSplitDataset(digits, tasks=5, seed=s).task_classes for s in (1, 2, 3)]
    assert any(order != first for order in others)
    expected = np.array_split(np.random.default_rng(7).permutation(10), 5)
    assert TaskSplitDataset(digits, tasks=5, seed=7).task_classes == [
        [int(c) for c in group] for group in expected]


def test_task_id_is_in_metainfo_after_the_pipeline(digits):
    split = TaskSplitDataset(digits, tasks=[[3, 4], [0, 9]], scenario='task')
    item = split.task_subset(1)[0]
    assert item['data_samples'].metainfo['task_id'] == 1
    assert int(item['data_samples'].gt_label) in (0, 9)
    union_item = split[0]
    label = int(union_item['data_samples'].gt_label)
    assert union_item['data_samples'].metainfo['task_id'] == (0 if label in (3, 4) else 1)
    assert len(split) == len(split.task_subset(0)) + len(split.task_subset(1))


def test_works_over_concat_dataset():
    parts = [DigitsDataset(split='val', pipeline=PIPELINE),
             DigitsDataset(split='test', pipeline=PIPELINE)]
    zeros = sum(int(part.get_data_info(i)['gt_label']) == 0
                for part in parts for i in range(len(part)))
    split = TaskSplitDataset(ConcatDataset(parts), tasks=[[0], [1]])
    assert labels_of(split.task_subset(0)) == {0}
    assert len(split.task_subset(0)) == zeros > 0
    assert split.task_subset(1)[0]['data_samples'].metainfo['task_id'] == 1


def test_domain_scenarios():
    rotated = DigitsDataset(split='val', pipeline=PIPELINE,
                            domains=dict(kind='rotation', num_domains=3, seed=0))
    by_domain = TaskSplitDataset(rotated, tasks=3, scenario='domain')
    assert [task.domains for task in by_domain.tasks] == [(0,), (1,), (2,)]
    assert all(len(by_domain.task_subset(t)) == 360 for t in range(3))
    cells = TaskSplitDataset(rotated, tasks=2, scenario='class-domain', seed=0)
    assert cells.num_tasks == 6
    assert [task.domains for task in cells.tasks] == [(0,), (0,), (1,), (1,), (2,), (2,)]
    info = cells.dataset.get_data_info(int(cells.task_subset(3).indices[0]))
    assert info['domain_id'] == 1 and info['gt_label'] in cells.tasks[3].classes


@pytest.mark.parametrize('tasks, message', [
    ([[0, 1], []], 'task 1 has no classes'),
    ([[0, 1], [2, 11]], 'class 11 of task 1 is not in the data set'),
    ([[0, 1], [1, 2]], 'class 1 is in task 0 and in task 1'),
    (11, 'tasks=11 cannot split 10 classes'),
])
def test_bad_task_lists_are_named(digits, tasks, message):
    with pytest.raises(ValueError, match=message):
        TaskSplitDataset(digits, tasks=tasks)


def test_bad_scenario_is_named(digits):
    with pytest.raises(ValueError, match="scenario='online'"):
        TaskSplitDataset(digits, tasks=2, scenario='online')


@pytest.mark.parametrize('other, message', [
    (dict(tasks=4), r'disagree: tasks=4 vs 5'),
    (dict(tasks=5, seed=1), r'disagree: seed=1 vs 0'),
    (dict(tasks=5, scenario='task'), r"disagree: scenario='task' vs 'class'"),
    (dict(tasks=[[0, 1], [2, 3]]), r'disagree: tasks=\[\[0, 1\], \[2, 3\]\] vs 5'),
])
def test_split_configs_that_plan_other_tasks_are_refused_without_building(other, message):
    with pytest.raises(ValueError, match=rf'test_dataloader\.dataset and train_dataloader\.'
                                         rf'dataset {message}'):
        check_same_task_args(dict(tasks=5), other, 'train_dataloader', 'test_dataloader')
    check_same_task_args(dict(tasks=[[0, 1], (2, 3)]), dict(tasks=((0, 1), [2, 3])), 'a', 'b')
