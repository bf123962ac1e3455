"""Every cached loader and query of the dashboard, in one module.

The store (`$DUIBIAO_STORE`, else `<repo>/store`) is opened once per build: the
cache key is the build's real path plus its manifest (`built_at`, `fingerprint`),
so a rebuilt store is picked up on the next click and an unchanged one is never
read twice.

A `Corpus` holds one store (plus the files a session uploaded):
- small tables as pandas frames: reports (with parsed dates and every speaker it
  quotes), files, themes (with paragraph speaker and district), targets, benchmarks;
- big tables (paragraphs, term_counts, keywords) in an in-memory DuckDB database,
  queried with a semi-join on the selected report ids.
It is shared by all sessions through `st.cache_resource` and never mutated.

Queries take a `Filter` and are cached with `st.cache_data` on (corpus key, filter,
arguments): the first click on a filter runs a few DuckDB aggregates over the
whole store; every later click on the same view is a cache hit. All caches are
bounded (`max_entries`, `ttl`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st

from analysis.schema import TABLES
from analysis.store import Snapshot, StoreError, open_snapshot
from dashboard.filters import Filter, FilterOptions, filter_options, filtered_report_ids

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
STORE_ENV = "DUIBIAO_STORE"

TTL = "6h"
DUCK_TABLES = ("paragraphs", "term_counts", "keywords")
KIND_LABELS = {"target": "目标", "achievement": "成绩", "context": "背景"}
METHOD_LABELS = {"tfidf": "TF-IDF", "textrank": "TextRank", "count": "词频"}
UPLOAD_PREFIX = "上传/"

__all__ = ["Corpus", "StoreError", "store_path", "open_store", "build_store", "load_corpus"]


# --- the store ---------------------------------------------------------------------------------


def store_path() -> Path:
    env = os.environ.get(STORE_ENV, "").strip()
    return Path(env) if env else ROOT / "store"


def open_store(path: Path | None = None) -> Snapshot:
    """The live build of the store; raises StoreError (plain message) when missing/corrupt/old."""
    return open_snapshot(path or store_path())


def store_exists(path: Path | None = None) -> bool:
    p = path or store_path()
    return p.exists() or p.is_symlink()


_BUILD_LOCK = threading.Lock()


def build_store(path: Path | None = None, sources: Sequence[Path] = (SEEDS,)) -> str:
    """Build the store from `sources` (default: seeds/); returns the build summary.

    Runs in-process with one worker (no fork of the server). Another build of the
    same store in progress is waited for (the store's own file lock).
    """
    from analysis.build import build

    with _BUILD_LOCK:
        result = build(list(sources), path or store_path(), workers=1, progress=False, wait=600)
    return result.summary()


def snapshot_key(snap: Snapshot) -> str:
    m = snap.manifest
    return f"{snap.path}|{m.get('built_at', '')}|{m.get('fingerprint', '')}|{m.get('n_reports', '')}"


# --- date parsing ------------------------------------------------------------------------------

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


# --- the corpus --------------------------------------------------------------------------------


class Corpus:
    """One store (plus uploads), read-only: `Corpus.from_snapshot` / `Corpus.with_uploads`; see module doc."""

    def __init__(self, key: str, manifest: dict, arrow: dict[str, pa.Table], uploads: tuple[str, ...] = ()):
        self.key = key
        self.manifest = manifest
        self.uploads = uploads
        self.db = duckdb.connect(":memory:")
        self.db.execute("SET threads TO 2")
        for name in DUCK_TABLES:
            self.db.register(f"_arrow_{name}", arrow[name])
            self.db.execute(f"CREATE TABLE {name} AS SELECT * FROM _arrow_{name}")
            self.db.unregister(f"_arrow_{name}")
        self.files = arrow["files"].to_pandas()
        self.reports = self._reports(arrow["reports"])
        cur = self.db.cursor()
        try:
            cur.register("_themes", arrow["themes"])
            cur.register("_reports", arrow["reports"].select(["report_id", "district"]))
            self.themes = cur.execute(
                """SELECT t.report_id, t.paragraph_no, t.theme, t.score, t.evidence,
                          coalesce(p.speaker, '') AS speaker, coalesce(r.district, '') AS district
                   FROM _themes t LEFT JOIN paragraphs p USING (report_id, paragraph_no)
                   LEFT JOIN _reports r USING (report_id)
                   ORDER BY t.report_id, t.paragraph_no, t.score DESC"""
            ).df()
        finally:
            cur.close()
        self.report_themes = self.themes[["report_id", "theme"]].drop_duplicates(ignore_index=True)
        self.targets = arrow["targets"].to_pandas()
        self.benchmarks = arrow["benchmarks"].to_pandas()
        self.options: FilterOptions = filter_options(self.reports, self.report_themes)
        self._by_id = pd.Series(np.arange(len(self.reports)), index=self.reports["report_id"])
        self.labels: dict[str, str] = dict(zip(self.reports["report_id"].tolist(), self.reports["label"].tolist()))

    def _reports(self, table: pa.Table) -> pd.DataFrame:
        df = table.to_pandas()
        spk = self.db.execute(
            "SELECT report_id, list(DISTINCT speaker ORDER BY speaker) AS s FROM paragraphs WHERE speaker <> '' GROUP BY report_id"
        ).df()
        quoted = dict(zip(spk["report_id"], spk["s"]))
        df["speakers"] = [
            tuple(dict.fromkeys(([s] if s else []) + [x for x in (quoted.get(r) if quoted.get(r) is not None else []) if x]))
            for r, s in zip(df["report_id"], df["speaker"])
        ]
        bounds = [date_bounds(d) for d in df["date"]]
        df["date_lo"] = pd.to_datetime(pd.Series([b[0] for b in bounds], dtype=object), errors="coerce")
        df["date_hi"] = pd.to_datetime(pd.Series([b[1] for b in bounds], dtype=object), errors="coerce")
        df["label"] = [report_label(r) for r in df.itertuples()]
        df["benchmarks_text"] = ["、".join(b) if b is not None else "" for b in df["benchmarks"]]
        return df

    # -- construction --

    @classmethod
    def from_snapshot(cls, snap: Snapshot) -> "Corpus":
        arrow = {name: snap.read(name) for name in TABLES}
        return cls(snapshot_key(snap), dict(snap.manifest), arrow)

    @classmethod
    def with_uploads(cls, base_snapshot: Snapshot, uploads: Sequence[tuple[str, dict[str, list[dict]]]]) -> "Corpus":
        """The store plus the rows of uploaded files ((content hash, analyse_file rows), ...)."""
        arrow = {}
        for name, table in TABLES.items():
            parts = [base_snapshot.read(name).select(table.column_names).cast(table.schema)]
            rows = [r for _, up in uploads for r in _upload_rows(name, up)]
            if rows:
                parts.append(pa.Table.from_pylist(rows, schema=table.schema))
            arrow[name] = pa.concat_tables(parts)
        hashes = tuple(h for h, _ in uploads)
        key = snapshot_key(base_snapshot) + "|uploads:" + ",".join(h[:12] for h in hashes)
        return cls(key, dict(base_snapshot.manifest), arrow, hashes)

    # -- queries --

    def sql(self, query: str, ids: Sequence[str] | None = None, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run `query` on a private cursor; `{ids}` in the query is the id filter
        (`report_id IN (...)`, or TRUE when `ids` is None)."""
        cur = self.db.cursor()
        try:
            if ids is None:
                q = query.replace("{ids}", "TRUE")
            else:
                cur.register("_ids", pa.table({"report_id": pa.array(list(ids), pa.string())}))
                q = query.replace("{ids}", "report_id IN (SELECT report_id FROM _ids)")
            return cur.execute(q, list(params or [])).df()
        finally:
            cur.close()

    def report(self, report_id: str) -> pd.Series | None:
        i = self._by_id.get(report_id)
        return None if i is None else self.reports.iloc[int(i)]

    def has_report(self, report_id: str | None) -> bool:
        return bool(report_id) and report_id in self._by_id.index

    @property
    def skipped_files(self) -> pd.DataFrame:
        return self.files[self.files["status"] != "ok"][["source_file", "status", "message"]]


def report_label(r: Any) -> str:
    """One line naming a report for pickers: date · district · speaker · title (plain text)."""
    parts = [getattr(r, "date", "") or "日期不详", getattr(r, "district", "") or "区域不详"]
    if getattr(r, "speaker", ""):
        parts.append(r.speaker)
    title = (getattr(r, "title", "") or "").strip() or f"{r.source_file} 第{r.report_no}篇"
    parts.append(title[:40] + ("…" if len(title) > 40 else ""))
    return " · ".join(parts)


def _upload_rows(name: str, rows: dict[str, list[dict]]) -> list[dict]:
    if name == "keywords":
        return list(rows.get("textrank", [])) + list(rows.get("tfidf", []))
    return list(rows.get(name, []))


# --- cached loaders ----------------------------------------------------------------------------


@st.cache_resource(max_entries=2, ttl=TTL, show_spinner="正在载入数据……")
def _load_corpus(path: str, key: str) -> Corpus:
    return Corpus.from_snapshot(open_snapshot(Path(path)))


def load_corpus(snap: Snapshot) -> Corpus:
    return _load_corpus(str(snap.path), snapshot_key(snap))


@st.cache_resource(max_entries=1, ttl=TTL, show_spinner=False)
def _resources():
    from analysis.pipeline import Resources

    return Resources()


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@st.cache_resource(max_entries=32, ttl=TTL, show_spinner="正在分析上传的文件……")
def analyse_upload(digest: str, name: str, _data: bytes) -> dict[str, list[dict]]:
    """Rows of every table for one uploaded file (cached by content hash; a shared,
    read-only object, so a rerun does not copy the rows again).

    Adds TF-IDF keyword rows ("tfidf") computed with jieba's IDF blended with the
    file's own term counts, so uploaded reports rank keywords like the store's.
    """
    from analysis import keywords
    from analysis.pipeline import analyse_file

    rows = analyse_file(_data, UPLOAD_PREFIX + name, _resources(), content_hash=digest)
    tc = pd.DataFrame(rows.get("term_counts", []), columns=["report_id", "speaker", "term", "count", "pos"])
    if not tc.empty:
        idf, median = keywords.load_jieba_idf()
        kw = keywords.tfidf_keywords(tc, jieba_idf=idf, median_idf=median)
        rows["tfidf"] = kw.to_dict("records")
    return rows


@st.cache_resource(max_entries=4, ttl="2h", show_spinner="正在合并上传的文件……")
def _corpus_with_uploads(path: str, key: str, hashes: tuple[str, ...], _uploads: tuple) -> Corpus:
    return Corpus.with_uploads(open_snapshot(Path(path)), _uploads)


def corpus_with_uploads(snap: Snapshot, uploads: Sequence[tuple[str, dict]]) -> Corpus:
    """The store plus the given uploads (content hash, rows), cached on the hash tuple."""
    hashes = tuple(h for h, _ in uploads)
    return _corpus_with_uploads(str(snap.path), snapshot_key(snap), hashes, tuple(uploads))


# --- filter -> ids -----------------------------------------------------------------------------


@st.cache_data(max_entries=256, ttl=TTL, show_spinner=False)
def _ids(_c: Corpus, key: str, flt: Filter) -> list[str]:
    return filtered_report_ids(_c.reports, _c.report_themes, flt)


def ids_for(c: Corpus, flt: Filter) -> list[str]:
    return _ids(c, c.key, flt) if flt.active else c.reports["report_id"].tolist()


def _sel(c: Corpus, flt: Filter) -> list[str] | None:
    """Ids for SQL: None means 'all reports' (no semi-join)."""
    return _ids(c, c.key, flt) if flt.active else None


def reports_for(c: Corpus, flt: Filter) -> pd.DataFrame:
    if not flt.active:
        return c.reports
    ids = set(ids_for(c, flt))
    return c.reports[c.reports["report_id"].isin(ids)]


# --- overview ----------------------------------------------------------------------------------


@st.cache_data(max_entries=128, ttl=TTL, show_spinner=False)
def _overview(_c: Corpus, key: str, flt: Filter) -> dict:
    r = reports_for(_c, flt)
    speakers = {s for tup in r["speakers"] for s in tup}
    lo, hi = r["date_lo"].dropna(), r["date_hi"].dropna()
    dated = r["date"].fillna("").str.len().gt(0)
    return {
        "n_reports": int(len(r)),
        "n_speakers": len(speakers),
        "n_districts": int(r["district"].replace("", np.nan).dropna().nunique()),
        "n_files": int(r["source_file"].nunique()),
        "date_from": lo.min().date().isoformat() if len(lo) else "",
        "date_to": hi.max().date().isoformat() if len(hi) else "",
        "n_dated": int(dated.sum()),
        "n_chars": int(r["n_chars"].sum()),
    }


def overview(c: Corpus, flt: Filter) -> dict:
    return _overview(c, c.key, flt)


@st.cache_data(max_entries=128, ttl=TTL, show_spinner=False)
def _counts_by(_c: Corpus, key: str, flt: Filter, column: str) -> pd.DataFrame:
    r = reports_for(_c, flt)
    if column == "speaker":
        s = r[["speakers"]].explode("speakers")["speakers"]
    else:
        s = r[column]
    s = s.dropna().astype(str)
    s = s[s.str.len() > 0]
    out = s.value_counts().rename_axis(column).reset_index(name="n_reports")
    return out.sort_values(["n_reports", column], ascending=[False, True], ignore_index=True)


def counts_by(c: Corpus, flt: Filter, column: str) -> pd.DataFrame:
    """Reports per district / speaker (byline or quoted) / source_file, most first."""
    return _counts_by(c, c.key, flt, column)


def report_table(c: Corpus, flt: Filter) -> pd.DataFrame:
    """The filtered reports as shown and exported (no full text)."""
    cols = ["report_id", "date", "district", "speaker", "position", "organization", "title",
            "benchmarks_text", "source", "source_file", "report_no", "n_chars"]
    return reports_for(c, flt)[cols].rename(columns={"benchmarks_text": "benchmarks"}).reset_index(drop=True)


# --- keywords ----------------------------------------------------------------------------------


@st.cache_data(max_entries=256, ttl=TTL, show_spinner=False)
def _term_ranking(_c: Corpus, key: str, flt: Filter, method: str, limit: int) -> pd.DataFrame:
    ids = _sel(_c, flt)
    if method == "count":
        speaker_clause = " AND speaker = ?" if flt.speaker else ""
        params = [flt.speaker] if flt.speaker else []
        q = f"""SELECT term, sum("count")::DOUBLE AS weight, count(DISTINCT report_id) AS n_reports
                FROM term_counts WHERE {{ids}}{speaker_clause}
                GROUP BY term ORDER BY weight DESC, term LIMIT {int(limit)}"""
        return _c.sql(q, ids, params)
    q = f"""SELECT term, sum(weight) AS weight, count(*) AS n_reports, min(rank) AS best_rank
            FROM keywords WHERE method = ? AND {{ids}}
            GROUP BY term ORDER BY weight DESC, term LIMIT {int(limit)}"""
    return _c.sql(q, ids, [method])


def term_ranking(c: Corpus, flt: Filter, method: str = "tfidf", limit: int = 50) -> pd.DataFrame:
    """Terms ranked over the selected reports: summed keyword weights (tfidf / textrank)
    or occurrences (count; with a speaker filter only that speaker's own words)."""
    if method not in METHOD_LABELS:
        method = "tfidf"
    return _term_ranking(c, c.key, flt, method, int(limit))


def split_sentences(text: str) -> list[tuple[int, int]]:
    from analysis.sentences import sentence_spans

    return sentence_spans(text)


KWIC_COLUMNS = ["report_id", "paragraph_no", "speaker", "sentence", "hits", "title", "district", "date", "source_file"]


@dataclass(frozen=True)
class KwicTotals:
    mentions: int = 0  # occurrences of the term
    paragraphs: int = 0
    reports: int = 0


@st.cache_data(max_entries=128, ttl=TTL, show_spinner=False)
def _kwic(_c: Corpus, key: str, flt: Filter, term: str, limit: int) -> tuple[pd.DataFrame, KwicTotals]:
    ids = _sel(_c, flt)
    n = len(term)
    totals = _c.sql(
        f"""SELECT coalesce(sum((length(text) - length(replace(text, ?, ''))) // {n}), 0) AS mentions,
                   count(*) AS paragraphs, count(DISTINCT report_id) AS reports
            FROM paragraphs WHERE {{ids}} AND contains(text, ?)""",
        ids, [term, term],
    ).iloc[0]
    # Sentences only for the first paragraphs (in report order): enough for `limit` lines.
    paras = _c.sql(
        f"""SELECT report_id, paragraph_no, speaker, text FROM paragraphs
            WHERE {{ids}} AND contains(text, ?) ORDER BY report_id, paragraph_no LIMIT {int(limit)}""",
        ids, [term],
    )
    rows = []
    for p in paras.itertuples(index=False):
        for s, e in split_sentences(p.text):
            sentence = p.text[s:e]
            if term in sentence:
                rows.append((p.report_id, p.paragraph_no, p.speaker, sentence, sentence.count(term)))
        if len(rows) >= limit:
            break
    df = pd.DataFrame(rows[:limit], columns=KWIC_COLUMNS[:5])
    df = df.join(_c.reports.set_index("report_id")[["title", "district", "date", "source_file"]], on="report_id")
    return df, KwicTotals(int(totals["mentions"]), int(totals["paragraphs"]), int(totals["reports"]))


def kwic(c: Corpus, flt: Filter, term: str, limit: int = 500) -> tuple[pd.DataFrame, KwicTotals]:
    """Sentences of the selected reports holding `term` (the first `limit`, in report
    order) and the totals over all selected reports."""
    term = (term or "").strip()
    if not term:
        return pd.DataFrame(columns=KWIC_COLUMNS), KwicTotals()
    return _kwic(c, c.key, flt, term, int(limit))


@st.cache_data(max_entries=64, ttl=TTL, show_spinner=False)
def wordcloud_png(weights: tuple[tuple[str, float], ...], width: int = 800, height: int = 400) -> bytes:
    """PNG of the word cloud (cached on the weights).

    Capped font size (wordcloud otherwise tries every size down from the canvas
    height) and fast PNG compression keep a new cloud under ~200 ms.
    """
    import io

    from dashboard.wordcloud_render import render_wordcloud

    img = render_wordcloud(dict(weights), width=width, height=height, max_font_size=int(height * 0.28))
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def cloud_weights(df: pd.DataFrame, n: int = 100) -> tuple[tuple[str, float], ...]:
    if df is None or df.empty:
        return ()
    top = df.nlargest(n, "weight")
    return tuple((str(t), float(w)) for t, w in zip(top["term"], top["weight"]) if w > 0)


# --- themes ------------------------------------------------------------------------------------


def _themes_for(c: Corpus, flt: Filter) -> pd.DataFrame:
    """Themed paragraphs of the selected reports; with a speaker filter, that speaker's own paragraphs."""
    if not flt.active:
        return c.themes
    t = c.themes[c.themes["report_id"].isin(set(ids_for(c, flt)))]
    return t[t["speaker"] == flt.speaker] if flt.speaker else t


@st.cache_data(max_entries=128, ttl=TTL, show_spinner=False)
def _theme_mix(_c: Corpus, key: str, flt: Filter) -> pd.DataFrame:
    from analysis.compare import theme_shares

    t = _themes_for(_c, flt)
    if t.empty:
        return pd.DataFrame(columns=["theme", "n_paragraphs", "n_reports", "score", "share"])
    g = t.groupby("theme").agg(n_paragraphs=("paragraph_no", "size"), n_reports=("report_id", "nunique"), score=("score", "sum"))
    g["share"] = theme_shares(t, t["report_id"].unique()).reindex(g.index).fillna(0.0)
    return g.reset_index().sort_values(["share", "theme"], ascending=[False, True], ignore_index=True)


def theme_mix(c: Corpus, flt: Filter) -> pd.DataFrame:
    """Per theme: paragraphs carrying it, reports, summed score, and its share
    (analysis.compare.theme_shares: each themed paragraph counts once, split by score)."""
    return _theme_mix(c, c.key, flt)


@st.cache_data(max_entries=128, ttl=TTL, show_spinner=False)
def _theme_matrix(_c: Corpus, key: str, flt: Filter, by: str, top: int, normalise: bool) -> pd.DataFrame:
    t = _themes_for(_c, flt)
    t = t[t[by].astype(str).str.len() > 0]
    if t.empty:
        return pd.DataFrame()
    keep = t[by].value_counts().nlargest(top).index
    m = pd.crosstab(t.loc[t[by].isin(keep), by], t.loc[t[by].isin(keep), "theme"])
    m = m.loc[[k for k in keep if k in m.index]]
    themes = [x for x in _theme_mix(_c, key, flt)["theme"] if x in m.columns]
    m = m[themes]
    if normalise:
        m = m.div(m.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)
    return m


def theme_matrix(c: Corpus, flt: Filter, by: str = "speaker", top: int = 20, normalise: bool = False) -> pd.DataFrame:
    """Themed paragraphs per (speaker or district) x theme, the `top` busiest rows;
    normalise=True gives each row's shares."""
    return _theme_matrix(c, c.key, flt, by, int(top), bool(normalise))


@st.cache_data(max_entries=128, ttl=TTL, show_spinner=False)
def _theme_evidence(_c: Corpus, key: str, flt: Filter, theme: str, limit: int) -> pd.DataFrame:
    t = _themes_for(_c, flt)
    t = t[t["theme"] == theme].sort_values(["score", "report_id", "paragraph_no"], ascending=[False, True, True]).head(limit)
    if t.empty:
        return pd.DataFrame(columns=["report_id", "paragraph_no", "score", "evidence", "speaker", "district", "text", "title", "date"])
    keys = pa.table({"report_id": t["report_id"].astype(str).tolist(), "paragraph_no": t["paragraph_no"].astype("int64").tolist()})
    cur = _c.db.cursor()
    try:
        cur.register("_keys", keys)
        texts = cur.execute(
            "SELECT p.report_id, p.paragraph_no, p.text FROM paragraphs p JOIN _keys k USING (report_id, paragraph_no)"
        ).df()
    finally:
        cur.close()
    out = t.merge(texts, on=["report_id", "paragraph_no"], how="left")
    out = out.join(_c.reports.set_index("report_id")[["title", "date"]], on="report_id")
    out["evidence"] = out["evidence"].map(lambda e: [str(x) for x in e] if e is not None else [])
    return out[["report_id", "paragraph_no", "score", "evidence", "speaker", "district", "text", "title", "date"]].reset_index(drop=True)


def theme_evidence(c: Corpus, flt: Filter, theme: str, limit: int = 30) -> pd.DataFrame:
    """The paragraphs that carry `theme` most strongly, with their text and matched terms."""
    return _theme_evidence(c, c.key, flt, theme, int(limit))


# --- benchmarks --------------------------------------------------------------------------------


@st.cache_data(max_entries=128, ttl=TTL, show_spinner=False)
def _benchmark_edges(_c: Corpus, key: str, flt: Filter) -> pd.DataFrame:
    b = _c.benchmarks
    if flt.active:
        b = b[b["report_id"].isin(set(ids_for(_c, flt)))]
    b = b[(b["district"].astype(str).str.len() > 0) & (b["benchmark"].astype(str).str.len() > 0)]
    if b.empty:
        return pd.DataFrame(columns=["district", "benchmark", "n_reports", "n_mentions", "themes"])

    def top_themes(s: pd.Series) -> str:
        from collections import Counter

        cnt: Counter[str] = Counter(t for arr in s for t in (arr if arr is not None else []))
        return "、".join(t for t, _ in cnt.most_common(3))

    g = b.groupby(["district", "benchmark"]).agg(
        n_reports=("report_id", "nunique"), n_mentions=("n_mentions", "sum"), themes=("themes", top_themes)
    )
    return g.reset_index().sort_values(["n_reports", "n_mentions"], ascending=False, ignore_index=True)


def benchmark_edges(c: Corpus, flt: Filter) -> pd.DataFrame:
    """Who learns from whom: (district, benchmark) with reports, mentions and top themes."""
    return _benchmark_edges(c, c.key, flt)


# --- targets -----------------------------------------------------------------------------------

TARGET_COLUMNS = ["indicator", "value", "value_max", "unit", "hedge", "deadline", "kind", "speaker", "district",
                  "sentence", "span", "value_normalised", "unit_normalised", "title", "date", "report_id", "paragraph_no"]


def _targets_view(c: Corpus) -> pd.DataFrame:
    """All targets with their report's title and date and a comparable-unit key, built once per corpus."""
    view = getattr(c, "_targets_view_cache", None)
    if view is None:
        t = c.targets.join(c.reports.set_index("report_id")[["title", "date"]], on="report_id")
        norm = t["unit_normalised"].fillna("").astype(str).str.strip()
        t["cmp_unit"] = norm.where(norm.str.len() > 0, t["unit"].fillna("").astype(str).str.strip())
        view = t[TARGET_COLUMNS + ["cmp_unit"]].reset_index(drop=True)
        c._targets_view_cache = view
    return view


def targets(c: Corpus, flt: Filter) -> pd.DataFrame:
    """Quantities of the selected reports (a speaker filter keeps that speaker's own).

    Not cached with st.cache_data on purpose: the frame can be large and a cache hit
    would copy it; filtering the per-corpus view by a set of ids takes milliseconds.
    """
    t = _targets_view(c)
    if flt.active:
        t = t[t["report_id"].isin(set(ids_for(c, flt)))]
        if flt.speaker:
            t = t[t["speaker"] == flt.speaker]
    return t


DISPLAY_UNITS = {"元": ("亿元", 1e8)}


def comparable_values(df: pd.DataFrame, unit: str, limit: int | None = None) -> tuple[pd.DataFrame, str]:
    """Rows whose comparable unit (normalised unit, else unit as written) is `unit`, with a
    value to plot in a readable unit (元 are shown in 亿元), largest first (the first
    `limit`). Returns (rows with `plot_value`, `plot_max`, `label`), display unit."""
    rows = df[df["cmp_unit"] == unit]
    shown, factor = DISPLAY_UNITS.get(unit, (unit, 1.0))
    if rows.empty:
        return rows.assign(plot_value=[], plot_max=[], label=[]), shown
    base = rows["value_normalised"].where(rows["value_normalised"].notna(), rows["value"])
    rows = rows.assign(plot_value=base / factor)
    rows = rows.sort_values("plot_value", ascending=False, kind="stable")
    if limit:
        rows = rows.head(limit)
    ratio = (rows["value_max"] / rows["value"]).where(rows["value"].ne(0))
    rows = rows.assign(plot_max=(rows["plot_value"] * ratio).where(rows["value_max"].notna()))
    labels = [
        " · ".join(x for x in [(i or "（未注明指标）")[:18], d, s] if x)
        for i, d, s in zip(rows["indicator"].fillna("").tolist(), rows["district"].fillna("").tolist(), rows["speaker"].fillna("").tolist())
    ]
    seen: dict[str, int] = {}
    unique = []
    for lab in labels:  # chart categories must be unique
        seen[lab] = seen.get(lab, 0) + 1
        unique.append(lab if seen[lab] == 1 else f"{lab}（{seen[lab]}）")
    return rows.assign(label=unique), shown


def unit_choices(df: pd.DataFrame) -> list[str]:
    """Comparable units present, most rows first."""
    if df.empty:
        return []
    key = df["cmp_unit"]
    counts = key[key.str.len() > 0].value_counts()
    return sorted(counts.index, key=lambda u: (-counts[u], u))


# --- comparison --------------------------------------------------------------------------------


def group_filter(flt: Filter, by: str, who: str) -> Filter:
    """The selection for one side of a comparison: the sidebar filter with the district
    (or speaker) replaced by `who`."""
    return flt.replace(**{by: who})


@st.cache_data(max_entries=128, ttl=TTL, show_spinner=False)
def _group_terms(_c: Corpus, key: str, flt: Filter, by: str, who: str) -> pd.DataFrame:
    g = group_filter(flt, by, who)
    ids = _ids(_c, key, g)
    if by == "speaker":
        return _c.sql('SELECT term, sum("count") AS count FROM term_counts WHERE {ids} AND speaker = ? GROUP BY term', ids, [who])
    return _c.sql('SELECT term, sum("count") AS count FROM term_counts WHERE {ids} GROUP BY term', ids)


def group_terms(c: Corpus, flt: Filter, by: str, who: str) -> pd.DataFrame:
    """Term counts of one comparison group (a speaker's own words when by='speaker')."""
    return _group_terms(c, c.key, flt, by, who)


@st.cache_data(max_entries=8, ttl=TTL, show_spinner=False)
def _corpus_term_totals(_c: Corpus, key: str) -> pd.DataFrame:
    return _c.sql('SELECT term, sum("count") AS count FROM term_counts GROUP BY term')


@st.cache_data(max_entries=64, ttl=TTL, show_spinner=False)
def _distinctive(_c: Corpus, key: str, flt: Filter, by: str, mine: str, others: tuple[str, ...], top: int) -> pd.DataFrame:
    from analysis.compare import compare_groups

    a = group_terms(_c, flt, by, mine)
    b = pd.concat([group_terms(_c, flt, by, o) for o in others], ignore_index=True)
    if a.empty or b.empty:
        return pd.DataFrame(columns=["term", "count_a", "count_b", "delta", "z"])
    # The prior of compare_groups is the total of the frame it gets: add the rest of the
    # corpus as a third pseudo-report so the prior is the whole corpus, as intended.
    rest = _corpus_term_totals(_c, key).set_index("term")["count"]
    used = pd.concat([a, b]).groupby("term")["count"].sum()
    rest = rest.sub(used, fill_value=0).clip(lower=0)
    tc = pd.concat([
        a.assign(report_id="A"), b.assign(report_id="B"),
        rest[rest > 0].rename("count").rename_axis("term").reset_index().assign(report_id="REST"),
    ], ignore_index=True)
    tc["count"] = tc["count"].astype("int64")
    res = compare_groups(tc[["report_id", "term", "count"]], ["A"], ["B"], top_k=top)
    return res[["term", "count_a", "count_b", "delta", "z"]].reset_index(drop=True)


def distinctive_terms(c: Corpus, flt: Filter, by: str, mine: str, others: Sequence[str], top: int = 15) -> pd.DataFrame:
    """Terms that set `mine` apart from `others` (z > 0: more typical of mine; z < 0: of others)."""
    return _distinctive(c, c.key, flt, by, mine, tuple(others), int(top))


# --- one report --------------------------------------------------------------------------------


@st.cache_data(max_entries=64, ttl=TTL, show_spinner=False)
def _report_parts(_c: Corpus, key: str, report_id: str) -> dict:
    paras = _c.sql("SELECT paragraph_no, speaker, text FROM paragraphs WHERE report_id = ? ORDER BY paragraph_no", None, [report_id])
    kw = _c.sql("SELECT term, weight, rank, method FROM keywords WHERE report_id = ? ORDER BY method, rank", None, [report_id])
    th = _c.themes[_c.themes["report_id"] == report_id][["paragraph_no", "theme", "score", "evidence"]].copy()
    th["evidence"] = th["evidence"].map(lambda e: [str(x) for x in e] if e is not None else [])
    tg = _c.targets[_c.targets["report_id"] == report_id].reset_index(drop=True)
    bm = _c.benchmarks[_c.benchmarks["report_id"] == report_id][["benchmark", "n_mentions", "themes"]].reset_index(drop=True)
    return {"paragraphs": paras, "keywords": kw, "themes": th.reset_index(drop=True), "targets": tg, "benchmarks": bm}


def report_parts(c: Corpus, report_id: str) -> dict:
    """Paragraphs, keywords (both methods), paragraph themes, targets and benchmarks of one report."""
    return _report_parts(c, c.key, report_id)
