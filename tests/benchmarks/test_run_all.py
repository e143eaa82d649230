"""`make bench`'s runner: one quick benchmark through it, its report and the docs page."""
from __future__ import annotations

import importlib.util
import sys

import pytest

from ..e2e.helpers import REPO

pytestmark = pytest.mark.e2e


def _runner():
    """benchmarks/run_all.py as a module (benchmarks/ is a folder of scripts, not a package)."""
    if 'bench_run_all' not in sys.modules:
        spec = importlib.util.spec_from_file_location('bench_run_all',
                                                      REPO / 'benchmarks' / 'run_all.py')
        module = importlib.util.module_from_spec(spec)
        sys.modules['bench_run_all'] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules['bench_run_all']


def test_a_benchmark_lands_in_the_report_and_between_the_docs_markers(tmp_path):
    run_all = _runner()
    quick = run_all.Benchmark('replay', 'Replay cost', (
        'benchmarks/scaling.py', '--curves', 'replay', '--out-dir', '{out}/replay'))
    section = run_all.run(quick, tmp_path)
    assert 'ms per step' in section.text and '--curves replay' in section.text
    assert section.images == (tmp_path.joinpath('replay', 'replay.png').relative_to(tmp_path),)
    docs = tmp_path / 'benchmarks.md'
    docs.write_text('# Benchmarks\n\nkept text\n')
    for _ in range(2):  # the second run replaces the first, keeping the rest of the page
        run_all.update_docs(docs, {'replay': section.markdown('figures/bench/'),
                                   'other': 'first'}, tmp_path, section.images)
    (tmp_path / 'replay' / 'scratch.png').write_bytes(b'not a figure of the report')
    run_all.update_docs(docs, {'other': 'second'}, tmp_path, [])  # a partial rerun
    text = docs.read_text()
    assert text.count(run_all.HEADING) == 1 and text.count('<!-- bench:replay:begin -->') == 1
    assert 'kept text' in text and 'second' in text and 'first' not in text
    assert '![replay](figures/bench/replay/replay.png)' in text
    assert (tmp_path / 'figures' / 'bench' / 'replay' / 'replay.png').stat().st_size > 1000
    assert not (tmp_path / 'figures' / 'bench' / 'replay' / 'scratch.png').exists()


def test_a_failing_benchmark_is_reported_not_hidden(tmp_path):
    broken = _runner().Benchmark('broken', 'Broken', ('-c', 'raise SystemExit("no data")'))
    section = _runner().run(broken, tmp_path)
    assert 'FAILED (exit 1)' in section.text and 'no data' in section.text
