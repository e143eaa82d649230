"""WiSE-FT: interpolate the initial and the fine-tuned weights and score each mix.

usage: python tools/soups/wise_ft.py CONFIG --initial PRETRAINED.pth --fine-tuned FT.pth
           --alphas 0 0.25 0.5 0.75 1 --out-dir work_dirs/soups/wise_ft
Writes wise_ft_alpha<alpha>.pth per alpha, wise_ft.json (held-out and test scores) and
wise_ft.png.
"""
import argparse
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import OneLineParser, add_common_arguments, parse_launched  # noqa: E402


def interpolate(args: argparse.Namespace) -> None:
    from mmengine.config import Config

    import mm_cl_addon  # noqa: F401
    from mm_cl_addon.engine import merge_test_args
    from mm_cl_addon.engine.config_checks import parse_override_values
    from mm_cl_addon.soups import wise_ft
    from mm_cl_addon.soups.evaluation import RunnerEvaluator
    from mm_cl_addon.soups.plot import plot_interpolation
    from mm_cl_addon.utils import atomic_torch_save, atomic_write_json

    args.cfg_options = parse_override_values(args.cfg_options)
    cfg = merge_test_args(Config.fromfile(args.config), args)
    held_out = RunnerEvaluator(cfg, split='val', metric=args.metric)
    test = RunnerEvaluator(cfg, split='test', metric=args.metric)
    out = Path(args.out_dir)
    results = []
    for alpha, state_dict in wise_ft(args.initial, args.fine_tuned, args.alphas):
        results.append(dict(alpha=alpha, held_out=held_out(state_dict), test=test(state_dict)))
        atomic_torch_save(out / f'wise_ft_alpha{alpha:g}.pth',
                          dict(meta=dict(recipe='wise_ft', alpha=alpha, initial=args.initial,
                                         fine_tuned=args.fine_tuned), state_dict=state_dict))
        print(f"alpha {alpha:g}: held-out {results[-1]['held_out']:.2f}, "
              f"test {results[-1]['test']:.2f}")
    atomic_write_json(out / 'wise_ft.json', results)
    plot_interpolation(out / 'wise_ft.png', [r['alpha'] for r in results],
                       {split: [r[split] for r in results] for split in ('held_out', 'test')},
                       args.metric)


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the fine-tuned model\'s config')
    parser.add_argument('--initial', required=True, help='checkpoint before fine-tuning')
    parser.add_argument('--fine-tuned', required=True, help='checkpoint after fine-tuning')
    parser.add_argument('--alphas', type=float, nargs='+', default=[0, 0.25, 0.5, 0.75, 1])
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--metric', default='accuracy/top1')
    add_common_arguments(parser)
    args = parse_launched(parser)
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: interpolate(args))


if __name__ == '__main__':
    main()
