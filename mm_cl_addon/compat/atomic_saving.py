"""Make mmengine's local writes atomic, and its checkpoint rotation safe against kills.

mmengine 0.10.7 writes files in place: ``LocalBackend.put``/``put_text`` (every checkpoint and
config dump goes through them) open the final path and write into it, and ``CheckpointHook``
writes ``last_checkpoint`` the same way. A kill or a full disk in the middle leaves a half file
under its final name; an empty ``last_checkpoint`` then stops ``--resume``. The hook also deletes
the oldest checkpoint (``max_keep_ckpts``) *before* writing the new one, so a failed save can
leave fewer whole checkpoints than the user asked to keep.

Here every local write goes to a temporary file in the same folder, is flushed to disk and
renamed into place (:func:`mm_cl_addon.utils.atomic_write`), and the hook saves the new
checkpoint, then points ``last_checkpoint`` at it, and only then deletes the expired one.
"""
from __future__ import annotations

import os.path as osp
from pathlib import Path

from mmengine.dist import is_main_process
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import CheckpointHook

from ..utils.io import atomic_write


def _atomic_put(self: LocalBackend, obj: bytes, filepath: str | Path) -> None:
    """``LocalBackend.put``, whole or not at all."""
    with atomic_write(filepath, 'wb') as handle:
        handle.write(obj)


def _atomic_put_text(self: LocalBackend, obj: str, filepath: str | Path,
                     encoding: str = 'utf-8') -> None:
    """``LocalBackend.put_text``, whole or not at all."""
    with atomic_write(filepath, 'w', encoding=encoding) as handle:
        handle.write(obj)


def _remove_checkpoint(hook: CheckpointHook, step: int) -> None:
    path = hook.file_backend.join_path(hook.out_dir, hook.filename_tmpl.format(step))
    if hook.file_backend.isfile(path):
        hook.file_backend.remove(path)
    elif hook.file_backend.isdir(path):  # DeepSpeed writes checkpoints as folders
        hook.file_backend.rmtree(path)


def _save_then_rotate(self: CheckpointHook, runner, step: int, meta: dict) -> None:
    """``CheckpointHook._save_checkpoint_with_step`` in a safe order.

    The bookkeeping (``keep_ckpt_ids`` in the message hub, saved inside the checkpoint) is
    mmengine's; only the order changes: save, point ``last_checkpoint`` at the new file, then
    delete the checkpoint that fell out of the kept window.
    """
    expired = None
    if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
        if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
            expired = self.keep_ckpt_ids.popleft()
        self.keep_ckpt_ids.append(step)
        runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
    ckpt_filename = self.filename_tmpl.format(step)
    self.last_ckpt = self.file_backend.join_path(self.out_dir, ckpt_filename)
    runner.message_hub.update_info('last_ckpt', self.last_ckpt)
    runner.save_checkpoint(
        self.out_dir, ckpt_filename, self.file_client_args, save_optimizer=self.save_optimizer,
        save_param_scheduler=self.save_param_scheduler, meta=meta, by_epoch=self.by_epoch,
        backend_args=self.backend_args, **self.args)
    if not is_main_process():
        return
    with atomic_write(osp.join(runner.work_dir, 'last_checkpoint'), 'w') as handle:
        handle.write(self.last_ckpt)
    if expired is not None:
        _remove_checkpoint(self, expired)


def install() -> None:
    """Patch the local backend's writes and the checkpoint hook's rotation; idempotent."""
    LocalBackend.put = _atomic_put
    LocalBackend.put_text = _atomic_put_text
    CheckpointHook._save_checkpoint_with_step = _save_then_rotate
