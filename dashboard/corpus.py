"""The dashboard's read-only view of one store (plus a session's uploads). No Streamlit here.

What is held in memory is what every click needs, in the form the click needs it:

- report metadata (no text) as a pandas frame whose row number is the report's
  position (`rix`); a filter becomes a boolean mask over these rows;
- themed paragraphs (with their speaker and district) as a frame of categorical codes,
  their evidence lists as one Arrow column; benchmarks and files: small frames;
- keywords and term counts as `TermIndex` CSR arrays keyed by position, so a ranking
  over any selection is a `bincount`. Term counts (18 million rows at 10,000 reports)
  and targets (1.2 million) are read in a background thread started a few seconds
  after the first page's run, or at the next click (`start_loading_soon`): the overview
  needs neither, so it does not wait.
  Both, and the themed paragraphs' and speakers' tables, are memory-mapped from
  uncompressed copies beside the build (`dashboard.mapped`, written by the first server
  to read it), not decoded into the process's memory.

What is not held: the text of the paragraphs (a report's text is its paragraphs).
It stays in the Parquet files and the views that show text (one report, the paragraphs
behind a theme, keyword in context) read the row groups of the reports they need
(`dashboard.paragraph_text`). A term is counted over the whole corpus with the
character index (`dashboard.char_index`, mapped from its copy, made last by the loader
threads), or by a DuckDB scan of the text until it is there.
So the server's memory does not grow with the corpus's text, and its own (anonymous)
memory grows with the reports and the themed paragraphs' codes only: a corpus of 10,000
reports holds ~0.18 GB of its own, and ~0.7 GB in mapped pages the system can drop
(~1.4 GB once terms have been searched: the character index's pages).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from analysis.schema import TABLES
from analysis.store import Snapshot, lower_thread_priority, map_parts
from dashboard.char_index import SEARCHED_COLUMNS, CharIndex, from_files, piece_arrays, write_index
from dashboard.filters import Filter, FilterOptions, filter_options, filtered_mask
from dashboard.mapped import earlier_copies, mapped, mapped_folder, mapped_written
from dashboard.paragraph_text import ParagraphText
from dashboard.term_index import StackedIndex, TermIndex, encode, report_positions

REPORT_META = TABLES["reports"].column_names
THEME_COLUMNS = ["report_id", "paragraph_no", "theme", "score"]
SPEAKER_COLUMNS = ["report_id", "paragraph_no", "speaker"]
TERM_COLUMNS = ["report_id", "speaker", "term", "count"]
PARAGRAPH_COLUMNS = ["report_id", "paragraph_no", "speaker", "text", "text_simplified"]
# text the views read on demand: view name -> (stored table, columns). A report's whole
# text is its paragraphs joined (pipeline.Report.text): `reports.text` is not read.
TEXT_VIEWS = {
    "paragraphs": ("paragraphs", PARAGRAPH_COLUMNS),
}
KIND_LABELS = {"target": "目标", "achievement": "成绩", "context": "背景"}
# where a report's date comes from (reports.date_source)
DATE_SOURCE_LABELS = {"text": "正文", "page": "网页发布时间", "file_name": "文件名", "stated_year": "正文所述年份"}
# the targets' columns the pages show, in this order (`targets_view`)
TARGET_COLUMNS = ["indicator", "value", "value_max", "unit", "hedge", "deadline", "kind", "speaker", "district",
                  "sentence", "span", "value_normalised", "unit_normalised", "title", "date", "report_id", "paragraph_no"]
UNDATED_KEY = np.int64(-(2**62))  # `Corpus.date_keys` of a report without a date
log = logging.getLogger(__name__)
LOADER_NICE = 10  # how much less CPU the loader threads ask for than the clicks' threads
LOAD_DELAY = 3.0  # seconds between the first page's run and the background reading (start_loading_soon)


def _yield_to_clicks() -> None:
    """Run this loader thread at a lower priority: on two cores the reading shares the CPU
    with the clicks and with the browser drawing the first page (see start_loading_soon)."""
    lower_thread_priority(LOADER_NICE)


_LOADER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="duibiao-load", initializer=_yield_to_clicks)


class Deferred:
    """A value computed on the loader threads once `start()` is called (the app calls it
    after its first page is drawn, so the first page does not compete with the reading),
    or in the caller's thread if it is asked for before."""

    def __init__(self, fn: Callable[[], Any]):
        self._fn, self._future, self._lock = _released(fn), None, threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._future is None:
                self._future = _LOADER.submit(self._fn)

    def done(self) -> bool:
        """Whether the value is there (asking for it will not wait)."""
        return self._future is not None and self._future.done()

    def result(self) -> Any:
        with self._lock:
            if self._future is None:  # not started: compute here
                self._future = Future()
                try:
                    self._future.set_result(self._fn())
                except BaseException as err:
                    self._future.set_exception(err)
        return self._future.result()


def _released(fn: Callable[[], Any]) -> Callable[[], Any]:
    """`fn`, then the memory Arrow's allocator (mimalloc) kept from what `fn` read and
    freed handed back to the system: it keeps freed pages for reuse, and reading Parquet
    frees more buffers than it keeps (~110 MB at 10,000 reports that the server would
    otherwise hold for good)."""
    def run() -> Any:
        try:
            return fn()
        finally:
            pa.default_memory_pool().release_unused()
    return run


# --- term and keyword indexes ------------------------------------------------------------------


@dataclass
class TermTables:
    """Term counts (int32: a term said 2 billion times in one report is not a worry) per
    report (`by_report`, rows = report positions): the corpus's vocabulary."""

    vocab: pd.Index
    by_report: TermIndex | StackedIndex


@dataclass
class SpeakerTerms:
    """Term counts per named speaker within a report (`by_speaker`, rows = segments: one
    per report and paragraph speaker), coded in the `TermTables` vocabulary. Loaded
    apart from it: only a speaker's own words need them, and they take longer."""

    by_speaker: TermIndex | StackedIndex
    seg_rix: np.ndarray  # report position of each segment
    seg_speaker: np.ndarray  # code in `speakers` of each segment
    speakers: pd.Index

    def speaker_rows(self, mask: np.ndarray | None, speaker: str) -> np.ndarray:
        """Segments of `speaker` in the selected reports."""
        code = self.speakers.get_indexer([speaker])[0]
        rows = self.seg_speaker == code
        return rows & mask[self.seg_rix] if mask is not None else rows


@dataclass
class KeywordTables:
    vocab: pd.Index
    weights: dict[str, TermIndex | StackedIndex]  # method -> rows = report positions
    ranks: dict[str, TermIndex | StackedIndex]


def _numpy(column: Any, dtype: Any) -> np.ndarray:
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=dtype)


def keyword_tables(kw: pa.Table, order: pa.Array, vocab: pd.Index | None = None) -> KeywordTables:
    rix = report_positions(kw["report_id"], order)
    terms, vocab = encode(kw["term"], vocab)
    methods = _numpy(kw["method"], object)
    weight, rank = _numpy(kw["weight"], np.float64), _numpy(kw["rank"], np.int32)
    weights, ranks = {}, {}
    for m in ("tfidf", "textrank"):
        keep = (methods == m) & (rix >= 0)
        weights[m] = TermIndex.from_codes(rix[keep], terms[keep], weight[keep], len(order), len(vocab))
        ranks[m] = TermIndex.from_codes(rix[keep], terms[keep], rank[keep], len(order), len(vocab))
    return KeywordTables(vocab, weights, ranks)


def term_tables(tf: pa.Table, order: pa.Array, vocab: pd.Index | None = None) -> TermTables:
    """From `_tf` rows (report_id, term, count)."""
    rix = report_positions(tf["report_id"], order)
    terms, vocab = encode(tf["term"], vocab)
    counts = _numpy(tf["count"], np.int32)
    keep = rix >= 0
    if not keep.all():  # (a boolean take of 18 million rows costs ~0.2 s an array)
        rix, terms, counts = rix[keep], terms[keep], counts[keep]
    by_report = TermIndex.from_codes(rix, terms, counts, len(order), len(vocab))
    return TermTables(vocab, by_report)


def speaker_tables(spk: pa.Table, order: pa.Array, vocab: pd.Index, speakers: pd.Index | None = None) -> SpeakerTerms:
    """From the term_counts rows of named speakers (report_id, speaker, term, count; a
    term's POS variants are summed here), coded in `vocab`."""
    s_rix = report_positions(spk["report_id"], order)
    s_terms, _ = encode(spk["term"], vocab)
    s_codes, speakers = encode(spk["speaker"], speakers)
    counts = _numpy(spk["count"], np.int64)
    # `_tf` sums every term_counts row, so every term is in `vocab`; one that were not
    # would have no column to be counted in
    keep = (s_rix >= 0) & (s_terms < len(vocab))
    if not keep.all():
        s_rix, s_terms, s_codes, counts = s_rix[keep], s_terms[keep], s_codes[keep], counts[keep]
    n_spk = len(speakers) + 1
    seg_keys, seg_of_row = np.unique(s_rix * n_spk + s_codes, return_inverse=True)
    # one entry per (segment, term): POS variants of a term are one term to a reader
    width = max(1, len(vocab))
    cells, cell_of_row = np.unique(seg_of_row.astype(np.int64) * width + s_terms, return_inverse=True)
    cell_counts = np.bincount(cell_of_row, weights=counts, minlength=len(cells)).astype(np.int32)
    by_speaker = TermIndex.from_codes(cells // width, (cells % width).astype(np.int32), cell_counts, len(seg_keys), len(vocab))
    return SpeakerTerms(by_speaker, (seg_keys // n_spk).astype(np.int64), (seg_keys % n_spk).astype(np.int32), speakers)


def _widen(ix: TermIndex, n_terms: int) -> TermIndex:
    return TermIndex(ix.indptr, ix.terms, ix.values, n_terms)


def stack_terms(base: TermTables, extra: TermTables) -> TermTables:
    """`extra` built on base's vocabulary (extended) for reports after base's."""
    return TermTables(extra.vocab, StackedIndex(base.by_report, _widen(extra.by_report, len(extra.vocab))))


def stack_speakers(base: SpeakerTerms, extra: SpeakerTerms, n_base: int, n_terms: int) -> SpeakerTerms:
    """`extra` built on base's speakers (extended) for reports after base's `n_base`."""
    return SpeakerTerms(
        StackedIndex(base.by_speaker, _widen(extra.by_speaker, n_terms)),
        np.concatenate([base.seg_rix, extra.seg_rix + n_base]),
        np.concatenate([base.seg_speaker, extra.seg_speaker]),
        extra.speakers,
    )


def stack_keywords(base: KeywordTables, extra: KeywordTables) -> KeywordTables:
    n = len(extra.vocab)
    return KeywordTables(
        extra.vocab,
        {m: StackedIndex(base.weights[m], _widen(extra.weights[m], n)) for m in extra.weights},
        {m: StackedIndex(base.ranks[m], _widen(extra.ranks[m], n)) for m in extra.ranks},
    )


# --- reading the store ---------------------------------------------------------------------------


def report_parts(snap: Snapshot) -> tuple[np.ndarray | None, dict[str, list[str]]]:
    """(the part of each report, in `reports` order; the part files of each text table).

    Part k of every per-file table holds the rows of the same files (analysis.store), so
    a report's paragraphs are in part k of `paragraphs` when the report is in part k of
    `reports`: a text query about some reports need read only their parts. None when
    the tables are not split the same way."""
    files = {t: [str(p) for p in snap.part_paths(t)] for t in {t for t, _ in TEXT_VIEWS.values()}}
    parts = snap.part_paths("reports")
    if len({len(f) for f in files.values()} | {len(parts)}) != 1:
        return None, files
    rows = [pq.ParquetFile(p).metadata.num_rows for p in parts]
    return np.repeat(np.arange(len(parts)), rows), files


def read_tables(snap: Snapshot, build: Path | None = None) -> dict[str, pa.Table]:
    """The tables the corpus holds from the start (text columns left on disk). The themed
    paragraphs (with their evidence) and the paragraphs' speakers, the two that grow with
    the paragraphs, are mapped from their copy in `build` when given (as read_terms)."""
    def by_paragraph() -> dict:
        spk = snap.read("paragraphs", SPEAKER_COLUMNS)
        return {"themes": snap.read("themes", THEME_COLUMNS + ["evidence"]),
                "speakers": spk.filter(pc.not_equal(spk["speaker"], ""))}

    return {
        "reports": snap.read("reports", REPORT_META),
        "files": snap.read("files"),
        "benchmarks": snap.read("benchmarks"),
        **mapped(build, "paragraph_tables", by_paragraph, {"themes", "speakers"}),
        "keywords": snap.read("keywords"),
    }


def read_coded(snap: Snapshot, name: str, columns: list[str], strings: list[str], keep: Callable | None = None) -> pa.Table:
    """A table read part by part with its string columns dictionary-encoded as stored
    (no string is decoded: 18 million term cells stay int32 codes), one dictionary per column."""
    def read(path: Path) -> pa.Table:
        t = pq.ParquetFile(path, read_dictionary=strings).read(columns=columns)
        return t.filter(keep(t)) if keep is not None else t

    parts = map_parts(read, snap.part_paths(name))
    table = pa.concat_tables(parts) if parts else pa.table({c: pa.array([], pa.string()) for c in columns})
    return table.unify_dictionaries().combine_chunks()


def read_terms(snap: Snapshot, order: pa.Array, build: Path | None = None) -> TermTables:
    """The store's term counts per report; with `build`, mapped from its copy there
    (`dashboard.mapped`, written from the store the first time)."""
    def make() -> dict:
        if any(p.exists() for p in snap.part_paths("_tf")):
            tf = read_coded(snap, "_tf", ["report_id", "term", "count"], ["report_id", "term"])
        else:  # a store without the hidden table (written by hand, or pruned): sum term_counts
            tf, _ = upload_terms(snap.read("term_counts", TERM_COLUMNS))
        t = term_tables(tf, order)
        return {**_index_arrays(t.by_report), "vocab": _strings(t.vocab)}

    m = mapped(build, "terms", make, {*INDEX_ARRAYS, "vocab"})
    vocab = _index(m["vocab"])
    return TermTables(vocab, _index_of(m, len(vocab)))


def read_speaker_terms(snap: Snapshot, order: pa.Array, vocab: pd.Index, build: Path | None = None) -> SpeakerTerms:
    """The store's term counts per named speaker, coded in `vocab` (read_terms's); with
    `build`, mapped from its copy there, as read_terms."""
    def make() -> dict:
        spk = read_coded(snap, "term_counts", TERM_COLUMNS, ["report_id", "speaker", "term"],
                         keep=lambda t: pc.not_equal(t["speaker"], ""))
        s = speaker_tables(spk, order, vocab)
        return {**_index_arrays(s.by_speaker), "seg_rix": s.seg_rix, "seg_speaker": s.seg_speaker,
                "speakers": _strings(s.speakers)}

    m = mapped(build, "speaker_terms", make, {*INDEX_ARRAYS, "seg_rix", "seg_speaker", "speakers"})
    return SpeakerTerms(_index_of(m, len(vocab)), m["seg_rix"], m["seg_speaker"], _index(m["speakers"]))


def read_targets(snap: Snapshot, build: Path | None = None) -> pa.Table:
    """Every target of the store in one chunk (`one_chunk`); with `build`, mapped from its copy there."""
    return mapped(build, "targets", lambda: {"targets": one_chunk(snap.read("targets"))}, {"targets"})["targets"]


def read_char_index(snap: Snapshot, order: pa.Array, build: Path) -> CharIndex | None:
    """The character index of the store's paragraphs (`dashboard.char_index`), mapped from
    its copy in `build`, written part by part the first time (linking what the store's
    other builds' copies made of the same parts). None when the copy cannot be written
    (a read-only store): the callers scan the text."""
    def write(folder: Path) -> None:
        write_index(folder, snap.part_paths("paragraphs"), order, earlier_copies(build, "char_index"))

    try:
        loaded = mapped_written(build, "char_index", write)
        return None if loaded is None else from_files(loaded)
    except Exception as err:  # noqa: BLE001 - a part that cannot be read, a piece missing: keep scanning
        log.warning("%s: no character index (%s: %s); terms are counted by scanning the text", build, type(err).__name__, err)
        shutil.rmtree(mapped_folder(build, "char_index"), ignore_errors=True)  # a broken copy: the next start writes it again
        return None


def uploads_char_index(base: CharIndex | None, paragraphs: pa.Table, order: pa.Array) -> CharIndex | None:
    """`base` (the store's index) and a piece of the uploaded paragraphs (`order`: the
    report ids of the corpus with the uploads)."""
    return None if base is None else base.stack(CharIndex.of([piece_arrays(paragraphs, order)]))


INDEX_ARRAYS = ("indptr", "terms", "values")


def _index_arrays(ix: TermIndex) -> dict[str, np.ndarray]:
    return {"indptr": ix.indptr, "terms": ix.terms, "values": ix.values}


def _index_of(m: dict, n_terms: int) -> TermIndex:
    return TermIndex(m["indptr"], m["terms"], m["values"], n_terms)


def _strings(index: pd.Index) -> pa.Table:
    return pa.table({"value": pa.array(index.tolist(), pa.string())})


def _index(table: pa.Table) -> pd.Index:
    return pd.Index(table["value"].to_pylist(), dtype=object)


def upload_tables(uploads: Sequence[tuple[str, dict[str, list[dict]]]]) -> dict[str, pa.Table]:
    """Every table's rows of the uploaded files, as Arrow tables of the store's schema."""
    out = {}
    for name, table in TABLES.items():
        rows = [r for _, up in uploads for r in _upload_rows(name, up)]
        out[name] = pa.Table.from_pylist(rows, schema=table.schema) if rows else table.schema.empty_table()
    return out


def _upload_rows(name: str, rows: dict[str, list[dict]]) -> list[dict]:
    if name == "keywords":
        return list(rows.get("textrank", [])) + list(rows.get("tfidf", []))
    return list(rows.get(name, []))


def upload_terms(tc: pa.Table) -> tuple[pa.Table, pa.Table]:
    """(`_tf`-like rows, named-speaker rows) from uploaded term_counts rows."""
    tf = tc.group_by(["report_id", "term"], use_threads=False).aggregate([("count", "sum")]).rename_columns(
        ["report_id", "term", "count"])
    spk = tc.filter(pc.not_equal(tc["speaker"], "")).select(TERM_COLUMNS)
    return tf, spk


def _parquet_list(paths: Sequence[str]) -> str:
    return "read_parquet([" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "])"


def text_connection(sources: dict[str, str], extras: dict[str, pa.Table] | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with one view per `TEXT_VIEWS` entry over the stored Parquet
    (`sources`: stored table -> read_parquet(...)) plus, for uploads, their rows."""
    db = duckdb.connect(":memory:")
    db.execute("SET threads TO 2")
    for view, (table, cols) in TEXT_VIEWS.items():
        select = ", ".join(cols)
        q = f"SELECT {select} FROM {sources[table]}"
        if extras is not None:
            # a real table (a copy of the uploads' few rows): a registered Arrow object
            # would be visible to this connection only, not to the per-query cursors
            db.register("_arrow", extras[table].select(cols))
            db.execute(f"CREATE TABLE _up_{view} AS SELECT * FROM _arrow")
            db.unregister("_arrow")
            q += f" UNION ALL SELECT {select} FROM _up_{view}"
        db.execute(f"CREATE VIEW {view} AS {q}")
    return db


# --- labels and keys ----------------------------------------------------------------------------


def snapshot_key(snap: Snapshot) -> str:
    m = snap.manifest
    return f"{snap.path}|{m.get('built_at', '')}|{m.get('fingerprint', '')}|{m.get('n_reports', '')}"


_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?$")


def date_bounds(value: str | None) -> tuple[dt.date | None, dt.date | None]:
    """First and last day covered by an ISO date that may be partial (2019, 2019-05, 2019-05-03)."""
    m = _DATE.match((value or "").strip())
    if not m:
        return None, None
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    try:
        if mo is None:
            return dt.date(y, 1, 1), dt.date(y, 12, 31)
        mo = int(mo)
        if d is None:
            last = (dt.date(y + (mo == 12), mo % 12 + 1, 1) - dt.timedelta(days=1))
            return dt.date(y, mo, 1), last
        day = dt.date(y, mo, int(d))
        return day, day
    except ValueError:
        return None, None


def report_label(r: Any) -> str:
    """One line naming a report for pickers: date · district · speaker · title (plain text)."""
    parts = [getattr(r, "date", "") or "日期不详", getattr(r, "district", "") or "区域不详"]
    if getattr(r, "speaker", ""):
        parts.append(r.speaker)
    title = (getattr(r, "title", "") or "").strip() or f"{r.source_file} 第{r.report_no}篇"
    parts.append(title[:40] + ("…" if len(title) > 40 else ""))
    return " · ".join(parts)


def _stack(base: pa.Table, extra: pa.Table) -> pa.Table:
    """The store's rows (one chunk, `one_chunk`), then a session's uploaded ones: not
    joined into one chunk, which would copy the store's rows for the session."""
    return pa.concat_tables([base, extra.cast(base.schema)])


def one_chunk(table: pa.Table) -> pa.Table:
    """`table` with one chunk per column, strings as large_string (no 2 GB limit; what
    pandas holds them as anyway). Taking rows of a column of many chunks (one per stored
    part) joins the chunks first: showing 15 of a million targets took 0.04-0.4 s,
    from one chunk 0.5 ms."""
    schema = pa.schema([f.with_type(pa.large_string()) if pa.types.is_string(f.type) else f for f in table.schema])
    return table.cast(schema).combine_chunks()


def targets_view(t: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """All targets with their report's title, date and position, a label for the kind
    and a comparable-unit key (made once per corpus).

    The added columns are categoricals: a code per target, not a string (the title and
    date of a report repeated for each of its targets were ~60 MB at 10,000 reports, the
    added columns ~100 MB in all). The targets' own columns are the mapped table's."""
    rix = report_positions(pa.array(t["report_id"], pa.string()), pa.array(reports["report_id"], pa.string()))
    norm = t["unit_normalised"].fillna("").astype(str).str.strip()
    cmp_unit = norm.where(norm.str.len() > 0, t["unit"].fillna("").astype(str).str.strip())
    added = {
        "title": _per_report(reports["title"], rix), "date": _per_report(reports["date"], rix),
        "cmp_unit": cmp_unit.astype("category"),
        "kind_label": t["kind"].map(KIND_LABELS).fillna(t["kind"]).astype("category"),
        "rix": rix,
    }
    return t.assign(**added)[TARGET_COLUMNS + ["cmp_unit", "kind_label", "rix"]].reset_index(drop=True)


def _per_report(values: pd.Series, rix: np.ndarray) -> pd.Categorical:
    """`values[rix]` (one value per report, looked up for each target; missing where rix
    is -1 or the value is) as a categorical."""
    codes, uniques = pd.factorize(values)
    return pd.Categorical.from_codes(np.where(rix >= 0, codes[np.maximum(rix, 0)], -1), categories=uniques)


# --- the corpus ----------------------------------------------------------------------------------


class Corpus:
    """One store (plus uploads), read-only: `from_snapshot` / `with_uploads`; see module doc."""

    def __init__(self, key: str, manifest: dict, tables: dict[str, pa.Table], keywords: KeywordTables,
                 text_sources: dict[str, str], text_db: duckdb.DuckDBPyConnection,
                 terms: Deferred, speaker_terms: Deferred, targets: Deferred, text_index: Deferred,
                 char_index: Deferred, uploads: tuple[str, ...] = (),
                 parts: tuple[np.ndarray | None, dict[str, list[str]]] = (None, {})):
        self.key, self.manifest, self.uploads = key, manifest, uploads
        self.arrow = tables  # kept to stack uploads on
        self.keywords = keywords
        self.text_sources, self.text_db = text_sources, text_db
        self.part_of, self.part_files = parts  # report -> part (-1: an upload), table -> files
        self._terms, self._speaker_terms, self._targets, self._text_index = terms, speaker_terms, targets, text_index
        self._char_index = char_index
        self._schedule_lock, self._load_scheduled = threading.Lock(), False  # start_loading_soon
        # Views made of those for the first visit of the comparison, targets and reader
        # pages (~0.3 s each at 10,000 reports), on the loader threads as well, once the
        # reading is done (made beside it, the server's memory peaked ~0.3 GB higher).
        self._target_view = Deferred(lambda: targets_view(self._after_reading().targets_arrow().to_pandas(), self.reports))
        self._term_totals = Deferred(lambda: self._after_reading().terms().by_report.totals(None)[0])
        # started in this order: what the comparison and keyword pages need first (a job
        # only waits for jobs started before it, so two loader threads never deadlock);
        # the character index last: until it is there, a term is counted by a scan
        self._deferred = (terms, text_index, targets, speaker_terms, self._term_totals, self._target_view, char_index)
        self.order = tables["reports"]["report_id"].combine_chunks()
        self.files = tables["files"].to_pandas()
        self.benchmarks = tables["benchmarks"].to_pandas()
        self.benchmark_rix = report_positions(tables["benchmarks"]["report_id"], self.order)
        df = tables["reports"].to_pandas()
        spk = tables["speakers"].to_pandas()
        quoted: dict[str, list[str]] = {}
        for r, s in spk[["report_id", "speaker"]].drop_duplicates().sort_values(["report_id", "speaker"]).itertuples(index=False):
            quoted.setdefault(r, []).append(s)
        df["speakers"] = [tuple(dict.fromkeys(([s] if s else []) + quoted.get(r, []))) for r, s in zip(df["report_id"], df["speaker"])]
        bounds = [date_bounds(d) for d in df["date"]]
        df["date_lo"] = pd.to_datetime(pd.Series([b[0] for b in bounds], dtype=object), errors="coerce")
        df["date_hi"] = pd.to_datetime(pd.Series([b[1] for b in bounds], dtype=object), errors="coerce")
        df["label"] = [report_label(r) for r in df.itertuples()]
        df["benchmarks_text"] = ["、".join(b) if b is not None else "" for b in df["benchmarks"]]
        df["regions"] = [tuple(x) if x is not None else () for x in df["regions"]]  # tuples: `in` is one compare each
        self.reports = df
        self.themes = self._themes(tables["themes"], spk)
        self.report_themes = self.themes[["report_id", "rix", "theme"]].drop_duplicates(ignore_index=True)
        self.options: FilterOptions = filter_options(self.reports, self.report_themes)
        self._by_id = pd.Series(np.arange(len(df)), index=df["report_id"])
        self.labels: dict[str, str] = dict(zip(df["report_id"].tolist(), df["label"].tolist()))

    def _themes(self, themes: pa.Table, speakers: pd.DataFrame) -> pd.DataFrame:
        """Themed paragraphs with the paragraph's speaker and the report's district and position."""
        t = themes.select(THEME_COLUMNS).to_pandas()
        t["row"] = np.arange(len(t))  # position in `themes`, for `evidence`
        self._evidence = themes["evidence"]  # chunked as read: take() needs no single copy
        rix = report_positions(themes["report_id"], self.order)
        t["rix"] = rix
        key = pd.MultiIndex.from_arrays([t["report_id"], t["paragraph_no"]])
        spk = speakers.set_index(["report_id", "paragraph_no"])["speaker"]
        t["speaker"] = spk.reindex(key).fillna("").to_numpy() if len(spk) else ""
        t["district"] = self.reports["district"].fillna("").to_numpy()[rix]
        t = t.sort_values(["report_id", "paragraph_no", "score"], ascending=[True, True, False], kind="stable")
        # categories: a click selects or compares rows of this frame (600,000 at 10,000
        # reports), and integer codes are what makes that cheap
        for col in ("report_id", "theme", "speaker", "district"):
            t[col] = t[col].astype("category")
        return t.reset_index(drop=True)

    # -- construction --

    @classmethod
    def from_snapshot(cls, snap: Snapshot) -> "Corpus":
        build = snap.path  # where the mapped copies are (dashboard.mapped)
        tables = read_tables(snap, build)
        order = tables["reports"]["report_id"].combine_chunks()
        keywords = keyword_tables(tables.pop("keywords"), order)
        sources = {name: snap.sql_source(name) for name in {t for t, _ in TEXT_VIEWS.values()}}
        terms = Deferred(lambda: read_terms(snap, order, build))
        speaker_terms = Deferred(lambda: read_speaker_terms(snap, order, terms.result().vocab, build))
        targets = Deferred(lambda: read_targets(snap, build))
        text_index = Deferred(lambda: ParagraphText.from_parts([str(p) for p in snap.part_paths("paragraphs")], order))
        char_index = Deferred(lambda: read_char_index(snap, order, build))
        corpus = cls(snapshot_key(snap), dict(snap.manifest), tables, keywords, sources, text_connection(sources), terms,
                     speaker_terms, targets, text_index, char_index, parts=report_parts(snap))
        pa.default_memory_pool().release_unused()  # the read buffers (see _released)
        return corpus

    @classmethod
    def with_uploads(cls, base: "Corpus", uploads: Sequence[tuple[str, dict[str, list[dict]]]]) -> "Corpus":
        """`base` (the store's corpus) plus the rows of uploaded files ((content hash, rows), ...).
        Shares base's arrays; only the uploads' rows are new."""
        extra = upload_tables(uploads)
        spk = extra["paragraphs"].select(SPEAKER_COLUMNS)
        added = {
            "reports": extra["reports"].select(REPORT_META), "files": extra["files"], "benchmarks": extra["benchmarks"],
            "themes": extra["themes"].select(THEME_COLUMNS + ["evidence"]), "speakers": spk.filter(pc.not_equal(spk["speaker"], "")),
        }
        tables = {name: pa.concat_tables([base.arrow[name], t.cast(base.arrow[name].schema)]) for name, t in added.items()}
        up_order = added["reports"]["report_id"].combine_chunks()
        n_base = len(base.order)
        keywords = stack_keywords(base.keywords, keyword_tables(extra["keywords"], up_order, base.keywords.vocab))

        tf, spk = upload_terms(extra["term_counts"])
        terms = Deferred(lambda: stack_terms(base.terms(), term_tables(tf, up_order, base.terms().vocab)))

        def speaker_terms() -> SpeakerTerms:
            b, vocab = base.speaker_terms(), terms.result().vocab
            return stack_speakers(b, speaker_tables(spk, up_order, vocab, b.speakers), n_base, len(vocab))

        hashes = tuple(h for h, _ in uploads)
        key = base.key + "|uploads:" + ",".join(h[:12] for h in hashes)
        db = text_connection(base.text_sources, extra)
        part_of = None if base.part_of is None else np.concatenate([base.part_of, np.full(len(up_order), -1)])
        order = tables["reports"]["report_id"].combine_chunks()
        chars = Deferred(lambda: uploads_char_index(base._char_index.result(), extra["paragraphs"].select(SEARCHED_COLUMNS), order))
        return cls(key, dict(base.manifest), tables, keywords, base.text_sources, db,
                   terms, Deferred(speaker_terms), Deferred(lambda: _stack(base.targets_arrow(), extra["targets"])),
                   Deferred(lambda: base.text_index() and base.text_index().with_uploads(extra["paragraphs"], up_order)),
                   chars, hashes, parts=(part_of, base.part_files))

    # -- lazily loaded parts --

    def start_loading(self) -> None:
        """Read term counts, the paragraph index, targets and speakers' counts in the background from now on."""
        for job in self._deferred:
            job.start()

    def start_loading_soon(self) -> None:
        """`start_loading` in LOAD_DELAY seconds the first time it is asked for, at once
        after that. The first run's page is still being drawn in the browser when its
        script ends: with the reading started then, a cold headless Chromium on the
        server's two cores drew the first page's charts 6.6-7.3 s after navigating,
        without it 4.7-5.7 s (even at the loaders' lower priority, Arrow decodes on its
        own threads). A click in the meantime starts the reading at once (and a page
        that needs something before it is read reads it itself, as before)."""
        with self._schedule_lock:
            first, self._load_scheduled = not self._load_scheduled, True
        if first and LOAD_DELAY > 0:
            timer = threading.Timer(LOAD_DELAY, self.start_loading)
            timer.daemon = True
            timer.start()
        else:
            self.start_loading()

    def _after_reading(self) -> "Corpus":
        """This corpus once its background reads are done (started now if they were not)."""
        reads = (self._terms, self._text_index, self._targets, self._speaker_terms)
        for job in reads:
            job.start()
        for job in reads:
            job.result()
        return self

    def terms(self) -> TermTables:
        """Term counts per report (waits for the background read, or reads them, on first use)."""
        return self._terms.result()

    def speaker_terms(self) -> SpeakerTerms:
        """Term counts per named speaker (as `terms`)."""
        return self._speaker_terms.result()

    def targets_arrow(self) -> pa.Table:
        return self._targets.result()

    def targets_frame(self) -> pd.DataFrame:
        """Every target with the columns the pages show (`targets_view`; shared, never modified)."""
        return self._target_view.result()

    def targets_loaded(self) -> bool:
        """Whether `targets_frame` is made (asking for it will not wait)."""
        return self._target_view.done()

    def term_totals(self) -> np.ndarray:
        """Occurrences of every vocabulary term in the whole corpus."""
        return self._term_totals.result()

    def text_index(self) -> ParagraphText | None:
        """Where each report's paragraphs are stored (None: a store written otherwise)."""
        return self._text_index.result()

    def char_index(self) -> CharIndex | None:
        """Where each character of the text is (`dashboard.char_index`), once it is made;
        None before (asking never waits) or when it cannot be made."""
        return self._char_index.result() if self._char_index.done() else None


    # -- queries --

    def mask(self, flt: Filter) -> np.ndarray | None:
        """Selected reports as a boolean mask over `reports` (None: every report)."""
        return filtered_mask(self.reports, self.report_themes, flt) if flt.active else None

    def paragraph_rows(self, rix: np.ndarray, columns: Sequence[str] = PARAGRAPH_COLUMNS) -> pa.Table:
        """The paragraphs of the reports at positions `rix`, report after report in that
        order and by paragraph number within a report."""
        rix = np.asarray(rix, dtype=np.int64)
        index = self.text_index()
        if index is not None:
            return index.read(rix, list(columns))
        mask = np.zeros(len(self.order), dtype=bool)
        mask[rix] = True
        cols = list(dict.fromkeys([*columns, "report_id", "paragraph_no"]))
        df = self.sql(f"SELECT {', '.join(cols)} FROM {{paragraphs}} WHERE {{ids}}", mask)
        rank = np.full(len(self.order), len(rix), dtype=np.int64)
        rank[rix] = np.arange(len(rix))
        df = df.assign(_rank=rank[self._by_id.reindex(df["report_id"]).to_numpy()])
        df = df.sort_values(["_rank", "paragraph_no"], kind="stable")
        return pa.Table.from_pandas(df[list(columns)], preserve_index=False)

    def reads_cheaply(self, rix: np.ndarray) -> bool:
        """Whether reading the paragraphs of `rix` costs less than a scan of all the text:
        a row read and searched here costs about twice a row of DuckDB's scan (two threads).
        (A store written with a row group per part reads whole parts: no.)"""
        index = self.text_index()
        return index is not None and 2 * index.rows_to_decode(np.asarray(rix, dtype=np.int64)) <= index.stored_rows

    def sql(self, query: str, mask: np.ndarray | None = None, params: Sequence[Any] | None = None,
            register: dict[str, pa.Table] | None = None) -> pd.DataFrame:
        """Run `query` over the text views on a private cursor.

        `{ids}` in the query is the selection (`report_id IN (...)`, or TRUE when `mask`
        is None); `{paragraphs}` is that view, read from only the part files holding the
        selected reports when there is a selection. `register`:
        Arrow tables the query uses by name."""
        cur = self.text_db.cursor()
        try:
            for name, table in (register or {}).items():
                cur.register(name, table)
            views = {v: self.text_source(v, mask) for v in TEXT_VIEWS}
            if mask is None:
                q = query.replace("{ids}", "TRUE")
            else:
                cur.register("_ids", pa.table({"report_id": self.order.filter(pa.array(mask))}))
                q = query.replace("{ids}", "report_id IN (SELECT report_id FROM _ids)")
            for v, source in views.items():
                q = q.replace("{" + v + "}", source)
            return cur.execute(q, list(params or [])).df()
        finally:
            cur.close()

    def text_source(self, view: str, mask: np.ndarray | None) -> str:
        """The SQL source of a text view for the reports of `mask`: the view itself, or its
        columns read from the part files that hold those reports (plus uploads' rows)."""
        if mask is None or self.part_of is None:
            return view
        table, cols = TEXT_VIEWS[view]
        parts = np.unique(self.part_of[mask])
        files = [self.part_files[table][k] for k in parts.tolist() if k >= 0]
        select = ", ".join(cols)
        pieces = [f"SELECT {select} FROM {_parquet_list(files)}"] if files else []
        if self.uploads and (parts < 0).any():
            pieces.append(f"SELECT {select} FROM _up_{view}")
        if not pieces:
            return f"(SELECT {select} FROM {view} WHERE FALSE)"
        return "(" + " UNION ALL ".join(pieces) + ")"

    def evidence(self, rows: Any) -> list[list[str]]:
        """The matched terms of the themed paragraphs at `rows` (the `row` column of `themes`)."""
        return [list(e or ()) for e in self._evidence.take(pa.array(np.asarray(rows, dtype=np.int64))).to_pylist()]

    def report(self, report_id: str) -> pd.Series | None:
        i = self._by_id.get(report_id)
        return None if i is None else self.reports.iloc[int(i)]

    def has_report(self, report_id: str | None) -> bool:
        return bool(report_id) and report_id in self._by_id.index

    @cached_property
    def years(self) -> np.ndarray:
        """The year each report's date starts in (2021 for 2021-04 and for 2021), -1 if
        undated (made once: the year chart, trends and comparisons by year all use it)."""
        lo = self.reports["date_lo"]
        return np.where(lo.isna().to_numpy(), -1, lo.dt.year.fillna(-1).to_numpy()).astype(np.int64)

    @cached_property
    def date_keys(self) -> np.ndarray:
        """Each report's date (its start) as an int64 to sort by, newest largest; undated
        reports below any date (and still safe to negate)."""
        lo = self.reports["date_lo"]
        start = lo.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        return np.where(lo.isna().to_numpy(), UNDATED_KEY, start)

    @cached_property
    def file_hashes(self) -> frozenset[str]:
        """The content hashes of the store's files (made once, when a file is uploaded:
        30,000 strings cost ~40 ms, too much for every click)."""
        return frozenset(self.files["content_hash"].tolist())

    @cached_property
    def skipped_files(self) -> pd.DataFrame:
        """The files not read, with why (made once: the overview shows it on every click)."""
        return self.files[self.files["status"] != "ok"][["source_file", "status", "message"]]


