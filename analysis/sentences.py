"""Sentence boundaries in Chinese report text, as offsets so callers can slice the original."""

from __future__ import annotations

import re

# A sentence ends at 。！？；!? (and at a line break). Closing quotes/brackets that follow
# the stop belong to the sentence they close: the matches of the readable
# `[。！？!?；;]+[”’」』）)]*|\n+` (tests/analysis/test_sentences.py), written to start
# with one character class: `re` skips ahead to a candidate in C only for such patterns
# (an alternation is tried at every position, 3x slower). The look-behind after the
# first character tells which branch it opened.
_SENTENCE_END = re.compile(r"[\n。！？!?；;](?:(?<=\n)\n*|(?<!\n)[。！？!?；;]*[”’」』）)]*)")
# No real sentence is this long (the longest in 31 provincial work reports has 501
# characters). A run without a sentence end this long is a PDF that lost its punctuation
# or junk; it is cut at a clause mark in its second half, else at the limit, so that
# work done per sentence (targets, districts) stays linear in the length of the text.
MAX_SENTENCE = 1000
_CLAUSE_MARKS = "，,、：:"


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return (start, end) offsets of the non-blank sentences of `text`, in order.

    Leading and trailing whitespace is excluded from each span, so
    `text[start:end]` is the sentence as written. No span is longer than MAX_SENTENCE.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
        # Most sentences need neither cutting nor trimming: kept as they are, without
        # the calls (this runs for every sentence of every paragraph with a number).
        if end - pos <= MAX_SENTENCE and not text[pos].isspace() and not text[end - 1].isspace():
            spans.append((pos, end))
        else:
            _add_span(text, pos, end, spans)
        pos = end
    _add_span(text, pos, len(text), spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while end - start > MAX_SENTENCE:
        cut = start + MAX_SENTENCE
        mark = max(text.rfind(c, start + MAX_SENTENCE // 2, cut) for c in _CLAUSE_MARKS)
        cut = mark + 1 if mark >= 0 else cut
        _add_trimmed(text, start, cut, spans)
        start = cut
    _add_trimmed(text, start, end, spans)


def _add_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))
