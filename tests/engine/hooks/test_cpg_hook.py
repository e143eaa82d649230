"""CPGHook in a Runner on task-incremental Split-Digits: pick, compact, choose, grow, resume."""
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mm_cl_addon.continual.pruning_ratio import read_ratio_record, select_pruning_ratio
from mm_cl_addon.engine.hooks.cpg_hook import CPGHook
from mm_cl_addon.models.growth import embed_leading
from mm_cl_addon.models.layers.owner_masks import owner_of, picked
from tests.engine.hooks.task_logits import (
    TaskLogitsProbe,
    assert_same_run,
    task_il_digits_config,
)

TASKS = ((0, 1), (2, 3), (4, 5))
STAGES = (0.25, 0.5)
MASK_INIT = 0.01
# Digits through a tiny Perceiver IO: 64 pixel tokens, 1 -> 2 cross heads and 2 -> 3 latent
# heads of 8 dims and GEGLU hidden 64 -> 96 at width 1.5; its 16-wide output feeds the heads.
PERCEIVER = dict(type='PerceiverIOBackbone', modalities=['image'], image_size=(8, 8),
                 image_channels=1, depth=1, num_latents=4, latent_dim=16, latent_heads=2,
                 cross_dim_head=8, latent_dim_head=8)
IMAGE_KV = 'backbone.perceiver.cross_attend_block.cross_attn.fn.to_kv.linears.image'


class Probe(TaskLogitsProbe):
    """Also the masks after each pick, and the owner counts after each compaction stage."""

    def __init__(self, cpg: CPGHook) -> None:
        super().__init__(cpg)
        self.masks_after_pick: dict[int, dict[str, torch.Tensor]] = {}
        self.stage_counts: list[tuple[str, dict[str, int], dict[str, int]]] = []

    def after_phase(self, runner, task_id, phase):
        if phase == 'train' and self.hook.masks:
            self.masks_after_pick[task_id] = {n: m.detach().clone()
                                              for n, m in self.hook.masks.items()}
        if phase.startswith('compact@'):
            counts = {n: int((owner_of(m) == task_id + 1).sum())
                      for n, m in self.hook.modules.items()}
            self.stage_counts.append((phase, dict(self.hook.initial_owned), counts))


def _config(work_dir: Path, tasks=TASKS, backbone: dict | None = None, **hook) -> Config:
    cfg = task_il_digits_config(work_dir, tasks)
    if backbone is not None:  # a backbone with a 16-wide vector output, no pooling neck
        cfg.model.backbone, cfg.model.neck = backbone, None
    cfg.optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9,
                                            weight_decay=5e-4))
    cfg.custom_hooks = [dict(type='CPGHook', prefixes=['backbone'], sparsity_stages=STAGES,
                             stage_epochs=1, allowed_acc_loss=5.0, mask_lr=0.05,
                             mask_init=MASK_INIT, **hook)]
    return cfg


def _runner(cfg: Config, force_growth: bool = False) -> tuple[Runner, CPGHook, Probe]:
    runner = Runner.from_cfg(cfg)
    cpg = next(h for h in runner.hooks if isinstance(h, CPGHook))
    if force_growth:  # task 2 misses its goal once, whatever it reaches
        evaluate = cpg._evaluate

        def missing_once(run, task_id):
            accuracy = evaluate(run, task_id)
            return 0.0 if task_id == 1 and cpg.growths == 0 and not cpg.records else accuracy
        cpg._evaluate = missing_once
    probe = Probe(cpg)
    runner.register_hook(probe)
    return runner, cpg, probe


def test_pick_compact_choose_without_forgetting(tmp_path):
    runner, cpg, probe = _runner(_config(tmp_path / 'work', goal_accuracy=[90.0, 90.0, 90.0]))
    runner.train()
    probe.assert_unchanged(len(TASKS))  # bit for bit: masks, picks and frozen tensors hold
    # The piggyback masks learned (straight-through gradients reached them) and were kept.
    assert sorted(probe.masks_after_pick) == [1, 2]
    for masks in probe.masks_after_pick.values():
        assert any(not torch.all(m == MASK_INIT) for m in masks.values())
    first = cpg.modules['backbone.stages.0.0']
    assert picked(first.cpg_picks, 2)[owner_of(first) == 1].any()
    # Each stage prunes exactly round(r * n) of the task's weights in every layer.
    assert [phase for phase, _, _ in probe.stage_counts] == ['compact@0.25', 'compact@0.5'] * 3
    for phase, initial, counts in probe.stage_counts:
        ratio = float(phase.split('@')[1])
        if ratio != STAGES[-1]:  # after the last stage the chosen snapshot is loaded
            for name, n in initial.items():
                assert counts[name] == n - round(ratio * n), (phase, name)
    # The choice follows the rule on the written record, and the model is that snapshot's.
    for task in (1, 2, 3):
        folder = Path(runner.work_dir) / 'cpg' / f'task{task}'
        choice = json.loads((folder / 'choice.json').read_text())
        expected = select_pruning_ratio(read_ratio_record(folder / 'ratios.json'), 90.0, 5.0)
        assert {k: choice[k] for k in expected} == expected
    summary = json.loads((Path(runner.work_dir) / 'weight_owners.json').read_text())
    assert sorted(summary['per_task']) == ['1', '2', '3']


def test_growth_widens_the_backbone_and_keeps_old_tasks(tmp_path):
    cfg = _config(tmp_path / 'work', max_width_multiplier=1.5, goal_accuracy=50.0)
    runner, cpg, probe = _runner(cfg, force_growth=True)
    runner.train()
    assert cpg.width_multiplier == 1.5
    assert runner.model.backbone.out_channels == [12, 24]
    assert [r for r in runner.train_loop.accuracy_rows[-1]] and cpg.growths == 0  # reset per task
    probe.assert_unchanged(len(TASKS), atol=1e-5)  # summation over more (zero) channels
    first = owner_of(cpg.modules['backbone.stages.0.0'])
    assert first[8:].ne(1).all() and (first[8:] == 2).any()  # new units went to task 2


def test_growth_of_a_perceiver_io_keeps_the_first_task(tmp_path):
    tasks = TASKS[:2]
    cfg = _config(tmp_path / 'work', tasks=tasks, backbone=PERCEIVER, max_width_multiplier=1.5,
                  goal_accuracy=50.0, other_params='per_task')  # per-task GEGLU biases grow
    runner, cpg, probe = _runner(cfg, force_growth=True)
    masks = []
    grow = cpg._grow

    def recording_masks(run, width_multiplier):
        before = cpg.masks[IMAGE_KV].detach().clone()
        grow(run, width_multiplier)
        masks.append((before, cpg.masks[IMAGE_KV].detach().clone()))
    cpg._grow = recording_masks
    runner.train()
    assert cpg.width_multiplier == 1.5 and len(masks) == 1
    probe.assert_unchanged(len(tasks), atol=1e-5)  # summation over more (zero) units
    # to_kv = [keys; values], 8 -> 16 rows each: task 1's rows stay in each block's leading
    # rows, the new rows went to task 2, and task 2's piggyback mask moved along block-wise.
    before, after = masks[0]
    assert torch.equal(after, embed_leading(torch.full_like(after, MASK_INIT), before, (0, 2)))
    for rows in owner_of(cpg.modules[IMAGE_KV]).chunk(2):
        assert (rows[:8] == 1).any() and rows[8:].ne(1).all() and (rows[8:] == 2).any()


def test_resume_after_growth_restores_the_grown_model(tmp_path):
    cfg = _config(tmp_path / 'work', max_width_multiplier=1.5, goal_accuracy=50.0)
    runner, _, _ = _runner(cfg, force_growth=True)
    runner.train()
    cfg = _config(tmp_path / 'resumed', max_width_multiplier=1.5, goal_accuracy=50.0)
    cfg.resume = True
    cfg.load_from = str(Path(runner.work_dir) / 'epoch_6.pth')  # task 2: grown, compacting
    resumed, cpg, _ = _runner(cfg, force_growth=True)
    resumed.train()
    assert cpg.width_multiplier == 1.5
    assert_same_run(resumed, runner)


def test_arguments_are_checked():
    with pytest.raises(ValueError, match='sparsity_stages'):
        CPGHook(sparsity_stages=[0.5, 0.3])
    with pytest.raises(ValueError, match='not both'):
        CPGHook(goal_accuracy=90.0, baseline_metrics='m.json')
    with pytest.raises(ValueError, match='ramp'):
        CPGHook(prune_ramp=0.0)
