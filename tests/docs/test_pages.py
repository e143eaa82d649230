"""The README and docs/ point only at files of this repository, on paths any clone has."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / 'README.md', *sorted((REPO / 'docs').glob('*.md'))]
REPO_PATH = re.compile(r'(?<![\w/.-])((?:configs|tools|docs|benchmarks|mm_cl_addon|tests)/'
                       r'[\w./-]+\.(?:py|sh|md|yaml|yml|json))')
MACHINE_PATH = re.compile(r'(/work/|/home/|/root/|/tmp/pytest|/Users/)')
OUTSIDE = re.compile(r'\.\./shared|shared/(design|seeds|checks)|design\.md')


@pytest.mark.parametrize('page', PAGES, ids=[page.name for page in PAGES])
def test_every_repository_path_on_the_page_exists(page):
    missing = sorted({path for path in REPO_PATH.findall(page.read_text())
                      if not (REPO / path).exists()})
    assert not missing, f'{page.name} names files that do not exist: {missing}'


@pytest.mark.parametrize('page', PAGES, ids=[page.name for page in PAGES])
def test_no_page_shows_a_machine_path_or_a_file_outside_the_repository(page):
    text = page.read_text()
    assert not MACHINE_PATH.search(text), MACHINE_PATH.search(text).group(0)
    assert not OUTSIDE.search(text), OUTSIDE.search(text).group(0)


def test_the_2d_stream_commands_write_where_the_configs_read():
    data_root = Config.fromfile(str(REPO / 'configs/memory_head/2d/mh_modes-cdi.py'),
                                import_custom_modules=False).data_root
    page = (REPO / 'docs' / 'memory_head_data.md').read_text()
    out_dirs = set(re.findall(r'gen_2d_datasets\.py --out-dir (\S+)', page))
    assert out_dirs == {data_root}, (out_dirs, data_root)
