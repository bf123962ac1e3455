"""Width normalisation of a whole report in one vectorised pass.

`analysis.normalize.normalize_width` maps full-width ASCII (U+FF01..U+FF5E) to ASCII and
the ideographic space to a space with `str.translate`, which looks every character up
in a dict: about 80 ns a character, paid twice per paragraph (segmentation and target
extraction each normalised their own copy). `width_forms` gives both forms of a text
from one numpy pass over its UTF-32 code units:

- `norm`: exactly `normalize_width(text)` (what the segmenter reads);
- `work`: exactly `normalize_width(text.replace("，", "\\ue000")).replace("\\ue000", "，")`,
  the form `targets.extract_quantities` works on (the full-width clause comma is kept
  apart from the ASCII thousands separator; a private-use U+E000 in the input comes
  out as "，" there, as it always did), except that a full-width comma between a digit
  and exactly three digits is a thousands separator, "," (粮食产量33，212万吨 in the 1980
  report, ２７，２０３，３１９，０００元 in 1956: read as 212万吨 and 0元 before).

Both are length-preserving, so offsets into the joined report text slice every
paragraph's forms out of one call (tests/analysis/test_widths.py).

Given a `Simplifier` (dictionaries/traditional.txt), both forms of a text written in
traditional characters also read them as simplified ones (經濟 -> 经济), in the same
pass: one lookup per code unit.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

_FW_FIRST, _FW_LAST = 0xFF01, 0xFF5E
_SHIFT = 0xFEE0
_IDEO_SPACE = 0x3000
_FW_COMMA = 0xFF0C
_PRIVATE = 0xE000


# A text is read as traditional when it holds this many distinct characters of the table:
# the 1954 report holds hundreds, the 1957 one (written as the 1956 reform came in) dozens,
# while a simplified report uses one or two of them in names, which stay as written
# (昇腾, 濛溪河 in the 2026 provincial reports).
MIN_TRADITIONAL = 8


class Simplifier(NamedTuple):
    """Traditional characters and their simplified forms, position for position: plain
    strings, so that it pickles in a few kilobytes (the lookup array, 4 MB, is made once
    per process by `_table`)."""

    traditional: str
    simplified: str


def read_simplifier(path: Path) -> Simplifier | None:
    """The "traditional<TAB>simplified" pairs of `path`; None when it is missing or holds
    none. A line that is not one character to one character is an error naming it."""
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        return None
    traditional, simplified = [], []
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or len(parts[0]) != 1 or len(parts[1]) != 1:
            raise ValueError(f"{Path(path).name} line {n}: expected one character, a tab, one character: {line!r}")
        traditional.append(parts[0])
        simplified.append(parts[1])
    return Simplifier("".join(traditional), "".join(simplified)) if traditional else None


@lru_cache(maxsize=4)
def _table(simplifier: Simplifier) -> np.ndarray:
    table = np.arange(0x110000, dtype=np.uint32)
    table[[ord(c) for c in simplifier.traditional]] = [ord(c) for c in simplifier.simplified]
    return table


def width_forms(text: str, simplifier: Simplifier | None = None) -> tuple[str, str]:
    """(norm, work) of `text`; see the module doc."""
    return width_forms_script(text, simplifier)[:2]


def width_forms_script(text: str, simplifier: Simplifier | None = None) -> tuple[str, str, bool]:
    """(norm, work, whether `text` was read as traditional characters) in one pass."""
    if not text or text.isascii():
        return text, text, False
    code = _codes(text)
    full = (code - _FW_FIRST) < (_FW_LAST - _FW_FIRST + 1)  # unsigned: also false below the block
    space = code == _IDEO_SPACE
    private = code == _PRIVATE
    norm, simplified = None, False
    if simplifier is not None:
        norm = _table(simplifier)[code]  # a new array
        simplified = _traditional(code, norm)
    if not (full.any() or space.any() or private.any() or simplified):
        return text, text, False
    if not simplified:
        norm = code.copy()
    norm[full] -= _SHIFT
    norm[space] = 0x20
    work = norm.copy()
    commas = np.flatnonzero(code == _FW_COMMA)
    work[commas] = _FW_COMMA
    work[private] = _FW_COMMA
    work[_thousands(work, commas)] = ord(",")
    return _decode(norm), _decode(work), simplified


def _thousands(work: np.ndarray, commas: np.ndarray) -> np.ndarray:
    """The full-width commas (at `commas`) that separate thousands in `work`: a digit
    before, three after, and no fourth."""
    n = len(work)
    c = commas[(commas >= 1) & (commas + 3 < n)]
    if not len(c):
        return c

    def digit(at: np.ndarray) -> np.ndarray:
        return (work[at] - 0x30) < 10  # unsigned: also false below "0"

    ok = digit(c - 1) & digit(c + 1) & digit(c + 2) & digit(c + 3)
    fourth = c + 4
    ok &= (fourth >= n) | ~digit(np.minimum(fourth, n - 1))
    return c[ok]


def wide_share(text: str) -> float:
    """The share of `text`'s characters from U+2E80 on: CJK ideographs and punctuation,
    full-width forms (not Latin, accented or not)."""
    if not text:
        return 0.0
    code = _codes(text)
    return float(np.count_nonzero(code >= 0x2E80)) / len(code)


def simplify(text: str, simplifier: Simplifier) -> str:
    """`text` with every traditional character of the table simplified, whatever their
    number (a paragraph of a report `width_forms_script` read as traditional); same length."""
    if not text or text.isascii():
        return text
    return _decode(_table(simplifier)[_codes(text)])


def _traditional(code: np.ndarray, mapped: np.ndarray) -> bool:
    changed = code[mapped != code]
    return len(changed) >= MIN_TRADITIONAL and len(np.unique(changed)) >= MIN_TRADITIONAL


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _decode(code: np.ndarray) -> str:
    return code.tobytes().decode("utf-32-le", "surrogatepass")
