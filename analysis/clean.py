"""Cleaners: pure `str -> str` functions, chained by `clean_text`.

Cleaning is lossless where it matters: it removes page furniture and layout debris,
never words of the report. Width normalisation for analysis is separate
(`analysis.normalize`) so the reader still shows the original characters.
"""

from __future__ import annotations

from typing import Callable, Iterable

from analysis import resources as R


def strip_control(text: str) -> str:
    """Unify line ends; drop zero-width characters, control characters and lone surrogates."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return R.CONTROL.sub("", R.ZERO_WIDTH.sub("", text))


def strip_line_edges(text: str) -> str:
    """Strip spaces (ASCII, full-width, no-break) at both ends of every line."""
    return "\n".join(line.strip(" \t\u3000\u00a0") for line in text.split("\n"))


def strip_web_furniture(text: str) -> str:
    """Drop whole lines that belong to a web page's frame (menus, font-size, share, accessibility)."""
    return "\n".join(line for line in text.split("\n") if not R.FURNITURE_LINE.match(line))


def strip_markdown_headings(text: str) -> str:
    """`### 强化党建引领促发展` -> `强化党建引领促发展`: keep the heading, drop the markup."""
    return "\n".join(R.MARKDOWN_HEADING.sub("", line) for line in text.split("\n"))


def rejoin_broken_lines(text: str) -> str:
    """Rejoin sentences that a page or column break cut in two, across blank lines.

    `产业升级项` / blank lines / `目,扮演好...` becomes `产业升级项目,扮演好...`. A line is
    continued only when it is prose that stops mid-sentence, and the next line is not
    a heading, a byline or a headline standing over a byline. The result has one
    paragraph per line and no blank lines.
    """
    lines = [line for line in text.split("\n") if line]
    out: list[str] = []
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if out and _continues(out[-1], line, following):
            out[-1] = _glue(out[-1], line)
        else:
            out.append(line)
    return "\n".join(out)


def _continues(prev: str, line: str, following: str) -> bool:
    if prev.endswith(tuple(R.TERMINAL)) or R.ENUMERATOR.match(line) or is_byline(prev):
        return False
    if is_byline(line) or is_reporter_line(line) or (is_title_like(line) and is_byline(following)):
        return False
    if R.ARTICLE_START.match(line):
        return False
    if prev.endswith(("，", ",", "、")):
        return True
    # A numbered heading (`一、2025年工作回顾`) stops without punctuation but is complete;
    # a numbered paragraph of prose (`一、提升工作站位，...全球最先`) is not.
    if R.ENUMERATOR.match(prev):
        return bool(R.SENTENCE_INSIDE.search(prev)) or len(prev) >= 40
    return bool(R.SENTENCE_INSIDE.search(prev) or R.CLAUSE_MARK.search(prev)) or len(prev) >= 40


def _glue(left: str, right: str) -> str:
    # Latin words broken across lines need their space back; Chinese does not.
    if left[-1:].isascii() and left[-1:].isalnum() and right[:1].isascii() and right[:1].isalnum():
        return f"{left} {right}"
    return left + right


def is_byline(line: str) -> bool:
    """`济宁高新控股集团党委书记 李兵`: a post ending in a position word, then a 2-4 character name."""
    m = R.BYLINE.match(line)
    return bool(m) and bool(R.POSITION_SUFFIX.search(m.group("role")))


def is_reporter_line(line: str) -> bool:
    return bool(R.REPORTER_LINE.match(line))


def is_title_like(line: str) -> bool:
    """A headline: short, and no sentence punctuation inside."""
    return 0 < len(line) <= 40 and not R.SENTENCE_INSIDE.search(line) and not line.endswith(("：", ":"))


Cleaner = Callable[[str], str]

DEFAULT_CLEANERS: tuple[Cleaner, ...] = (
    strip_control,
    strip_line_edges,
    strip_web_furniture,
    strip_markdown_headings,
    rejoin_broken_lines,
)


def clean_text(text: str, *, cleaners: Iterable[Cleaner] = DEFAULT_CLEANERS) -> str:
    """Run the cleaners in order; the default chain yields one paragraph per line."""
    for clean in cleaners:
        text = clean(text)
    return text
