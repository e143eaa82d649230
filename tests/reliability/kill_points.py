"""Kill (or fail) this process at a chosen moment of a save, to test what a crash leaves.

Imported by a config's ``custom_imports``; ``MMCL_KILL_AT`` says when, as
``<moment>:<file name>:<occurrence>``:

* ``before-rename``: the file's bytes are in its temporary file, not yet under its name;
* ``after-rename``: the file has just been renamed into place (nothing after it ran);
* ``disk-full``: writing the file fails as a full disk makes it fail (ENOSPC).

``occurrence`` counts the writes of that name, from 1.
"""
from __future__ import annotations

import errno
import os
import signal
from pathlib import Path

_moment, _name, _occurrence = os.environ['MMCL_KILL_AT'].split(':')
_seen = 0
_real_replace = os.replace


def _replace(src, dst, *args, **kwargs):
    global _seen
    if Path(dst).name == _name:
        _seen += 1
        if _seen == int(_occurrence):
            if _moment == 'before-rename':
                os.kill(os.getpid(), signal.SIGKILL)
            if _moment == 'disk-full':
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            _real_replace(src, dst, *args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
    return _real_replace(src, dst, *args, **kwargs)


os.replace = _replace
