"""Per model of a zoo: each block's input/output shapes, parameters and FLOPs, as JSON.

DeRy's count_inout_size: python tools/dery/count_inout_size.py ZOO DATA_CONFIG --out FILE.
Shapes are per sample, at the resolution of the data config's first sample; FLOPs are for one
sample (see mm_cl_addon.reassembly.costs.block_costs for how they are counted).
"""
import argparse
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import OneLineParser  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = OneLineParser(description='Count block shapes, params and FLOPs')
    parser.add_argument('zoo', help='zoo manifest (JSON/YAML), as for get_rep.py')
    parser.add_argument('data_config', help='config whose <split>_dataloader.dataset and '
                                            'data_preprocessor give the input')
    parser.add_argument('--out', required=True, help='JSON file to write')
    parser.add_argument('--split', choices=['val', 'test'], default='test')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def count_inout_size(args: argparse.Namespace) -> None:
    from mmengine.config import Config

    import mm_cl_addon  # noqa: F401  (registers our classes, applies the compat fixes)
    from mm_cl_addon.reassembly.costs import block_costs, node_shapes_table
    from mm_cl_addon.reassembly.features import extract_features
    from mm_cl_addon.reassembly.zoo import DatasetSamples, build_zoo_model, load_zoo
    from mm_cl_addon.utils import atomic_write_json

    sample = DatasetSamples(Config.fromfile(args.data_config), args.split, 1)
    report = {}
    for entry in load_zoo(args.zoo):
        model = build_zoo_model(entry, args.seed)
        result = extract_features(model, sample, blocks=entry.blocks, progress=False)
        costs, how = block_costs(model, result.blocks, sample[0])
        report[entry.name] = {
            'input_shape': list(sample[0].shape), 'num_nodes': len(result.blocks),
            'node_shapes': result.node_shapes,
            'params': sum(p.numel() for p in model.parameters()), 'flops_counted_by': how,
            'blocks': node_shapes_table(result, costs)}
        print(f'{entry.name}: {len(result.blocks)} blocks, '
              f'{sum(c["params"] for c in costs)} block params, '
              f'{sum(c["flops"] for c in costs)} block FLOPs ({how})', flush=True)
    atomic_write_json(args.out, report)


def main() -> None:
    args = parse_args()
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: count_inout_size(args))


if __name__ == '__main__':
    main()
