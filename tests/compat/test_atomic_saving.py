"""mmengine's local writes are atomic and checkpoint rotation deletes only after a whole save."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from mmengine.fileio.backends import LocalBackend

import mm_cl_addon  # noqa: F401  (applies the fixes)
from mm_cl_addon.utils import io as atomic_io

from .test_checkpoint import _keep_runner_globals_here, _runner  # noqa: F401


class _DiskFull(OSError):
    pass


@pytest.fixture
def failing_fsync(monkeypatch):
    """Every fsync fails as a full disk would, after the bytes went into the temporary file."""
    def fail(fd):
        raise _DiskFull(28, 'No space left on device')
    monkeypatch.setattr(atomic_io.os, 'fsync', fail)


def test_put_keeps_the_old_file_when_the_write_fails(tmp_path, failing_fsync):
    target = tmp_path / 'epoch_1.pth'
    target.write_bytes(b'old')
    with pytest.raises(OSError, match=r'could not write .*epoch_1\.pth \(No space left on '
                                      r'device\); nothing was written under that name'):
        LocalBackend().put(b'new' * 1000, target)
    assert target.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['epoch_1.pth']


def test_put_text_writes_whole_files_with_the_usual_permissions(tmp_path):
    target = tmp_path / 'sub' / 'config.py'
    LocalBackend().put_text('x = 1\n', target)
    assert target.read_text() == 'x = 1\n'
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert os.listdir(target.parent) == ['config.py']


def _saved_names(work_dir: Path) -> set[str]:
    return {path.name for path in work_dir.iterdir() if path.suffix == '.pth'}


def test_rotation_deletes_the_expired_checkpoint_after_the_new_one(tmp_path):
    runner = _runner(tmp_path, 'rotation', default_hooks=dict(
        checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2)),
        train_cfg=dict(by_epoch=True, max_epochs=3))
    runner.train()
    assert _saved_names(tmp_path) == {'epoch_2.pth', 'epoch_3.pth'}
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'epoch_3.pth')


def test_a_failed_save_keeps_the_checkpoint_it_would_have_replaced(tmp_path, monkeypatch):
    runner = _runner(tmp_path, 'failed-save', default_hooks=dict(
        checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1)),
        train_cfg=dict(by_epoch=True, max_epochs=2))
    original_put = LocalBackend.put

    def put_fails_on_epoch_2(self, obj, filepath):
        if Path(filepath).name == 'epoch_2.pth':
            raise OSError(28, 'No space left on device')
        original_put(self, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', put_fails_on_epoch_2)
    with pytest.raises(OSError, match='No space left'):
        runner.train()
    assert _saved_names(tmp_path) == {'epoch_1.pth'}
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'epoch_1.pth')
