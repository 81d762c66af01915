"""The API's JSON parser: what cannot be stored or walked safely is refused here, as a 400 `parse_error`.

DRF's own JSONParser accepts any nesting depth (50,000 `[` raise RecursionError: a 500) and `\\ud800`-style
escapes that decode to lone surrogates, which are not text: PostgreSQL and SQLite refuse them at write time
(DataError / UnicodeEncodeError: a 500). Both are refused at the parser, in the API's error shape.
"""

from __future__ import annotations

import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

#: Deepest nesting of arrays and objects accepted in a request body. The API's deepest body (a bulk action's
#: `filter` object) is three levels deep; the margin is for integrators' own wrappers.
MAX_JSON_DEPTH = 32
SURROGATE = re.compile("[\ud800-\udfff]")


def json_check(data, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse `data` (parsed JSON) nested deeper than `max_depth` or holding a lone surrogate in any string.

    Iterative, so that the check itself cannot exhaust the stack."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if SURROGATE.search(value):
                raise ParseError("JSON parse error - the body holds a lone surrogate (\\ud800-\\udfff), not text.")
        elif isinstance(value, dict | list):
            if depth > max_depth:
                raise ParseError(f"JSON parse error - the body is nested deeper than {max_depth} levels.")
            items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
            for key, item in items:
                if key is not None:
                    stack.append((key, depth + 1))
                stack.append((item, depth + 1))


class StrictJSONParser(JSONParser):
    """DRF's JSONParser (strict UTF-8, no NaN) plus a nesting limit and no lone surrogates."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type=media_type, parser_context=parser_context)
        except RecursionError as exc:
            raise ParseError(f"JSON parse error - the body is nested deeper than {MAX_JSON_DEPTH} levels.") from exc
        json_check(data)
        return data
