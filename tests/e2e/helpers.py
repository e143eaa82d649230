"""Running the repository's tools as a user would: in subprocesses, or imported for their main."""
from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
CONTINUAL_CONFIGS = REPO / 'configs' / 'continual'


def load_tool(path: Path) -> ModuleType:
    """A script of tools/ imported as a module (its name: the file's stem), to call its main."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_config(path: Path, base: Path, body: str) -> Path:
    """A config file that inherits ``base`` and overrides what ``body`` says."""
    path.write_text(f'_base_ = [{str(base)!r}]\n{body}')
    return path


def run_tool(*args: str, env: dict | None = None, timeout: int = 300,
             check: bool = True) -> subprocess.CompletedProcess:
    """Run ``args`` from the repository root with this interpreter first on PATH."""
    full_env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / 'tests' / 'e2e'),
                                                            str(REPO)]),
                    PYTHON=sys.executable, **(env or {}))
    result = subprocess.run(list(args), cwd=REPO, env=full_env, capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f'{args} exited {result.returncode}:\n{result.stdout[-3000:]}\n'
                             f'{result.stderr[-6000:]}')
    return result


def train(config: Path, work_dir: Path, *extra: str, check: bool = True):
    return run_tool(sys.executable, 'tools/train.py', str(config), '--work-dir', str(work_dir),
                    *extra, check=check)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
