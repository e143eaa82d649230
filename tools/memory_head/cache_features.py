"""Cache ns-ImageNet: the noisy domains as PNGs, then frozen-backbone features per split.

usage: python tools/memory_head/cache_features.py FEATURE_CONFIG --mini-imagenet DIR
           --noise-dir DIR --out-dir DIR [--checkpoint FILE | --random-init] [--seed 0]
           [--splits train val test] [--layout auto|csv|folders] [--batch-size 64]
           [--device cpu|cuda] [--num-workers 2] [--no-progress]

FEATURE_CONFIG (e.g. configs/memory_head/ns_imagenet/features_resnet18.py) gives ``model``,
``data_preprocessor`` and ``feature_pipeline``. Writes ``<out-dir>/{train,val,test}.npz``; a split
whose file already holds these features is skipped, so a rerun resumes. See
docs/memory_head_data.md, section ns-ImageNet.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import KeyValueAction, OneLineParser  # noqa: E402

# mm_cl_addon.datasets.ns_imagenet's SPLITS and LAYOUTS, here so that the command line is checked
# before the package loads (tests/tools/test_fast_feedback.py checks that they agree)
SPLITS = ('train', 'val', 'test')
LAYOUTS = ('auto', 'csv', 'folders')


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = OneLineParser(description='Cache ns-ImageNet noise domains and features')
    parser.add_argument('config', help='feature config: model, data_preprocessor, '
                                       'feature_pipeline')
    parser.add_argument('--mini-imagenet', required=True,
                        help='mini-ImageNet root (images/ + train.csv/val.csv/test.csv, or '
                             'train/val/test/<wnid>/)')
    parser.add_argument('--noise-dir', required=True, help='where the noisy PNGs are cached')
    parser.add_argument('--out-dir', required=True, help='where <split>.npz are written')
    weights = parser.add_mutually_exclusive_group()
    weights.add_argument('--checkpoint', help='local checkpoint of the feature model')
    weights.add_argument('--random-init', action='store_true',
                         help='random weights (tests and smoke runs only)')
    parser.add_argument('--seed', type=int, default=0, help='noise seed (and random weights)')
    parser.add_argument('--splits', nargs='+', choices=SPLITS, default=list(SPLITS))
    parser.add_argument('--layout', choices=LAYOUTS, default='auto')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--device', help='default: cuda when available, else cpu')
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument('--no-progress', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=KeyValueAction,
                        help='override settings of the feature config, key=value')
    args = parser.parse_args(argv)
    if not 0 <= args.seed < 2**32:
        parser.error(f'--seed must be in [0, 2**32), got {args.seed}')
    if args.batch_size < 1 or args.num_workers < 0:
        parser.error('--batch-size must be >= 1 and --num-workers >= 0')
    if args.checkpoint is None and not args.random_init:
        parser.error('give --checkpoint FILE (a local file) or, for tests, --random-init')
    return args


def cache(args: argparse.Namespace) -> dict[str, str]:
    """Each split's status: 'written' or 'skipped' (its file already holds these features)."""
    import torch
    from mmengine.config import Config

    import mm_cl_addon  # noqa: F401  (registers our classes, applies the compat fixes)
    from mm_cl_addon.datasets.ns_imagenet_features import cache_features
    from mm_cl_addon.engine.config_checks import parse_override_values

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(parse_override_values(args.cfg_options))
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    return cache_features(cfg, args.mini_imagenet, args.noise_dir, args.out_dir,
                          checkpoint=args.checkpoint, random_init=args.random_init,
                          seed=args.seed, splits=args.splits, layout=args.layout,
                          batch_size=args.batch_size, device=device,
                          num_workers=args.num_workers, progress=not args.no_progress)


def main(argv: Sequence[str] | None = None) -> dict[str, str]:
    """Parse ``argv`` (default: the command line) and cache; errors propagate."""
    return cache(parse_args(argv))


if __name__ == '__main__':
    arguments = parse_args()
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: cache(arguments))
    sys.exit(0)
