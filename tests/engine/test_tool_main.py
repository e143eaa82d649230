"""Tools end a user error with one line on stderr and the traceback in the run's log."""
from __future__ import annotations

import logging

import pytest
from mmengine.logging import MMLogger

from mm_cl_addon.engine.tool_main import TRACEBACK_VARIABLE, one_line, run_tool


def _fails(error: BaseException):
    def main() -> None:
        raise error
    return main


@pytest.mark.parametrize('error, line', [
    (KeyError('model.head: no such key'), 'model.head: no such key'),
    (ValueError('first line\n  second line'), 'first line second line'),
    (OSError(28, 'No space left on device'), '[Errno 28] No space left on device'),
])
def test_user_errors_become_one_line(error, line, capsys, monkeypatch):
    monkeypatch.delenv(TRACEBACK_VARIABLE, raising=False)
    with pytest.raises(SystemExit) as exit_info:
        run_tool(_fails(error), prog='train.py')
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith(f'train.py: error: {line}')
    assert err.count('\n') == 1
    assert one_line(error) == line


@pytest.fixture
def _own_logger():
    """Leave mmengine's 'current' logger as it was: later tests log through it."""
    saved = dict(MMLogger._instance_dict)
    yield
    MMLogger._instance_dict.clear()
    MMLogger._instance_dict.update(saved)


@pytest.mark.usefixtures('_own_logger')
def test_the_traceback_goes_to_the_log_file_only(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(TRACEBACK_VARIABLE, raising=False)
    log_file = tmp_path / 'run.log'
    logger = MMLogger.get_instance('tool-errors-test', log_file=str(log_file),
                                   log_level=logging.INFO)
    assert MMLogger.get_current_instance() is logger
    with pytest.raises(SystemExit):
        run_tool(_fails(ValueError('bad key')), prog='train.py')
    err = capsys.readouterr().err
    assert err == f'train.py: error: bad key (traceback in {log_file})\n'
    text = log_file.read_text()
    assert 'Traceback (most recent call last)' in text and 'ValueError: bad key' in text


def test_bugs_and_the_traceback_variable_keep_the_traceback(monkeypatch):
    with pytest.raises(AssertionError):
        run_tool(_fails(AssertionError('a bug')))
    monkeypatch.setenv(TRACEBACK_VARIABLE, '1')
    with pytest.raises(ValueError, match='bad key'):
        run_tool(_fails(ValueError('bad key')))
