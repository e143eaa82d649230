"""Running the tools as a user would, on a Split-Digits run small enough to repeat often."""
from __future__ import annotations

import contextlib
import io
import os
import runpy
import subprocess
import sys
import uuid
from pathlib import Path

import torch

from mm_cl_addon.compat import load_checkpoint

REPO = Path(__file__).resolve().parents[2]
FINETUNE = REPO / 'configs' / 'continual' / 'finetune_cnn_split-digits.py'
HERE = Path(__file__).resolve().parent

# Two tasks of two classes, two epochs each, a narrow network: about 3 s of training.
TINY = """
tasks = [[0, 1], [2, 3]]
train_dataloader = dict(dataset=dict(tasks=tasks))
val_dataloader = dict(dataset=dict(tasks=tasks))
test_dataloader = dict(dataset=dict(tasks=tasks))
model = dict(backbone=dict(widths=(8, 16)), head=dict(in_channels=16))
train_cfg = dict(epochs_per_task=2)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=2, by_epoch=True,
                        convert_to_iter_based=True, eta_min=1e-4)]
default_hooks = dict(logger=dict(interval=100),
                     checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(vis_backends=vis_backends)
"""


def tiny_config(folder: Path, extra: str = '', name: str = 'tiny.py') -> Path:
    """The fine-tuning config cut down to :data:`TINY`, plus ``extra`` lines."""
    path = folder / name
    path.write_text(f'_base_ = [{str(FINETUNE)!r}]\n{TINY}\n{extra}')
    return path


def run(*argv: str, env: dict | None = None, preexec_fn=None,
        timeout: int = 300) -> subprocess.CompletedProcess:
    """Run a command from the repository root, one thread, with this folder importable."""
    full_env = dict(os.environ, OMP_NUM_THREADS='1',
                    PYTHONPATH=os.pathsep.join([str(HERE), str(REPO)]), **(env or {}))
    full_env.pop('MM_CL_ADDON_TRACEBACK', None)
    return subprocess.run([sys.executable, *argv], cwd=REPO, env=full_env, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=preexec_fn)


def train(config: Path, work_dir: Path, *extra: str, **kwargs) -> subprocess.CompletedProcess:
    return run('tools/train.py', str(config), '--work-dir', str(work_dir), *extra, **kwargs)


def run_in_process(tool: str, *argv: str) -> tuple[int, str]:
    """Run ``tools/<tool>`` in this process (no interpreter start-up): (exit status, stderr).

    Runs of train.py and test.py get their own experiment name: mmengine names them by the
    second they start, and runs in one process would share a visualizer.
    """
    stderr = io.StringIO()
    saved_argv = sys.argv
    if tool in ('train.py', 'test.py'):
        argv = (*argv, '--cfg-options', f'experiment_name=reliability-{uuid.uuid4().hex}')
    sys.argv = [str(REPO / 'tools' / tool), *argv]
    sys.path.insert(0, str(Path(sys.argv[0]).parent))  # as when the script runs: its folder
    try:
        with contextlib.redirect_stderr(stderr):
            runpy.run_path(sys.argv[0], run_name='__main__')
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    finally:
        sys.argv = saved_argv
        sys.path.pop(0)
    return code, stderr.getvalue()


def error_line(stderr: str) -> str:
    """The one line a tool printed for a user error (and check that it is the only one)."""
    lines = [line for line in stderr.splitlines() if line.strip() and 'Warning' not in line
             and not line.startswith('  warnings.warn')]
    errors = [line for line in lines if ': error: ' in line]
    assert len(errors) == 1, stderr[-3000:]
    assert 'Traceback' not in stderr, stderr[-3000:]
    return errors[0]


def final_weights(work_dir: Path) -> dict[str, torch.Tensor]:
    """The weights of the checkpoint that ``last_checkpoint`` names."""
    named = (work_dir / 'last_checkpoint').read_text().strip()
    return load_checkpoint(named)['state_dict']


def assert_same_weights(expected: dict, actual: dict) -> None:
    assert expected.keys() == actual.keys()
    for name, tensor in expected.items():
        assert torch.equal(tensor, actual[name]), name
