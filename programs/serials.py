"""A serial-number rule (a regular expression) shown to people as an example: `^SCO-[0-9]{6}$` reads
"like SCO-123456" on the SOW, in the packet and — written the same way in static/js/field/visit-state.js — on the
technician's phone."""

from __future__ import annotations

import re
from re import _constants as c  # the parsed form of a pattern (stable since Python 3.11)
from re import _parser as parser

DIGITS = "1234567890"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_EXAMPLE = 40


def _pick(items, position: int) -> str:
    """One character an IN (a class like [0-9A-F] or \\d) admits, varied by position so 6 digits read 123456."""
    for op, value in items:
        if op == c.CATEGORY and value == c.CATEGORY_DIGIT:
            return DIGITS[position % 10]
        if op == c.RANGE:
            low, high = value
            span = high - low + 1
            if chr(low) == "0" and span >= 10:
                return DIGITS[position % 10]
            return chr(low + (position % span))
        if op == c.LITERAL:
            return chr(value)
    return "X"


def _example(tree, out: list[str], index: int = 0) -> None:
    for op, value in tree:
        if len(out) >= MAX_EXAMPLE:
            return
        if op == c.LITERAL:
            out.append(chr(value))
        elif op == c.IN:
            out.append(_pick(value, index))
        elif op == c.ANY:
            out.append("X")
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, high, sub = value
            for repeat in range(max(low, 1) if high else low):
                _example(sub, out, repeat)
        elif op == c.SUBPATTERN:
            _example(value[-1], out, index)
        elif op == c.BRANCH:
            _example(value[1][0], out, index)
        elif op == c.CATEGORY and value == c.CATEGORY_DIGIT:
            out.append(DIGITS[index % 10])


def serial_example(pattern: str | None) -> str:
    """A serial that matches `pattern` ("" when there is none or it cannot be shown)."""
    if not pattern:
        return ""
    try:
        out: list[str] = []
        _example(parser.parse(pattern), out)
    except (re.error, TypeError, ValueError):
        return ""
    example = "".join(out)
    return example if re.fullmatch(pattern, example) else ""
