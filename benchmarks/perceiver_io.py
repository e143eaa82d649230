"""Training-step time of PerceiverIOBackbone against bare perceiver_pytorch.PerceiverIO.

Both get the same token batch (the backbone's own image tokens, computed once for the bare
model), the same sizes and a learned query; one step is forward, a mean-squared loss on the
query output, backward and an SGD step. Ours adds the tokenisation, the per-token modality
index and the per-modality LayerNorm and to_kv of the encoder. Variants alternate step by
step; the ratio is the median of each step over the bare step timed next to it (goal: < 1.10).

usage: python benchmarks/perceiver_io.py [--batch-size 32] [--image-size 32] [--steps 20]
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from mmpretrain.registry import MODELS
from perceiver_pytorch import PerceiverIO

import mm_cl_addon  # noqa: F401

SIZES = dict(depth=2, num_latents=64, latent_dim=128, cross_heads=1, latent_heads=4,
             cross_dim_head=32, latent_dim_head=32)


def training_step(model: torch.nn.Module, run: Callable[[], torch.Tensor]) -> Callable[[], None]:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        run().pow(2).mean().backward()
        optimizer.step()
    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--image-size', type=int, default=32)
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--threads', type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ours = MODELS.build(dict(type='PerceiverIOBackbone', modalities=['image', 'text'],
                             image_size=(args.image_size, args.image_size), **SIZES)).train()
    images = torch.randn(args.batch_size, 3, args.image_size, args.image_size)
    with torch.no_grad():
        tokens = ours.image_tokens(images)
    bare = PerceiverIO(dim=ours.token_dim, queries_dim=SIZES['latent_dim'], **SIZES).train()
    query = torch.nn.Parameter(torch.randn(1, SIZES['latent_dim']) * 0.02)
    bare.register_parameter('query', query)
    steps = {'bare PerceiverIO': training_step(bare, lambda: bare(tokens, queries=query)),
             'PerceiverIOBackbone': training_step(ours, lambda: ours(images)[0])}
    for step in steps.values():
        step()  # warm-up
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(args.steps):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    ratio = statistics.median(o / b for o, b in zip(times['PerceiverIOBackbone'],
                                                    times['bare PerceiverIO']))
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, batch '
          f'{args.batch_size}, {tokens.shape[1]} tokens of {tokens.shape[2]}, {args.steps} steps')
    for name, values in times.items():
        print(f'{name:<20} {1000 * statistics.median(values):8.1f} ms/step')
    print(f'ratio {ratio:.3f} (overhead {100 * (ratio - 1):+.1f}%, goal < 1.10: '
          f'{"met" if ratio < 1.10 else "missed"})')


if __name__ == '__main__':
    main()
