"""Peak memory of the uniform and greedy soups, in state dicts, against loading every ingredient.

Ingredients are ResNet-18 checkpoints (one random init plus seeded noise per ingredient). Each
case runs in a fresh subprocess, so no case inherits another's heap: after the imports it resets
the kernel's peak-RSS mark (VmHWM), runs the recipe and reports (peak RSS - RSS before the
recipe) / bytes of one state dict. Greedy's evaluator loads each trial into a ResNet-18 built
before that baseline, so the model's weights are not in the ratio; "with model" adds them. The
baseline case loads every state dict at once and takes a stacked mean; its ratio grows with n,
the recipes' should not. Goals: flat in n, uniform <= 2, greedy <= 3. Also prints each recipe's
time, evaluation excluded, over the baseline's time at the same n.

usage: python benchmarks/soups.py [--sizes 4 8 16] [--rounds 2] [--repeats 3] [--keep-dir]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor
from torchvision.models import resnet18

from mm_cl_addon.soups import greedy_soup, is_averaged, uniform_soup

CASES = ('load-all', 'uniform', 'greedy')
GOALS = {'uniform': 2.0, 'greedy': 3.0}
# Growth over the sizes, in state dicts, still called flat: loading all grows by one per model.
FLAT_TOLERANCE = 0.5
NOISE = 1e-3
SCORES_FILE = 'scores.json'


def state_dict_bytes(state: dict[str, Tensor]) -> int:
    return sum(tensor.numel() * tensor.element_size() for tensor in state.values())


def score_of(fc_bias: Tensor) -> float:
    """Held-out score stand-in: higher as the classifier bias sums closer to zero.

    Each ingredient's bias sum is offset at random, so averaging some of them cancels the
    offsets (the trial is accepted) and averaging others does not (rejected).
    """
    return -abs(fc_bias.double().sum().item())


def checkpoint_path(directory: str, index: int) -> str:
    return os.path.join(directory, f'ingredient_{index:02d}.pth')


def make_ingredients(directory: str, count: int) -> None:
    """Write ``count`` checkpoints and their own scores; greedy is given the scores, so that
    it does not evaluate each candidate alone (the memory of that pass is not the recipe's)."""
    torch.manual_seed(0)
    base = resnet18(num_classes=1000).state_dict()
    base['fc.bias'].zero_()
    scores = []
    for index in range(count):
        generator = torch.Generator().manual_seed(1000 + index)
        state = {key: value + NOISE * torch.randn(value.shape, generator=generator)
                 if is_averaged(value) else value.clone() for key, value in base.items()}
        bias = state['fc.bias']
        bias += torch.randn((), generator=generator) / bias.numel()
        scores.append(score_of(bias))
        torch.save({'state_dict': state, 'meta': {}}, checkpoint_path(directory, index))
    with open(os.path.join(directory, SCORES_FILE), 'w') as file:
        json.dump(scores, file)


def load_all(paths: Sequence[str]) -> dict[str, Tensor]:
    """The naive soup the recipes are measured against: every state dict in memory at once."""
    states = [torch.load(path, map_location='cpu', weights_only=True)['state_dict']
              for path in paths]
    return {key: torch.stack([state[key] for state in states]).mean(0) if is_averaged(value)
            else value for key, value in states[0].items()}


def memory_kib() -> dict[str, int]:
    """Current (VmRSS) and peak (VmHWM) resident memory of this process, in KiB."""
    values = {}
    with open('/proc/self/status') as status:
        for line in status:
            key, _, rest = line.partition(':')
            if key in ('VmRSS', 'VmHWM'):
                values[key] = int(rest.split()[0])
    return values


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so the peak is the recipe's, not the
    imports'; False where the kernel refuses, and then the peak may include the imports'."""
    try:
        with open('/proc/self/clear_refs', 'w') as clear_refs:
            clear_refs.write('5')
    except OSError:
        return False
    return True


def run_case(case: str, paths: Sequence[str], scores: Sequence[float],
             repeats: int) -> dict[str, Any]:
    """Measure one case in this (fresh) process: memory from the first run, time the fastest
    run (others share the machine, and contention only ever adds time)."""
    hwm_reset = reset_peak()
    rss_imports = memory_kib()['VmRSS']
    model = resnet18(num_classes=1000).eval() if case == 'greedy' else None
    rss_before = memory_kib()['VmRSS']
    eval_seconds = [0.0]

    def evaluate(trial: dict[str, Tensor]) -> float:
        start = time.perf_counter()
        score = score_of(model.fc.bias)  # the trial already lies in the model's tensors
        eval_seconds[0] += time.perf_counter() - start
        return score

    def greedy() -> tuple[dict[str, Tensor], int]:
        checkpoint, log = greedy_soup(paths, evaluate, scores=scores,
                                      trial_buffer=model.state_dict())
        return checkpoint['state_dict'], len(log['accepted'])

    recipes: dict[str, Callable[[], tuple[dict[str, Tensor], int | None]]] = {
        'load-all': lambda: (load_all(paths), None),
        'uniform': lambda: (uniform_soup(paths)['state_dict'], None),
        'greedy': greedy,
    }
    seconds, peak, one, accepted = [], 0, 0, None
    for repeat in range(repeats):
        eval_seconds[0] = 0.0
        start = time.perf_counter()
        soup, accepted = recipes[case]()
        seconds.append(time.perf_counter() - start - eval_seconds[0])
        if repeat == 0:
            peak, one = memory_kib()['VmHWM'], state_dict_bytes(soup)
        del soup  # later runs are timed only; this soup need not live through them
    return {
        'case': case, 'n': len(paths), 'hwm_reset': hwm_reset,
        'state_dict_mb': one / 1e6, 'rss_imports_mb': rss_imports * 1024 / 1e6,
        'model_mb': (rss_before - rss_imports) * 1024 / 1e6,
        'memory_ratio': (peak - rss_before) * 1024 / one,
        'memory_ratio_with_model': (peak - rss_imports) * 1024 / one,
        'seconds': min(seconds),
        'accepted': accepted,
    }


def spawn(case: str, size: int, directory: str, repeats: int) -> dict[str, Any]:
    """Run one case in a fresh interpreter and return its JSON report."""
    command = [sys.executable, os.path.abspath(__file__), '--case', case, '--n', str(size),
               '--dir', directory, '--repeats', str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f'{case} n={size} failed:\n{done.stderr}')
    return json.loads(done.stdout.strip().splitlines()[-1])


def judged(ratio: float, goal: float, state_dict_mb: float) -> str:
    """Met, or MISSED with the excess in MB, so a miss by overhead reads apart from one by a
    whole extra state dict."""
    if ratio <= goal:
        return f'met (max {ratio:.2f})'
    return f'MISSED (max {ratio:.2f}, {(ratio - goal) * state_dict_mb:.1f} MB over)'


def verdicts(results: list[dict[str, Any]]) -> list[str]:
    """One line per goal, with the figure it was judged on."""
    mb = results[0]['state_dict_mb']
    lines = []
    for case in CASES:
        ratios = [row['memory_ratio'] for row in results if row['case'] == case]
        growth = ratios[-1] - ratios[0]
        line = f'{case}: {ratios[0]:.2f} -> {ratios[-1]:.2f} state dicts'
        if case in GOALS:
            flat = 'met' if growth <= FLAT_TOLERANCE else 'MISSED'
            line += (f'; flat (growth <= {FLAT_TOLERANCE}): {flat}; '
                     f'<= {GOALS[case]:g}: {judged(max(ratios), GOALS[case], mb)}')
        lines.append(line)
    with_model = max(row['memory_ratio_with_model'] for row in results
                     if row['case'] == 'greedy')
    lines.append('greedy counting the evaluated model as one of the three: <= 3: '
                 + judged(with_model, GOALS['greedy'], mb))
    return lines


def combined(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One case over its rounds: the highest memory (never flattered), the fastest time."""
    row = max(runs, key=lambda run: run['memory_ratio'])
    return {**row, 'seconds': min(run['seconds'] for run in runs)}


def report(sizes: Sequence[int], directory: str, repeats: int, rounds: int) -> None:
    """Run every case ``rounds`` times, interleaved so a slow spell of the machine is spread
    over all cases rather than landing on one, and print the table and the verdicts."""
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for _ in range(rounds):
        for size in sizes:
            for case in CASES:
                runs.setdefault((case, size), []).append(spawn(case, size, directory, repeats))
    results = []
    for size in sizes:
        rows = {case: combined(runs[case, size]) for case in CASES}
        for case in CASES:
            rows[case]['time_ratio'] = rows[case]['seconds'] / rows['load-all']['seconds']
            results.append(rows[case])
    first, greedy = results[0], results[-1]
    print(f"one state dict: {first['state_dict_mb']:.1f} MB; RSS after imports "
          f"{first['rss_imports_mb']:.0f} MB; greedy's model {greedy['model_mb']:.1f} MB; "
          f"peak-RSS reset: {first['hwm_reset']}")
    print('| case | n | memory ratio | with model | seconds | time ratio vs load-all | accepted |')
    print('|---|---|---|---|---|---|---|')
    for row in results:
        with_model = (f"{row['memory_ratio_with_model']:.2f}" if row['case'] == 'greedy'
                      else '-')
        accepted = '-' if row['accepted'] is None else f"{row['accepted']}/{row['n']}"
        print(f"| {row['case']} | {row['n']} | {row['memory_ratio']:.2f} | {with_model} | "
              f"{row['seconds']:.3f} | {row['time_ratio']:.2f} | {accepted} |")
    print('goals: memory flat in n, uniform <= 2, greedy <= 3 state dicts')
    for line in verdicts(results):
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[4, 8, 16])
    parser.add_argument('--rounds', type=int, default=2,
                        help='fresh subprocesses per case; memory is the highest')
    parser.add_argument('--repeats', type=int, default=3,
                        help='timed runs per subprocess; memory is from the first')
    parser.add_argument('--keep-dir', action='store_true',
                        help='keep the checkpoint directory and print its path')
    parser.add_argument('--case', choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument('--n', type=int, help=argparse.SUPPRESS)
    parser.add_argument('--dir', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case is not None:
        with open(os.path.join(args.dir, SCORES_FILE)) as file:
            scores = json.load(file)[:args.n]
        paths = [checkpoint_path(args.dir, index) for index in range(args.n)]
        print(json.dumps(run_case(args.case, paths, scores, args.repeats)))
        return
    directory = tempfile.mkdtemp(prefix='soups_bench_')
    try:
        start = time.perf_counter()
        make_ingredients(directory, max(args.sizes))
        print(f'wrote {max(args.sizes)} checkpoints in {time.perf_counter() - start:.1f} s')
        report(sorted(args.sizes), directory, args.repeats, args.rounds)
    finally:
        if args.keep_dir:
            print(f'checkpoints kept in {directory}')
        else:
            shutil.rmtree(directory)


if __name__ == '__main__':
    main()
