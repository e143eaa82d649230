"""train.py and test.py answer bad command lines at once, in one line, before loading torch."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from ..e2e.helpers import REPO

CONFIG = 'configs/continual/finetune_cnn_split-digits.py'
# (tool, arguments, exit status, the one line printed)
CASES = [
    ('train.py', ['configs/continual/finetune_cnn_split-digit.py'], 2,
     'train.py: error: config configs/continual/finetune_cnn_split-digit.py does not exist; did '
     'you mean configs/continual/finetune_cnn_split-digits.py or configs/continual/'
     'finetune_cnn_split-digits_task-il.py or configs/continual/joint_cnn_split-digits.py? '
     '(see --help)'),
    ('train.py', [CONFIG, '--cfg-options', 'train_cfg.epochs_per_task'], 2,
     "train.py: error: --cfg-options 'train_cfg.epochs_per_task': expected key=value (e.g. "
     'train_cfg.epochs_per_task=1) (see --help)'),
    ('train.py', [CONFIG, '--resume', 'work_dirs/none/epoch_1.pth'], 2,
     'train.py: error: --resume work_dirs/none/epoch_1.pth: no such checkpoint file (see --help)'),
    ('train.py', [CONFIG, '--amp', '--bogus'], 2,
     'train.py: error: unrecognized arguments: --bogus (see --help)'),
    ('test.py', [CONFIG], 2,
     'test.py: error: the following arguments are required: checkpoint (see --help)'),
    ('test.py', [CONFIG, 'nowhere.pth'], 2,
     'test.py: error: checkpoint nowhere.pth: no such checkpoint file (see --help)'),
    ('test.py', [CONFIG, 'README.md', '--out', 'metrics.txt'], 2,
     "test.py: error: --out metrics.txt: the suffix must be one of ('.json', '.yaml', '.yml', "
     "'.pkl', '.pickle') (see --help)"),
]


def _run(tool: str, *argv: str) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, f'tools/{tool}', *argv], cwd=REPO, text=True,
                          capture_output=True, timeout=60)
    return done, time.perf_counter() - start


@pytest.mark.parametrize('tool, argv, code, line', CASES)
def test_bad_command_lines_answer_in_one_line_within_two_seconds(tool, argv, code, line):
    done, seconds = _run(tool, *argv)
    assert (done.returncode, done.stderr) == (code, line + '\n')
    assert seconds < 2.0


@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
def test_help_is_fast_and_lists_the_flags(tool):
    done, seconds = _run(tool, '--help')
    assert done.returncode == 0 and '--cfg-options KEY=VALUE' in done.stdout
    assert seconds < 2.0


@pytest.fixture
def tool_args(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / 'tools'))
    import tool_args
    return tool_args


def test_suggestions_come_from_the_shipped_configs(tool_args):
    assert tool_args.nearest_configs('configs/masked_kd/kd_cnn_split-digit.py')[0] == (
        'configs/masked_kd/kd_cnn_split-digits.py')
    assert tool_args.nearest_configs('no/such/thing.py') == []


def test_package_config_paths_are_left_to_mmengine(tool_args, monkeypatch):
    monkeypatch.setattr(sys, 'argv', ['train.py', 'mm_cl_addon::continual/x.py',
                                      '--cfg-options', 'a.b=[1, 2]', 'c=x=y'])
    args = tool_args.parse_train_args()
    assert args.config == 'mm_cl_addon::continual/x.py'
    assert args.cfg_options == {'a.b': '[1, 2]', 'c': 'x=y'}  # parsed later, by mmengine's rules
