"""DeRy's zero-shot reassembly: the best block chains under budgets, re-ranked by a proxy.

python tools/dery/zeroshot_reassembly.py --partition P.json --sizes COUNT.json --zoo ZOO
    --data-config CFG --num-classes N --out-dir DIR [--max-params ...] [--proxy naswot]
    [--top-m M]

Each candidate block scores its source model's proxy on a batch of target data; the exact
integer program (mm_cl_addon.reassembly.solve_reassembly) returns the top-M chains, each is built
as a DeRy backbone + linear head and scored as a whole, and DIR receives one training config per
chain (rank1.py best), plus summary.json. See docs/dery_walkthrough.md.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import OneLineParser  # noqa: E402

if TYPE_CHECKING:
    import torch

# mm_cl_addon.reassembly.PROXIES' names, here so that the command line is checked before the
# package loads (tests/tools/test_fast_feedback.py checks that they agree)
PROXIES = ('naswot', 'synflow')


def parse_args() -> argparse.Namespace:
    parser = OneLineParser(description='Zero-shot DeRy reassembly search')
    parser.add_argument('--partition', required=True, help='partition JSON (partition.py)')
    parser.add_argument('--sizes', required=True, help='count_inout_size.py JSON')
    parser.add_argument('--zoo', required=True, help='zoo manifest the networks are cut from')
    parser.add_argument('--data-config', required=True,
                        help='config with <split>_dataloader.dataset and data_preprocessor '
                             '(the target data); also the _base_ of the emitted configs unless '
                             '--base-config is given')
    parser.add_argument('--base-config', help='_base_ of the emitted configs (data, schedule)')
    parser.add_argument('--num-classes', type=int, required=True)
    parser.add_argument('--out-dir', required=True)
    for name in ('max-params', 'min-params', 'max-flops', 'min-flops'):
        parser.add_argument(f'--{name}', type=float, help='budget on blocks + adapters')
    parser.add_argument('--proxy', choices=PROXIES, default='naswot')
    parser.add_argument('--top-m', type=int, default=5)
    parser.add_argument('--split', choices=['train', 'val', 'test'], default='train')
    parser.add_argument('--batch-size', type=int, default=64,
                        help='first N samples of the split form the proxy batch')
    parser.add_argument('--allow-vit-to-cnn', action='store_true')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the adapters and heads the proxy sees')
    return parser.parse_args()


def target_batch(data_config: str, split: str, size: int) -> torch.Tensor:
    """The first ``size`` samples of the split, through the config's data preprocessor."""
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmpretrain.registry import DATASETS, MODELS

    cfg = Config.fromfile(data_config)
    key = f'{split}_dataloader'
    if key not in cfg or 'dataset' not in cfg[key]:
        raise KeyError(f'{data_config}: no {key}.dataset for the target data')
    dataset = DATASETS.build(cfg[key]['dataset'])
    items = [dataset[i] for i in range(min(size, len(dataset)))]
    preprocessor = MODELS.build(dict(dict(type='ClsDataPreprocessor'),
                                     **cfg.get('data_preprocessor', {})))
    return preprocessor(pseudo_collate(items), training=False)['inputs']


def reassemble(args: argparse.Namespace) -> None:
    from mmengine.config import Config

    import mm_cl_addon  # noqa: F401  (registers our classes, applies the compat fixes)
    from mm_cl_addon.reassembly import Partition, solve_reassembly
    from mm_cl_addon.reassembly.reassemble import (
        build_network,
        candidate_groups,
        classifier_cfg,
        config_text,
        load_sizes,
        proxy_score,
        rerank,
    )
    from mm_cl_addon.utils import atomic_write_json, atomic_write_text

    partition = Partition.load(args.partition)
    sizes = load_sizes(args.sizes)
    inputs = target_batch(args.data_config, args.split, args.batch_size)
    input_size = list(inputs.shape[1:])
    models = sorted({block.model for block in partition.blocks})

    def network(spec: list) -> tuple[dict, float, int]:
        last = spec[-1]
        cfg = classifier_cfg(args.zoo, spec, args.num_classes, input_size,
                             sizes[last[0]]['node_shapes'][last[2]])
        net = build_network(cfg, args.seed)
        return cfg, proxy_score(net, args.proxy, inputs), sum(p.numel() for p in net.parameters())

    model_scores = {}
    for name in models:
        model_scores[name] = network([[name, 0, sizes[name]['num_nodes']]])[1]
        print(f'{args.proxy}({name}) = {model_scores[name]:.3f}', flush=True)
    candidates = candidate_groups(partition, sizes, model_scores)
    try:
        solutions = solve_reassembly(
            candidates.groups, max_params=args.max_params, min_params=args.min_params,
            max_flops=args.max_flops, min_flops=args.min_flops,
            adapter_cost=candidates.adapter_cost, allow_vit_to_cnn=args.allow_vit_to_cnn,
            top_m=args.top_m)
    except ValueError as err:
        print(f'zeroshot_reassembly: {err}', file=sys.stderr)
        sys.exit(2)
    rows = []
    for i, solution in enumerate(solutions):
        spec = candidates.spec(solution)
        cfg, score, net_params = network(spec)
        rows.append(dict(solver_rank=i + 1, blocks=spec, block_score=solution.score,
                         params=solution.params, flops=solution.flops,
                         network_params=net_params, network_score=score, model=cfg))
    order = rerank([row['network_score'] for row in rows])
    base = args.base_config or args.data_config
    base_has_model = 'model' in Config.fromfile(base)
    out = Path(args.out_dir)
    header = (f'{"rank":>4} {"solver":>6} {"blocks":<44} {"block score":>11} {"params":>8} '
              f'{"FLOPs":>9} {"net params":>10} {args.proxy + " (net)":>13}')
    print(header)
    ranked = []
    for rank, i in enumerate(order, start=1):
        row = dict(rows[i], rank=rank, config=str(out / f'rank{rank}.py'))
        blocks = ' '.join(f'{m}[{s}:{e}]' for m, s, e in row['blocks'])
        print(f'{rank:>4} {row["solver_rank"]:>6} {blocks:<44} {row["block_score"]:>11.3f} '
              f'{row["params"]:>8.0f} {row["flops"]:>9.0f} {row["network_params"]:>10} '
              f'{row["network_score"]:>13.3f}')
        text = config_text(base, row.pop('model'), args.num_classes,
                           f'DeRy reassembly rank {rank} ({args.proxy} of the whole network '
                           f'{row["network_score"]:.3f}), written by zeroshot_reassembly.py',
                           base_has_model)
        atomic_write_text(row['config'], text)
        ranked.append(row)
    atomic_write_json(out / 'summary.json', dict(
        proxy=args.proxy, seed=args.seed, split=args.split, batch_size=int(inputs.shape[0]),
        budgets=dict(max_params=args.max_params, min_params=args.min_params,
                     max_flops=args.max_flops, min_flops=args.min_flops),
        model_scores=model_scores, group_order=candidates.order, group_depths=candidates.depths,
        solutions=ranked))
    print(f'{len(ranked)} configs -> {out}/rank1.py ... ; summary -> {out / "summary.json"}')


def main() -> None:
    args = parse_args()
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: reassemble(args))


if __name__ == '__main__':
    main()
