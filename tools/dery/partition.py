"""Partition a zoo into K groups of functionally equivalent blocks from compute_sim's tables.

DeRy's partition: python tools/dery/partition.py SIM_DIR --out FILE --K 4 [--eps 0.2]
[--trial 10] [--num-iter 50] [--seed 0] [--sizes INOUT_JSON]. Reads SIM_DIR with
mm_cl_addon.reassembly.load_similarity, runs partition_zoo and writes one JSON file (atomically):
``score``, ``blocks`` and ``centres`` in Partition.to_json's form (Partition.load reads the file)
with each block's module names and, given count_inout_size's JSON as --sizes, its input/output
shapes, params and FLOPs; ``groups`` (members and centre per group) and the arguments used.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import OneLineParser  # noqa: E402

if TYPE_CHECKING:
    from mm_cl_addon.reassembly import Partition, PartitionBlock

FORMAT = 'mm_cl_addon.dery_partition/1'


def parse_args() -> argparse.Namespace:
    parser = OneLineParser(description='Partition a model zoo into K block groups')
    parser.add_argument('sim_dir', help='compute_sim.py output folder (index.json and tables)')
    parser.add_argument('--out', required=True, help='partition JSON file to write')
    parser.add_argument('--K', type=int, required=True, help='number of groups (depth stages)')
    parser.add_argument('--eps', type=float, default=0.2,
                        help='block sizes within (1 +- eps) L/K nodes')
    parser.add_argument('--trial', type=int, default=10, help='random restarts')
    parser.add_argument('--num-iter', type=int, default=50, help='rounds per restart at most')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--sizes', help="count_inout_size.py's JSON, for block shapes and costs")
    return parser.parse_args()


def read_sizes(path: str, num_nodes: Mapping[str, int]) -> dict[str, Any]:
    """count_inout_size's JSON report (:func:`load_sizes`, never a pickle, which could run
    code), checked against the similarity tables' node counts."""
    from mm_cl_addon.reassembly.reassemble import load_sizes

    sizes = load_sizes(path)
    for model, length in num_nodes.items():
        if model not in sizes:
            raise KeyError(f'--sizes {path} has no model {model!r}; it has {sorted(sizes)}')
        if sizes[model]['num_nodes'] != length:
            raise ValueError(f'--sizes {path}: model {model!r} has {sizes[model]["num_nodes"]} '
                             f'blocks there but {length} in the similarity tables; both must '
                             'come from the same zoo manifest')
    return sizes


def describe(block: PartitionBlock, names: Mapping[str, list], sizes: Mapping[str, Any] | None
             ) -> dict[str, Any]:
    """The block's model, group and node range (start, end], its module names and, with
    ``sizes``, the shapes of nodes start and end and the summed params/FLOPs of its modules."""
    entry: dict[str, Any] = {'model': block.model, 'start': block.start, 'end': block.end,
                             'group': block.group}
    if block.model in names:
        entry['block_names'] = list(names[block.model][block.start:block.end])
    if sizes is not None:
        report = sizes[block.model]
        inner = report['blocks'][block.start:block.end]
        entry.update(in_shape=report['node_shapes'][block.start],
                     out_shape=report['node_shapes'][block.end],
                     params=sum(b['params'] for b in inner),
                     flops=sum(b['flops'] for b in inner))
    return entry


def partition_record(partition: Partition, index: Mapping[str, Any],
                     sizes: Mapping[str, Any] | None, args: argparse.Namespace) -> dict[str, Any]:
    names = index.get('blocks', {})
    return {
        'format': FORMAT, 'sim_dir': str(args.sim_dir), 'sim_func': index.get('sim_func'),
        'K': args.K, 'eps': args.eps, 'trial': args.trial, 'num_iter': args.num_iter,
        'seed': args.seed, 'sizes': args.sizes, 'score': partition.score,
        'num_nodes': dict(index['num_nodes']),
        'blocks': [describe(block, names, sizes) for block in partition.blocks],
        'centres': [describe(block, names, sizes) for block in partition.centres],
        'groups': [{'group': k, 'centre': partition.centres[k].model,
                    'members': [describe(block, names, sizes) for block in partition.group(k)]}
                   for k in range(partition.num_groups)]}


def summary(record: Mapping[str, Any]) -> str:
    lines = [f'K={record["K"]} eps={record["eps"]} trial={record["trial"]} '
             f'num_iter={record["num_iter"]} seed={record["seed"]}: score {record["score"]:.4f}']
    for group in record['groups']:
        members = []
        for block in group['members']:
            mark = '*' if block['model'] == group['centre'] else ''
            shapes = (f' {block["in_shape"]}->{block["out_shape"]}' if 'in_shape' in block
                      else '')
            members.append(f'{mark}{block["model"]} ({block["start"]}, {block["end"]}]{shapes}')
        lines.append(f'group {group["group"]}: ' + ', '.join(members))
    lines.append('(* centre)')
    return '\n'.join(lines)


def write_partition(args: argparse.Namespace) -> None:
    import mm_cl_addon  # noqa: F401  (registers our classes, applies the compat fixes)
    from mm_cl_addon.reassembly import partition_zoo
    from mm_cl_addon.reassembly.sim_tables import load_index, load_similarity
    from mm_cl_addon.utils import atomic_write_json

    index = load_index(args.sim_dir)
    num_nodes, sim = load_similarity(args.sim_dir)
    sizes = None if args.sizes is None else read_sizes(args.sizes, num_nodes)
    partition = partition_zoo(num_nodes, sim, args.K, eps=args.eps, trial=args.trial,
                              num_iter=args.num_iter, seed=args.seed)
    record = partition_record(partition, index, sizes, args)
    atomic_write_json(args.out, record)
    print(summary(record))
    print(f'-> {args.out}', flush=True)


def main() -> None:
    args = parse_args()
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: write_partition(args))


if __name__ == '__main__':
    main()
