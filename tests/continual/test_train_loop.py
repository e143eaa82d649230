"""ContinualTrainLoop on two small tasks: callback order, phases, schedules, the matrix."""
import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.runner import Runner

from mm_cl_addon.compat import load_checkpoint
from mm_cl_addon.continual import TaskHook
from tests.conftest import small_digits_config


class Recorder(TaskHook):
    """Records every task-level callback; adds a 'retrain' phase to task 0."""

    def __init__(self):
        self.events = []
        self.first_lrs = {}
        self.snapshots = []
        self.steps = {}  # (task, phase) -> [(phase_step, phase_steps), ...]

    def before_train(self, runner):
        self.snapshots.append(copy.deepcopy(runner.model.state_dict()))

    def before_task(self, runner, task_id):
        self.events.append(('before_task', task_id))

    def before_phase(self, runner, task_id, phase):
        self.events.append(('before_phase', task_id, phase))
        self._phase = (task_id, phase)

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        loop = runner.train_loop
        assert loop.current_phase.name == self._phase[1]
        self.steps.setdefault(self._phase, []).append((loop.phase_step, loop.phase_steps))
        if self._phase not in self.first_lrs:
            self.first_lrs[self._phase] = runner.optim_wrapper.get_lr()['lr'][0]
            state = runner.optim_wrapper.optimizer.state
            self.first_lrs[self._phase, 'state'] = len(state)

    def after_phase(self, runner, task_id, phase):
        self.events.append(('after_phase', task_id, phase))
        if task_id == 0 and phase == 'train':
            runner.train_loop.add_phase('retrain', 1, param_scheduler=[
                ConfigDict(type='ConstantLR', factor=0.5, by_epoch=True)])

    def after_task(self, runner, task_id):
        self.events.append(('after_task', task_id))
        self.snapshots.append(copy.deepcopy(runner.model.state_dict()))

    def before_val_task(self, runner, task_id):
        self.events.append(('before_val_task', task_id))

    def after_val_task(self, runner, task_id, metrics):
        self.events.append(('after_val_task', task_id))


class StepProbe(TaskHook):
    """Records (task, phase_step, phase_steps) before every training step."""

    def __init__(self):
        self.steps = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        loop = runner.train_loop
        self.steps.append((loop.task_id, loop.phase_step, loop.phase_steps))


def hand_accuracy(model, state, subset):
    """Accuracy of ``state`` on a task subset, by one forward pass and an argmax."""
    model.load_state_dict(state)
    model.eval()
    items = [subset[index] for index in range(len(subset))]
    images = torch.stack([item['inputs'] for item in items]).float()
    labels = torch.tensor([int(item['data_samples'].gt_label) for item in items])
    with torch.no_grad():
        logits = model((images - 78.0) / 96.0, mode='tensor')
    return (logits.argmax(1) == labels).double().mean().item()


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    digits_cfg = small_digits_config(tmp_path_factory.mktemp('work'))
    digits_cfg.param_scheduler = [dict(type='StepLR', step_size=1, gamma=0.5, by_epoch=True)]
    digits_cfg.train_cfg.epochs_per_task = 2
    recorder = Recorder()
    runner = Runner.from_cfg(digits_cfg)
    runner.register_hook(recorder)
    runner.train()
    return runner, recorder


def test_callbacks_and_phases_in_order(trained):
    runner, recorder = trained
    val_all = [('before_val_task', 0), ('after_val_task', 0),
               ('before_val_task', 1), ('after_val_task', 1)]
    assert recorder.events == [
        *val_all,
        ('before_task', 0), ('before_phase', 0, 'train'), ('after_phase', 0, 'train'),
        ('before_phase', 0, 'retrain'), ('after_phase', 0, 'retrain'), ('after_task', 0),
        *val_all,
        ('before_task', 1), ('before_phase', 1, 'train'), ('after_phase', 1, 'train'),
        ('after_task', 1),
        *val_all,
    ]
    assert runner.epoch == 2 + 1 + 2 == runner.train_loop.max_epochs


def test_phase_step_counts_each_phase_from_zero_to_its_length(trained):
    runner, recorder = trained
    per_epoch = len(runner.train_loop.dataloader)
    assert list(recorder.steps) == [(0, 'train'), (0, 'retrain'), (1, 'train')]
    for (_, phase), steps in recorder.steps.items():
        epochs = 1 if phase == 'retrain' else 2
        assert steps == [(step, epochs * per_epoch) for step in range(epochs * per_epoch)]


def test_every_phase_restarts_the_schedule_and_the_optimizer(trained):
    runner, recorder = trained
    for phase, lr in [((0, 'train'), 0.05), ((0, 'retrain'), 0.025), ((1, 'train'), 0.05)]:
        assert recorder.first_lrs[phase] == pytest.approx(lr)  # the retrain phase's own schedule
        assert recorder.first_lrs[phase, 'state'] == 0  # momentum buffers were cleared
    assert runner.optim_wrapper.get_lr()['lr'][0] == pytest.approx(0.05 * 0.5 ** 2)


def test_checkpointed_loop_state_is_weights_only_loadable(trained):
    """The retrain phase's scheduler came in as a ConfigDict; it is saved as plain data."""
    runner, _ = trained
    state = load_checkpoint(Path(runner.work_dir) / 'epoch_3.pth')['continual_loop']
    assert state['phases'][1] == dict(name='retrain', length=1, param_scheduler=[
        dict(type='ConstantLR', factor=0.5, by_epoch=True)])
    assert (state['task_id'], state['phase_index'], state['phase_progress']) == (0, 1, 1)


def test_accuracy_matrix_equals_hand_computation(trained):
    runner, recorder = trained
    split = runner.val_loop.split
    expected = [[hand_accuracy(runner.model, state, split.task_subset(t)) for t in range(2)]
                for state in recorder.snapshots]
    np.testing.assert_allclose(runner.train_loop.accuracy_rows, expected, atol=1e-9)
    report = json.loads((Path(runner.work_dir) / 'continual_accuracy.json').read_text())
    np.testing.assert_allclose(report['accuracy_matrix'], expected, atol=1e-9)
    assert report['average_accuracy'] == pytest.approx(sum(expected[2]) / 2)
    assert report['backward_transfer'] == pytest.approx(expected[2][0] - expected[1][0])
    assert report['forward_transfer'] == pytest.approx(expected[1][1] - expected[0][1])
    assert (Path(runner.work_dir) / 'continual_accuracy_matrix.png').stat().st_size > 1000
    images = list(Path(runner.work_dir).glob('*/vis_data/vis_image/continual_accuracy_matrix_2.*'))
    assert len(images) == 1  # the visualizer's local backend received the heatmap
    assert expected[1][0] > 0.8 and expected[2][1] > 0.8  # each task was learnt


def test_report_carries_its_run_record_and_the_log_ends_with_the_scores(trained):
    runner, _ = trained
    work_dir = Path(runner.work_dir)
    record = json.loads((work_dir / 'continual_accuracy.json').read_text())['run']
    assert (record['seed'], record['world_size']) == (0, 1)
    assert record['threads'] == torch.get_num_threads()
    assert len(record['config_sha256']) == 64
    assert torch.__version__.startswith(record['versions']['torch'])
    assert record['wall_time_s'] > 0 and record['peak_rss_mb'] > 50
    log = next(work_dir.glob('*/*.log')).read_text()
    report = json.loads((work_dir / 'continual_accuracy.json').read_text())
    acc = f"ACC {100 * report['average_accuracy']:.2f}%"
    assert f'Final scores: {acc}, forgetting ' in log
    assert f'Report: {work_dir / "continual_accuracy.json"}' in log
    assert f'Heatmap: {work_dir / "continual_accuracy_matrix.png"}' in log


def test_epochs_and_iters_are_exclusive(digits_cfg):
    digits_cfg.train_cfg.iters_per_task = 3
    with pytest.raises(ValueError, match='exactly one of epochs_per_task and iters_per_task'):
        Runner.from_cfg(digits_cfg).train()


def test_iteration_mode_runs_exact_iterations(digits_cfg):
    digits_cfg.train_cfg = dict(type='ContinualTrainLoop', iters_per_task=[3, 20])
    digits_cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10,
                                               by_epoch=False)
    probe = StepProbe()
    runner = Runner.from_cfg(digits_cfg)
    runner.register_hook(probe)
    runner.train()
    assert runner.iter == 23
    assert len(runner.train_loop.accuracy_rows) == 3
    # iteration mode: a step index runs across passes over the loader (20 > one pass)
    assert probe.steps == [(0, step, 3) for step in range(3)] + [(1, step, 20)
                                                                for step in range(20)]


def random_iteration_config(work_dir):
    """Iteration mode, passes cut mid-way, and randomness from numpy (flips) and torch (dropout)."""
    cfg = small_digits_config(work_dir)
    cfg.train_cfg = dict(type='ContinualTrainLoop', iters_per_task=[10, 12])
    cfg.train_dataloader.dataset.dataset.pipeline = [
        dict(type='RandomFlip', prob=0.5, direction='horizontal'), dict(type='PackInputs')]
    cfg.model.head = dict(type='StackedLinearClsHead', num_classes=10, in_channels=64,
                          mid_channels=[32], dropout_rate=0.3)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1, by_epoch=False,
                                        max_keep_ckpts=-1)
    return cfg


@pytest.mark.parametrize('resume_iter', [9, 15])  # mid-pass in task 0; mid-task 1
def test_iteration_mode_resumes_mid_pass_exactly(tmp_path, resume_iter):
    whole = Runner.from_cfg(random_iteration_config(tmp_path / 'whole'))
    whole.train()
    resumed_cfg = random_iteration_config(tmp_path / 'resumed')
    resumed_cfg.resume = True
    resumed_cfg.load_from = str(tmp_path / 'whole' / f'iter_{resume_iter}.pth')
    resumed = Runner.from_cfg(resumed_cfg)
    resumed.train()
    assert resumed.iter == whole.iter == 22
    for name, tensor in whole.model.state_dict().items():
        assert torch.equal(tensor, resumed.model.state_dict()[name]), name
    np.testing.assert_array_equal(whole.train_loop.accuracy_rows, resumed.train_loop.accuracy_rows)


@pytest.mark.parametrize('value', [1.5, True, '2', [1], [1, 0], None])
def test_epochs_per_task_must_be_whole_numbers_one_per_task(digits_cfg, value):
    digits_cfg.train_cfg.epochs_per_task = value
    message = ('give exactly one' if value is None else
               r'train_cfg\.epochs_per_task=.* must be a whole number >= 1 or a list of one per '
               r'task \(2 tasks\)')
    with pytest.raises(ValueError, match=message):
        Runner.from_cfg(digits_cfg).train()


def test_whole_float_epochs_are_accepted(digits_cfg):
    digits_cfg.train_cfg.epochs_per_task = [1.0, 2]
    loop = Runner.from_cfg(digits_cfg).build_train_loop(copy.deepcopy(digits_cfg.train_cfg))
    assert loop.task_lengths == [1, 2]


@pytest.mark.parametrize('loader, change, message', [
    ('val_dataloader', dict(tasks=[[0, 1]]), r'val_dataloader\.dataset and train_dataloader\.'
                                             r'dataset disagree: 1 tasks vs 2'),
    ('val_dataloader', dict(tasks=[[2, 3], [0, 1]]), r'disagree on task 0: classes \[2, 3\]'),
    ('test_dataloader', dict(tasks=[[0, 1], [2, 4]]), r'test_dataloader\.dataset and train_data'
                                                      r'loader\.dataset disagree on task 1'),
    ('val_dataloader', dict(scenario='task'), "disagree: scenario='task' vs 'class'"),
])
def test_evaluation_tasks_must_match_the_training_tasks(digits_cfg, loader, change, message):
    digits_cfg[loader].dataset.update(change)
    runner = Runner.from_cfg(digits_cfg)
    with pytest.raises(ValueError, match=message):
        runner.train()
    assert not list(Path(digits_cfg.work_dir).glob('*.pth'))  # refused before any training


def test_a_head_smaller_than_the_labels_is_refused_at_build(digits_cfg):
    digits_cfg.model.head.num_classes = 3
    with pytest.raises(ValueError, match=r'model\.head\.num_classes=3 is too small: the training '
                                         'data .* has labels up to 3; set it to at least 4'):
        Runner.from_cfg(digits_cfg).train()
