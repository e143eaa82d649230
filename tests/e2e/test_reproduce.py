"""The README's demo table reproduces: its rows rerun and every number is checked."""
import sys

import pytest

from .helpers import run_tool

pytestmark = pytest.mark.e2e


def test_the_readme_demo_table_reproduces(tmp_path):
    done = run_tool(sys.executable, 'tools/reproduce.py', 'demo', '--work-root', str(tmp_path),
                    timeout=900)
    assert "README.md, table 'demo': reproduced within 0.5" in done.stdout
