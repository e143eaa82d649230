"""Reading the package's own ``.npz`` data files with errors that name the file."""
from __future__ import annotations

import os
import zipfile

import numpy as np


def read_npz(path: str | os.PathLike, what: str, writer: str) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` file ``path`` (no pickles).

    ``what`` names the kind of file and ``writer`` the tool that writes it, for the
    message when the file is missing.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{what} {path} does not exist; write it with {writer}')
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f'{path} is not a readable .npz file: {error}') from error
