"""Pick-a-back backbone selection: the candidate whose ModelDiff DDV is closest to the target's.

usage: python tools/pickaback/find_backbone.py TARGET_CONFIG TARGET_CKPT
           --candidate NAME CONFIG CKPT [TASK] [--candidate ...] --out-dir DIR

A checkpoint that several tasks share (PackNet, CPG) is compared as one task sees it: TASK
is its owner id (default: the last task it holds), and a CPG checkpoint is built at the
width it was grown to.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import OneLineParser  # noqa: E402

if TYPE_CHECKING:
    from torch import Tensor, nn


def build(config: str, checkpoint: str, task: int | None = None) -> tuple[nn.Module, int | None]:
    """The model of ``config`` with ``checkpoint`` as task ``task`` sees it, as :class:`Logits`
    (defined in here: torch loads only once the command line is parsed)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from torch import nn

    from mm_cl_addon.datasets.captions.preprocessor import MultiModalClsDataPreprocessor
    from mm_cl_addon.models.task_view import load_task_model, model_config

    class Logits(nn.Module):
        """Raw image batch or UTF-8 byte batch -> logits, through the model's preprocessor."""

        def __init__(self, model: nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, inputs: Tensor) -> Tensor:
            if not inputs.is_floating_point():  # text bytes, 0 = padding
                inputs = {'text': inputs, 'text_length': (inputs != 0).sum(1)}
            elif isinstance(self.model.data_preprocessor, MultiModalClsDataPreprocessor):
                inputs = {'image': inputs}
            inputs = self.model.data_preprocessor({'inputs': inputs}, False)['inputs']
            return self.model(inputs, mode='tensor')

    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model, task = load_task_model(model_config(cfg), checkpoint, task)
    return Logits(model), task


def parse_candidate(values: list[str]) -> tuple[str, str, str, int | None]:
    """One ``--candidate``'s NAME CONFIG CKPT [TASK]; ValueError names what is wrong."""
    if len(values) not in (3, 4):
        raise ValueError(f'--candidate takes NAME CONFIG CKPT [TASK], got {values}')
    if len(values) == 4 and not values[3].isdigit():
        raise ValueError(f'--candidate {values[0]}: TASK must be an owner id, got {values[3]!r}')
    return values[0], values[1], values[2], int(values[3]) if len(values) == 4 else None


def first_samples(config: str, count: int) -> Tensor:
    """The first ``count`` val samples: float images, or uint8 UTF-8 bytes for text data."""
    import torch
    from mmengine.config import Config
    from mmpretrain.registry import DATASETS

    dataset = DATASETS.build(Config.fromfile(config).val_dataloader.dataset)
    if count > len(dataset):
        raise ValueError(f'--num-samples {count} exceeds the {len(dataset)} samples of {config}')
    inputs = [dataset[i]['inputs'] for i in range(count)]
    if not isinstance(inputs[0], dict):
        return torch.stack(inputs).float()
    modalities = [key for key in ('image', 'text') if key in inputs[0]]
    if len(modalities) != 1:
        raise ValueError(f'{config}: profiling needs one modality per sample, got {modalities}')
    stacked = torch.stack([sample[modalities[0]] for sample in inputs])
    return stacked.float() if modalities[0] == 'image' else stacked


def parse_args() -> argparse.Namespace:
    """The command line, each ``--candidate`` as (name, config, checkpoint, task)."""
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument('target_config')
    parser.add_argument('target_checkpoint')
    parser.add_argument('--candidate', nargs='+', action='append', required=True,
                        metavar='NAME CONFIG CKPT [TASK]', help='repeat for each candidate')
    parser.add_argument('--target-task', type=int, help='owner id of the target, if shared')
    parser.add_argument('--data-config', help='config whose val dataset gives the samples '
                        '(default: the target config)')
    parser.add_argument('--target-name', help='default: the target config file stem')
    parser.add_argument('--num-samples', type=int, default=200)
    parser.add_argument('--num-pairs', type=int, default=50)
    parser.add_argument('--steps', type=int, default=200)
    parser.add_argument('--step-size', type=float, default=0.1)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--metric', default='euclidean', choices=('euclidean', 'cosine'))
    parser.add_argument('--choose', default='most', choices=('most', 'least'))
    parser.add_argument('--out-dir', required=True)
    args = parser.parse_args()
    try:
        args.candidate = [parse_candidate(values) for values in args.candidate]
    except ValueError as error:
        parser.error(str(error))
    names = [spec[0] for spec in args.candidate]
    if len(set(names)) != len(names):
        parser.error(f'--candidate names must be unique, got {names}')
    return args


def find_backbone(args: argparse.Namespace) -> None:
    import mm_cl_addon  # noqa: F401
    from mm_cl_addon.similarity.modeldiff import search_profiling_inputs, select_backbone
    from mm_cl_addon.utils import atomic_write_json, atomic_write_text

    target_name = args.target_name or osp.splitext(osp.basename(args.target_config))[0]

    target, _ = build(args.target_config, args.target_checkpoint, args.target_task)
    samples = first_samples(args.data_config or args.target_config, args.num_samples)
    pairs = search_profiling_inputs(target, samples, args.num_pairs, args.steps, args.step_size,
                                    args.seed)
    candidates, tasks = {}, {}
    for name, config, ckpt, task in args.candidate:
        candidates[name], tasks[name] = build(config, ckpt, task)
    chosen, scores = select_backbone(target, candidates, pairs, args.metric, args.choose)

    rows = ['candidate,similarity'] + [f'{name},{score:.6f}' for name, score in scores.items()]
    atomic_write_text(osp.join(args.out_dir, 'scores.csv'), '\n'.join(rows) + '\n')
    atomic_write_json(osp.join(args.out_dir, 'selection.json'), dict(
        target=target_name, selected=chosen, choose=args.choose, metric=args.metric,
        seed=args.seed, num_pairs=args.num_pairs, steps=args.steps, scores=scores,
        checkpoints={name: ckpt for name, _, ckpt, _ in args.candidate}, tasks=tasks))
    print(f'Selected backbone for target {target_name} = {chosen}')


def main() -> None:
    args = parse_args()
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: find_backbone(args))


if __name__ == '__main__':
    main()
