"""Train a model from a config, as mmpretrain's tools/train.py, with mm_cl_addon loaded."""
from tool_args import parse_train_args  # standard library only: bad command lines fail fast


def main() -> None:
    args = parse_train_args()
    from mm_cl_addon.compat import exit_after_distributed_run
    from mm_cl_addon.engine import train_from_args
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: train_from_args(args), prog='train.py')
    exit_after_distributed_run()  # a finished CPU DDP job must not abort in teardown


if __name__ == '__main__':
    main()
