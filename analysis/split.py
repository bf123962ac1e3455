"""Split a cleaned file (one paragraph per line) into reports.

A file often holds several articles: signed contributions (headline + byline), news
items (headline + 本报讯), a web article (title + 日期/来源 line) or a government work
report (title + meeting line + speaker line). Each start marker opens a report; the
headline just above it belongs to the new report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis import resources as R
from analysis.clean import is_byline, is_reporter_line, is_title_like


@dataclass
class ReportDraft:
    title: str = ""
    byline: str = ""  # "济宁高新控股集团党委书记 李兵"
    date_text: str = ""  # raw date phrase from a header line
    source: str = ""
    meeting: str = ""
    reporters: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)


def split_reports(text: str) -> list[ReportDraft]:
    """Reports found in cleaned text; a file with no start marker is one report."""
    lines = [line for line in text.split("\n") if line.strip()]
    markers = [_is_marker(line) for line in lines]  # asked again of every line by _draft
    starts = _start_lines(lines, markers)
    if not starts or starts[0] > 0:
        starts = [0, *starts]
    bounds = list(zip(starts, [*starts[1:], len(lines)]))
    drafts = [_draft(lines[a:b], markers[a:b]) for a, b in bounds]
    # A banner of short headlines over the first report (003's `比学赶超 / 再谱新篇`) is
    # page decoration, not a report; prose before the first marker is kept as a report.
    return [d for d in drafts if d.paragraphs]


def _start_lines(lines: list[str], markers: list[bool]) -> list[int]:
    starts: list[int] = []
    for i, line in enumerate(lines):
        if markers[i] or line.startswith("本报讯"):
            # The headline above the marker opens the report (two lines up for a
            # government report: title, then meeting line, then speaker).
            start = i - 1 if i > 0 and is_title_like(lines[i - 1]) else i
            if starts and start <= starts[-1] + _header_span(lines, starts[-1]):
                continue  # same header (meeting line followed by speaker line)
            starts.append(start)
    return starts


def _header_span(lines: list[str], start: int) -> int:
    """How many lines after `start` still belong to the header opened there."""
    span = 0
    for line in lines[start + 1 : start + 4]:
        if _is_meeting_line(line) or is_byline(line):
            span += 1
        else:
            break
    return span + 1


def _draft(lines: list[str], markers: list[bool]) -> ReportDraft:
    """The report of `lines`; `markers` tells which lines are `_is_marker`."""
    d = ReportDraft()
    at = 0  # the body is lines[at:]
    if len(lines) > 1 and is_title_like(lines[0]) and not markers[0] and markers[1]:
        d.title = lines[0]
        at = 1
    while at < len(lines) and markers[at]:
        _take_header(d, lines[at])
        at += 1
    body = lines[at:]
    if not d.title and body and not any(markers) and _is_headline(body):
        d.title = body.pop(0)
    body = _take_reporters(d, body)
    if not any(len(p) > 40 for p in body):
        return ReportDraft()  # a banner or fragment: no prose
    d.paragraphs = restore_column_order(body)
    return d


def _is_marker(line: str) -> bool:
    return is_byline(line) or bool(R.DATE_SOURCE_LINE.match(line)) or _is_meeting_line(line)


def _is_meeting_line(line: str) -> bool:
    """R.MEETING_LINE.match(line), for a line without line breaks: the pattern backtracks
    through its first 50 characters, tried only on lines ending as it does."""
    return line.endswith(R.MEETING_ENDS) and bool(R.MEETING_LINE.match(line))


def _is_headline(body: list[str]) -> bool:
    """A first line that is a headline for prose below: short, unpunctuated, not a section head."""
    first = body[0]
    return len(body) > 1 and is_title_like(first) and not R.ENUMERATOR.match(first) and len(body[1]) > 40


def _take_header(d: ReportDraft, line: str) -> None:
    if m := R.DATE_SOURCE_LINE.match(line):
        d.date_text, d.source = m.group("date"), m.group("source") or ""
    elif m := R.MEETING_LINE.match(line):
        d.date_text, d.meeting = m.group("date") or "", m.group("meeting")
    else:
        d.byline = line


def _take_reporters(d: ReportDraft, body: list[str]) -> list[str]:
    """Reporter credits: a trailing `本报记者 李蕊 邓超` line, or `(宋伟)` closing the last paragraph."""
    body = list(body)
    while body and is_reporter_line(body[-1]):
        d.reporters = _names(R.REPORTER_LINE.match(body.pop()).group("names")) + d.reporters
    if body and (m := R.REPORTER_TAIL.search(body[-1])) and body[-1][: m.start()].rstrip().endswith(tuple("。！？!?")):
        d.reporters = _names(m.group("names")) + d.reporters
        body[-1] = body[-1][: m.start()].rstrip()
    if body and body[0].startswith("本报讯"):
        body[0] = body[0][len("本报讯") :].lstrip()
    return body


def _names(text: str) -> list[str]:
    return [n for n in text.replace("、", " ").replace("，", " ").replace(",", " ").split() if n]


def restore_column_order(paragraphs: list[str]) -> list[str]:
    """Undo a newspaper column wrap that put the start of an article after its end.

    Seen in 003: the body begins mid-sentence (`学、专家学者辅助学...`) and the last
    paragraph stops mid-sentence (`...采取领导班子带头`), while the real opening (a dated
    `4月14日-15日，...` or `为学习借鉴...` paragraph) sits in the middle. Rotate so the
    opening comes first and glue the broken sentence back together.
    """
    if len(paragraphs) < 3 or paragraphs[-1].endswith(tuple(R.TERMINAL)) or _is_opening(paragraphs[0]):
        return paragraphs
    openings = [i for i, p in enumerate(paragraphs) if i > 0 and _is_opening(p)]
    if not openings:
        return paragraphs
    j = openings[-1]
    head, tail = paragraphs[j:], paragraphs[:j]
    if R.ENUMERATOR.match(tail[0]):
        return head + tail
    return head[:-1] + [head[-1] + tail[0]] + tail[1:]


def _is_opening(paragraph: str) -> bool:
    return bool(R.OPENING.match(paragraph))
