"""Chinese numerals as numbers, for the forms reports write, without importing cn2an.

cn2an is the maintained converter and stays the authority: every form read here is read
as cn2an reads it (tests/analysis/test_numerals.py compares the two on every string of up
to four numeral characters and on the numbers 0-99,999 written out), and anything else -
abbreviations (一百五 = 150, 两万三 = 23,000), digit strings (二二), 廿 - is left to it.
Importing cn2an costs 0.1-0.2 s (it compiles large patterns at import): a one-file rebuild's
worker or an upload paid that for the 三 of 三个百分点.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
# The digits after 点, one by one (two is 二 there, never 两).
FRACTION_DIGITS = {"零": "0", "〇": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}


class NotPlain(ValueError):
    """The numeral is not in the plain written-out form this module reads."""


def chinese_number(s: str) -> Decimal:
    """二十五 -> 25, 一百零五 -> 105, 三千零五十 -> 3050, 十一万 -> 110000, 一亿二千万 ->
    120000000, 三十六点九 -> 36.9. NotPlain for any other form (cn2an's to read)."""
    whole, dot, fraction = s.partition("点")
    if dot and not (whole and fraction and all(c in FRACTION_DIGITS for c in fraction)):
        raise NotPlain(s)
    value = Decimal(_whole(whole))
    if dot:
        value += Decimal("0." + "".join(FRACTION_DIGITS[c] for c in fraction))
    return value


def _whole(s: str) -> int:
    """A whole number: a number of 亿 (nothing after them), or sections of less than
    10,000 joined by 万."""
    high, yi, rest = s.partition("亿")
    if yi:
        if rest:  # 一亿五 is 150,000,000 to cn2an
            raise NotPlain(s)
        return _positive(_below_yi(high), s) * 10**8
    return _below_yi(s)


def _below_yi(s: str) -> int:
    high, wan, rest = s.partition("万")
    if wan:
        return _positive(_section(high, leading=True), s) * 10_000 + (_section(rest, leading=False) if rest else 0)
    return _section(s, leading=True)


def _positive(value: int, s: str) -> int:
    if value <= 0:  # 零万
        raise NotPlain(s)
    return value


def _section(s: str, *, leading: bool) -> int:
    """A number below 10,000 written out in full: digit-unit pairs from the highest unit
    down, a 零 for every gap (一百零五), none at the end. `leading`: the first section of
    the number, which may begin with a bare 十 (十五); a section after 万 is full
    (一万二千) or begins with the 零 of its gap (一万零五; 两万三 is 23,000 to cn2an)."""
    if not s:
        raise NotPlain(s)
    if leading and s in ("零", "〇"):
        return 0
    value, last, i, zero = 0, 10_000, 0, False
    while i < len(s):
        ch = s[i]
        if ch in "零〇":
            if zero or (leading and i == 0):  # 零零, or 零 before a number
                raise NotPlain(s)
            zero, i = True, i + 1
            continue
        if ch == "十" and i == 0 and leading:
            digit, unit, i = 1, 10, i + 1
        elif ch in DIGITS and i + 1 < len(s) and s[i + 1] in SMALL_UNITS:
            digit, unit, i = DIGITS[ch], SMALL_UNITS[s[i + 1]], i + 2
        elif ch in DIGITS and i + 1 == len(s):
            digit, unit, i = DIGITS[ch], 1, i + 1
        else:
            raise NotPlain(s)
        gap = unit * 10 < last and not (leading and value == 0)
        if unit >= last or gap != zero or digit == 0 or (ch == "两" and unit < 100 and s != "两"):
            # two units in the wrong order; a gap without its 零 (一百五 is 150 to cn2an)
            # or a 零 without a gap; 两 alone or before 百 and 千 (两十 is no number)
            raise NotPlain(s)
        value, last, zero = value + digit * unit, unit, False
    if zero:  # a trailing 零 (二百零)
        raise NotPlain(s)
    return value


@lru_cache(maxsize=8192)
def number_value(s: str) -> Decimal | None:
    """Decimal value of an Arabic ("1,350.97") or Chinese ("二十五", "十", "三十六点九") number."""
    try:
        if s[0].isdigit():
            return Decimal(s.replace(",", ""))
        s = s.replace("點", "点")
        try:
            return chinese_number(s)
        except NotPlain:  # an abbreviation (一百五), a digit string (二二), 廿: cn2an's to read
            import cn2an  # 0.1-0.2 s to import: only for those (see the module doc)

            return Decimal(str(cn2an.cn2an(s, "normal")))
    except (ValueError, InvalidOperation, KeyError, IndexError, TypeError):
        return None


CN_YEAR = re.compile(r"[〇○零一二三四五六七八九]{4}(?=\s*年)")
CN_MONTH_DAY = re.compile(r"[一二三四五六七八九十]{1,3}(?=\s*[月日号])")
_YEAR_DIGITS = str.maketrans("〇○零一二三四五六七八九", "000123456789")


def date_digits(text: str) -> str:
    """二〇二六年一月二十七日 -> 2026年1月27日: the year written digit by digit (○, the
    circle often typed for 〇, too), month and day as numbers; other numerals as they are."""
    text = CN_YEAR.sub(lambda m: m.group().translate(_YEAR_DIGITS), text)
    return CN_MONTH_DAY.sub(_month_day, text)


def _month_day(m: re.Match) -> str:
    try:
        return str(chinese_number(m.group()))
    except NotPlain:
        return m.group()
