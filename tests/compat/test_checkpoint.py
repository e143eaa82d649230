"""mmengine checkpoints load under weights_only=True; checkpoints that run code are refused."""
from __future__ import annotations

import dataclasses
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmengine.runner import CheckpointLoader, Runner
from mmengine.runner import load_checkpoint as mmengine_load_checkpoint
from torch import nn
from torch.utils.data import Dataset

import mm_cl_addon  # noqa: F401  (importing applies the fixes)
from mm_cl_addon import compat
from mm_cl_addon.compat import UnsafeCheckpointError, load_checkpoint, register_allowed_globals
from mm_cl_addon.compat import checkpoint as compat_checkpoint

SYSTEM_GLOBAL = f'{os.system.__module__}.system'  # posix.system on Linux


class _ShellPayload:
    """Pickles as ``os.system(command)``: loading it with plain pickle runs the command."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


class _AttributeProbe:
    """Pickles as ``getattr(HistoryBuffer, 'update')``, a lookup HistoryBuffer never writes."""

    def __reduce__(self):
        return getattr, (HistoryBuffer, 'update')


@dataclasses.dataclass
class _TaskState:
    task: int


class _ToyDataset(Dataset):
    metainfo = dict(classes=('a', 'b'))

    def __len__(self) -> int:
        return 8

    def __getitem__(self, index: int) -> dict:
        return dict(inputs=torch.full((2,), float(index)), data_samples=torch.tensor(index % 2.0))


class _ToyModel(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(inputs).squeeze(1)
        if mode == 'loss':
            return dict(loss=((out - data_samples) ** 2).mean())
        return out


def _runner(work_dir: Path, name: str, **kwargs) -> Runner:
    """A one-epoch Runner on the toy model; ``kwargs`` override any Runner argument."""
    settings = dict(
        model=_ToyModel(), work_dir=str(work_dir), experiment_name=name,
        train_dataloader=dict(dataset=_ToyDataset(), batch_size=4,
                              sampler=dict(type='DefaultSampler', shuffle=True),
                              collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[1], by_epoch=True),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)))
    return Runner(**{**settings, **kwargs})


@pytest.fixture(scope='module', autouse=True)
def _keep_runner_globals_here():
    """A Runner leaves its scope and message hub current for the whole process; later test
    files that build from registries must not find this file's 'mmengine' scope."""
    saved = {cls: dict(cls._instance_dict) for cls in (DefaultScope, MessageHub)}
    yield
    for cls, instances in saved.items():
        cls._instance_dict.clear()
        cls._instance_dict.update(instances)


@pytest.fixture(scope='module')
def trained(tmp_path_factory) -> tuple[Path, dict]:
    """A real mmengine checkpoint after one epoch, with the trained weights."""
    work_dir = tmp_path_factory.mktemp('trained')
    runner = _runner(work_dir, 'compat-train')
    runner.train()
    return work_dir / 'epoch_1.pth', runner.model.state_dict()


@pytest.fixture
def malicious(tmp_path) -> tuple[Path, Path]:
    marker = tmp_path / 'payload-ran'
    path = tmp_path / 'malicious.pth'
    torch.save({'state_dict': {}, 'meta': _ShellPayload(f'touch {marker}')}, path)
    return path, marker


def _assert_refused(excinfo: pytest.ExceptionInfo, path: Path, marker: Path) -> None:
    message = str(excinfo.value)
    assert str(path) in message
    assert SYSTEM_GLOBAL in message
    assert 'Refused' in message
    assert not marker.exists()


def test_payload_is_live(malicious):
    """The refusals below only mean something if the payload runs when loaded unsafely."""
    path, marker = malicious
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_refused_by_our_loader(malicious):
    path, marker = malicious
    with pytest.raises(UnsafeCheckpointError) as excinfo:
        load_checkpoint(path)
    _assert_refused(excinfo, path, marker)
    assert excinfo.value.global_name == SYSTEM_GLOBAL
    assert isinstance(excinfo.value, pickle.UnpicklingError)


def test_refused_by_checkpoint_loader(malicious):
    path, marker = malicious
    with pytest.raises(UnsafeCheckpointError) as excinfo:
        CheckpointLoader.load_checkpoint(str(path))
    _assert_refused(excinfo, path, marker)


def test_refused_by_mmengine_load_checkpoint(malicious):
    path, marker = malicious
    with pytest.raises(UnsafeCheckpointError) as excinfo:
        mmengine_load_checkpoint(nn.Linear(2, 1), str(path))
    _assert_refused(excinfo, path, marker)


def test_refused_by_runner_load_from(malicious, tmp_path):
    path, marker = malicious
    runner = Runner(model=_ToyModel(), work_dir=str(tmp_path / 'work'), load_from=str(path),
                    experiment_name='compat-malicious')
    with pytest.raises(UnsafeCheckpointError) as excinfo:
        runner.load_or_resume()
    _assert_refused(excinfo, path, marker)


def test_getattr_limited_to_history_buffer_methods(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'meta': _AttributeProbe()}, path)
    with pytest.raises(UnsafeCheckpointError, match='builtins.getattr'):
        load_checkpoint(path)


def test_missing_file_is_named(tmp_path):
    path = tmp_path / 'absent.pth'
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        load_checkpoint(path)


def test_real_checkpoint_needs_the_allow_list(trained):
    """Guards the premise: mmengine writes these globals and stock torch refuses them."""
    path, _ = trained
    unsafe = set(torch.serialization.get_unsafe_globals_in_checkpoint(str(path)))
    assert {'mmengine.logging.history_buffer.HistoryBuffer', 'builtins.getattr', 'numpy.dtype',
            'numpy._core.multiarray._reconstruct', 'numpy._core.multiarray.scalar'} <= unsafe
    load_checkpoint(path)
    with pytest.raises(pickle.UnpicklingError):  # the allow-list did not leak into torch.load
        torch.load(path, weights_only=True)


def test_runner_resumes(trained, tmp_path):
    path, weights = trained
    runner = _runner(tmp_path, 'compat-resume', load_from=str(path), resume=True)
    assert (runner.epoch, runner.iter) == (0, 0)
    runner.load_or_resume()
    assert (runner.epoch, runner.iter) == (1, 2)
    for name, value in runner.model.state_dict().items():
        torch.testing.assert_close(value, weights[name])
    assert isinstance(runner.message_hub.get_scalar('train/loss'), HistoryBuffer)


def test_keeps_globally_registered_globals(trained):
    path, _ = trained
    with torch.serialization.safe_globals([HistoryBuffer]):
        load_checkpoint(path)
        assert HistoryBuffer in torch.serialization.get_safe_globals()


def test_numpy_1_names_load(tmp_path, monkeypatch):
    """Files written under numpy < 2 name numpy.core.multiarray; pickle writes __module__."""
    reconstruct = np.arange(1).__reduce__()[0]
    scalar = np.float32(1).__reduce__()[0]
    monkeypatch.setattr(reconstruct, '__module__', 'numpy.core.multiarray')
    monkeypatch.setattr(scalar, '__module__', 'numpy.core.multiarray')
    path = tmp_path / 'numpy1.pth'
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    torch.save({'array': array, 'count': np.int64(7)}, path)
    monkeypatch.undo()

    unsafe = set(torch.serialization.get_unsafe_globals_in_checkpoint(str(path)))
    assert {'numpy.core.multiarray._reconstruct', 'numpy.core.multiarray.scalar'} <= unsafe
    assert not any(name.startswith('numpy._core') for name in unsafe)
    loaded = load_checkpoint(path)
    np.testing.assert_array_equal(loaded['array'], array)
    assert loaded['array'].dtype == np.float32
    assert loaded['count'] == 7 and loaded['count'].dtype == np.int64


def test_register_allowed_globals(tmp_path, monkeypatch):
    monkeypatch.setattr(compat_checkpoint, '_ALLOW_LIST', list(compat_checkpoint._ALLOW_LIST))
    path = tmp_path / 'task.pth'
    torch.save({'task': _TaskState(3)}, path)
    with pytest.raises(UnsafeCheckpointError, match='_TaskState'):
        load_checkpoint(path)
    register_allowed_globals(_TaskState)
    assert load_checkpoint(path)['task'] == _TaskState(3)
    with pytest.raises(TypeError):
        register_allowed_globals((_TaskState, 1))


def test_apply_is_idempotent():
    before = dict(CheckpointLoader._schemes)
    compat.apply()
    assert dict(CheckpointLoader._schemes) == before
    assert before[''] is compat_checkpoint.load_from_local
    assert all(getattr(loader, '__wrapped__', None) is not None
               for prefix, loader in before.items() if prefix)


def _cuts(size: int) -> list[int]:
    return [1, 4, 100, size // 2, size - 22, size - 1]  # 22 = a zip end record


def test_truncated_checkpoint_is_named_at_every_cut(trained, tmp_path):
    data = trained[0].read_bytes()
    for cut in _cuts(len(data)):
        path = tmp_path / f'cut{cut}.pth'
        path.write_bytes(data[:cut])
        with pytest.raises(compat.CheckpointFileError,
                           match=rf'checkpoint .*cut{cut}\.pth: is (truncated or damaged|not a '
                                 'PyTorch checkpoint)'):
            load_checkpoint(path)


@pytest.mark.parametrize('content, fault', [
    (b'', r'is empty \(0 bytes\)'),
    (b'hello world\n', "is not a PyTorch checkpoint .*starts with b'hell'"),
    (b'{"state_dict": {}}', 'is not a PyTorch checkpoint'),
    (pickle.dumps({'state_dict': {}}), 'is not a PyTorch checkpoint'),
])
def test_not_a_checkpoint_is_named(tmp_path, content, fault):
    path = tmp_path / 'model.pth'
    path.write_bytes(content)
    with pytest.raises(compat.CheckpointFileError, match=rf'checkpoint .*model\.pth: {fault}'):
        load_checkpoint(path)


def test_unexpected_content_is_named(tmp_path):
    path = tmp_path / 'list.pth'
    torch.save([torch.ones(2)], path)
    with pytest.raises(compat.CheckpointFileError,
                       match=r"list\.pth: unexpected content: list at the top level, expected a "
                             "mapping"):
        load_checkpoint(path)


def test_runner_load_from_names_a_damaged_checkpoint(trained, tmp_path):
    damaged = tmp_path / 'damaged.pth'
    damaged.write_bytes(trained[0].read_bytes()[:500])
    runner = _runner(tmp_path / 'work', 'compat-damaged', load_from=str(damaged))
    with pytest.raises(compat.CheckpointFileError, match=r'damaged\.pth: is truncated'):
        runner.load_or_resume()


def test_resume_from_a_checkpoint_without_training_state_names_it(tmp_path):
    weights_only = tmp_path / 'weights.pth'
    torch.save({'state_dict': _ToyModel().state_dict()}, weights_only)
    runner = _runner(tmp_path / 'work', 'compat-noresume', load_from=str(weights_only),
                     resume=True)
    with pytest.raises(compat.CheckpointFileError,
                       match=r"weights\.pth: cannot be resumed from: it lacks what this run "
                             r"needs \(KeyError: 'meta'\)"):
        runner.train()
