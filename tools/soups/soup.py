"""Cook a uniform or greedy soup from the ingredients scored by eval_individual.py.

usage: python tools/soups/soup.py CONFIG --recipe greedy --individual individual.jsonl
           --out-dir work_dirs/soups/greedy
Writes <recipe>_soup.pth (loadable by tools/test.py), <recipe>_soup.json (ingredients,
scores, the greedy trials) and <recipe>_soup.png (held-out score vs ingredients).
"""
import argparse
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import OneLineParser, add_common_arguments, parse_launched  # noqa: E402


def cook(args: argparse.Namespace) -> None:
    from mmengine.config import Config

    import mm_cl_addon  # noqa: F401
    from mm_cl_addon.engine import merge_test_args
    from mm_cl_addon.engine.config_checks import parse_override_values
    from mm_cl_addon.soups import greedy_soup, uniform_soup
    from mm_cl_addon.soups.evaluation import RunnerEvaluator
    from mm_cl_addon.soups.individual import read_records
    from mm_cl_addon.soups.plot import plot_soup
    from mm_cl_addon.utils import atomic_torch_save, atomic_write_json

    records = read_records(args.individual)
    if not records:
        raise ValueError(f'{args.individual} holds no scored ingredients')
    args.cfg_options = parse_override_values(args.cfg_options)
    cfg = merge_test_args(Config.fromfile(args.config), args)
    evaluate = RunnerEvaluator(cfg, split='val', metric=args.metric,
                               bn_batches=None if args.bn_batches < 0 else args.bn_batches)
    checkpoints = [record['checkpoint'] for record in records]
    scores = [record['score'] for record in records]
    if args.recipe == 'uniform':
        soup = uniform_soup(checkpoints)
        log = dict(recipe='uniform', ingredients=checkpoints, held_out=evaluate(soup['state_dict']))
        steps, uniform_score = [], log['held_out']
    else:
        # The evaluated model's own tensors hold each trial: no fourth copy in memory.
        soup, log = greedy_soup(checkpoints, evaluate, scores=scores, accept=args.accept,
                                trial_buffer=evaluate.model.state_dict())
        steps, uniform_score = log['steps'], None
    soup['state_dict'] = evaluate.evaluated_weights(soup['state_dict'])
    out = Path(args.out_dir)
    atomic_torch_save(out / f'{args.recipe}_soup.pth', soup)
    atomic_write_json(out / f'{args.recipe}_soup.json', dict(log, individual=records))
    plot_soup(out / f'{args.recipe}_soup.png', scores, steps, uniform_score, args.metric)
    print(f'{args.recipe} soup: held-out {args.metric} = '
          f"{log.get('held_out', log.get('final_score'))} -> {out}/{args.recipe}_soup.pth")


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the ingredients\' config (its val split is held out)')
    parser.add_argument('--recipe', required=True, choices=('uniform', 'greedy'))
    parser.add_argument('--individual', required=True, help='JSONL from eval_individual.py')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--accept', default='strict', choices=('strict', 'non-decreasing'))
    parser.add_argument('--metric', default='accuracy/top1')
    parser.add_argument('--bn-batches', type=int, default=0,
                        help='re-estimate BatchNorm statistics on this many training batches '
                             'before every evaluation (0: off, -1: the whole training set)')
    add_common_arguments(parser)
    args = parse_launched(parser)
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: cook(args))


if __name__ == '__main__':
    main()
