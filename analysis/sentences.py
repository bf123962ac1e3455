"""Sentence boundaries in Chinese report text, as offsets so callers can slice the original."""

from __future__ import annotations

import re

# A sentence ends at 。！？；!? (and at a line break). Closing quotes/brackets that follow
# the stop belong to the sentence they close.
_SENTENCE_END = re.compile(r"[。！？!?；;]+[”’」』）)]*|\n+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) offsets of the non-blank sentences of `text`, in order.

    Leading and trailing whitespace is excluded from each span, so
    `text[start:end]` is the sentence as written.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        _add_span(text, pos, m.end(), spans)
        pos = m.end()
    _add_span(text, pos, len(text), spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
