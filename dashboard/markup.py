"""Safe Markdown for report text: escape everything, then add our own highlight markup.

No report text, title, speaker name or file name is ever rendered as HTML. Text goes
to `st.markdown` (which never renders raw HTML unless `unsafe_allow_html` is set;
we never set it) and is escaped here first, so a `<script>` tag, `**bold**`, a
`[link](javascript:...)`, `$math$` or a `:material/icon:` directive in a report
shows up as the literal characters it is made of.

Highlights are Streamlit's text directives, e.g. `:orange-background[30亿元]`, put
around text that has itself been escaped. Directives are used rather than `**`
because CommonMark's emphasis rules depend on the characters next to the
delimiters, which in Chinese text (and next to escaped punctuation) is fragile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

# Every ASCII punctuation character CommonMark lets us escape with a backslash, minus
# none: escaping one that is not special is harmless ("\," renders ","). Covers
# emphasis (*_), code (`), links/images ([]()!), headings (#), lists (-+.), quotes (>),
# tables (|), strikethrough (~), math ($), Streamlit directives and emoji (:), HTML and
# entities (<>&), setext headings (=), and the backslash itself.
_SPECIALS = frozenset("\\`*_{}[]()#+-.!|~<>$:&=\"'^%@/?;,")
_ESCAPE = {ord(c): "\\" + c for c in _SPECIALS}
_WS_RUN = re.compile(r"[ \t\u3000]+")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")

# Streamlit colour directive and boldness of each highlight kind (see module doc). Bold
# inside a directive is safe: the brackets around it are punctuation, so CommonMark's
# flanking rules always let `**` open and close there.
STYLES = {
    "target": ("orange-background", True),
    "term": ("orange-background", True),
    "keyword": ("blue-background", False),
    "evidence": ("green-background", False),
}


def escape_markdown(text: object) -> str:
    """Escape `text` so Markdown renders it literally, on one or more lines.

    Every Markdown / HTML special is backslash-escaped (CommonMark treats a
    backslash before any ASCII punctuation as "this character, literally", and an
    escaped `<` or `&` can start neither a tag nor an entity). Runs of spaces and
    tabs collapse to one space and lines are stripped, so indentation never turns
    into a code block; line breaks become Markdown hard breaks.
    """
    if text is None:
        return ""
    s = str(text)
    lines = [_WS_RUN.sub(" ", line).strip() for line in _LINE_BREAKS.split(s)]
    return "  \n".join(line.translate(_ESCAPE) for line in lines)


def escape_inline(text: object) -> str:
    """Escape for a single line (line breaks become spaces): labels, captions, metadata."""
    if text is None:
        return ""
    return _escape_segment(str(text)).strip()


def _escape_segment(s: str) -> str:
    """Escape a piece of one line without trimming it (spaces next to a highlight stay)."""
    return _WS_RUN.sub(" ", _LINE_BREAKS.sub(" ", s)).translate(_ESCAPE)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    style: str  # a key of STYLES, or a raw Streamlit colour directive name


def find_all(text: str, needle: str) -> list[tuple[int, int]]:
    """Non-overlapping occurrences of `needle` in `text`, left to right."""
    if not needle:
        return []
    out, pos = [], 0
    while True:
        i = text.find(needle, pos)
        if i < 0:
            return out
        out.append((i, i + len(needle)))
        pos = i + len(needle)


def term_spans(text: str, terms: Iterable[str], style: str) -> list[Span]:
    """Spans of every occurrence of each term (longer terms first, so 科技创新 beats 科技)."""
    spans: list[Span] = []
    for term in sorted({t for t in terms if t}, key=len, reverse=True):
        spans += [Span(s, e, style) for s, e in find_all(text, term)]
    return spans


def highlight(text: str, spans: Iterable[Span]) -> str:
    """Escaped Markdown of `text` with each span wrapped in its colour directive.

    Spans may overlap: the earlier one in `spans` wins (pass the most important
    kind first), a later span overlapping an already taken character is dropped.
    Offsets outside the text are clipped.
    """
    text = "" if text is None else str(text)
    n = len(text)
    taken = [False] * n
    chosen: list[Span] = []
    for sp in spans:
        s, e = max(0, sp.start), min(n, sp.end)
        if s >= e or any(taken[s:e]):
            continue
        for i in range(s, e):
            taken[i] = True
        chosen.append(Span(s, e, sp.style))
    chosen.sort(key=lambda sp: sp.start)
    out, pos = [], 0
    for sp in chosen:
        out.append(_escape_segment(text[pos:sp.start]))
        directive, bold = STYLES.get(sp.style, (sp.style, False))
        inner = _escape_segment(text[sp.start:sp.end])
        out.append(f":{directive}[**{inner}**]" if bold and inner.strip() else f":{directive}[{inner}]")
        pos = sp.end
    out.append(_escape_segment(text[pos:]))
    return "".join(out).strip()


def highlight_terms(text: str, terms: Iterable[str], style: str = "term") -> str:
    """Escaped Markdown of `text` with every occurrence of the terms highlighted."""
    return highlight(text, term_spans(text, terms, style))
