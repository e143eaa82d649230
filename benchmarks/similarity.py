"""Linear cka_matrix against the naive per-pair Gram-matrix way, and its share of matmul FLOP/s.

Two 4-layer feature sets (n = 8,000, widths 64, 128, 256, 512, float32). The naive way builds
both n x n centred Gram matrices for every pair and sums their product (HSIC), as reference CKA
code does; cka_matrix (float64) computes each layer's X'X once and one Y'X per pair. By default
the naive way runs on the 4 diagonal pairs only: over them the widths sum to 2 * 960, over all 16
pairs to 8 * 960, so its 16-pair time is 4 x the measured one (said in the output);
``--all-pairs`` times it on all 16 pairs instead (about 4 x longer). The values of both ways are
compared in float64 on a 1,500-sample subset.

usage: python benchmarks/similarity.py [--n 8000] [--check-n 1500] [--all-pairs]
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch
from torch import Tensor

from mm_cl_addon.similarity import cka_matrix

WIDTHS = (64, 128, 256, 512)
GOAL_SPEEDUP = 10.0


def timed(fn: Callable[[], object], repeats: int = 1) -> float:
    """Best wall time of ``repeats`` runs: the least disturbed by other processes."""
    best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def matmul_flops(dtype: torch.dtype, size: int = 2048) -> float:
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    a @ b  # warm-up
    return 2 * size ** 3 / timed(lambda: a @ b, repeats=5)


def naive_gram_cka(x: Tensor, y: Tensor) -> Tensor:
    """Per-pair reference: both centred n x n Gram matrices (row/column means), then HSICs."""
    def centred_gram(m: Tensor) -> Tensor:
        gram = m @ m.T
        return gram - gram.mean(0, keepdim=True) - gram.mean(1, keepdim=True) + gram.mean()
    k, l_ = centred_gram(x), centred_gram(y)
    return (k * l_).sum() / torch.sqrt((k * k).sum() * (l_ * l_).sum())


def cka_matrix_flops(n: int, widths: tuple[int, ...]) -> float:
    """Matmul FLOPs of feature-form cka_matrix: X'X per layer of both sets, Y'X per pair."""
    return 2 * (2 * n * sum(d * d for d in widths)) + 2 * n * sum(widths) ** 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--n', type=int, default=8000)
    parser.add_argument('--check-n', type=int, default=1500)
    parser.add_argument('--all-pairs', action='store_true',
                        help='time the naive way on all 16 pairs, not 4 extrapolated x4')
    args = parser.parse_args()
    gen = torch.Generator().manual_seed(0)
    xs = [torch.randn(args.n, d, generator=gen) for d in WIDTHS]
    ys = [x[:, :d // 2] @ torch.randn(d // 2, d, generator=gen) + torch.randn(args.n, d,
                                                                                generator=gen)
          for x, d in zip(xs, WIDTHS)]
    print(f'threads: {torch.get_num_threads()}, n = {args.n}, widths {WIDTHS}, float32 inputs')

    sub_x, sub_y = [x[:args.check_n].double() for x in xs], [y[:args.check_n].double() for y in ys]
    naive = torch.tensor([[naive_gram_cka(x, y).item() for y in sub_y] for x in sub_x],
                         dtype=torch.float64)
    error = (cka_matrix(sub_x, sub_y) - naive).abs().max().item()
    print(f'float64 check on {args.check_n} samples: max |cka_matrix - naive| = {error:.2e} '
          f'({"ok" if error < 1e-6 else "FAIL"}, tolerance 1e-6)')

    fast = timed(lambda: cka_matrix(xs, ys), repeats=3)
    print(f'cka_matrix, 16 pairs (float64 inside): {fast:.3f} s')
    if args.all_pairs:
        naive_all = timed(lambda: [naive_gram_cka(x, y) for x in xs for y in ys])
        print(f'naive per-pair Gram way (float32): {naive_all:.2f} s on all 16 pairs')
    else:
        diagonal = timed(lambda: [naive_gram_cka(x, y) for x, y in zip(xs, ys)])
        naive_all = 4 * diagonal
        print(f'naive per-pair Gram way (float32): {diagonal:.2f} s on the 4 diagonal pairs, '
              f'extrapolated x4 to 16 pairs: {naive_all:.2f} s')
    ratio = naive_all / fast
    print(f'speed-up: {ratio:.1f}x (goal >= {GOAL_SPEEDUP:.0f}x: '
          f'{"met" if ratio >= GOAL_SPEEDUP else "NOT met"})')

    flops = cka_matrix_flops(args.n, WIDTHS)
    peak32, peak64 = matmul_flops(torch.float32), matmul_flops(torch.float64)
    reached = flops / fast
    print(f'cka_matrix: {flops / 1e9:.1f} GFLOP in {fast:.3f} s = {reached / 1e9:.1f} GFLOP/s; '
          f'float32 matmul {peak32 / 1e9:.1f} GFLOP/s -> {reached / peak32:.0%} of it '
          f'(float64 matmul {peak64 / 1e9:.1f} GFLOP/s -> {reached / peak64:.0%})')


if __name__ == '__main__':
    main()
