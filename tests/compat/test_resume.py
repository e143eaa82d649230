"""--resume finds a whole checkpoint even when last_checkpoint is empty or names a broken one."""
from __future__ import annotations

import os
import time

import torch

import mm_cl_addon  # noqa: F401  (applies the fixes)
from mm_cl_addon.compat.resume import find_resumable_checkpoint, is_whole_checkpoint

from .test_checkpoint import _keep_runner_globals_here, _runner, _ToyModel  # noqa: F401


def _checkpoint(path, value: float, age: float = 0.0):
    torch.save({'state_dict': {'w': torch.full((4,), value)}}, path)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_named_whole_checkpoint_is_used(tmp_path):
    _checkpoint(tmp_path / 'epoch_1.pth', 1.0, age=10)
    newest = _checkpoint(tmp_path / 'epoch_2.pth', 2.0)
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    assert find_resumable_checkpoint(tmp_path) == str(tmp_path / 'epoch_1.pth')
    (tmp_path / 'last_checkpoint').write_text('')
    assert find_resumable_checkpoint(tmp_path) == str(newest)


def test_broken_newest_checkpoint_falls_back_to_the_previous(tmp_path):
    previous = _checkpoint(tmp_path / 'epoch_1.pth', 1.0, age=10)
    broken = _checkpoint(tmp_path / 'epoch_2.pth', 2.0)
    broken.write_bytes(broken.read_bytes()[:300])
    (tmp_path / 'last_checkpoint').write_text(str(broken))
    assert not is_whole_checkpoint(broken) and is_whole_checkpoint(previous)
    assert find_resumable_checkpoint(tmp_path) == str(previous)


def test_partial_files_are_removed_and_nothing_whole_means_none(tmp_path):
    partial = tmp_path / '.epoch_3.pth.a1b2c3.tmp'
    partial.write_bytes(b'PK\x03\x04half')
    (tmp_path / 'epoch_1.pth').write_bytes(b'')
    assert find_resumable_checkpoint(tmp_path) is None
    assert not partial.exists()
    assert find_resumable_checkpoint(tmp_path / 'no-such-dir') is None


def _seeded_runner(work_dir, name: str, epochs: int, **kwargs):
    torch.manual_seed(0)
    return _runner(work_dir, name, model=_ToyModel(), randomness=dict(seed=0),
                   train_cfg=dict(by_epoch=True, max_epochs=epochs), **kwargs)


def test_runner_resumes_past_an_empty_last_checkpoint(tmp_path):
    whole = _seeded_runner(tmp_path / 'whole', 'resume-whole', 2)
    whole.train()
    broken_dir = tmp_path / 'broken'
    _seeded_runner(broken_dir, 'resume-first', 2).train()
    (broken_dir / 'epoch_2.pth').unlink()  # as if killed in epoch 2, while rewriting the
    (broken_dir / 'last_checkpoint').write_text('')  # pointer (mmengine wrote it in place)
    resumed = _seeded_runner(broken_dir, 'resume-second', 2, resume=True)
    resumed.train()
    for name, tensor in whole.model.state_dict().items():
        assert torch.equal(tensor, resumed.model.state_dict()[name]), name
    assert resumed.train_loop.epoch == 2
