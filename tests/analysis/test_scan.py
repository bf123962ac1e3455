"""The fast scanner of analysis/scan.py finds exactly what `finditer` finds."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from analysis import targets
from analysis.scan import Scanner, first_chars
from analysis.widths import width_forms

SEEDS = sorted((Path(__file__).parents[2] / "seeds").glob("*.txt"))
PATTERNS = ["_QTY", "_CUES", "_DEADLINE", "_CUT", "_TRAIL", "_POST_STOP", "_PCT_CN", "_MASKED", "_LEAD", "_MODAL"]


def _spans(matches) -> list[tuple]:
    return [(m.span(), m.lastgroup, m.groups()) for m in matches]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [width_forms(p)[1] for path in SEEDS for p in path.read_text(encoding="utf-8").split("\n") if p.strip()]


@pytest.mark.parametrize("name", PATTERNS)
def test_scanner_matches_finditer_on_the_seeds(name, texts):
    pattern = getattr(targets, name)
    scanner = Scanner(pattern)
    for text in texts:
        assert _spans(scanner.finditer(text)) == _spans(pattern.finditer(text))
        # with bounds too, as the extractor scans sentences and clauses
        a, b = len(text) // 3, 2 * len(text) // 3
        assert _spans(scanner.finditer(text, a, b)) == _spans(pattern.finditer(text, a, b))
        assert _spans([scanner.search(text, a)] if scanner.search(text, a) else []) == _spans(
            [pattern.search(text, a)] if pattern.search(text, a) else [])


@pytest.mark.parametrize("name", ["_QTY", "_CUES", "_DEADLINE", "_CUT"])
def test_scanner_matches_finditer_on_random_strings(name):
    pattern = getattr(targets, name)
    scanner = Scanner(pattern)
    rng = random.Random(7)
    alphabet = list("0123456789一二两三四五六十百千万亿元个家项%年月日到至确保力争已经了比上年同比截至目前“”《》，。；、 增长达到全年以来前第") + ["20", "2025年", "亿元"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert _spans(scanner.finditer(text)) == _spans(pattern.finditer(text)), text


def test_first_chars_looks_through_lookarounds_and_optional_items():
    cls = first_chars(re.compile(r"(?<!x)(?:ab|\d+c)|(?:q)?z"))
    assert cls is not None
    assert {c for c in "a5qz" if cls.match(c)} == set("a5qz") and not cls.match("b")


def test_first_two_chars_rejects_places_where_only_the_first_character_fits():
    from analysis.scan import first_two_chars

    cand = first_two_chars(re.compile(r"(?<!x)(?:ab|a\d)|c(?!d)|(?:q)?z\d{1,2}|年(?:来|内)"))
    assert cand is not None
    starts = {text for text in ("ab", "a5", "c", "cd", "z1", "qz", "年来", "年内") if cand.match(text)}
    assert starts == {"ab", "a5", "c", "cd", "z1", "qz", "年来", "年内"}  # look-arounds are looked through
    # (one class for all second characters: "zz" would pass, as z follows q in "qz")
    assert not any(cand.match(text) for text in ("ax", "a", "z", "z年", "年", "年底", "q"))


@pytest.mark.parametrize("pattern", [r"a*", r"[^a]b", r".b", r"(?i)ab", r"(a)?\1b", r"(?:x?)"])
def test_patterns_without_a_first_character_set_fall_back_to_finditer(pattern):
    p = re.compile(pattern)
    s = Scanner(p)
    assert s.candidates is None
    text = "aab xb Ab aa cb"
    assert _spans(s.finditer(text)) == _spans(p.finditer(text))


# --- longest_word_pattern: the trie form of a longest-first alternation of words -----


def _plain_alternation(words) -> re.Pattern:
    return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))


def test_longest_word_pattern_matches_the_plain_alternation():
    from analysis.gazetteer import load_gazetteer
    from analysis.scan import longest_word_pattern

    rng = random.Random(11)
    word_sets = [
        list(load_gazetteer().canonical),
        ["a", "ab", "abc", "abd", "b", "bcd", "c.d", "x+y", "潍坊", "潍坊高新区", "潍坊市", "高新区"],
        ["".join(rng.choice("abc") for _ in range(rng.randint(1, 4))) for _ in range(12)],
    ]
    for words in word_sets:
        plain, trie = _plain_alternation(words), longest_word_pattern(words)
        alphabet = sorted(set("".join(words))) + words + ["，", " "]
        for _ in range(2000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 15)))
            assert [m.span() for m in trie.finditer(text)] == [m.span() for m in plain.finditer(text)], text


def test_scanner_search_without_a_generator_matches_search():
    rng = random.Random(3)
    alphabet = list("达到实现完成为是至到超过这那其了由从增长下降0123亿元，")
    for name in ("_TRAIL", "_POST_STOP", "_CUT"):
        pattern = getattr(targets, name)
        scanner = Scanner(pattern)
        for _ in range(2000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
            a = rng.randint(0, len(text))
            b = rng.randint(a, len(text))
            got, want = scanner.search(text, a, b), pattern.search(text, a, b)
            assert (got and got.span()) == (want and want.span()), text


def test_a_condition_after_the_first_character_narrows_the_candidates_only():
    # Scanner(p, after_first=...): the condition holds wherever a match starts (here a
    # digit starts a match only before a dash), so the matches stay those of finditer.
    p = re.compile(r"\d+-\d+|年|万亿")
    s = Scanner(p, after_first=r"(?:(?<!\d)|(?=\d*-))")
    text = "2023年1-12月，3万亿，17-18年"
    assert [m.span() for m in s.finditer(text)] == [m.span() for m in p.finditer(text)]
    assert len(list(p.finditer(text))) == 5
    assert not s.candidates.match("20年")  # digits before no dash: no match call
    assert Scanner(p).candidates.match("20年")
