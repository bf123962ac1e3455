"""Sentence spans: the fast sentence-end pattern and loop give what the plain ones give."""

from __future__ import annotations

import random
import re

from analysis import sentences as S

# The sentence-end pattern as first written; S._SENTENCE_END is the faster equivalent.
_SENTENCE_END_PLAIN = re.compile(r"[。！？!?；;]+[”’」』）)]*|\n+")


def _plain_spans(text: str) -> list[tuple[int, int]]:
    """sentence_spans as first written: the readable pattern, every span trimmed and cut."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _SENTENCE_END_PLAIN.finditer(text):
        S._add_span(text, pos, m.end(), spans)
        pos = m.end()
    S._add_span(text, pos, len(text), spans)
    return spans


def test_the_fast_sentence_end_pattern_matches_the_plain_one():
    rng = random.Random(5)
    alphabet = list("。！？!?；;”’」』）)\n a中，、") + ["\n\n", "。”"]
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert [m.span() for m in S._SENTENCE_END.finditer(text)] == [m.span() for m in _SENTENCE_END_PLAIN.finditer(text)]
        assert S.sentence_spans(text) == _plain_spans(text), text


def test_long_runs_are_still_cut():
    text = "甲" * (S.MAX_SENTENCE + 10) + "。  乙，" * 3 + "\n 丙 "
    assert S.sentence_spans(text) == _plain_spans(text)
    assert max(e - s for s, e in S.sentence_spans(text)) <= S.MAX_SENTENCE
