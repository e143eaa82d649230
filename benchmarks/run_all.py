"""`make bench`: run every benchmark, write one report, and put its figures in docs/benchmarks.md.

Each benchmark runs as its own process (the peers' in ``.venv-peers``), one after the other so
that none shares the machine with another; its output is kept verbatim under ``--out-dir``.
``report.md`` holds, per benchmark, the command that ran and what it printed, plus the curves'
PNGs; the same text replaces each benchmark's marked block of ``--docs`` (a rerun of some
benchmarks replaces only theirs), with the date and commit, so the page always shows what the
last `make bench` measured.

usage: python benchmarks/run_all.py [--out-dir work_dirs/bench] [--docs docs/benchmarks.md]
           [--only NAME ...]
"""
from __future__ import annotations

import argparse
import datetime
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mm_cl_addon.utils import atomic_write_text
from mm_cl_addon.utils.marked_blocks import replace_block

REPO = Path(__file__).resolve().parents[1]
PEERS = REPO / '.venv-peers' / 'bin' / 'python'
HEADING = '## Last `make bench`\n\n'  # above the first block run_all adds to a page


@dataclass(frozen=True)
class Benchmark:
    name: str
    title: str
    argv: tuple[str, ...]
    peers: bool = False  # runs in .venv-peers

    def command(self, out_dir: Path) -> list[str]:
        python = str(PEERS if self.peers else sys.executable)
        argv = [arg.replace('{out}', str(out_dir)) for arg in self.argv]
        return ['bash', *argv] if argv[0].endswith('.sh') else [python, *argv]


BENCHMARKS = (
    Benchmark('head_to_head', 'Against Avalanche 0.6 on Split-Digits (3 seeds)',
              ('benchmarks/head_to_head.py', '--out-dir', '{out}/head_to_head')),
    Benchmark('cka_peer', 'Minibatch CKA against cka-pytorch 1.1.3',
              ('benchmarks/cka_peer.py',), peers=True),
    Benchmark('scaling', 'Scaling curves',
              ('benchmarks/scaling.py', '--out-dir', '{out}/scaling')),
    Benchmark('threads', 'Threads per process', ('benchmarks/threads.py', '--threads', '1', '2')),
    Benchmark('continual_loop', 'Continual loop overhead', ('benchmarks/continual_loop.py',)),
    Benchmark('packnet_cpg', 'PackNet and CPG iteration time', ('benchmarks/packnet_cpg.py',)),
    Benchmark('masked_kd', 'Masked KD iteration time', ('benchmarks/masked_kd.py',)),
    Benchmark('memory_head', 'MemoryLinear forward+backward',
              ('benchmarks/memory_head.py', '--threads', '1')),
    Benchmark('similarity', 'DeRy similarity (cka_matrix)', ('benchmarks/similarity.py',)),
    Benchmark('reassembly', 'DeRy reassembly search', ('benchmarks/reassembly.py',)),
    Benchmark('perceiver_io', 'Perceiver IO backbone training step',
              ('benchmarks/perceiver_io.py', '--threads', '1')),
    Benchmark('soups', 'Model soups memory', ('benchmarks/soups.py',)),
    Benchmark('gpu_smoke', 'GPU smoke (AMP, CUDA DDP)',
              ('benchmarks/gpu_smoke.sh', '{out}/gpu_smoke')),
)


@dataclass(frozen=True)
class Section:
    """What one benchmark left: its text (command, time, output) and its curves' PNGs."""

    text: str
    images: tuple[Path, ...]  # relative to the out dir

    def markdown(self, image_root: str) -> str:
        return self.text + ''.join(f'\n![{image.stem}]({image_root}{image})\n'
                                   for image in self.images)


def run(benchmark: Benchmark, out_dir: Path) -> Section:
    """Run the benchmark; its command, wall time and output (or its failure)."""
    command = benchmark.command(out_dir)
    shown = ' '.join(['python' if i == 0 and c.endswith('python') else c
                      for i, c in enumerate(command)])
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    output = done.stdout.strip() if done.returncode == 0 else (
        f'FAILED (exit {done.returncode}):\n{done.stderr.strip()[-3000:]}')
    (out_dir / f'{benchmark.name}.txt').write_text(output + '\n')
    where = ' (in .venv-peers)' if benchmark.peers else ''
    images = tuple(image.relative_to(out_dir)
                   for image in sorted((out_dir / benchmark.name).glob('*.png')))
    return Section(f'### {benchmark.title}\n\n```bash\n{shown}{where}\n```\n\n'
                   f'({seconds:.0f} s)\n\n```\n{output}\n```\n', images)


def commit() -> str:
    done = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=REPO,
                          capture_output=True, text=True)
    return done.stdout.strip() or 'unknown'


def update_docs(docs: Path, sections: dict[str, str], out_dir: Path,
                images: Iterable[Path]) -> None:
    """Put each benchmark's section between its own markers in ``docs`` (a rerun of some
    benchmarks replaces theirs and keeps the others) and copy the curves' PNGs (``images``,
    relative to ``out_dir``) next to the page, under ``figures/bench/``."""
    text = docs.read_text() if docs.exists() else ''
    for name, body in sections.items():
        text = replace_block(text, f'bench:{name}', body, append_under=HEADING)
    figures = docs.parent / 'figures' / 'bench'
    for image in images:
        target = figures / image
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(out_dir / image, target)
    atomic_write_text(docs, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out-dir', type=Path, default=REPO / 'work_dirs/bench')
    parser.add_argument('--docs', type=Path, default=REPO / 'docs/benchmarks.md')
    parser.add_argument('--only', nargs='+', choices=[b.name for b in BENCHMARKS])
    args = parser.parse_args()
    chosen = [b for b in BENCHMARKS if not args.only or b.name in args.only]
    if any(b.peers for b in chosen) and not PEERS.exists():
        raise SystemExit(f'{PEERS} is missing: `make bench` installs the peers there')
    args.out_dir.mkdir(parents=True, exist_ok=True)
    stamp = f'{datetime.date.today().isoformat()}, commit {commit()}'
    sections = []
    for benchmark in chosen:
        print(f'== {benchmark.name}', flush=True)
        sections.append(run(benchmark, args.out_dir))
        print(sections[-1].text, flush=True)
    stamped = f'(measured by `make bench`, {stamp}, one benchmark at a time)\n\n'
    report = '\n'.join(section.markdown('') for section in sections)
    atomic_write_text(args.out_dir / 'report.md', f'# Benchmark report\n\n{stamped}{report}')
    update_docs(args.docs, {benchmark.name: section.markdown('figures/bench/') + stamped
                            for benchmark, section in zip(chosen, sections)}, args.out_dir,
                [image for section in sections for image in section.images])
    print(f'report: {args.out_dir / "report.md"}; figures copied into {args.docs}')


if __name__ == '__main__':
    main()
