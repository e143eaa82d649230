"""Search soup ingredients' hyper-parameters with optuna; a rerun resumes the study.

usage: python tools/soups/tune.py CONFIG --n-trials N --work-dir DIR [--storage URL]
    [--study-name NAME] [--metric accuracy/top1] [--sampler-seed S] [--cfg-options ...]

Several machines can share one study: give each the same --storage URL (any SQLAlchemy URL,
e.g. postgresql://...) and its own --sampler-seed.
"""
import argparse
import os.path as osp
import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tools/: tool_args, stdlib only
from tool_args import KeyValueAction, OneLineParser  # noqa: E402


def tune(args: argparse.Namespace) -> None:
    from mmengine.config import Config

    import mm_cl_addon  # noqa: F401
    from mm_cl_addon.engine import apply_dataloader_defaults, apply_overrides
    from mm_cl_addon.engine.config_checks import parse_override_values
    from mm_cl_addon.soups.tuning import run_study

    cfg = Config.fromfile(args.config)
    apply_dataloader_defaults(cfg)
    apply_overrides(cfg, parse_override_values(args.cfg_options))
    run_study(cfg, args.n_trials, storage=args.storage, study_name=args.study_name,
              work_dir=args.work_dir, metric=args.metric, sampler_seed=args.sampler_seed)
    print(f'best trial: {osp.join(args.work_dir, args.study_name)}_best.json')


def main() -> None:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='the ingredients\' config (its val split is held out)')
    parser.add_argument('--n-trials', type=int, required=True,
                        help='finished (complete or pruned) trials the study should hold')
    parser.add_argument('--work-dir', required=True,
                        help='trial dirs, the default SQLite storage and <study>_best.json')
    parser.add_argument('--storage', help='SQLAlchemy URL; default sqlite in --work-dir')
    parser.add_argument('--study-name', default='soup_tuning')
    parser.add_argument('--metric', default='accuracy/top1', help='val metric to maximize')
    parser.add_argument('--sampler-seed', type=int, default=0,
                        help='TPE seed; differ per machine when sharing a storage')
    parser.add_argument('--cfg-options', nargs='+', action=KeyValueAction,
                        help='override config settings, key=value (e.g. '
                             'train_cfg.epochs_per_task=1)')
    args = parser.parse_args()
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: tune(args))


if __name__ == '__main__':
    main()
