"""Word-level differences between two texts, for pages that show what changed (a SOW's instructions between
versions): the words kept, removed and added, in reading order, so a page can colour them."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

# A token is a word, a run of punctuation or a run of whitespace: changing one word marks that word only.
TOKEN = re.compile(r"\w+|[^\w\s]+|\s+", re.UNICODE)


@dataclass(frozen=True)
class Segment:
    """A run of text that is `kept`, `removed` (only in the old text) or `added` (only in the new one)."""

    kind: str
    text: str


def word_diff(before: str, after: str) -> list[Segment]:
    """The segments that turn `before` into `after`, word by word; a changed word shows as removed then added."""
    old, new = TOKEN.findall(before or ""), TOKEN.findall(after or "")
    segments: list[Segment] = []

    def add(kind: str, tokens: list[str]) -> None:
        text = "".join(tokens)
        if not text:
            return
        if segments and segments[-1].kind == kind:
            segments[-1] = Segment(kind, segments[-1].text + text)
        else:
            segments.append(Segment(kind, text))

    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for operation, i1, i2, j1, j2 in matcher.get_opcodes():
        if operation == "equal":
            add("kept", old[i1:i2])
            continue
        add("removed", old[i1:i2])
        add("added", new[j1:j2])
    return segments
