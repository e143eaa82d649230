"""A pickle payload for the tests that check untrusted files are never executed."""
from __future__ import annotations

import os


class CreatesMarker:
    """Unpickling this creates the file ``marker``: if the marker exists, the payload ran."""

    def __init__(self, marker: str | os.PathLike) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, 'w')
