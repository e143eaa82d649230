"""Kills at every moment of a save, repeated kills and a full disk: nothing half-written is left
under a final name, and ``--resume`` ends exactly where an uninterrupted run ends."""
from __future__ import annotations

import json
import resource
import signal
from pathlib import Path

import pytest

from mm_cl_addon.compat.resume import is_whole_checkpoint

from .helpers import assert_same_weights, error_line, final_weights, tiny_config, train

pytestmark = pytest.mark.e2e

KILLABLE = "custom_imports = dict(imports=['mm_cl_addon', 'kill_points'], " \
           "allow_failed_imports=False)\n"


@pytest.fixture(scope='module')
def uninterrupted(tmp_path_factory) -> tuple[dict, dict]:
    folder = tmp_path_factory.mktemp('uninterrupted')
    done = train(tiny_config(folder), folder / 'work')
    assert done.returncode == 0, done.stderr[-3000:]
    return final_weights(folder / 'work'), _report(folder / 'work')


def _report(work_dir: Path) -> dict:
    """The scores of the report; its run record (wall time, memory) differs between runs."""
    report = json.loads((work_dir / 'continual_accuracy.json').read_text())
    assert report.pop('run')['seed'] == 0
    return report


def _kill(work_dir: Path, when: str, resume: bool = False):
    config = tiny_config(work_dir.parent, KILLABLE, name='killable.py')
    return train(config, work_dir, *(['--resume'] if resume else []),
                 env=dict(MMCL_KILL_AT=when))


def _assert_only_whole_files(work_dir: Path) -> None:
    """Every checkpoint under its final name is whole, and last_checkpoint names one."""
    for path in work_dir.glob('*.pth'):
        assert is_whole_checkpoint(path), path
    named = (work_dir / 'last_checkpoint').read_text().strip()
    assert named and is_whole_checkpoint(named), named


def _resume_and_compare(work_dir: Path, uninterrupted: tuple[dict, dict]) -> None:
    resumed = train(tiny_config(work_dir.parent), work_dir, '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert_same_weights(uninterrupted[0], final_weights(work_dir))
    assert _report(work_dir) == uninterrupted[1]
    assert not [p for p in work_dir.iterdir() if p.name.endswith('.tmp')]


@pytest.mark.parametrize('when', [
    'before-rename:epoch_2.pth:1',      # the checkpoint's bytes written, not yet renamed
    'after-rename:epoch_2.pth:1',       # renamed, last_checkpoint not yet updated
    'before-rename:last_checkpoint:2',  # killed while last_checkpoint is rewritten
    'after-rename:last_checkpoint:3',   # pointer updated, expired epoch_1 not yet deleted
])
def test_kill_at_each_moment_of_a_save_then_resume(tmp_path, uninterrupted, when):
    work_dir = tmp_path / 'work'
    killed = _kill(work_dir, when)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    _assert_only_whole_files(work_dir)
    _resume_and_compare(work_dir, uninterrupted)


def test_repeated_kills_then_resume(tmp_path, uninterrupted):
    work_dir = tmp_path / 'work'
    assert _kill(work_dir, 'before-rename:epoch_2.pth:1').returncode == -signal.SIGKILL
    assert _kill(work_dir, 'before-rename:last_checkpoint:1',
                 resume=True).returncode == -signal.SIGKILL
    assert _kill(work_dir, 'after-rename:epoch_4.pth:1',
                 resume=True).returncode == -signal.SIGKILL
    _assert_only_whole_files(work_dir)
    _resume_and_compare(work_dir, uninterrupted)


def test_disk_full_at_a_later_save_keeps_the_earlier_checkpoints(tmp_path, uninterrupted):
    work_dir = tmp_path / 'work'
    failed = _kill(work_dir, 'disk-full:epoch_3.pth:1')
    assert failed.returncode == 1
    assert error_line(failed.stderr).startswith(
        f'train.py: error: [Errno 28] could not write {work_dir}/epoch_3.pth (No space left on '
        'device); nothing was written under that name')
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['epoch_1.pth', 'epoch_2.pth']
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'epoch_2.pth')
    _resume_and_compare(work_dir, uninterrupted)


def _file_size_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_file_size_limit_smaller_than_a_checkpoint(tmp_path, uninterrupted):
    """The kernel refuses the first checkpoint (~51 kB) while logs (~16 kB) still fit."""
    work_dir = tmp_path / 'work'
    failed = train(tiny_config(tmp_path), work_dir, preexec_fn=_file_size_limit(40_000))
    assert failed.returncode == 1
    assert error_line(failed.stderr).startswith(
        f'train.py: error: [Errno 27] could not write {work_dir}/epoch_1.pth (File too large)')
    assert not list(work_dir.glob('*.pth')) and not (work_dir / 'last_checkpoint').exists()
    assert not [p for p in work_dir.iterdir() if p.name.endswith('.tmp')]
    _resume_and_compare(work_dir, uninterrupted)
