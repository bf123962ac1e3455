"""Analyse one input file: bytes in, rows for every file-scope table out.

`analyse_file` is the unit of work the build runs in parallel and caches by content
hash. It learns everything about a file once (`FileContext`); the row builders named
in `analysis.schema.TABLES` turn that context into rows.

The build itself calls `analyse_files_columns` on chunks of files: the same rows, built
column by column (no dict per row) and turned into Arrow tables a chunk at a time, plus two
hidden per-file tables the corpus step needs (`_textrank`, `_tf`). `analyse_file` (list of dicts per table) is
derived from the same columns, so the two can never disagree.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Callable, Iterable

import pyarrow as pa

from analysis.readers import display_name
from analysis import gazetteer as gaz
from analysis import keywords, segment, themes
from analysis.clean import clean_text
from analysis.metadata import ReportMeta, file_dates, inherit_file_district, page_date, report_metadata
from analysis.readers import DEFAULT_MAX_BYTES, Document, IngestError, read_bytes
from analysis.schema import TABLES
from analysis.split import ReportDraft, split_reports
from analysis.widths import Simplifier, read_simplifier, simplify, wide_share, width_forms_script

TEXTRANK_TOP_K = 20


@dataclass
class Resources:
    """What every worker loads once: dictionaries, tokenizer, limits."""

    dict_dir: Path = segment.DICT_DIR
    engine: str = "rjieba"
    max_bytes: int = DEFAULT_MAX_BYTES
    # A date in a file name after this year is no report's date (metadata.name_date).
    this_year: int = field(default_factory=lambda: time.localtime().tm_year)

    @cached_property
    def gazetteer(self) -> gaz.Gazetteer:
        return gaz.load_gazetteer(self.dict_dir / "districts.csv", self.dict_file("divisions.csv"),
                                  self.dict_file("not_places.txt"))

    # Files a folder of the user's own dictionaries may leave out: the national gazetteer
    # is then the one shipped here (made before they existed, such a folder still gets it).
    FALLBACK_FILES = ("divisions.csv", "not_places.txt")

    def dict_file(self, name: str) -> Path:
        own = self.dict_dir / name
        return own if own.exists() or name not in self.FALLBACK_FILES else segment.DICT_DIR / name

    @cached_property
    def segmenter(self) -> segment.Segmenter:
        # District names are place words: 潍坊高新区 must not come out as 潍坊 / 高新区.
        # Only the curated names: the national divisions are left to the tokenizer's own
        # dictionary (which knows 任城区), as adding 和县 would split 城市和县城 wrongly.
        places = tuple((name, "ns") for name in self.gazetteer.curated)
        return segment.build_segmenter(self.dict_dir / "userdict.txt", extra_words=places, engine=self.engine)

    @cached_property
    def stopwords(self) -> frozenset[str]:
        return segment.load_stopwords(self.dict_dir / "stopwords.txt")

    @cached_property
    def themes(self) -> list[themes.Theme]:
        return themes.load_themes(self.dict_dir / "themes.toml")

    @cached_property
    def theme_index(self) -> themes.ThemeIndex:
        return themes.theme_index(self.themes)

    @cached_property
    def simplifier(self) -> Simplifier | None:
        """Traditional -> simplified characters for analysis (dictionaries/traditional.txt)."""
        return read_simplifier(self.dict_dir / "traditional.txt")

    @cached_property
    def content_filter(self) -> segment.ContentFilter:
        return segment.ContentFilter(self.stopwords)

    @cached_property
    def cues_and_break(self) -> frozenset[str]:
        """The cue terms of the themes and the term of `segment.LINE_BREAK`: what picks
        the cues of every paragraph of a report out of its terms in one pass (_report)."""
        return frozenset(self.theme_index.cues) | {segment.LINE_BREAK[0]}

    def load(self) -> "Resources":
        """Read every dictionary now (before the object is shipped to workers)."""
        _ = self.segmenter, self.stopwords, self.themes, self.theme_index, self.content_filter, self.cues_and_break, self.simplifier
        return self

    def fingerprint(self) -> str:
        """Changes whenever a dictionary or the analysis code changes: a build reuses the
        rows of an unchanged file only if they would come out the same."""
        from analysis.schema import SCHEMA_VERSION

        h = hashlib.sha256(f"{SCHEMA_VERSION}|{self.engine}|{code_digest()}".encode())
        for path in sorted(self.dict_dir.glob("*")):
            if path.is_file():
                h.update(path.name.encode() + path.read_bytes())
        for name in self.FALLBACK_FILES:
            if (path := self.dict_file(name)).parent != self.dict_dir:  # a file fallen back on
                h.update(name.encode() + path.read_bytes())
        return h.hexdigest()[:16]


CODE_DIR = Path(__file__).parent


@lru_cache(maxsize=None)
def code_digest(code_dir: Path = CODE_DIR) -> str:
    """sha256 of the analysis package's source files. A version number bumped by hand
    was never bumped: an upgraded build kept the rows of unchanged files as an older
    version had made them (a target rule fixed, a TextRank setting changed) beside new
    rows. Any edit of the code now re-analyses every file once (~1.5 min at 10,000)."""
    h = hashlib.sha256()
    for path in sorted(code_dir.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@dataclass
class Paragraph:
    text: str
    speaker: str
    start: int
    themes: list[tuple[str, float, list[str]]] = field(default_factory=list)
    work: str | None = None  # width-normalised form for targets (widths.width_forms), if known
    # The paragraph's content terms with POS are report_terms[lo:hi] (its report's
    # Report.terms): read whole, the report's terms are not copied paragraph by paragraph.
    report_terms: list[tuple[str, str]] = field(default_factory=list, repr=False)
    lo: int = 0
    hi: int = 0

    @property
    def terms(self) -> list[tuple[str, str]]:
        """The content terms with POS, in order."""
        return self.report_terms[self.lo : self.hi]


@dataclass
class Report:
    report_id: str
    no: int
    draft: ReportDraft
    meta: ReportMeta
    paragraphs: list[Paragraph]
    joined: str | None = None  # the paragraphs joined by newlines, when already built
    # Whether each term of the report has one tag: true when the tokenizer tags a token
    # whatever its context (Segmenter.tags_by_word) and no byline name was glued
    # (merge_names: 焦军波 may come as x from the tokenizer and as nr glued).
    one_tag_per_term: bool = False
    # The content terms of every paragraph, segment.LINE_BREAK between paragraphs.
    terms: list[tuple[str, str]] = field(default_factory=list)
    # Written in traditional characters, read as simplified (widths.width_forms_script).
    traditional: bool = False

    @property
    def text(self) -> str:
        if self.joined is None:
            self.joined = "\n".join(p.text for p in self.paragraphs)
        return self.joined

    @cached_property
    def speaker_term_counts(self) -> list[tuple[str, Counter]]:
        """_speaker_term_counts(self), counted once for term_counts and _tf."""
        return _speaker_term_counts(self)

    @cached_property
    def counted_terms(self) -> list[list[str]]:
        """The terms of each Counter of speaker_term_counts, in its order: listed once
        for term_counts and _tf."""
        return [list(map(itemgetter(0), counts)) for _, counts in self.speaker_term_counts]


@dataclass
class FileContext:
    source_file: str
    content_hash: str
    size_bytes: int
    document: Document | None = None
    error: str = ""
    status: str = "ok"
    reports: list[Report] = field(default_factory=list)


def analyse_file(data: bytes, source_file: str, res: Resources, *, content_hash: str | None = None) -> dict[str, list[dict]]:
    """Rows of every file-scope table for one file (a `files` row even when it is unreadable)."""
    columns = analyse_file_columns(data, source_file, res, content_hash=content_hash)
    rows = {name: _rows(columns[name]) for name in FILE_TABLES}
    rows["textrank"] = _rows(columns["_textrank"])
    return rows


# Hidden per-file tables kept in the build next to the documented ones: the corpus step
# merges `_textrank` into `keywords` and computes TF-IDF from `_tf` (one row per report
# and term: term_counts summed over speakers and POS), and an incremental build reuses
# both for unchanged files like every other file table.
HIDDEN_TABLES = {
    "_textrank": TABLES["keywords"].schema,
    "_tf": pa.schema([("report_id", pa.string()), ("term", pa.string()), ("count", pa.int64())]),
}
FILE_TABLES = [name for name, t in TABLES.items() if t.scope == "file"]


def table_schema(name: str) -> pa.Schema:
    return HIDDEN_TABLES[name] if name in HIDDEN_TABLES else TABLES[name].schema


def analyse_file_columns(data: bytes, source_file: str, res: Resources, *, content_hash: str | None = None) -> dict[str, dict[str, list]]:
    """What the build stores for one file, as columns: every file-scope table (same rows,
    same order as `analyse_file`) and the hidden `_textrank` and `_tf` tables."""
    return analyse_files_columns([(data, source_file, content_hash)], res)[0]


def analyse_files_columns(files: Iterable[tuple[bytes, str, str | None]], res: Resources) -> list[dict[str, dict[str, list]]]:
    """`analyse_file_columns(data, source_file, res, content_hash=h)` for each (data,
    source_file, h), in order: what the build's workers call on a chunk of files.

    Each step runs on all the files before the next (`build_contexts`, then table by
    table): the same rows as file by file, for ~17 % less CPU on a chunk of a few MB
    (bench/README.md, tenth session). A step's code and data (the tokenizer's dictionary,
    the memos, the target patterns) stay in the processor's caches while it runs, where
    file by file the steps evicted each other's; the contexts of the chunk are held
    meanwhile (a few tens of MB for the build's 2 MB chunks).
    """
    contexts = build_contexts(files, res)
    per_table = [(name, [build(ctx, res) for ctx in contexts]) for name, build in _file_builders()]
    return [{name: columns[i] for name, columns in per_table} for i in range(len(contexts))]


def to_tables(columns: dict[str, dict[str, list]]) -> dict[str, pa.Table]:
    tables = {}
    for name, cols in columns.items():
        source = _PROJECTIONS.get(name)
        if source in tables and all(cols[k] == columns[source][k] for k in cols):
            tables[name] = tables[source].select(list(cols))  # no second conversion
        else:
            tables[name] = pa.table(cols, schema=table_schema(name))
    return tables


# A table whose columns are often those of another, value for value: `_tf` is
# term_counts without speaker and POS whenever every report has one speaker and one tag
# per term (_term_totals), which is most chunks. The lists then hold the same objects,
# so comparing them is a pointer compare per row, far cheaper than converting them.
_PROJECTIONS = {"_tf": "term_counts"}


def extend_columns(into: dict[str, dict[str, list]], columns: dict[str, dict[str, list]]) -> None:
    """Append the rows of `columns` to `into`, table by table: the build converts a whole
    chunk of files to Arrow at once (per-table fixed costs paid per file were ~40 % of the
    conversion)."""
    for name, cols in columns.items():
        mine = into.setdefault(name, {k: [] for k in cols})
        for k, values in cols.items():
            mine[k] += values


def _file_builders() -> list[tuple[str, Callable[[FileContext, Resources], dict[str, list]]]]:
    """(table, columns of a file's context) for every table the build stores per file."""
    builders = [(name, TABLES[name].builder_fn()) for name in FILE_TABLES]
    return builders + [("_textrank", lambda ctx, res: textrank_columns(ctx)), ("_tf", lambda ctx, res: tf_columns(ctx))]


def build_context(data: bytes, source_file: str, res: Resources, *, content_hash: str | None = None) -> FileContext:
    return build_contexts([(data, source_file, content_hash)], res)[0]


def build_contexts(files: Iterable[tuple[bytes, str, str | None]], res: Resources) -> list[FileContext]:
    """`build_context` of each (data, source_file, content_hash), in order.

    The files are read, split and described first, then every report of all of them is
    segmented in one run of the tokenizer's calls, then the rest of each file is
    analysed: same contexts as one file at a time, for less CPU (rjieba's `cut` cost
    0.06 s/MB alternating with the rest report by report, 0.044 in one run; see
    analyse_files_columns).
    """
    staged = [_stage(data, source_file, res, content_hash) for data, source_file, content_hash in files]
    cut = res.segmenter.cut
    words = [[cut(r.norm) if r.one_call else None for r in reports] for _, reports, _ in staged]
    for (ctx, reports, names), words_of in zip(staged, words):
        if reports:
            starts = name_starts(names)
            ctx.reports = [_report(ctx.content_hash, i, r, w, names, starts, res)
                           for i, (r, w) in enumerate(zip(reports, words_of), 1)]
    return [ctx for ctx, _, _ in staged]


@dataclass
class _Staged:
    """A report as far as it goes before the tokenizer: its draft and metadata, and its
    paragraphs joined and width-normalised in one pass (both forms, see widths.py; each
    paragraph's forms are slices of them, as the normalisation keeps lengths)."""
    draft: ReportDraft
    meta: ReportMeta
    joined: str
    norm: str
    work: str
    traditional: bool

    @classmethod
    def of(cls, draft: ReportDraft, meta: ReportMeta, res: Resources) -> _Staged:
        joined = "\n".join(draft.paragraphs)
        return cls(draft, meta, joined, *width_forms_script(joined, res.simplifier))

    @property
    def one_call(self) -> bool:
        """Whether the report is segmented in one call (its line breaks are those between
        paragraphs: always, from split_reports; see _report_terms)."""
        return self.norm.count("\n") == len(self.draft.paragraphs) - 1


def _stage(data: bytes, source_file: str, res: Resources, content_hash: str | None) -> tuple[FileContext, list[_Staged], set[str]]:
    """(the file's context without its reports, its reports staged, the names of its
    speakers); a file that is skipped has its status and error set and no reports."""
    ctx = FileContext(source_file, content_hash or hashlib.sha256(data).hexdigest(), len(data))
    try:
        ctx.document = read_bytes(data, Path(source_file).name, max_bytes=res.max_bytes)
    except IngestError as err:
        ctx.status, ctx.error = "skipped", str(err)
        return ctx, [], set()
    text = clean_text(ctx.document.text)
    if (share := wide_share(text)) < MIN_WIDE_SHARE:
        ctx.status = "skipped"
        ctx.error = (f"{display_name(Path(source_file).name)}: not Chinese text (about {share:.0%} of its characters are "
                     "Chinese): not analysed as a report")
        return ctx, [], set()
    drafts = split_reports(text)
    if not drafts:
        ctx.status, ctx.error = "skipped", f"{display_name(Path(source_file).name)}: no report text found (only headlines or fragments)"
        return ctx, [], set()
    metas = [report_metadata(d, res.gazetteer) for d in drafts]
    inherit_file_district(drafts, metas)
    page = page_date(data) if ctx.document.format == "html" else ""
    file_dates(metas, page_date=page, source_file=source_file, this_year=res.this_year, drafts=drafts)
    names = {m.speaker for m in metas if m.speaker} | {s for m in metas for s in m.paragraph_speakers if s}
    return ctx, [_Staged.of(d, m, res) for d, m in zip(drafts, metas)], names


# A file whose characters are mostly not Chinese (a README, an English page) is no report:
# every seed and gov-work report is 88 % or more Chinese, the gov-work corpus's SOURCE.md 7 %.
MIN_WIDE_SHARE = 0.25


def _report(content_hash: str, no: int, staged: _Staged, words: list[str] | None, names: set[str], starts: set[str], res: Resources) -> Report:
    draft, meta, work = staged.draft, staged.meta, staged.work
    index = res.theme_index
    terms, merged = _report_terms(staged.norm, draft, names, starts, res, words)
    n_breaks = len(draft.paragraphs) - 1
    # The line breaks are found among the terms' strings, which list.index compares in one
    # step (two pairs take two): "\n" is the string of segment.LINE_BREAK only, as every
    # content term has two characters or more.
    heads = list(map(itemgetter(0), terms))
    ends = segment.break_positions(heads, n_breaks, segment.LINE_BREAK[0]) + [len(terms)]
    # Theme scores are calibrated on content terms (no punctuation or filler); only the
    # cue terms among them count (== themes.paragraph_themes(terms, themes)). They are
    # picked out of the whole report in one pass, the line breaks with them.
    cues = list(filter(res.cues_and_break.__contains__, heads))
    cues_per_paragraph = segment.split_lines(cues, n_breaks)
    score = themes.score_cues
    paragraphs, offset, lo = [], 0, 0
    for text, speaker, hi, cues_of in zip(draft.paragraphs, meta.paragraph_speakers, ends, cues_per_paragraph):
        end = offset + len(text)
        para_themes = score(cues_of, hi - lo, index) if cues_of else []
        paragraphs.append(Paragraph(text, speaker, offset, para_themes, work[offset:end], terms, lo, hi))
        offset, lo = end + 1, hi + 1
    one_tag_per_term = res.segmenter.tags_by_word and not merged
    return Report(f"{content_hash[:12]}-{no:02d}", no, draft, meta, paragraphs, staged.joined, one_tag_per_term, terms,
                  staged.traditional)


def _report_terms(norm: str, draft: ReportDraft, names: set[str], starts: set[str], res: Resources,
                  words: list[str] | None = None) -> tuple[list[tuple[str, str]], bool]:
    """The content terms of the report, `segment.content_terms(merge_names(seg.tag(p),
    names, starts), res.stopwords)` for each paragraph p (its width-normalised text) with
    `segment.LINE_BREAK` between paragraphs, and whether a byline name was glued in one.

    `norm` is the paragraphs joined by line breaks and `words` its tokens,
    `seg.cut(norm)`: the tokenizer is called once for the report (line breaks are tokens
    of their own, segment.split_lines; the caller cuts when `_Staged.one_call`), and when
    no token can begin a byline name and every token has been seen, the content terms
    of the whole report come from the per-token memo in one pass (ContentFilter.of_text).
    Otherwise (and paragraph by paragraph when `words` is None), term by paragraph.
    """
    seg, keep = res.segmenter, res.content_filter
    n = len(draft.paragraphs)
    if words is not None:
        if not starts or starts.isdisjoint(words):
            terms = keep.of_text(words, seg, norm)
            if terms is not None:
                return terms, False
        pieces = norm.split("\n")
        words_per_piece = segment.split_lines(words, n - 1)
    else:  # a paragraph holding a line break of its own (never, from split_reports)
        pieces, offset = [], 0
        for text in draft.paragraphs:
            pieces.append(norm[offset : offset + len(text)])
            offset += len(text) + 1
        words_per_piece = [seg.cut(piece) for piece in pieces]
    terms, merged = [], False
    for k, (words, piece) in enumerate(zip(words_per_piece, pieces)):
        if k:
            terms.append(segment.LINE_BREAK)
        # Only a token that can begin a byline name needs the tags of the whole paragraph.
        if starts and not starts.isdisjoint(words):
            terms += keep(merge_names(seg.tag_words(words, piece), names, starts))
            merged = True
        else:
            terms += keep.of_words(words, piece, seg)
    return terms, merged


def name_starts(names: set[str]) -> set[str]:
    """The proper prefixes of `names`: a token that is one may begin a split name."""
    return {n[:k] for n in names for k in range(1, len(n))}


def merge_names(tagged: list[tuple[str, str]], names: set[str], starts: set[str] | None = None) -> list[tuple[str, str]]:
    """Glue tokens back into a person's name found in this file's bylines (焦/军波 -> 焦军波).

    Names are merged per file rather than added to the tokenizer, so one file's
    names never change how another file is segmented (and cached results stay valid).
    `starts` is name_starts(names), computed once per file by the caller.
    """
    if starts is None:
        starts = name_starts(names)
    if not starts or starts.isdisjoint(map(itemgetter(0), tagged)):  # no token can begin a name
        return tagged
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(tagged):
        word = tagged[i][0]
        if word in starts:  # rare: only then try to join the next one or two tokens
            for width in (3, 2):
                joined = "".join(w for w, _ in tagged[i : i + width])
                if joined in names:
                    out.append((joined, "nr"))
                    i += width
                    break
            else:
                out.append(tagged[i])
                i += 1
        else:
            out.append(tagged[i])
            i += 1
    return out


# --- row builders (named in analysis.schema.TABLES) ------------------------------------------
#
# Each table is built column by column (`*_columns`: column name -> list of values, in
# schema order); the row builders of the registry turn those columns into dicts.


def _rows(columns: dict[str, list]) -> list[dict]:
    names = list(columns)
    return [dict(zip(names, values)) for values in zip(*columns.values())]


def file_columns(ctx: FileContext, res: Resources) -> dict[str, list]:
    doc = ctx.document
    return {
        "source_file": [ctx.source_file],
        "content_hash": [ctx.content_hash],
        "size_bytes": [ctx.size_bytes],
        "format": [doc.format if doc else Path(ctx.source_file).suffix.lstrip(".").lower()],
        "encoding": [doc.encoding if doc else ""],
        "status": [ctx.status],
        "message": [ctx.error],
        "n_reports": [len(ctx.reports)],
    }


def skipped_file_row(source_file: str, content_hash: str, size_bytes: int, status: str, message: str) -> dict:
    """The `files` row of a file that gave no reports (unreadable, gone, a duplicate)."""
    ctx = FileContext(source_file, content_hash, size_bytes, error=message, status=status)
    return {name: values[0] for name, values in file_columns(ctx, None).items()}


def report_columns(ctx: FileContext, res: Resources) -> dict[str, list]:
    rs = ctx.reports
    return {
        "report_id": [r.report_id for r in rs],
        "source_file": [ctx.source_file] * len(rs),
        "report_no": [r.no for r in rs],
        "title": [r.draft.title for r in rs],
        "speaker": [r.meta.speaker for r in rs],
        "position": [r.meta.position for r in rs],
        "organization": [r.meta.organization for r in rs],
        "district": [r.meta.district for r in rs],
        "regions": [res.gazetteer.chain(r.meta.district) for r in rs],
        "benchmarks": [r.meta.benchmarks for r in rs],
        "date": [r.meta.date for r in rs],
        "date_source": [r.meta.date_source for r in rs],
        "source": [r.draft.source for r in rs],
        "reporters": [r.draft.reporters for r in rs],
        "n_chars": [len(r.text) for r in rs],
    }


def paragraph_columns(ctx: FileContext, res: Resources) -> dict[str, list]:
    cols: dict[str, list] = {"report_id": [], "paragraph_no": [], "speaker": [], "start": [], "text": [],
                             "text_simplified": []}
    for r in ctx.reports:
        ps = r.paragraphs
        cols["report_id"] += [r.report_id] * len(ps)
        cols["paragraph_no"] += range(1, len(ps) + 1)
        cols["speaker"] += [p.speaker for p in ps]
        cols["start"] += [p.start for p in ps]
        cols["text"] += [p.text for p in ps]
        # what keyword in context searches in a report written in traditional characters
        cols["text_simplified"] += [simplify(p.text, res.simplifier) for p in ps] if r.traditional else [None] * len(ps)
    return cols


def _speaker_term_counts(r: Report) -> list[tuple[str, Counter]]:
    """(speaker, Counter of (term, pos)) per speaker, keys in order of first occurrence.

    One speaker (most reports): one Counter over the report's terms, counted in C. Several
    speakers taking turns: counted by (speaker, term, pos) as the rows are ordered by
    their first occurrence in the report, whoever speaks.
    """
    speakers = [p.speaker for p in r.paragraphs]
    runs = [s for i, s in enumerate(speakers) if i == 0 or s != speakers[i - 1]]
    if len(runs) == 1:  # most reports: the report's terms, line breaks left out
        counts = Counter(r.terms)
        counts.pop(segment.LINE_BREAK, None)
        return [(runs[0], counts)]
    if len(runs) == len(set(runs)):  # each speaker's paragraphs are consecutive
        return [(spk, Counter(chain.from_iterable(p.terms for p in r.paragraphs if p.speaker == spk))) for spk in runs]
    counts: Counter[tuple[str, str, str]] = Counter()
    for p in r.paragraphs:
        counts.update((p.speaker, term, pos) for term, pos in p.terms)
    out: list[tuple[str, Counter]] = []
    for (spk, term, pos), n in counts.items():
        if not out or out[-1][0] != spk:
            out.append((spk, Counter()))
        out[-1][1][(term, pos)] = n
    return out


def term_count_columns(ctx: FileContext, res: Resources) -> dict[str, list]:
    cols: dict[str, list] = {"report_id": [], "speaker": [], "term": [], "count": [], "pos": []}
    for r in ctx.reports:
        for (spk, counts), terms in zip(r.speaker_term_counts, r.counted_terms):
            if not counts:
                continue
            cols["report_id"] += [r.report_id] * len(counts)
            cols["speaker"] += [spk] * len(counts)
            cols["term"] += terms
            cols["count"] += counts.values()
            cols["pos"] += map(itemgetter(1), counts)
    return cols


def tf_columns(ctx: FileContext) -> dict[str, list]:
    """Hidden `_tf`: occurrences of each term in each report, over all speakers and POS
    (the term frequencies of TF-IDF), terms in order of first occurrence."""
    cols: dict[str, list] = {"report_id": [], "term": [], "count": []}
    for r in ctx.reports:
        terms, counts = _term_totals(r)
        cols["report_id"] += [r.report_id] * len(terms)
        cols["term"] += terms
        cols["count"] += counts
    return cols


def _term_totals(r: Report) -> tuple[list[str], Iterable[int]]:
    """(terms, occurrences of each) of the report, terms in order of first occurrence."""
    by_speaker = r.speaker_term_counts
    if r.one_tag_per_term and len(by_speaker) <= 1:
        # One speaker, every term with one tag: the (term, pos) counts are the term
        # counts, in the same order; read off them rather than counted again.
        return (r.counted_terms[0], by_speaker[0][1].values()) if by_speaker else ([], [])
    counts = Counter(map(itemgetter(0), r.terms))
    counts.pop(segment.LINE_BREAK[0], None)
    return list(counts), counts.values()


def theme_columns(ctx: FileContext, res: Resources) -> dict[str, list]:
    rows = [
        (r.report_id, i, theme, score, evidence)
        for r in ctx.reports
        for i, p in enumerate(r.paragraphs, 1)
        for theme, score, evidence in p.themes
    ]
    return _transpose(rows, ["report_id", "paragraph_no", "theme", "score", "evidence"])


def _transpose(rows: list[tuple], names: list[str]) -> dict[str, list]:
    if not rows:
        return {n: [] for n in names}
    return {n: list(col) for n, col in zip(names, zip(*rows))}


# targets.quantity_rows gives the fields of targets.Quantity as tuples: the stored ones
# are all but the first two (start, end) (tests/analysis/test_pipeline.py checks).
_TARGET_FIELDS = ["sentence", "span", "indicator", "value", "value_max", "unit", "value_normalised",
                  "unit_normalised", "hedge", "deadline", "kind"]


def target_columns(ctx: FileContext, res: Resources) -> dict[str, list]:
    # Imported here: compiling its patterns is ~0.07 s of every process importing it, and
    # a build's driver (a one-file rebuild's critical path) never extracts targets.
    from analysis import targets

    rows = [
        (r.report_id, i, p.speaker, r.meta.district) + q[2:]
        for r in ctx.reports
        for i, p in enumerate(r.paragraphs, 1)
        for q in targets.quantity_rows(p.text, p.work)
    ]
    return _transpose(rows, ["report_id", "paragraph_no", "speaker", "district"] + _TARGET_FIELDS)


def benchmark_columns(ctx: FileContext, res: Resources) -> dict[str, list]:
    rows = []
    for r in ctx.reports:
        if not r.meta.benchmarks:
            continue
        para_themes = [[t for t, _, _ in p.themes] for p in r.paragraphs]
        found = [{m.district for m in ms} for ms in r.meta.mentions]
        for bench in r.meta.benchmarks:
            hits = [i for i, districts in enumerate(found) if bench in districts]
            mix = Counter(t for i in hits for t in para_themes[i])
            rows.append((r.report_id, r.meta.district, bench, res.gazetteer.chain(bench), len(hits),
                         [t for t, _ in mix.most_common()]))
    return _transpose(rows, ["report_id", "district", "benchmark", "benchmark_regions", "n_mentions", "themes"])


def textrank_columns(ctx: FileContext) -> dict[str, list]:
    """Per-report TextRank keywords; merged with corpus TF-IDF into `keywords` at the end."""
    rows = []
    for r in ctx.reports:
        # The line breaks among the report's terms have no POS: TextRank, which keeps
        # the terms of a few POS only, leaves them out like any particle.
        ranked = keywords.textrank(r.terms, top_k=TEXTRANK_TOP_K)
        rows += [(r.report_id, term, float(w), k, "textrank") for k, (term, w) in enumerate(ranked, 1)]
    return _transpose(rows, ["report_id", "term", "weight", "rank", "method"])
