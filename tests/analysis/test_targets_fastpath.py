"""The fast path of targets.quantity_rows finds what the plain rule finds.

The plain rule: `[m for m in _QTY.finditer(work) if m["base"] or m["mult"]]` with _QTY as
written before its alternations were guarded by look-aheads, and `[\\d一...廿]` as the
has-a-number pre-check. `_unit_matches` searches with _QTY_UNIT instead, which only
matches where _QTY's match has a unit, and falls back to the plain rule where a match
without a unit could run over one with a unit (finditer's matches do not overlap).
"""

from __future__ import annotations

import random
import re

import pytest

from analysis import targets as T
from analysis.widths import width_forms


# _QTY as it was written before the look-ahead guards (git 9baa8aa).
PLAIN_QTY = re.compile(
    rf"(?P<num>{T._NUM_LEAD})"
    rf"(?:(?P<u1>%|(?:{T._MULT})?(?:{T._BASE}))?(?P<sep>-|—{{1,2}}|–|~|至|到)(?P<num2>{T._NUM}))?"
    rf"(?P<ap1>余|多)?(?P<mult>{T._MULT})?(?P<ap2>余|多)?(?P<base>{T._BASE})?"
    rf"(?P<post>{T._POST_HEDGE})?"
)
PLAIN_HAS_NUMBER = re.compile(r"[\d一二两三四五六七八九十廿]")

# Numbers without a unit right before or around numbers with one, numerals inside
# words, ranges, 余/多, multipliers, 百分之.
ALPHABET = list("0123456789٣０一二两三四五六七八九十廿百千万亿零〇点.,，、-—~至到%个元人家项次位年月以上下余多的长进步第这") + [
    "20", "2023年", "1,350", "亿元", "万人", "个百分点", "百分之", "进一步", "以上", "左右", "𝟓",
]


def _sig(matches) -> list[tuple]:
    return [(m.span(), m.groups()) for m in matches]


def _plain(work: str) -> list[re.Match]:
    return [m for m in PLAIN_QTY.finditer(work) if m["base"] or m["mult"]]


def _random_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 25))) for _ in range(n)]


# (text, rows as (value, unit, span), spans of the matches with a unit)
TRICKY = [
    ("一二三四五个", [], [(0, 6)]),  # a run of numerals is one number; 一二 is a vague pair
    ("2023年56%", [(56.0, "%", "56%")], [(5, 8)]),  # 年 may be in a match (元/年): the plain rule from 2023
    ("第一三十亿元", [], [(1, 6)]),  # a rank
    ("进一步增长20%", [(20.0, "%", "20%")], [(5, 8)]),  # 一 without a unit, then a number with one
    ("1.5万亿元", [(1.5, "万亿元", "1.5万亿元")], [(0, 6)]),
    ("三四个", [], [(0, 3)]),  # an approximate range
    ("百分之二十", [(20.0, "%", "百分之二十")], []),  # _PCT_CN's, and 二十 has no unit
    ("12.3,456个", [(456.0, "个", "456个")], [(5, 9)]),  # 12.3 runs over 3,456个, which has a unit
    ("2023.5.6个", [], [(7, 9)]),  # 2023.5 runs over 5.6个; 6个 follows a "."
    ("5%至6年", [], []),  # not 5%: _QTY's match there is 5%至6, without a unit
    ("力争5%至6%", [(5.0, "%", "5%至6%")], [(2, 7)]),
    ("1,2345个", [(2345.0, "个", "2345个")], [(2, 7)]),
    ("上一年一次性增收", [], [(3, 5)]),  # 一次 after 一年: the plain rule from 一
    ("二〇二三年五十家企业", [(50.0, "家", "五十家")], [(5, 8)]),
    ("一九八五年二十九个省", [(29.0, "个", "二十九个")], [(5, 9)]),
    ("约30余万人以上", [(30.0, "万人", "30余万人")], [(1, 8)]),
    ("增长20%—30%", [(20.0, "%", "20%—30%")], [(2, 9)]),
    ("2025年力争达到百分之三十以上", [(30.0, "%", "百分之三十")], []),
]


@pytest.mark.parametrize(("text", "rows", "spans"), TRICKY)
def test_tricky_inputs(text, rows, spans, monkeypatch):
    assert [m.span() for m in T._unit_matches(text)] == spans
    assert _sig(T._unit_matches(text)) == _sig(_plain(text))
    got = T.quantity_rows(text)
    assert [(r[5], r[7], r[3]) for r in got] == rows
    monkeypatch.setattr(T, "_unit_matches", _plain)
    monkeypatch.setattr(T, "_HAS_NUMBER", PLAIN_HAS_NUMBER)
    assert T.quantity_rows(text) == got


def test_unit_matches_are_the_plain_rule_on_random_strings(monkeypatch):
    fallbacks = []
    real = T._QTY

    class Counting:  # counts the fallbacks to the plain rule, so that they are tested too
        def finditer(self, *args):
            fallbacks.append(args)
            return real.finditer(*args)

    monkeypatch.setattr(T, "_QTY", Counting())
    for text in _random_texts(6000, 11):
        assert _sig(T._unit_matches(text)) == _sig(_plain(text)), text
    assert len(fallbacks) > 100


def test_qty_unit_matches_where_qty_has_a_unit():
    for text in _random_texts(1500, 12):
        for i in range(len(text)):
            plain = PLAIN_QTY.match(text, i)
            want = plain if plain and (plain["base"] or plain["mult"]) else None
            assert _sig(filter(None, [T._QTY_UNIT.match(text, i)])) == _sig(filter(None, [want])), (text, i)


def test_guarded_qty_is_the_plain_pattern(seed_lines):
    for text in _random_texts(3000, 13) + [width_forms(p)[1] for p in seed_lines]:
        assert _sig(T._QTY.finditer(text)) == _sig(PLAIN_QTY.finditer(text)), text


def test_qty_chars_hold_every_character_of_a_match():
    for text in _random_texts(3000, 14):
        for m in PLAIN_QTY.finditer(text):
            assert all(ch in T._QTY_CHARS or ch.isdecimal() for ch in m.group()), m.group()


def test_num_start_is_num_first_on_every_character():
    every = "".join(map(chr, range(0x110000)))
    assert re.findall(T._NUM_START, every) == re.findall(T._NUM_FIRST, every)
    assert re.findall(T._HAS_NUMBER, every) == PLAIN_HAS_NUMBER.findall(every)


def test_rows_on_the_seeds_are_the_plain_rule_rows(monkeypatch, seed_lines):
    texts = seed_lines
    fast = [T.quantity_rows(t) for t in texts]
    assert sum(map(len, fast)) > 50
    for t in texts:
        work = width_forms(t)[1]
        assert _sig(T._unit_matches(work)) == _sig(_plain(work))
    monkeypatch.setattr(T, "_unit_matches", _plain)
    monkeypatch.setattr(T, "_HAS_NUMBER", PLAIN_HAS_NUMBER)
    assert [T.quantity_rows(t) for t in texts] == fast
