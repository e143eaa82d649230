"""MM-Pick-a-back k/v transfer: the target's key/value projection for one modality into a backbone.

usage: python tools/pickaback/transfer_kv.py TARGET_CKPT BACKBONE_CKPT --modality text
           --out NEW_CKPT

Writes a copy of BACKBONE_CKPT (its meta and hook state kept) in which only that modality's
encoder LayerNorm and to_kv come from TARGET_CKPT, with their owner masks reset to free, for
the next training step's load_from. Prints the keys it changed.
"""
import argparse
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import OneLineParser  # noqa: E402

# mm_cl_addon.models.backbones.perceiver_io.MODALITIES, here so that the command line is checked
# before the package loads (tests/tools/test_fast_feedback.py checks that they agree)
MODALITIES = ('image', 'text')


def transfer(args: argparse.Namespace) -> None:
    from mm_cl_addon.compat import load_checkpoint
    from mm_cl_addon.models.kv_transfer import transfer_kv
    from mm_cl_addon.utils import atomic_torch_save

    target = load_checkpoint(args.target, map_location='cpu')
    backbone = load_checkpoint(args.backbone, map_location='cpu')
    state, changed = transfer_kv(target['state_dict'], backbone['state_dict'], args.modality,
                                 args.prefix)
    atomic_torch_save(args.out, dict(backbone, state_dict=state))
    print('\n'.join(f'transferred {key}' for key in changed))


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument('target', help='checkpoint of the target model (donor of the projection)')
    parser.add_argument('backbone', help='checkpoint of the selected backbone')
    parser.add_argument('--modality', required=True, choices=MODALITIES)
    parser.add_argument('--prefix', default='backbone.', help='key prefix of the backbone')
    parser.add_argument('--out', required=True, help='the new checkpoint')
    args = parser.parse_args()
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: transfer(args))


if __name__ == '__main__':
    main()
