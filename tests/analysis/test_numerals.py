"""numerals.py reads what it reads exactly as cn2an does, and leaves the rest to it."""

from __future__ import annotations

import itertools
import subprocess
import sys
import warnings
from decimal import Decimal
from pathlib import Path

import pytest

from analysis import resources as R
from analysis.metadata import parse_date
from analysis.numerals import NotPlain, chinese_number, date_digits
from analysis.targets import number_value

cn2an = pytest.importorskip("cn2an")
ROOT = Path(__file__).resolve().parents[2]
ALPHABET = "零〇一二两三四五六七八九十廿百千万亿点"


def cn2an_value(s: str) -> Decimal | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return Decimal(str(cn2an.cn2an(s, "normal")))
        except (ValueError, KeyError, IndexError, TypeError):
            return None


@pytest.mark.parametrize("s, value", [
    ("十", 10), ("十五", 15), ("一十五", 15), ("二十", 20), ("两", 2), ("两千", 2000), ("一百零五", 105),
    ("三千零五十", 3050), ("一千零一十", 1010), ("一万零五", 10005), ("十一万", 110000), ("一万二千", 12000),
    ("三十万零八", 300008), ("九千九百九十九万九千九百九十九", 99999999), ("一亿", 10**8), ("十二亿", 12 * 10**8),
    ("一万亿", 10**12), ("零", 0), ("三十六点九", Decimal("36.9")), ("零点五", Decimal("0.5")),
])
def test_plain_numerals(s, value):
    assert chinese_number(s) == value == cn2an_value(s)


@pytest.mark.parametrize("s", ["一百五", "两万三", "二二", "廿八", "二百零", "点五", "五点", "两十", "零五", "零万", "一亿五", "万", ""])
def test_abbreviations_and_odd_forms_are_left_to_cn2an(s):
    # 一百五 is 150 and 两万三 23,000 to cn2an: a reader of plain forms would say 105 and 20,003.
    with pytest.raises(NotPlain):
        chinese_number(s)


def test_every_plain_reading_of_up_to_four_characters_is_cn2ans():
    # Every string of one to four numeral characters (137,560): where this module gives a
    # value, cn2an gives the same one. (Offline, five characters: 2.6 million, same.)
    read = 0
    for k in range(1, 5):
        for chars in itertools.product(ALPHABET, repeat=k):
            s = "".join(chars)
            try:
                value = chinese_number(s)
            except NotPlain:
                continue
            read += 1
            assert value == cn2an_value(s), s
    assert read > 3000


def test_every_number_as_cn2an_writes_it_is_read_plainly():
    for n in itertools.chain(range(0, 20_000), range(20_000, 10**8, 9_973), [10**8, 3 * 10**8, 10**9, 10**12]):
        assert chinese_number(cn2an.an2cn(n)) == n, n
    assert chinese_number(cn2an.an2cn("36.25")) == Decimal("36.25")


def test_dates_read_as_with_cn2an_transform():
    # parse_date read Chinese-numeral dates through cn2an.transform; date_digits gives the
    # same dates (all months and days of a few years, alone and inside a sentence).
    def by_cn2an(text: str) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            digits = cn2an.transform(text, "cn2an")
        return parse_date_of(digits)

    def parse_date_of(text: str) -> str:
        if (m := R.FULL_DATE.search(text)):
            return f"{int(m['y']):04d}-{int(m['m']):02d}-{int(m['d']):02d}"
        if m := R.YEAR_MONTH.search(text):
            return f"{int(m['y']):04d}-{int(m['m']):02d}"
        return ""

    to_cn = str.maketrans("0123456789", "〇一二三四五六七八九")
    for year in (1954, 1999, 2000, 2021, 2026):
        y = str(year).translate(to_cn)
        for month in range(1, 13):
            m = cn2an.an2cn(month)
            assert parse_date_of(date_digits(f"{y}年{m}月")) == by_cn2an(f"{y}年{m}月") == f"{year}-{month:02d}"
            for day in range(1, 32):
                for text in (f"{y}年{m}月{cn2an.an2cn(day)}日", f"会议于{y}年{m}月{cn2an.an2cn(day)}日在北京召开"):
                    assert parse_date_of(date_digits(text)) == by_cn2an(text) == f"{year}-{month:02d}-{day:02d}"


def test_a_circle_typed_for_zero_is_read_in_a_year():
    # 二○二一 (U+25CB, common in typed documents): cn2an made it 2○21, no date.
    assert parse_date("二○二一年四月二十三日") == "2021-04-23"
    assert parse_date("二〇二六年一月二十七日") == "2026-01-27"


def test_targets_read_plain_numerals_without_importing_cn2an():
    # Importing cn2an costs 0.1-0.2 s of a one-file rebuild's worker: plain numerals and
    # dates must not need it; an abbreviation still goes to it.
    code = (
        "import sys; from analysis.targets import number_value; from analysis.metadata import parse_date\n"
        "assert number_value('三十六点九') == __import__('decimal').Decimal('36.9') and number_value('十五') == 15\n"
        "assert parse_date('二〇二六年一月二十七日') == '2026-01-27'\n"
        "assert 'cn2an' not in sys.modules\n"
        "assert number_value('一百五') == 150 and 'cn2an' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_number_value_reads_traditional_point_and_arabic():
    assert number_value("三十六點九") == Decimal("36.9")
    assert number_value("1,350.97") == Decimal("1350.97")
    assert number_value("廿八") == 28  # through cn2an
