"""Analyse one input file: bytes in, rows for every file-scope table out.

`analyse_file` is the unit of work the build runs in parallel and caches by content
hash. It learns everything about a file once (`FileContext`); the row builders named
in `analysis.schema.TABLES` turn that context into rows.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from analysis import gazetteer as gaz
from analysis import keywords, segment, targets, themes
from analysis.clean import clean_text
from analysis.metadata import ReportMeta, inherit_file_district, report_metadata
from analysis.normalize import normalize_width
from analysis.readers import DEFAULT_MAX_BYTES, Document, IngestError, read_bytes
from analysis.schema import TABLES
from analysis.split import ReportDraft, split_reports

TEXTRANK_TOP_K = 20


@dataclass
class Resources:
    """What every worker loads once: dictionaries, tokenizer, limits."""

    dict_dir: Path = segment.DICT_DIR
    engine: str = "rjieba"
    max_bytes: int = DEFAULT_MAX_BYTES

    @cached_property
    def gazetteer(self) -> gaz.Gazetteer:
        return gaz.load_gazetteer(self.dict_dir / "districts.csv")

    @cached_property
    def segmenter(self) -> segment.Segmenter:
        # District names are place words: 潍坊高新区 must not come out as 潍坊 / 高新区.
        places = tuple((name, "ns") for name in self.gazetteer.canonical)
        return segment.build_segmenter(self.dict_dir / "userdict.txt", extra_words=places, engine=self.engine)

    @cached_property
    def stopwords(self) -> frozenset[str]:
        return segment.load_stopwords(self.dict_dir / "stopwords.txt")

    @cached_property
    def themes(self) -> list[themes.Theme]:
        return themes.load_themes(self.dict_dir / "themes.toml")

    def fingerprint(self) -> str:
        """Changes whenever a dictionary or the analysis code version changes."""
        from analysis import __version__
        from analysis.schema import SCHEMA_VERSION

        h = hashlib.sha256(f"{__version__}|{SCHEMA_VERSION}|{self.engine}".encode())
        for path in sorted(self.dict_dir.glob("*")):
            if path.is_file():
                h.update(path.name.encode() + path.read_bytes())
        return h.hexdigest()[:16]


@dataclass
class Paragraph:
    text: str
    speaker: str
    start: int
    terms: list[tuple[str, str]] = field(default_factory=list)  # content terms with POS
    themes: list[tuple[str, float, list[str]]] = field(default_factory=list)


@dataclass
class Report:
    report_id: str
    no: int
    draft: ReportDraft
    meta: ReportMeta
    paragraphs: list[Paragraph]

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.paragraphs)


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
    ctx = build_context(data, source_file, res, content_hash=content_hash)
    rows = {name: t.builder_fn()(ctx, res) for name, t in TABLES.items() if t.scope == "file"}
    rows["textrank"] = textrank_rows(ctx)
    return rows


def build_context(data: bytes, source_file: str, res: Resources, *, content_hash: str | None = None) -> FileContext:
    ctx = FileContext(source_file, content_hash or hashlib.sha256(data).hexdigest(), len(data))
    try:
        ctx.document = read_bytes(data, Path(source_file).name, max_bytes=res.max_bytes)
    except IngestError as err:
        ctx.status, ctx.error = "skipped", str(err)
        return ctx
    drafts = split_reports(clean_text(ctx.document.text))
    if not drafts:
        ctx.status, ctx.error = "skipped", f"{Path(source_file).name}: no report text found (only headlines or fragments)"
        return ctx
    metas = [report_metadata(d, res.gazetteer) for d in drafts]
    inherit_file_district(drafts, metas)
    names = {m.speaker for m in metas if m.speaker} | {s for m in metas for s in m.paragraph_speakers if s}
    ctx.reports = [_report(ctx.content_hash, i, d, m, names, res) for i, (d, m) in enumerate(zip(drafts, metas), 1)]
    return ctx


def _report(content_hash: str, no: int, draft: ReportDraft, meta: ReportMeta, names: set[str], res: Resources) -> Report:
    paragraphs, offset = [], 0
    for text, speaker in zip(draft.paragraphs, meta.paragraph_speakers):
        tagged = merge_names(res.segmenter.tag(normalize_width(text)), names)
        terms = segment.content_terms(tagged, res.stopwords)
        # Theme scores are calibrated on content terms (no punctuation or filler).
        para_themes = themes.paragraph_themes([t for t, _ in terms], res.themes)
        paragraphs.append(Paragraph(text, speaker, offset, terms, para_themes))
        offset += len(text) + 1
    return Report(f"{content_hash[:12]}-{no:02d}", no, draft, meta, paragraphs)


def merge_names(tagged: list[tuple[str, str]], names: set[str]) -> list[tuple[str, str]]:
    """Glue tokens back into a person's name found in this file's bylines (焦/军波 -> 焦军波).

    Names are merged per file rather than added to the tokenizer, so one file's
    names never change how another file is segmented (and cached results stay valid).
    """
    starts = {n[:k] for n in names for k in range(1, len(n))}
    if not starts:
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


def file_rows(ctx: FileContext, res: Resources) -> list[dict]:
    doc = ctx.document
    return [
        {
            "source_file": ctx.source_file,
            "content_hash": ctx.content_hash,
            "size_bytes": ctx.size_bytes,
            "format": doc.format if doc else Path(ctx.source_file).suffix.lstrip(".").lower(),
            "encoding": doc.encoding if doc else "",
            "status": ctx.status,
            "message": ctx.error,
            "n_reports": len(ctx.reports),
        }
    ]


def report_rows(ctx: FileContext, res: Resources) -> list[dict]:
    return [
        {
            "report_id": r.report_id,
            "source_file": ctx.source_file,
            "report_no": r.no,
            "title": r.draft.title,
            "speaker": r.meta.speaker,
            "position": r.meta.position,
            "organization": r.meta.organization,
            "district": r.meta.district,
            "benchmarks": r.meta.benchmarks,
            "date": r.meta.date,
            "source": r.draft.source,
            "reporters": r.draft.reporters,
            "text": r.text,
            "n_chars": len(r.text),
        }
        for r in ctx.reports
    ]


def paragraph_rows(ctx: FileContext, res: Resources) -> list[dict]:
    return [
        {"report_id": r.report_id, "paragraph_no": i, "speaker": p.speaker, "start": p.start, "text": p.text}
        for r in ctx.reports
        for i, p in enumerate(r.paragraphs, 1)
    ]


def term_count_rows(ctx: FileContext, res: Resources) -> list[dict]:
    rows = []
    for r in ctx.reports:
        counts: Counter[tuple[str, str, str]] = Counter()
        for p in r.paragraphs:
            counts.update((p.speaker, term, pos) for term, pos in p.terms)
        rows += [
            {"report_id": r.report_id, "speaker": spk, "term": term, "count": n, "pos": pos}
            for (spk, term, pos), n in counts.items()
        ]
    return rows


def theme_rows(ctx: FileContext, res: Resources) -> list[dict]:
    return [
        {"report_id": r.report_id, "paragraph_no": i, "theme": theme, "score": score, "evidence": evidence}
        for r in ctx.reports
        for i, p in enumerate(r.paragraphs, 1)
        for theme, score, evidence in p.themes
    ]


def target_rows(ctx: FileContext, res: Resources) -> list[dict]:
    rows = []
    for r in ctx.reports:
        for i, p in enumerate(r.paragraphs, 1):
            for q in targets.extract_quantities(p.text):
                rows.append(
                    {
                        "report_id": r.report_id,
                        "paragraph_no": i,
                        "speaker": p.speaker,
                        "district": r.meta.district,
                        "sentence": q.sentence,
                        "span": q.span,
                        "indicator": q.indicator,
                        "value": q.value,
                        "value_max": q.value_max,
                        "unit": q.unit,
                        "value_normalised": q.value_normalised,
                        "unit_normalised": q.unit_normalised,
                        "hedge": q.hedge,
                        "deadline": q.deadline,
                        "kind": q.kind,
                    }
                )
    return rows


def benchmark_rows(ctx: FileContext, res: Resources) -> list[dict]:
    rows = []
    for r in ctx.reports:
        para_themes = [[t for t, _, _ in p.themes] for p in r.paragraphs]
        for bench in r.meta.benchmarks:
            hits = [i for i, p in enumerate(r.paragraphs) if any(m.district == bench for m in res.gazetteer.find(p.text))]
            mix = Counter(t for i in hits for t in para_themes[i])
            rows.append(
                {
                    "report_id": r.report_id,
                    "district": r.meta.district,
                    "benchmark": bench,
                    "n_mentions": len(hits),
                    "themes": [t for t, _ in mix.most_common()],
                }
            )
    return rows


def textrank_rows(ctx: FileContext) -> list[dict]:
    """Per-report TextRank keywords; merged with corpus TF-IDF into `keywords` at the end."""
    rows = []
    for r in ctx.reports:
        terms = [t for p in r.paragraphs for t in p.terms]
        ranked = keywords.textrank(terms, top_k=TEXTRANK_TOP_K)
        rows += [
            {"report_id": r.report_id, "term": term, "weight": float(w), "rank": k, "method": "textrank"}
            for k, (term, w) in enumerate(ranked, 1)
        ]
    return rows


def keyword_rows(*args, **kwargs):  # corpus scope: built by analysis.build from term_counts
    from analysis.build import keyword_table

    return keyword_table(*args, **kwargs)
