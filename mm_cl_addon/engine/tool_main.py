"""How every tool runs: the thread policy first, and one line for a user's mistake.

Threads: :func:`mm_cl_addon.engine.threads.apply_thread_policy` (one intra-op thread unless
``OMP_NUM_THREADS`` is set). Errors: a bad config key, a damaged file or a NaN loss is the
user's to fix, and the message already names the key or file; a screen of traceback hides it.
So the tools print ``<tool>: error: <message>`` on stderr and exit with status 1, while the full
traceback goes to the run's log file when one is open (and to the console too with
``MM_CL_ADDON_TRACEBACK=1``).
"""
from __future__ import annotations

import logging
import os
import pickle
import sys
import traceback
from collections.abc import Callable

from mmengine.logging import MMLogger

from .threads import apply_thread_policy

#: Errors whose message is meant for the user (the package raises these for bad input).
#: ``OSError`` covers missing files, permissions and a full disk.
USER_ERRORS = (ValueError, KeyError, TypeError, OSError, FloatingPointError,
               pickle.UnpicklingError)
TRACEBACK_VARIABLE = 'MM_CL_ADDON_TRACEBACK'


def one_line(error: BaseException) -> str:
    """The error's message on one line (``KeyError`` without its repr quotes)."""
    text = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    return ' '.join(str(text).split()) or type(error).__name__


def _log_traceback(error: BaseException) -> str | None:
    """Write the traceback to the current run's log files only; return one file's name."""
    logger = MMLogger.get_current_instance()
    files = [h for h in logger.handlers if isinstance(h, logging.FileHandler)]
    if not files:
        return None
    record = logger.makeRecord(logger.name, logging.ERROR, __file__, 0, ''.join(
        traceback.format_exception(type(error), error, error.__traceback__)), None, None)
    for handler in files:
        handler.handle(record)
    return files[0].baseFilename


def run_tool(main: Callable[[], None], prog: str | None = None) -> None:
    """Run a tool's ``main`` under the thread policy; a user error ends in one line on stderr
    and exit status 1."""
    apply_thread_policy()
    try:
        main()
    except USER_ERRORS as error:
        if os.environ.get(TRACEBACK_VARIABLE):
            raise
        where = _log_traceback(error)
        name = prog or os.path.basename(sys.argv[0])
        suffix = f' (traceback in {where})' if where else ''
        print(f'{name}: error: {one_line(error)}{suffix}', file=sys.stderr)
        sys.exit(1)
