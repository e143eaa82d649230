"""Pooled block-boundary features of every model of a zoo, one safetensors file per model.

DeRy's get_rep: python tools/dery/get_rep.py ZOO DATA_CONFIG --out-dir DIR [--num-samples N].
Launched with tools/dist_launch.sh, the ranks share the samples and rank 0 writes.
"""
import argparse
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import OneLineParser, add_launcher_arguments, parse_launched  # noqa: E402

# mm_cl_addon.reassembly.features.METHODS, here so that the command line is checked before the
# package loads (tests/tools/test_fast_feedback.py checks that they agree)
METHODS = ('auto', 'fx', 'hooks')


def parse_args() -> argparse.Namespace:
    parser = OneLineParser(description='Extract pooled block features of a model zoo')
    parser.add_argument('zoo', help='zoo manifest (JSON/YAML): models: [{name, arch, library, '
                                    'checkpoint?, blocks?, kwargs?}]')
    parser.add_argument('data_config', help='config whose <split>_dataloader.dataset and '
                                            'data_preprocessor give the samples')
    parser.add_argument('--out-dir', required=True, help='where <name>.safetensors go')
    parser.add_argument('--split', choices=['val', 'test'], default='test')
    parser.add_argument('--num-samples', type=int, help='first N samples (default: all)')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--method', choices=METHODS, default='auto',
                        help='torch.fx, forward hooks, or fx where the model traces')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed for the weights of models without a checkpoint')
    parser.add_argument('--no-progress', action='store_true')
    add_launcher_arguments(parser)
    return parse_launched(parser)


def get_rep(args: argparse.Namespace) -> None:
    from mmengine.config import Config
    from mmengine.dist import init_dist

    import mm_cl_addon  # noqa: F401  (registers our classes, applies the compat fixes)
    from mm_cl_addon.reassembly.features import extract_features, save_features
    from mm_cl_addon.reassembly.zoo import DatasetSamples, build_zoo_model, load_zoo

    if args.launcher != 'none':
        init_dist(args.launcher)
    zoo = load_zoo(args.zoo)
    samples = DatasetSamples(Config.fromfile(args.data_config), args.split, args.num_samples)
    for entry in zoo:
        model = build_zoo_model(entry, args.seed)
        result = extract_features(model, samples, blocks=entry.blocks,
                                  batch_size=args.batch_size, method=args.method,
                                  progress=not args.no_progress)
        if result is None:  # not rank 0
            continue
        result.meta.update(model=entry.name, library=entry.library, arch=entry.arch,
                           checkpoint=entry.checkpoint, split=args.split)
        path = Path(args.out_dir) / f'{entry.name}.safetensors'
        save_features(path, result)
        print(f'{entry.name}: {len(result.blocks)} blocks, {len(samples)} samples, '
              f'{result.method} -> {path}', flush=True)


def main() -> None:
    args = parse_args()
    from mm_cl_addon.compat import exit_after_distributed_run
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: get_rep(args))
    exit_after_distributed_run()  # a finished CPU distributed job must not abort in teardown


if __name__ == '__main__':
    main()
