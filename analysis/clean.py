"""Cleaners: pure `str -> str` functions, chained by `clean_text`.

Cleaning is lossless where it matters: it removes page furniture and layout debris,
never words of the report. Width normalisation for analysis is separate
(`analysis.normalize`) so the reader still shows the original characters.
"""

from __future__ import annotations

import re
from itertools import filterfalse, repeat
from typing import Callable, Iterable

from analysis import resources as R


# No real paragraph is this long (the longest in 31 provincial work reports and the seeds
# has 1,541 characters). Longer lines are a whole report without line breaks or a PDF with
# no paragraph ends; they are cut (and never glued back) so that per-paragraph work and
# memory downstream stay bounded.
MAX_PARAGRAPH = 5000
_SENTENCE_ENDS = "。！？!?；;…"
_CLAUSE_ENDS = "，,、：:"
_CLOSERS = "”’」』）)"


def split_runaway_lines(text: str) -> str:
    """Cut lines longer than MAX_PARAGRAPH characters into pieces of at most that length.

    A piece ends after the last sentence end in the second half of its window (with the
    closing quote or bracket that follows it), else after the last clause mark, else at
    the limit. Lines of normal length are left exactly as they are.
    """
    lines = text.split("\n") if len(text) > MAX_PARAGRAPH else []
    if not lines or max(map(len, lines)) <= MAX_PARAGRAPH:
        return text
    out: list[str] = []
    for line in lines:
        start = 0
        while len(line) - start > MAX_PARAGRAPH:
            cut = _runaway_cut(line, start)
            out.append(line[start:cut])
            start = cut
        out.append(line[start:])
    return "\n".join(out)


def _runaway_cut(line: str, start: int) -> int:
    lo, hi = start + MAX_PARAGRAPH // 2, start + MAX_PARAGRAPH
    for marks in (_SENTENCE_ENDS, _CLAUSE_ENDS):
        at = max(line.rfind(c, lo, hi) for c in marks)
        if at >= 0:
            cut = at + 1
            while cut < hi and line[cut] in _CLOSERS:
                cut += 1
            return cut
    return hi


# Zero-width and control characters dropped in one pass: deleting the characters of two
# sets one after the other or at once leaves the same text.
_DROPPED = R.union_of_classes(R.ZERO_WIDTH, R.CONTROL)


def strip_control(text: str) -> str:
    """Unify line ends; drop zero-width characters, control characters and lone surrogates."""
    if "\r" in text:  # a search in C; the replacements copy the text
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _DROPPED.sub("", text)


_EDGES = " \t\u3000\u00a0"


def strip_line_edges(text: str) -> str:
    """Strip spaces (ASCII, full-width, no-break) at both ends of every line."""
    return "\n".join(_strip_edges(text.split("\n")))


def _strip_edges(lines: list[str]) -> list[str]:
    return list(map(str.strip, lines, repeat(_EDGES)))


def strip_web_furniture(text: str) -> str:
    """Drop whole lines that belong to a web page's frame (menus, font-size, share, accessibility)."""
    return "\n".join(_drop_furniture(text.split("\n"), text))


def _drop_furniture(lines: list[str], text: str) -> list[str]:
    """The `lines` that are not furniture (R.FURNITURE_LINE), judged in two steps: every
    line by R.FURNITURE_UNMARKED, in C; then, only if `text` (which holds every line)
    holds a furniture mark at all, the lines left that hold one by R.FURNITURE_MARKED."""
    kept = list(filterfalse(R.FURNITURE_UNMARKED.match, lines))
    if any(mark in text for mark in R.FURNITURE_MARKS):
        kept = list(filterfalse(_is_marked_furniture, kept))
    return kept


def _is_marked_furniture(line: str) -> bool:
    for mark in R.FURNITURE_MARKS:
        if mark in line:
            return bool(R.FURNITURE_MARKED.match(line))
    return False


def strip_markdown_headings(text: str) -> str:
    """`### 强化党建引领促发展` -> `强化党建引领促发展`: keep the heading, drop the markup."""
    if "#" not in text:  # the common case: no line to change
        return text
    return "\n".join(_strip_headings(text.split("\n")))


def _strip_headings(lines: list[str]) -> list[str]:
    # R.MARKDOWN_HEADING is anchored at a "#": other lines are kept without a call.
    return [R.MARKDOWN_HEADING.sub("", line) if line.startswith("#") else line for line in lines]


def rejoin_broken_lines(text: str) -> str:
    """Rejoin sentences that a page or column break cut in two, across blank lines.

    `产业升级项` / blank lines / `目,扮演好...` becomes `产业升级项目,扮演好...`. A line is
    continued only when it is prose that stops mid-sentence, and the next line is not
    a heading, a byline or a headline standing over a byline. The result has one
    paragraph per line and no blank lines.

    Runs in linear time: a paragraph glued from thousands of lines (a PDF with no
    sentence end for pages) is collected as pieces and joined once.
    """
    return _rejoin(text.split("\n"))


_TERMINAL = tuple(R.TERMINAL)


def _rejoin(lines: list[str]) -> str:
    """`rejoin_broken_lines` of the text made of `lines`."""
    lines = list(filter(None, lines))
    out: list[str | _Glued] = []  # a paragraph stays a plain line until a line may continue it
    for i, line in enumerate(lines):
        # After a line that ends its sentence a paragraph always starts (most lines): that
        # is decided without the state `_continues` asks of the paragraph above.
        if i and not lines[i - 1].endswith(_TERMINAL):
            prev = out[-1]
            if isinstance(prev, str):
                prev = out[-1] = _Glued(prev)
            following = lines[i + 1] if i + 1 < len(lines) else ""
            if _fits(prev, line) and _continues(prev, line, following) and not _makes_furniture(prev, line):
                prev.add(line)
                continue
        out.append(line)
    return "\n".join(map(str, out))


# Lines longer than this are never bylines, reporter credits or page furniture (all are
# short), so a growing paragraph needs only its first _HEAD characters for those checks.
_HEAD = 256


class _Glued:
    """One output paragraph being glued together from lines, with what `_continues` asks of it."""

    __slots__ = ("pieces", "length", "head", "last", "sentence", "clause")

    def __init__(self, line: str):
        self.pieces = [line]
        self.length = len(line)
        self.head = line[:_HEAD]  # the whole paragraph while it is short
        self.last = line
        self.sentence = bool(R.SENTENCE_INSIDE.search(line))
        self.clause = bool(R.CLAUSE_MARK.search(line))

    def add(self, line: str) -> None:
        sep = _glue_sep(self.last, line)
        self.pieces += [sep, line]
        self.length += len(sep) + len(line)
        if len(self.head) < _HEAD:
            self.head = (self.head + sep + line)[:_HEAD]
        self.last = line
        self.sentence = self.sentence or bool(R.SENTENCE_INSIDE.search(line))
        self.clause = self.clause or bool(R.CLAUSE_MARK.search(line))

    @property
    def short(self) -> str:
        """The whole paragraph if it is short enough to be a byline or furniture, else ""."""
        return self.head if self.length <= _HEAD else ""

    def __str__(self) -> str:
        return "".join(self.pieces)


def _fits(prev: _Glued, line: str) -> bool:
    """Gluing never makes a paragraph longer than MAX_PARAGRAPH (see split_runaway_lines)."""
    return prev.length + len(_glue_sep(prev.last, line)) + len(line) <= MAX_PARAGRAPH


def _continues(prev: _Glued, line: str, following: str) -> bool:
    """Does `line` continue `prev`, whose last line does not end with R.TERMINAL?"""
    if R.ENUMERATOR.match(line):
        return False
    if is_byline(prev.short) or is_reporter_line(prev.short):
        return False
    if is_byline(line) or is_reporter_line(line) or (is_title_like(line) and is_byline(following)):
        return False
    if R.ARTICLE_START.match(line):
        return False
    if prev.last.endswith(("，", ",", "、")):
        return True
    # A headline over the article's opening (关于赴苏州工业园区、昆山高新区考察学习的报告 /
    # 为学习借鉴先进地区发展经验，...): the opening starts a paragraph of its own.
    if len(prev.pieces) == 1 and is_title_like(prev.last) and R.OPENING.match(line):
        return False
    # A numbered heading (`一、2025年工作回顾`) stops without punctuation but is complete;
    # a numbered paragraph of prose (`一、提升工作站位，...全球最先`) is not.
    if R.ENUMERATOR.match(prev.head):
        return prev.sentence or prev.length >= 40
    return prev.sentence or prev.clause or prev.length >= 40


def _makes_furniture(prev: _Glued, line: str) -> bool:
    """Would gluing make a line that `strip_web_furniture` drops (`...，【打` + `印】`)?

    Then the lines stay apart, so cleaning a second time changes nothing and no prose is
    lost with the furniture. Furniture is judged on the first R.FURNITURE_MAX characters
    only: the answer cannot change when more is glued on later, and the check stays cheap.
    """
    if prev.length >= R.FURNITURE_MAX:
        return False
    glued = (prev.head + _glue_sep(prev.last, line) + line)[: R.FURNITURE_MAX]
    return bool(R.FURNITURE_LINE.match(glued))


def _glue_sep(left: str, right: str) -> str:
    # Latin words broken across lines need their space back; Chinese does not.
    if left[-1:].isascii() and left[-1:].isalnum() and right[:1].isascii() and right[:1].isalnum():
        return " "
    return ""


_SPACE = re.compile(r"\s")


def is_byline(line: str) -> bool:
    """`济宁高新控股集团党委书记 李兵`: a post ending in a position word, then a 2-4 character name."""
    if len(line) > _HEAD:
        return False
    # R.BYLINE ends with a name, which ends with an ideograph (`$` also matches before a
    # final line break): most lines end with punctuation and are no byline.
    if not ("\u4e00" <= line[-1:] <= "\u9fff" or line.endswith("\n")):
        return False
    # R.BYLINE's role (3-60 characters, none a space) ends at a space: a line with no
    # space there is no byline, found without trying every length of the role.
    if not _SPACE.search(line, 3, 61):
        return False
    m = R.BYLINE.match(line)
    return bool(m) and bool(R.POSITION_SUFFIX.search(m.group("role")))


def is_reporter_line(line: str) -> bool:
    """`本报记者 李蕊 邓超`: a credit line (never more than a short line)."""
    return len(line) <= _HEAD and bool(R.REPORTER_LINE.match(line))


def is_title_like(line: str) -> bool:
    """A headline: short, and no sentence punctuation inside."""
    return 0 < len(line) <= 40 and not R.SENTENCE_INSIDE.search(line) and not line.endswith(("：", ":"))


Cleaner = Callable[[str], str]

DEFAULT_CLEANERS: tuple[Cleaner, ...] = (
    split_runaway_lines,  # first: every later cleaner keeps lines within MAX_PARAGRAPH
    strip_control,
    strip_line_edges,
    strip_markdown_headings,  # before furniture: `## 打印` is furniture once unmarked
    strip_web_furniture,
    rejoin_broken_lines,
)


def clean_text(text: str, *, cleaners: Iterable[Cleaner] = DEFAULT_CLEANERS) -> str:
    """Run the cleaners in order; the default chain yields one paragraph per line."""
    if cleaners is DEFAULT_CLEANERS:
        return _default_chain(text)
    for clean in cleaners:
        text = clean(text)
    return text


def _default_chain(text: str) -> str:
    """What DEFAULT_CLEANERS make of `text`, with the text split into lines once: the last
    four cleaners each split it and joined it again (tests/analysis/test_clean.py)."""
    text = strip_control(split_runaway_lines(text))
    lines = _strip_edges(text.split("\n"))
    if "#" in text:
        lines = _strip_headings(lines)
    return _rejoin(_drop_furniture(lines, text))
