"""Minibatch debiased linear CKA: mm_cl_addon's MinibatchCKA against cka-pytorch 1.1.3.

Two networks of six layers each, of widths 64, 128, 256, 512, 1024 and 2048 (a layer is
``tanh`` of a fixed random projection of a shared latent input plus noise, so the 6 x 6 CKA
values spread between 0 and 1), see the same batches of 256 samples; each batch's layer outputs
are computed once, and each side is timed on its CKA work alone: cka-pytorch's per-batch step
(the Gram matrix its forward hook makes of each output, then its ``_update_hsic_matrices``; its
final ``epsilon`` set to 0 so both compute the same quantity) and ``MinibatchCKA.update`` of
mm_cl_addon, in float64 and in float32 with float64 accumulation. Prints the largest absolute
difference of the 36 values from cka-pytorch's and the time per batch of each, with the ratio
(goal: |diff| < 1e-4 and at least 2x faster).
Runs in ``.venv-peers``, where cka-pytorch is installed.

usage: python benchmarks/cka_peer.py [--batches 8] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from torch import nn

from mm_cl_addon.similarity import MinibatchCKA

WIDTHS = (64, 128, 256, 512, 1024, 2048)
BATCH, LATENT = 256, 32


class Block(nn.Module):
    """One layer: ``tanh`` of a fixed random projection of the shared latent input, plus noise
    drawn from a generator of the block's own (so every forward pass gives the same values)."""

    def __init__(self, width: int, generator: torch.Generator) -> None:
        super().__init__()
        self.register_buffer('weight', torch.randn(LATENT, width, generator=generator))
        self.register_buffer('noise', torch.randn(BATCH, width, generator=generator))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x @ self.weight + self.noise[:len(x)])


class Layers(nn.Module):
    """Six blocks reading one latent input; their outputs are what CKA compares."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.blocks = nn.ModuleList(Block(width, generator) for width in WIDTHS)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [block(x) for block in self.blocks]


def batches(count: int) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [torch.randn(BATCH, LATENT, generator=generator) for _ in range(count)]


def layer_outputs(models: tuple[Layers, Layers], data: list[torch.Tensor]) -> list[tuple]:
    """Each batch's six outputs of each network: what both sides are timed on."""
    with torch.no_grad():
        return [(models[0](x), models[1](x)) for x in data]


def peer(models: tuple[Layers, Layers], outputs: list[tuple]) -> tuple[torch.Tensor, float]:
    """cka-pytorch's own per-batch work: the Gram matrix its hook makes of each layer's output,
    then ``_update_hsic_matrices``; its final formula with ``epsilon=0``."""
    from cka_pytorch import CKACalculator  # noqa: PLC0415  (the peer, only here)
    from cka_pytorch.utils import gram  # noqa: PLC0415

    calculator = CKACalculator(*models, model1_layers=[Block], verbose=False,
                               device=torch.device('cpu'))
    start = time.perf_counter()
    for xs, ys in outputs:
        calculator._update_hsic_matrices([gram(x.reshape(len(x), -1)) for x in xs],
                                         [gram(y.reshape(len(y), -1)) for y in ys])
    cka = calculator._compute_final_cka(epsilon=0.0)
    return cka.double(), (time.perf_counter() - start) / len(outputs)


def ours(outputs: list[tuple], dtype: torch.dtype) -> tuple[torch.Tensor, float]:
    cka = MinibatchCKA(len(WIDTHS), len(WIDTHS), dtype=dtype)
    start = time.perf_counter()
    for xs, ys in outputs:
        cka.update(xs, ys)
    return cka.compute(), (time.perf_counter() - start) / len(outputs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batches', type=int, default=8)
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    models = (Layers(1).eval(), Layers(2).eval())
    outputs = layer_outputs(models, batches(args.batches))
    times: dict[str, list[float]] = {'cka-pytorch': [], 'ours float64': [], 'ours float32': []}
    values = {}
    for _ in range(args.repeats):  # alternate, so both see the same machine state
        values['cka-pytorch'], seconds = peer(models, outputs)
        times['cka-pytorch'].append(seconds)
        for name, dtype in (('ours float64', torch.float64), ('ours float32', torch.float32)):
            values[name], seconds = ours(outputs, dtype)
            times[name].append(seconds)
    result = {name: dict(ms_per_batch=1000 * statistics.median(spent),
                         max_abs_diff=float((values[name] - values['cka-pytorch']).abs().max()),
                         speedup=statistics.median(times['cka-pytorch'])
                         / statistics.median(spent))
              for name, spent in times.items()}
    print(f'6 x 6 layers (widths {WIDTHS}), {args.batches} batches of {BATCH}, 1 thread; '
          f'CKA range {float(values["cka-pytorch"].min()):.3f}..'
          f'{float(values["cka-pytorch"].max()):.3f}')
    for name, row in result.items():
        print(f'{name:<14} {row["ms_per_batch"]:8.2f} ms/batch  x{row["speedup"]:.2f}  '
              f'max |diff| {row["max_abs_diff"]:.2e}')
    print(json.dumps(result))


if __name__ == '__main__':
    main()
