"""One tiny finished run shared by the reliability tests, and damaged copies of its files."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from .helpers import tiny_config, train

#: How a checkpoint can be damaged, and the fault its error must name.
CHECKPOINT_FAULT = (r'checkpoint .*{name}: (is empty \(0 bytes\)|is truncated or damaged|is not a '
                    r'PyTorch checkpoint|unexpected content)')


@pytest.fixture(scope='session')
def tiny_run(tmp_path_factory) -> Path:
    """The work dir of the tiny continual run, finished (epoch_3/4.pth, reports)."""
    folder = tmp_path_factory.mktemp('tiny_run')
    done = train(tiny_config(folder), folder / 'work')
    assert done.returncode == 0, done.stderr[-3000:]
    return folder / 'work'


def damaged_checkpoints(whole: Path, folder: Path) -> dict[str, Path]:
    """Copies of ``whole`` cut at several points, empty, of another format, of other content."""
    data = whole.read_bytes()
    folder.mkdir(parents=True, exist_ok=True)
    contents = {'empty': b'', 'cut-at-1': data[:1], 'cut-at-100': data[:100],
                'cut-in-half': data[:len(data) // 2], 'cut-before-end-record': data[:-22],
                'cut-last-byte': data[:-1], 'text': b'epoch_1.pth\n',
                'json': b'{"state_dict": {}}'}
    files = {}
    for name, content in contents.items():
        files[name] = folder / f'{name}.pth'
        files[name].write_bytes(content)
    files['a-list'] = folder / 'a-list.pth'
    torch.save([torch.zeros(2)], files['a-list'])
    return files
