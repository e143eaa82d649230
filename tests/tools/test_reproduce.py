"""tools/reproduce.py: a failed step is one line; a table is checked against, or written into,
its marked block."""
from __future__ import annotations

import sys

import pytest

from ..e2e.helpers import REPO, load_tool

TOOL = REPO / 'tools' / 'reproduce.py'
PAGE = 'intro\n<!-- toy:begin -->\n| a | 1.00 |\n<!-- toy:end -->\noutro\n'


@pytest.fixture
def tool(monkeypatch):
    monkeypatch.syspath_prepend(str(TOOL.parent))  # its stdlib-only tool_args
    return load_tool(TOOL)


def test_a_failed_step_is_a_child_process_error_with_its_status_and_stderr(tool):
    assert tool.run([sys.executable, '-c', 'print("out")']) == 'out\n'
    with pytest.raises(ChildProcessError, match=r'failed \(exit 3\): boom'):
        tool.run([sys.executable, '-c', 'import sys; sys.stderr.write("boom"); sys.exit(3)'])


def _main(tool, monkeypatch, tmp_path, measured: str, *flags: str) -> None:
    page = tmp_path / 'page.md'
    if not page.exists():
        page.write_text(PAGE)
    monkeypatch.setitem(tool.TABLES, 'toy', (page, lambda work: measured))
    monkeypatch.setattr(sys, 'argv', ['reproduce.py', 'toy', '--work-root', str(tmp_path),
                                      *flags])
    tool.main()


def test_check_passes_within_tolerance_and_fails_in_one_line_beyond(tool, monkeypatch,
                                                                   tmp_path, capsys):
    _main(tool, monkeypatch, tmp_path, '| a | 1.40 |')
    assert "table 'toy': reproduced within 0.5" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        _main(tool, monkeypatch, tmp_path, '| a | 1.60 |')
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and "page.md, table 'toy' does not reproduce within 0.5" in err


def test_write_replaces_only_the_block(tool, monkeypatch, tmp_path):
    _main(tool, monkeypatch, tmp_path, '| a | 2.00 |', '--write')
    assert (tmp_path / 'page.md').read_text() == PAGE.replace('1.00', '2.00')
