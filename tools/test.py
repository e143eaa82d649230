"""Test a checkpoint, as mmpretrain's tools/test.py, with mm_cl_addon loaded."""
from tool_args import parse_test_args  # standard library only: bad command lines fail fast


def main() -> None:
    args = parse_test_args()
    from mm_cl_addon.compat import exit_after_distributed_run
    from mm_cl_addon.engine import test_from_args
    from mm_cl_addon.engine.tool_main import run_tool
    run_tool(lambda: test_from_args(args), prog='test.py')
    exit_after_distributed_run()  # a finished CPU DDP job must not abort in teardown


if __name__ == '__main__':
    main()
