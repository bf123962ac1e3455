"""Report metadata read from the text itself: nothing is guessed from outside knowledge.

Speaker, position and organisation come from the byline (or a government report's
speaker line); the home district from the byline, title and text through the
gazetteer; benchmarked districts from sentences with a learning cue (对标, 考察学习,
学习借鉴 ...); the date from header lines, else from what the file says of itself (a web
page's publication tag, a date in its name: `file_dates`); paragraph speakers from
`毕志伟指出，...`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Iterator

from analysis import resources as R
from analysis.gazetteer import Gazetteer, Mention
from analysis.scan import first_chars
from analysis.sentences import sentence_spans
from analysis.split import ReportDraft
from analysis.numerals import date_digits, number_value


@dataclass
class ReportMeta:
    speaker: str = ""
    position: str = ""
    organization: str = ""
    district: str = ""
    benchmarks: list[str] = field(default_factory=list)
    date: str = ""
    date_source: str = ""  # one of DATE_SOURCES, "" without a date
    paragraph_speakers: list[str] = field(default_factory=list)
    # paragraph_mentions of the report, for the benchmarks table (not a report column)
    mentions: list[list[Mention]] = field(default_factory=list, repr=False, compare=False)


def report_metadata(draft: ReportDraft, gazetteer: Gazetteer) -> ReportMeta:
    meta = ReportMeta()
    if draft.byline:
        meta.speaker, meta.position, meta.organization = parse_byline(draft.byline)
    meta.date = parse_date(draft.date_text)
    meta.date_source = "text" if meta.date else ""
    meta.mentions = mentions = paragraph_mentions(draft.paragraphs, gazetteer)
    meta.district = home_district(draft, meta.organization, gazetteer, mentions)
    meta.benchmarks = benchmarked_districts(draft.paragraphs, gazetteer, exclude=meta.district, mentions=mentions)
    meta.paragraph_speakers = paragraph_speakers(draft.paragraphs, meta.speaker)
    return meta


def parse_byline(byline: str) -> tuple[str, str, str]:
    """`济宁高新控股集团党委书记 李兵` -> (李兵, 党委书记, 济宁高新控股集团)."""
    m = R.BYLINE.match(byline)
    if not m:
        return "", "", ""
    role = m.group("role").replace("\u3000", "")
    name = re.sub(r"[\s\u3000]", "", m.group("name"))
    first = R.POSITION_WORD.search(role)
    if not first:
        return name, role, ""
    return name, role[first.start() :], role[: first.start()]


def parse_date(text: str) -> str:
    """ISO date from a header phrase; a date without a year stays empty (never guessed)."""
    if R.CN_DIGIT.search(text):
        text = date_digits(text)  # 二〇二六年一月二十七日 -> 2026年1月27日
    if (m := R.FULL_DATE.search(text)) and (iso := _iso(int(m["y"]), int(m["m"]), int(m["d"]))):
        return iso
    if m := R.YEAR_MONTH.search(text):
        return f"{int(m['y']):04d}-{int(m['m']):02d}"
    return ""


# Where a report's date comes from, most trusted first: a dated header or meeting line of
# its own text; the publication date in the head of the web page it was saved from; a
# date in the file's name (national_1954.txt); the year its text says it is in.
DATE_SOURCES = ("text", "page", "file_name", "stated_year")


def file_dates(metas: list[ReportMeta], *, page_date: str = "", source_file: str = "", this_year: int,
               drafts: list[ReportDraft] | None = None) -> None:
    """Date the reports of one file that have no date of their own: from the page's
    publication date, else from the file's name or folder (`name_date`), else from the
    year the report's text says it is in (`stated_year`, with `drafts`)."""
    for date, source in ((page_date, "page"), (name_date(source_file, this_year=this_year), "file_name")):
        if date:
            for meta in metas:
                if not meta.date:
                    meta.date, meta.date_source = date, source
            return
    for draft, meta in zip(drafts or [], metas):
        if not meta.date and (year := stated_year(draft.paragraphs, this_year=this_year)):
            meta.date, meta.date_source = str(year), "stated_year"


def name_date(source_file: str, *, this_year: int) -> str:
    """The date a file's name holds, else the folder it is in (reports/2019/a.docx), as
    ISO (YYYY-MM-DD, YYYY-MM or YYYY); "" when the nearest name with a date holds more
    than one (2020-2021总结), or one after `this_year` (2035远景目标 is a plan)."""
    parts = [p for p in re.split(r"[\\/]", source_file) if p]
    if parts:
        parts[-1] = parts[-1].rsplit(".", 1)[0]
    for part in reversed(parts):
        found = set()
        for m in R.FILE_NAME_DATE.finditer(part):
            y, mo, d = (m["y"] or m["cy"] or m["my"] or m["yy"]), (m["m"] or m["cm"] or m["mm"]), (m["d"] or m["cd"])
            iso = _iso(int(y), int(mo) if mo else None, int(d) if d else None)
            if not iso or int(y) > this_year:
                return ""
            found.add(iso)
        if found:
            return found.pop() if len(found) == 1 else ""
    return ""


def _iso(y: int, mo: int | None, d: int | None) -> str:
    """ISO form of a (possibly partial) date; "" if the month or day cannot be."""
    if mo is None:
        return f"{y:04d}"
    if not 1 <= mo <= 12:
        return ""
    if d is None:
        return f"{y:04d}-{mo:02d}"
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= d <= 31 else ""


def stated_year(paragraphs: list[str], *, this_year: int) -> int | None:
    """The year a report says it is written in ("今年是“十四五”规划开局之年" -> 2021,
    "今年是新中国成立70周年" -> 2019, "今年是全面贯彻党的十九大精神的开局之年" -> 2018);
    None when it says none, or two different ones, or one after `this_year`."""
    years = set()
    for para in paragraphs:
        for m in R.THIS_YEAR_IS.finditer(para):
            year = _year_of(m["what"])
            if year is not None:
                years.add(year)
    if len(years) != 1:
        return None
    year = years.pop()
    return year if 1949 <= year <= this_year else None


def _year_of(what: str) -> int | None:
    if m := R.PLAN_YEAR.search(what):
        plan = _int(m["plan"])
        start = {1: 1953, 2: 1958}.get(plan, 1966 + 5 * (plan - 3))  # the third plan began in 1966
        return start + (4 if m["when"] in ("收官之年", "最后一年") else 0)
    if m := R.ANNIVERSARY.search(what):
        base = next(v for k, v in R.ANNIVERSARY_BASE.items() if m["event"].startswith(k))
        return base + _int(m["n"])
    if m := R.CONGRESS_YEAR.search(what):
        congress = _int(m["n"])
        return 1982 + 5 * (congress - 12) + 1 if congress >= 12 else None  # the 12th met in 1982, one every five years
    return None


def _int(numeral: str) -> int:
    """70, 七十五, 十九 as an int (targets' number parser; 0 if it is none)."""
    value = number_value(numeral)
    return int(value) if value is not None else 0


def page_date(html: bytes) -> str:
    """The publication date in a web page's <meta> tags (PubDate, article:published_time,
    ...: resources.PAGE_DATE_NAMES, in that order of preference), as ISO; "" if none."""
    found: dict[str, str] = {}
    for tag in R.META_TAG.finditer(html, 0, 1 << 16):  # the head, not a whole hostile page
        key, content = R.META_KEY.search(tag.group()), R.META_CONTENT.search(tag.group())
        if key and content:
            name = key.group(1).decode("ascii", "replace").lower()
            if name in R.PAGE_DATE_NAMES and name not in found:
                value = next(v for v in content.groups() if v is not None)
                found[name] = _content_date(value.decode("ascii", "replace").strip())
    return next((found[n] for n in R.PAGE_DATE_NAMES if found.get(n)), "")


def _content_date(value: str) -> str:
    if m := R.COMPACT_DATE.match(value):  # 20210425103000
        return _iso(int(m["y"]), int(m["m"]), int(m["d"]))
    return parse_date(value)


def home_district(draft: ReportDraft, organization: str, gazetteer: Gazetteer,
                  mentions: list[list[Mention]] | None = None) -> str:
    """The district the report speaks for.

    The speaker's organisation decides when it names one (济宁高新区人力资源管理局);
    then the title or meeting line (2026年湖南省政府工作报告), leaving out the districts
    it names in or after a learning cue (济宁高新区赴潍坊高新区考察学习: 济宁高新区); then
    the body the speaker says they represent (我代表国务院 -> 全国), or the nation when the
    lead speaks of 我国各族人民 (the 1964 and 1985 reports, which do not say whom they
    speak for); then the district named most often outside sentences about learning from
    others, the lead counting triple, and a district lying in it over a city or province
    named less than three times as often (济宁高新区 over the 济宁 of 济宁创新谷).
    """
    for text in (organization, draft.title, draft.meeting):
        # not a place visited: inside a cue (赴潍坊高新区考察) or just after one (对标长沙高新区)
        zones = [(m.start(), m.end() + R.CUE_REACH) for m in R.BENCHMARK_CUE.finditer(text)]
        found = [m.district for m in gazetteer.find(text) if not _inside(m, zones)]
        if found:
            return found[0]
    if body := _speaks_for(draft.paragraphs[:3]):
        if body in NATIONAL_BODIES:
            return "全国"
        found = [m.district for m in gazetteer.find(body)]
        if found:
            return found[0]
    if R.NATIONAL_LEAD.search("\n".join(draft.paragraphs[:2])):
        return "全国"
    if mentions is None:
        mentions = paragraph_mentions(draft.paragraphs, gazetteer)
    counts: Counter[str] = Counter()
    for i, (para, found) in enumerate(zip(draft.paragraphs, mentions)):
        weight = 3 if i < 2 else 1  # the lead says who is speaking more reliably than the body
        for start, end, in_sentence in _sentence_mentions(para, found, gazetteer):
            if not R.BENCHMARK_CUE.search(para, start, end):
                for m in in_sentence:
                    counts[m.district] += weight
            else:  # a sentence about learning: only the place that learns (徐州高新区将学习...)
                for m in _learners(para, start, end, in_sentence):
                    counts[m.district] += weight
    return _most_specific(counts, gazetteer) if counts else ""


def _most_specific(counts: Counter[str], gazetteer: Gazetteer) -> str:
    """The most named district, or a district lying in it named at least a third as often
    (repeatedly: a province, its city, the city's district)."""
    best = counts.most_common(1)[0][0]
    tried = {best}  # a parent cycle in a user's districts.csv must not loop
    while True:
        inside = [(n, d) for d, n in counts.items() if d not in tried and best in gazetteer.ancestors(d) and 3 * n >= counts[best]]
        if not inside:
            return best
        best = max(inside)[1]
        tried.add(best)


def _cue_zones(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Where text[start:end] may name a place learnt from: CUE_REACH characters either
    side of each learning cue (先后到日照市东港区、潍坊市寒亭区 ... 考察学习; 考察的这五个区
    (市)中，日照东港区), after it only for a cue that leads to its place (走进).

    A long sentence of a government work report lists many places and may use a cue in
    another sense (极地考察, 参观学习活动): beyond the reach, a place is not taken as learnt
    from (加快筹设深圳海洋大学 ... 极地考察; 参观学习活动，... 喀什古城)."""
    zones = []
    for m in R.BENCHMARK_CUE.finditer(text, start, end):
        before = 0 if m.group() in R.CUE_LEADING else R.CUE_REACH
        zones.append((max(start, m.start() - before), min(end, m.end() + R.CUE_REACH)))
    return zones


def _learners(text: str, start: int, end: int, mentions: list[Mention]) -> list[Mention]:
    """The mentions of text[start:end] that name the place learning, right before a cue
    (徐州高新区将学习苏州经验, 济宁高新区赴潍坊高新区考察), with the rest of their list
    (徐州高新区、淮安高新区将学习...): not places learnt from."""
    cue_starts = [m.start() for m in R.BENCHMARK_CUE.finditer(text, start, end) if m.group().startswith(R.LEARNER_CUES)]
    first = [not (m.start and text[m.start - 1] in R.LEARNT_MARKS)
             and any(m.end <= c and R.LEARNER_GAP.fullmatch(text, m.end, c) for c in cue_starts) for m in mentions]
    return [m for m, learns in zip(mentions, _whole_lists(text, mentions, first)) if learns]


def _inside(m: Mention, zones: list[tuple[int, int]]) -> bool:
    return any(a <= m.start and m.end <= b for a, b in zones)


def paragraph_mentions(paragraphs: list[str], gazetteer: Gazetteer) -> list[list[Mention]]:
    """`gazetteer.find(p)` for each paragraph p, with one search of the whole report (no
    name holds a line break, so none reaches from one paragraph into the next)."""
    out: list[list[Mention]] = [[] for _ in paragraphs]
    found = gazetteer.find("\n".join(paragraphs))
    if not found:
        return out
    ends = list(accumulate(len(p) + 1 for p in paragraphs))
    k = 0
    for m in found:
        while m.start >= ends[k]:
            k += 1
        offset = ends[k] - len(paragraphs[k]) - 1
        out[k].append(Mention(m.district, m.start - offset, m.end - offset))
    return out


def _sentence_mentions(para: str, found: list[Mention], gazetteer: Gazetteer) -> list[tuple[int, int, list[Mention]]]:
    """(start, end, the mentions of `gazetteer.find(para[start:end])` at their places in
    `para`) for each sentence of `para` that names a district, in order, from `found`,
    the mentions in the whole paragraph.

    Sentences are only split when the paragraph names a district (most name none). The
    mentions are those of `find` sentence by sentence when no mention reaches out of a
    sentence: the search takes the longest name at each position and looks at nothing
    around it, so a name that fits in the sentence is taken in both. Else (a name cut
    at MAX_SENTENCE) sentence by sentence.
    """
    if not found:
        return []
    spans = sentence_spans(para)
    out, i = [], 0
    for start, end in spans:
        inside = []
        while i < len(found) and found[i].start < end:
            if found[i].start < start or found[i].end > end:
                return _mentions_sentence_by_sentence(para, spans, gazetteer)
            inside.append(found[i])
            i += 1
        if inside:
            out.append((start, end, inside))
    if i < len(found):  # a mention after the last sentence
        return _mentions_sentence_by_sentence(para, spans, gazetteer)
    return out


def _mentions_sentence_by_sentence(para: str, spans: list[tuple[int, int]], gazetteer: Gazetteer) -> list[tuple[int, int, list]]:
    out = []
    for start, end in spans:
        if found := gazetteer.find(para[start:end]):
            out.append((start, end, [Mention(m.district, m.start + start, m.end + start) for m in found]))
    return out


def inherit_file_district(drafts: list[ReportDraft], metas: list[ReportMeta]) -> None:
    """A report that speaks of 我区/全区 but names no home district shares its file's.

    002 prints the study-tour story and the follow-up meeting on one page: only the
    second names 山亭区, yet both speak for it.
    """
    known = Counter(m.district for m in metas if m.district)
    if not known:
        return
    district = known.most_common(1)[0][0]
    for draft, meta in zip(drafts, metas):
        text = "\n".join([draft.title, *draft.paragraphs])
        if not meta.district and R.HOME_REFERENCE.search(text):
            meta.district = district
            meta.benchmarks = [b for b in meta.benchmarks if b != district]


# The bodies a national government work report is delivered for.
NATIONAL_BODIES = ("国务院", "國務院", "中央人民政府")


def _speaks_for(paragraphs: list[str]) -> str:
    for para in paragraphs:
        if m := R.SPEAKS_FOR.search(para):
            return m.group("body")
    return ""


def benchmarked_districts(paragraphs: list[str], gazetteer: Gazetteer, *, exclude: str = "",
                          mentions: list[list[Mention]] | None = None) -> list[str]:
    """Districts named where a sentence speaks of learning from them (`_cue_zones`, and
    the rest of a list reaching there: `_whole_lists`), in order of first mention. Left
    out: the places that learn (`_learners`), a city or province when a district lying
    in it is learnt from (潍坊高新区, not also the 潍坊 beside it), `exclude` (the home
    district) and the divisions it lies in (邳州市 主动对接徐州，学习借鉴江阴市: not 徐州市).
    `mentions`: `paragraph_mentions`."""
    if mentions is None:
        mentions = paragraph_mentions(paragraphs, gazetteer)
    home = set(gazetteer.chain(exclude))
    seen: dict[str, None] = {}
    for para, found in zip(paragraphs, mentions):
        # The cue pattern has no anchors or look-arounds: a sentence can only hold a cue
        # if its paragraph does, and most paragraphs hold none (no need to split them).
        if not found or not R.BENCHMARK_CUE.search(para):
            continue
        for start, end, in_sentence in _sentence_mentions(para, found, gazetteer):
            zones = _cue_zones(para, start, end)
            learners = _learners(para, start, end, in_sentence)
            near = _whole_lists(para, in_sentence, [_inside(m, zones) for m in in_sentence])
            for m, learnt in zip(in_sentence, near):
                if learnt and m not in learners and m.district not in home:
                    seen.setdefault(m.district)
    enclosing = {a for d in seen for a in gazetteer.ancestors(d)}
    return [d for d in seen if d not in enclosing]


def _whole_lists(text: str, mentions: list[Mention], picked: list[bool]) -> list[bool]:
    """`picked`, spread along each list of places (名, 名、名 ... with only a separator
    between them: 先后到日照市东港区、潍坊市寒亭区、潍城区，济宁市邹城市、任城区考察学习 names
    five places though the cue reaches only the last ones)."""
    out = list(picked)
    linked = [bool(R.PLACE_LIST_GAP.fullmatch(text, a.end, b.start)) for a, b in zip(mentions, mentions[1:])]
    for i in range(len(linked)):  # forwards, then backwards: a whole list takes the value of any member
        if linked[i] and out[i]:
            out[i + 1] = True
    for i in reversed(range(len(linked))):
        if linked[i] and out[i + 1]:
            out[i] = True
    return out


def paragraph_speakers(paragraphs: list[str], default: str) -> list[str]:
    """The leader each paragraph quotes (`毕志伟指出，...`), else the report's speaker.

    A quoted name only counts when the report also names that person with a post
    (区委书记毕志伟), so `会议指出` or `大家认为` never become speakers. Once quoted, a
    leader keeps the floor (a long speech runs over several paragraphs) until another
    is quoted or the reporter's narration resumes (会上, 会议, 据悉 ...).
    """
    posted: set[str] | None = None  # built on the first quote: most reports quote nobody
    speakers: list[str] = []
    current = default
    for para in paragraphs:
        m = R.QUOTE_LEAD.match(para)
        if m and posted is None:
            posted = _names_after_posts("\n".join(paragraphs))
        if m and m.group("name") in posted:
            current = m.group("name")
        elif R.NARRATION_LEAD.match(para):
            current = default
        speakers.append(current)
    return speakers


# A post word at every position (overlapping): `区委书记` yields both `区委书记` and `书记`.
_POST_AT = re.compile(rf"(?=({R.POSITION_WORD.pattern}))")
# The characters a post word can start with (scan.first_chars).
_POST_FIRST = first_chars(R.POSITION_WORD)


def _posts_at(text: str) -> Iterator[re.Match]:
    """The post word starting at each position where one does (overlapping), as matches of
    R.POSITION_WORD: what `_POST_AT.finditer` finds, tried only where a post word can
    start (a zero-width look-ahead is otherwise tried at every position of the text)."""
    if _POST_FIRST is None:
        yield from (R.POSITION_WORD.match(text, m.start()) for m in _POST_AT.finditer(text))
        return
    match = R.POSITION_WORD.match
    for c in _POST_FIRST.finditer(text):
        if m := match(text, c.start()):
            yield m
_NAME_SEP = re.compile(r"[，,、\s]")


def _names_after_posts(text: str) -> set[str]:
    """Every 2-3 character string written right after a post word (区委书记毕志伟, 书记，张三).

    `name in _names_after_posts(text)` is what searching the text for post + name would
    answer, for all names at once: one pass, where a search per quoted paragraph made a
    long meeting report quadratic (2,000 quotes: 36 s).
    """
    found: set[str] = set()
    for m in _posts_at(text):
        end = m.end()
        for at in (end, end + 1) if _NAME_SEP.match(text, end) else (end,):
            found.add(text[at : at + 2])
            found.add(text[at : at + 3])
    return found
