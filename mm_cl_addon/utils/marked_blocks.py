"""Blocks of a page (README, docs) that a tool writes and checks: text between two markers.

A block is ``<!-- NAME:begin -->`` ... ``<!-- NAME:end -->``; the rest of the page is the
author's. A tool regenerates the block's text from measurements and either writes it in or
compares its numbers with what the page shows, within a stated tolerance.
"""
from __future__ import annotations

import math
import re

NUMBER = re.compile(r'-?\d+(?:\.\d+)?')


def markers(name: str) -> tuple[str, str]:
    return f'<!-- {name}:begin -->', f'<!-- {name}:end -->'


def read_block(text: str, name: str) -> str:
    """The text between ``name``'s markers; a named error when they are missing."""
    begin, end = markers(name)
    if begin not in text or end not in text:
        raise KeyError(f'the page has no block {name!r} (markers {begin} ... {end})')
    return text.split(begin, 1)[1].split(end, 1)[0].strip('\n')


def replace_block(text: str, name: str, body: str, append_under: str = '') -> str:
    """``text`` with ``name``'s block replaced by ``body``; a page without the block gets it
    appended at its end, under ``append_under`` (e.g. a heading), which is added only once."""
    begin, end = markers(name)
    if begin in text:
        head, rest = text.split(begin, 1)
        return f'{head}{begin}\n{body}\n{end}{rest.split(end, 1)[1]}'
    heading = '' if append_under in text else append_under
    return f'{text.rstrip()}\n\n{heading}{begin}\n{body}\n{end}\n'


def numbers_differ(shown: str, measured: str, tolerance: float) -> list[str]:
    """Where two texts' numbers (in order) differ by more than ``tolerance``: one line each;
    empty when they agree (and have as many numbers)."""
    a = [float(x) for x in NUMBER.findall(shown)]
    b = [float(x) for x in NUMBER.findall(measured)]
    if len(a) != len(b):
        return [f'the page shows {len(a)} numbers, the run gave {len(b)}']
    return [f'number {i + 1}: page {x:g}, run {y:g}' for i, (x, y) in enumerate(zip(a, b))
            if not math.isclose(x, y, abs_tol=tolerance)]
