"""Every cached loader and query of the dashboard, in one module.

The store (`$DUIBIAO_STORE`, else `<repo>/store`) is opened once per build: the
cache key is the build's real path plus its manifest (`built_at`, `fingerprint`),
so a rebuilt store is picked up on the next click and an unchanged one is never
read twice.

A `dashboard.corpus.Corpus` holds one store (plus a session's uploads): report
metadata, themes, benchmarks and files as small frames, keywords and term counts as
CSR arrays (`dashboard.term_index`), targets read on first use; the text stays in the
Parquet files and is read, a few reports' row groups at a time, by the views that show
it (`dashboard.paragraph_text`). It is shared by
all sessions through `st.cache_resource` and never mutated.

A `Filter` becomes a boolean mask over the reports; queries are cached with
`st.cache_data` on (corpus key, filter, arguments), so every later click on the same
view is a cache hit. All caches are bounded (`max_entries`, `ttl`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import streamlit as st

from analysis.sentences import sentence_spans
from analysis.store import Snapshot, StoreError, open_snapshot, read_part
from dashboard.corpus import DATE_SOURCE_LABELS, UNDATED_KEY, Corpus, snapshot_key
from dashboard.filters import Filter

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
STORE_ENV = "DUIBIAO_STORE"

TTL = "6h"
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
def analyse_upload(digest: str, name: str, _data: bytes, _snap: Snapshot | None = None, store_key: str = "") -> dict[str, list[dict]]:
    """Rows of every table for one uploaded file (cached by content hash and store; a
    shared, read-only object, so a rerun does not copy the rows again).

    Adds TF-IDF keyword rows ("tfidf") computed as the build computes the store's: the
    corpus IDF from the store's document frequencies (its hidden `_df`) and report count
    with this file's reports added, blended with jieba's IDF. Without them (no store
    given, or one without `_df`) the file's own counts stand in for the corpus, and its
    keywords rank as jieba's would.
    """
    from analysis import keywords
    from analysis.build import TFIDF_ALPHA, TFIDF_TOP_K
    from analysis.pipeline import analyse_file

    rows = analyse_file(_data, UPLOAD_PREFIX + name, _resources(), content_hash=digest)
    tc = pd.DataFrame(rows.get("term_counts", []), columns=["report_id", "speaker", "term", "count", "pos"])
    if not tc.empty:
        idf, median = keywords.load_jieba_idf()
        known = _store_df(_snap, store_key) if _snap is not None else None
        corpus = dict(corpus_df=known[0], corpus_n=known[1]) if known is not None else {}
        kw = keywords.tfidf_keywords(tc, jieba_idf=idf, median_idf=median, alpha=TFIDF_ALPHA, top_k=TFIDF_TOP_K, **corpus)
        rows["tfidf"] = kw.to_dict("records")
    return rows


@st.cache_resource(max_entries=2, ttl=TTL, show_spinner=False)
def _store_df(_snap: Snapshot, store_key: str):
    """(terms -> the store's document frequency of each, the store's number of reports),
    from the build's hidden `_df` table; None for a store without one."""
    try:
        table = read_part(Path(_snap.path) / "_df.parquet", ["term", "df"])
        n_reports = int(_snap.manifest["n_reports"])
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
        return None
    vocab, df = table["term"].combine_chunks(), table["df"].to_numpy()

    def lookup(terms: Sequence[str]) -> np.ndarray:
        if not len(vocab):
            return np.zeros(len(terms), dtype=np.int64)
        pos = pc.index_in(pa.array(list(terms), pa.string()), value_set=vocab)
        found = pos.is_valid().to_numpy(zero_copy_only=False)
        return np.where(found, df[pc.fill_null(pos, 0).to_numpy(zero_copy_only=False)], 0)

    return lookup, n_reports


@st.cache_resource(max_entries=4, ttl="2h", show_spinner="正在合并上传的文件……")
def _corpus_with_uploads(path: str, key: str, hashes: tuple[str, ...], _uploads: tuple) -> Corpus:
    return Corpus.with_uploads(_load_corpus(path, key), _uploads)


def corpus_with_uploads(snap: Snapshot, uploads: Sequence[tuple[str, dict]]) -> Corpus:
    """The store plus the given uploads (content hash, rows), cached on the hash tuple.
    Shares the store's corpus arrays; only the uploads' rows are held again."""
    hashes = tuple(h for h, _ in uploads)
    return _corpus_with_uploads(str(snap.path), snapshot_key(snap), hashes, tuple(uploads))


# --- filter -> selection -----------------------------------------------------------------------


@st.cache_data(max_entries=256, ttl=TTL, show_spinner=False)
def _mask(_c: Corpus, key: str, flt: Filter) -> np.ndarray | None:
    return _c.mask(flt)


def mask_for(c: Corpus, flt: Filter) -> np.ndarray | None:
    """Selected reports as a boolean mask over `c.reports`; None when no filter is set."""
    return _mask(c, c.key, flt) if flt.active else None


@st.cache_resource(max_entries=16, ttl=TTL, show_spinner=False)
def _reports_for(_c: Corpus, key: str, flt: Filter) -> pd.DataFrame:
    return _c.reports[_c.mask(flt)]


def reports_for(c: Corpus, flt: Filter) -> pd.DataFrame:
    """The selected rows of `c.reports` (shared between sessions: never modify it)."""
    return _reports_for(c, c.key, flt) if flt.active else c.reports


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
        # the dates as written (1978, 2021-04): "1978 至 1990", not "1978-01-01 至 1990-12-31"
        "date_from": r.loc[lo.idxmin(), "date"] if len(lo) else "",
        "date_to": r.loc[hi.idxmax(), "date"] if len(hi) else "",
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
    cols = ["report_id", "date", "date_source", "district", "speaker", "position", "organization", "title",
            "benchmarks_text", "source", "source_file", "report_no", "n_chars"]
    table = reports_for(c, flt)[cols].rename(columns={"benchmarks_text": "benchmarks"}).reset_index(drop=True)
    table["date_source"] = table["date_source"].map(DATE_SOURCE_LABELS).fillna("")
    return table


# --- keywords ----------------------------------------------------------------------------------


def ranked_terms(vocab: pd.Index, weight: np.ndarray, n_reports: np.ndarray, limit: int) -> pd.DataFrame:
    """The `limit` terms of largest weight (ties by term) among the terms present."""
    present = np.flatnonzero(n_reports > 0)
    if len(present) > limit:
        cut = np.partition(weight[present], len(present) - limit)[len(present) - limit]
        present = present[weight[present] >= cut]  # keeps every term tied at the cut
    df = pd.DataFrame({"term": vocab[present], "weight": weight[present].astype(np.float64),
                       "n_reports": n_reports[present].astype(np.int64), "_code": present})
    # sums of floats in another order differ in the last bits: rank on 9 decimals so
    # such ties fall back to the term, the same on every machine
    df = df.assign(_w=df["weight"].round(9)).sort_values(["_w", "term"], ascending=[False, True], kind="stable")
    return df.head(limit).drop(columns="_w").reset_index(drop=True)


@st.cache_data(max_entries=256, ttl=TTL, show_spinner=False)
def _term_ranking(_c: Corpus, key: str, flt: Filter, method: str, limit: int) -> pd.DataFrame:
    mask = mask_for(_c, flt)
    if method == "count":
        tt = _c.terms()
        if flt.speaker:
            st_ = _c.speaker_terms()
            weight, n_reports = st_.by_speaker.totals(st_.speaker_rows(mask, flt.speaker), len(tt.vocab))
        else:
            weight, n_reports = tt.by_report.totals(mask)
        return ranked_terms(tt.vocab, weight, n_reports, limit).drop(columns="_code")
    kw = _c.keywords
    weight, n_reports = kw.weights[method].totals(mask)
    out = ranked_terms(kw.vocab, weight, n_reports, limit)
    _, terms, ranks = kw.ranks[method].entries(mask)
    chosen = np.isin(terms, out["_code"].to_numpy())
    best = pd.Series(ranks[chosen]).groupby(terms[chosen]).min()
    out["best_rank"] = best.reindex(out["_code"]).to_numpy(dtype=np.int64) if len(out) else np.zeros(0, np.int64)
    return out.drop(columns="_code")


def term_ranking(c: Corpus, flt: Filter, method: str = "tfidf", limit: int = 50) -> pd.DataFrame:
    """Terms ranked over the selected reports: summed keyword weights (tfidf / textrank)
    or occurrences (count; with a speaker filter only that speaker's own words)."""
    if method not in METHOD_LABELS:
        method = "tfidf"
    return _term_ranking(c, c.key, flt, method, int(limit))


# `match`: the sentence as searched (with traditional characters read as simplified)
KWIC_COLUMNS = ["report_id", "paragraph_no", "speaker", "sentence", "hits", "title", "district", "date", "source_file", "match"]


@dataclass(frozen=True)
class KwicTotals:
    mentions: int = 0  # occurrences of the term
    paragraphs: int = 0
    reports: int = 0


@st.cache_data(max_entries=128, ttl=TTL, show_spinner=False)
def _kwic(_c: Corpus, key: str, flt: Filter, term: str, limit: int) -> tuple[pd.DataFrame, KwicTotals, np.ndarray]:
    mask = mask_for(_c, flt)
    rix = np.arange(len(_c.reports)) if mask is None else np.flatnonzero(mask)
    if _c.char_index() is None and _c.reads_cheaply(rix):  # a few reports: read their paragraphs, count here
        first, totals, per_report = _hit_paragraphs(_c, rix, term, limit)
    else:  # the term's counts in every report (from the character index, or one scan per term)
        mentions, paragraphs = term_hits(_c, term)
        per_report = mentions[rix]
        have = rix[paragraphs[rix] > 0]
        totals = KwicTotals(int(per_report.sum()), int(paragraphs[rix].sum()), len(have))
        # the first `limit` hits are in the first reports (in corpus order) that have one
        enough = int(np.searchsorted(np.cumsum(paragraphs[have]), limit)) + 1
        first, _, _ = _hit_paragraphs(_c, have[:enough], term, limit)
    rows = []
    for p in first.to_pylist():
        # a report written in traditional characters is searched as simplified text (same
        # length): the sentence shown is the original, `match` the one searched
        searched = p.get("text_simplified") or p["text"]
        for s, e in sentence_spans(searched):
            match = searched[s:e]
            if term in match:
                rows.append((p["report_id"], p["paragraph_no"], p["speaker"], p["text"][s:e], match.count(term), match))
        if len(rows) >= limit:
            break
    df = pd.DataFrame(rows[:limit], columns=[*KWIC_COLUMNS[:5], "match"])
    df = df.join(_c.reports.set_index("report_id")[["title", "district", "date", "source_file"]], on="report_id")[KWIC_COLUMNS]
    return df, totals, per_report


@st.cache_data(max_entries=64, ttl=TTL, show_spinner=False)
def _term_hits(_c: Corpus, key: str, term: str) -> tuple[np.ndarray, np.ndarray]:
    chars = _c.char_index()
    if chars is not None:
        return chars.counts(term, len(_c.reports))
    return scan_term_hits(_c, term)


def scan_term_hits(c: Corpus, term: str) -> tuple[np.ndarray, np.ndarray]:
    """`term_hits` by a scan of all the text (before the character index is made)."""
    n = len(term)
    hits = c.sql(
        f"""SELECT report_id, sum((length(t) - length(replace(t, ?, ''))) // {n}) AS mentions, count(*) AS paragraphs
            FROM (SELECT report_id, coalesce(text_simplified, text) AS t FROM {{paragraphs}})
            WHERE contains(t, ?) GROUP BY report_id""",
        None, [term, term],
    )
    mentions, paragraphs = np.zeros(len(c.reports), np.int64), np.zeros(len(c.reports), np.int64)
    rix = c._by_id.reindex(hits["report_id"]).to_numpy()
    mentions[rix], paragraphs[rix] = hits["mentions"].to_numpy(), hits["paragraphs"].to_numpy()
    return mentions, paragraphs


def term_hits(c: Corpus, term: str) -> tuple[np.ndarray, np.ndarray]:
    """Occurrences of `term` and paragraphs holding it, per report position, from the
    character index (`dashboard.char_index`; 4-130 ms at 10,000 reports) or, until it is
    made, one scan of all the text (0.5-0.9 s); kept per term."""
    return _term_hits(c, c.key, term)


def _hit_paragraphs(c: Corpus, rix: np.ndarray, term: str, limit: int) -> tuple[pa.Table, KwicTotals, np.ndarray]:
    """The first `limit` paragraphs of the reports at `rix` (in that order) that hold `term`,
    the totals over all of them, and the occurrences in each report at `rix`."""
    paras = c.paragraph_rows(rix)
    mentions = pc.count_substring(pc.coalesce(paras["text_simplified"], paras["text"]), term)
    hit = pc.greater(mentions, 0)
    holding = paras.filter(hit)
    counts = mentions.filter(hit).to_numpy(zero_copy_only=False)
    totals = KwicTotals(int(counts.sum()), holding.num_rows, len(pc.unique(holding["report_id"])))
    per_report = np.zeros(len(c.reports), np.int64)
    np.add.at(per_report, c._by_id.reindex(holding["report_id"].to_pylist()).to_numpy(), counts)
    return holding.slice(0, limit), totals, per_report[rix]


KWIC_LIMIT = 500


def kwic(c: Corpus, flt: Filter, term: str, limit: int = KWIC_LIMIT) -> tuple[pd.DataFrame, KwicTotals]:
    """Sentences of the selected reports holding `term` (the first `limit`, in the order
    of the reports in the corpus) and the totals over all selected reports."""
    term = (term or "").strip()
    if not term:
        return pd.DataFrame(columns=KWIC_COLUMNS), KwicTotals()
    return _kwic(c, c.key, flt, term, int(limit))[:2]


@st.cache_data(max_entries=64, ttl=TTL, show_spinner=False)
def wordcloud_png(weights: tuple[tuple[str, float], ...], width: int = 800, height: int = 400) -> bytes:
    """PNG of the word cloud (cached on the weights).

    Capped font size (wordcloud otherwise tries every size down from the canvas
    height) and fast PNG compression keep a new cloud under ~200 ms.
    """
    import io

    from dashboard.wordcloud_render import render_wordcloud

    # laid out on a half-size grid and drawn at full size (wordcloud's `scale`): the
    # placement search is what costs, and it is four times cheaper on half the pixels
    # and no word under 6 px of that grid (12 px drawn): smaller ones are unreadable, and
    # trying every size down to wordcloud's 4 px was a quarter of a new cloud's time
    img = render_wordcloud(dict(weights), width=width // 2, height=height // 2, scale=2,
                           max_font_size=int(height * 0.14), min_font_size=6)
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
    mask = mask_for(c, flt)
    if mask is None:
        return c.themes
    t = c.themes[mask[c.themes["rix"].to_numpy()]]
    return t[t["speaker"] == flt.speaker] if flt.speaker else t


def _theme_rows(c: Corpus, flt: Filter) -> np.ndarray | None:
    """Positions in `c.themes` of the selection's themed paragraphs (a speaker filter keeps
    that speaker's own); None for all of them. Positions, not a copy of the frame: at
    10,000 reports copying 600,000 rows was most of a theme mix's time."""
    mask = mask_for(c, flt)
    if mask is None:
        return None
    keep = mask[c.themes["rix"].to_numpy()]
    if flt.speaker:
        keep &= (c.themes["speaker"] == flt.speaker).to_numpy(dtype=bool, na_value=False)
    return np.flatnonzero(keep)


def _theme_columns(c: Corpus, flt: Filter) -> tuple | None:
    """(rix, paragraph_no, score, theme codes, theme names) of the selection's themed
    paragraphs as arrays, in report and paragraph order; None if there are none."""
    t, at = c.themes, _theme_rows(c, flt)
    if len(t) == 0 or (at is not None and len(at) == 0):
        return None
    arrays = [t["rix"].to_numpy(), t["paragraph_no"].to_numpy(), t["score"].to_numpy(dtype=np.float64),
              t["theme"].cat.codes.to_numpy()]
    if at is not None:
        arrays = [a[at] for a in arrays]
    return (*arrays, t["theme"].cat.categories)


@st.cache_data(max_entries=128, ttl=TTL, show_spinner=False)
def _theme_mix(_c: Corpus, key: str, flt: Filter) -> pd.DataFrame:
    columns = _theme_columns(_c, flt)
    if columns is None:
        return pd.DataFrame(columns=["theme", "n_paragraphs", "n_reports", "score", "share"])
    return _mix(*columns)


def _paragraph_shares(rix: np.ndarray, para: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Each row's share of its paragraph (rows of one paragraph are adjacent): a themed
    paragraph counts once, split across its themes by score (`analysis.compare.theme_shares`)."""
    new_para = np.ones(len(rix), dtype=bool)
    new_para[1:] = (rix[1:] != rix[:-1]) | (para[1:] != para[:-1])
    starts = np.flatnonzero(new_para)
    return score / np.repeat(np.add.reduceat(score, starts), np.diff(np.append(starts, len(rix))))


def _mix(rix: np.ndarray, para: np.ndarray, score: np.ndarray, codes: np.ndarray, themes: pd.Index) -> pd.DataFrame:
    """Per theme of the themed paragraphs given as columns: paragraphs, reports, summed
    score and share, in numpy: it runs on every click over up to 600,000 rows."""
    mass = np.bincount(codes, weights=_paragraph_shares(rix, para, score), minlength=len(themes))
    seen = np.zeros((int(rix.max()) + 1, len(themes)), dtype=bool)  # report x theme
    seen[rix, codes] = True
    n_paragraphs = np.bincount(codes, minlength=len(themes))
    out = pd.DataFrame({"theme": np.asarray(themes, dtype=object).astype(str), "n_paragraphs": n_paragraphs,
                        "n_reports": seen.sum(axis=0), "score": np.bincount(codes, weights=score, minlength=len(themes)),
                        "share": mass / mass.sum()})
    out = out[n_paragraphs > 0]  # categories the selection does not use
    return out.sort_values(["share", "theme"], ascending=[False, True], ignore_index=True)


def theme_mix(c: Corpus, flt: Filter) -> pd.DataFrame:
    """Per theme: paragraphs carrying it, reports, summed score, and its share
    (analysis.compare.theme_shares: each themed paragraph counts once, split by score)."""
    return _theme_mix(c, c.key, flt)


@st.cache_data(max_entries=128, ttl=TTL, show_spinner=False)
def _theme_matrix(_c: Corpus, key: str, flt: Filter, by: str, top: int, normalise: bool) -> pd.DataFrame:
    t = _themes_for(_c, flt)
    counts = t[by].value_counts()  # a categorical column: unused names count 0
    counts = counts[(counts > 0) & (counts.index.astype(str).str.len() > 0)]
    if counts.empty:
        return pd.DataFrame()
    # the busiest rows; ties by name, so the same rows make the cut on every machine
    keep = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[:top]
    keep = [str(k) for k, _ in keep]
    t = t[t[by].isin(keep)]
    # grouped by the category codes, labels made strings after (turning 600,000 rows of
    # categories into strings first was most of the page's first visit at 10,000 reports)
    m = t.groupby([by, "theme"], observed=True).size().unstack(fill_value=0)
    m.index, m.columns = m.index.astype(str), m.columns.astype(str)
    m = m.loc[[k for k in keep if k in m.index]]
    m.index.name, m.columns.name = by, "theme"
    themes = [x for x in _theme_mix(_c, key, flt)["theme"] if x in m.columns]
    m = m[themes]
    if normalise:
        m = m.div(m.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)
    return m


def theme_matrix(c: Corpus, flt: Filter, by: str = "speaker", top: int = 20, normalise: bool = False) -> pd.DataFrame:
    """Themed paragraphs per (speaker or district) x theme, the `top` busiest rows;
    normalise=True gives each row's shares."""
    return _theme_matrix(c, c.key, flt, by, int(top), bool(normalise))


# --- over time -------------------------------------------------------------------------------


@st.cache_data(max_entries=128, ttl=TTL, show_spinner=False)
def _theme_trend(_c: Corpus, key: str, flt: Filter) -> pd.DataFrame:
    empty = pd.DataFrame(columns=["year", "theme", "share", "n_reports"])
    columns = _theme_columns(_c, flt)
    if columns is None:
        return empty
    # numpy on the columns, nothing copied but the selection's rows or sorted: this runs
    # on every click of the themes page over up to 600,000 themed paragraphs
    rix, para, score, codes, categories = columns
    mass = _paragraph_shares(rix, para, score)
    by_report = _c.years
    years = by_report[rix]
    dated = years >= 0
    if not dated.any():
        return empty
    first = int(years[dated].min())
    slot = np.where(dated, years - first, 0)
    names = np.asarray(categories, dtype=object).astype(str)
    n_years = int(slot.max()) + 1
    grid = np.bincount(slot[dated] * len(names) + codes[dated], weights=mass[dated], minlength=n_years * len(names))
    grid = grid.reshape(n_years, len(names))
    held = grid.sum(axis=1) > 0
    if held.sum() < 2:
        return empty
    shares = grid[held] / grid[held].sum(axis=1, keepdims=True)
    themed = np.zeros(len(by_report), dtype=bool)
    themed[rix] = True
    report_year = by_report[themed]
    n_reports = np.bincount(report_year[report_year >= 0] - first, minlength=n_years)[held]
    year_set = np.flatnonzero(held) + first
    col = {name: j for j, name in enumerate(names)}
    chosen = [x for x in _theme_mix(_c, key, flt)["theme"] if x in col]
    return pd.DataFrame({
        "year": np.repeat(year_set, len(chosen)),
        "theme": chosen * len(year_set),
        "share": shares[:, [col[x] for x in chosen]].ravel(),
        "n_reports": np.repeat(n_reports, len(chosen)),
    })


def theme_trend(c: Corpus, flt: Filter) -> pd.DataFrame:
    """Per year of the dated selected reports and per theme (in `theme_mix` order): the
    theme's share of that year's themed paragraphs (as `theme_mix`), and the year's
    reports with a theme. Empty when the reports span fewer than two years."""
    return _theme_trend(c, c.key, flt)


@st.cache_data(max_entries=128, ttl=TTL, show_spinner=False)
def _year_counts(_c: Corpus, key: str, flt: Filter) -> pd.DataFrame:
    mask = mask_for(_c, flt)
    years = _c.years if mask is None else _c.years[mask]
    years = years[years >= 0]
    if len(years) == 0:
        return pd.DataFrame(columns=["year", "n_reports"])
    counts = np.bincount(years - years.min())
    held = np.flatnonzero(counts)
    return pd.DataFrame({"year": held + years.min(), "n_reports": counts[held]})


def year_counts(c: Corpus, flt: Filter) -> pd.DataFrame:
    """Selected reports per year of their date (the undated left out), years in order."""
    return _year_counts(c, c.key, flt)


def _term_trend(c: Corpus, flt: Filter, term: str) -> pd.DataFrame:
    mask = mask_for(c, flt)
    rix = np.arange(len(c.reports)) if mask is None else np.flatnonzero(mask)
    years = c.years[rix]
    dated = years >= 0
    if len(np.unique(years[dated])) < 2:
        return pd.DataFrame(columns=["year", "mentions", "n_reports", "n_chars", "per_10k"])
    # the counts keyword-in-context found for the same selection and term (cached): no
    # second read of the text
    mentions = _kwic(c, c.key, flt, term, KWIC_LIMIT)[2][dated]
    rix, years = rix[dated], years[dated]
    chars = c.reports["n_chars"].to_numpy(dtype=np.int64)[rix]
    year_set, code = np.unique(years, return_inverse=True)
    out = pd.DataFrame({
        "year": year_set,
        "mentions": np.bincount(code, weights=mentions, minlength=len(year_set)).astype(np.int64),
        "n_reports": np.bincount(code, minlength=len(year_set)),
        "n_chars": np.bincount(code, weights=chars, minlength=len(year_set)).astype(np.int64),
    })
    out["per_10k"] = out["mentions"] / out["n_chars"].where(out["n_chars"] > 0) * 10_000
    return out.fillna({"per_10k": 0.0})


def term_trend(c: Corpus, flt: Filter, term: str) -> pd.DataFrame:
    """Per year of the dated selected reports: occurrences of `term`, reports, characters,
    and occurrences per 10,000 characters. Empty when they span fewer than two years."""
    term = (term or "").strip()
    if not term:
        return pd.DataFrame(columns=["year", "mentions", "n_reports", "n_chars", "per_10k"])
    return _term_trend(c, flt, term)


@st.cache_data(max_entries=128, ttl=TTL, show_spinner=False)
def _theme_evidence(_c: Corpus, key: str, flt: Filter, theme: str, limit: int) -> pd.DataFrame:
    t = _themes_for(_c, flt)
    t = t[t["theme"] == theme].sort_values(["score", "report_id", "paragraph_no"], ascending=[False, True, True]).head(limit)
    if t.empty:
        return pd.DataFrame(columns=["report_id", "paragraph_no", "score", "evidence", "speaker", "district", "text",
                                     "text_simplified", "title", "date"])
    texts = _paragraph_rows(_c, t[["report_id", "paragraph_no"]])
    out = t.merge(texts, on=["report_id", "paragraph_no"], how="left")
    out = out.join(_c.reports.set_index("report_id")[["title", "date"]], on="report_id")
    out["evidence"] = _c.evidence(out["row"])
    for col in ("report_id", "speaker", "district"):  # categories in the corpus, text to readers
        out[col] = out[col].astype(str)
    return out[["report_id", "paragraph_no", "score", "evidence", "speaker", "district", "text", "text_simplified",
                "title", "date"]].reset_index(drop=True)


def _paragraph_rows(c: Corpus, keys: pd.DataFrame) -> pd.DataFrame:
    """Text of the paragraphs (report_id, paragraph_no) in `keys`."""
    rix = np.unique(c._by_id.reindex(keys["report_id"].astype(str).unique()).dropna().to_numpy(dtype=np.int64))
    paras = c.paragraph_rows(rix, ["report_id", "paragraph_no", "text", "text_simplified"]).to_pandas()
    wanted = pd.MultiIndex.from_arrays([keys["report_id"].astype(str), keys["paragraph_no"].astype("int64")])
    return paras[pd.MultiIndex.from_frame(paras[["report_id", "paragraph_no"]]).isin(wanted)].reset_index(drop=True)


def theme_evidence(c: Corpus, flt: Filter, theme: str, limit: int = 30) -> pd.DataFrame:
    """The paragraphs that carry `theme` most strongly, with their text and matched terms."""
    return _theme_evidence(c, c.key, flt, theme, int(limit))


# --- benchmarks --------------------------------------------------------------------------------


# The levels the network of who learns from whom can be drawn at (the overview's 汇总到).
NETWORK_LEVELS = {"district": "区县", "city": "城市", "province": "省份"}
# Province-level cities: a district of Beijing lies in 北京市, which is its city and its province.
MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市"})


def region_at(chain, level: str) -> str:
    """The division of `chain` (a district and the divisions it lies in, nearest first:
    reports.regions, benchmarks.benchmark_regions) at `level`: district -> the district
    itself; province -> the last (全国 stays 全国); city -> the prefecture-level city
    (昆山高新区, 昆山市, 苏州市, 江苏省 -> 苏州市; a municipality's district -> 北京市; a
    county a province governs directly, or a city itself -> itself)."""
    if chain is None or not len(chain):
        return ""
    if level == "province":
        return chain[-1]
    if level == "city":
        if len(chain) >= 3:
            return chain[-2]
        return chain[-1] if chain[-1] in MUNICIPALITIES else chain[0]
    return chain[0]


@st.cache_data(max_entries=128, ttl=TTL, show_spinner=False)
def _benchmark_edges(_c: Corpus, key: str, flt: Filter, level: str) -> pd.DataFrame:
    from collections import Counter

    b = _c.benchmarks
    rix = _c.benchmark_rix
    mask = mask_for(_c, flt)
    if mask is not None:
        keep = (rix >= 0) & mask[np.maximum(rix, 0)]
        b, rix = b[keep], rix[keep]
    regions = _c.reports["regions"]
    learner_chains = [regions.iat[i] if i >= 0 else (d,) for i, d in zip(rix.tolist(), b["district"])]
    # a few thousand rows at most: plain loops beat pandas' per-group machinery here
    edges: dict[tuple[str, str], list] = {}
    for rid, chain, bchain, n, themes in zip(b["report_id"], learner_chains, b["benchmark_regions"], b["n_mentions"], b["themes"]):
        d, m = region_at(chain, level), region_at(bchain, level)
        if not d or not m or not isinstance(d, str) or not isinstance(m, str):
            continue
        e = edges.setdefault((d, m), [set(), 0, Counter()])
        e[0].add(rid)
        e[1] += int(n)
        e[2].update(themes if themes is not None else ())
    if not edges:
        return pd.DataFrame(columns=["district", "benchmark", "n_reports", "n_mentions", "themes"])
    # Counter.most_common keeps first-named order among equal counts
    rows = [(d, m, len(r), n, "、".join(t for t, _ in cnt.most_common(3))) for (d, m), (r, n, cnt) in sorted(edges.items())]
    out = pd.DataFrame(rows, columns=["district", "benchmark", "n_reports", "n_mentions", "themes"])
    return out.sort_values(["n_reports", "n_mentions"], ascending=False, ignore_index=True)


def benchmark_edges(c: Corpus, flt: Filter, level: str = "district") -> pd.DataFrame:
    """Who learns from whom: (district, benchmark) with reports, mentions and top themes;
    at level city or province, each side is the city or province it lies in (山东省 ->
    湖南省 for 济宁高新区 learning from 长沙高新区), a report counted once per pair."""
    return _benchmark_edges(c, c.key, flt, level if level in NETWORK_LEVELS else "district")


# --- targets -----------------------------------------------------------------------------------

def all_targets(c: Corpus) -> pd.DataFrame:
    """Every target of the corpus with the columns the pages show (shared, never modified;
    made in the background once the first page is drawn)."""
    if c.targets_loaded():
        return c.targets_frame()
    with st.spinner("正在载入数值目标……"):
        return c.targets_frame()


def targets(c: Corpus, flt: Filter) -> pd.DataFrame:
    """Quantities of the selected reports (a speaker filter keeps that speaker's own).

    Not cached with st.cache_data on purpose: the frame can be large and a cache hit
    would copy it; selecting rows of the per-corpus view by a mask takes milliseconds.
    """
    t = all_targets(c)
    return t if mask_for(c, flt) is None else t.iloc[selected_targets(c, flt)]


def selected_targets(c: Corpus, flt: Filter, kind: str | None = None) -> np.ndarray:
    """Positions in `all_targets` of the quantities of the selected reports (a speaker
    filter keeps that speaker's own), of one `kind` if given. A page that shows a few
    of them takes those rows alone: copying every column (sentences included) of a
    selection holding most of 1.2 million targets took most of a second."""
    t = all_targets(c)
    keep = np.ones(len(t), dtype=bool)
    mask = mask_for(c, flt)
    if mask is not None:
        rix = t["rix"].to_numpy()
        keep &= (rix >= 0) & mask[np.maximum(rix, 0)]
        if flt.speaker:
            keep &= (t["speaker"] == flt.speaker).to_numpy(dtype=bool, na_value=False)
    if kind is not None:
        keep &= (t["kind"] == kind).to_numpy(dtype=bool, na_value=False)
    return np.flatnonzero(keep)


def newest_first(c: Corpus, positions: np.ndarray, n: int) -> np.ndarray:
    """The first `n` of `positions` (rows of `all_targets`) ordered by their report's
    date, newest first, undated last, in the order given within a date: a selection
    holding seventy years of reports shows this year's targets, not 1954's."""
    positions = np.asarray(positions)
    rix = all_targets(c)["rix"].to_numpy()[positions]
    key = np.where(rix >= 0, c.date_keys[np.maximum(rix, 0)], UNDATED_KEY)
    if len(key) > n:  # only the rows as new as the n-th newest need sorting
        cut = np.partition(key, len(key) - n)[len(key) - n]
        keep = key >= cut
        positions, key = positions[keep], key[keep]
    return positions[np.argsort(-key, kind="stable")][:n]


DISPLAY_UNITS = {"元": ("亿元", 1e8)}


def comparable_values(df: pd.DataFrame, unit: str, limit: int | None = None,
                      at: np.ndarray | None = None) -> tuple[pd.DataFrame, str]:
    """Rows (of `df`, or of its rows at positions `at`) whose comparable unit (normalised
    unit, else unit as written) is `unit`, with a value to plot in a readable unit (元 are
    shown in 亿元), largest first (the first `limit`). Returns (rows with `plot_value`,
    `plot_max`, `label`), display unit.

    Sorted on the value columns alone and only the rows kept are copied: on a large
    store one unit (%) has hundreds of thousands of rows."""
    at = np.arange(len(df)) if at is None else np.asarray(at)
    at = at[_in_unit(df, unit, at)]
    shown, factor = DISPLAY_UNITS.get(unit, (unit, 1.0))
    if not len(at):
        return df.iloc[:0].assign(plot_value=[], plot_max=[], label=[]), shown
    norm = df["value_normalised"].to_numpy(dtype=float, na_value=np.nan)[at]
    base = np.where(np.isnan(norm), df["value"].to_numpy(dtype=float, na_value=np.nan)[at], norm) / factor
    order = pd.Series(base).sort_values(ascending=False, kind="stable").index.to_numpy()
    if limit:
        order = order[:limit]
    rows = df.iloc[at[order]].assign(plot_value=base[order])
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


def _in_unit(df: pd.DataFrame, unit: str, at: np.ndarray) -> np.ndarray:
    """Which of the rows at `at` have comparable unit `unit` (compared there only, not over
    the whole column: a small district's few rows among a million)."""
    return (df["cmp_unit"].iloc[at] == unit).to_numpy(dtype=bool, na_value=False)


def unit_choices(df: pd.DataFrame, at: np.ndarray | None = None) -> list[str]:
    """Comparable units present (in `df`, or its rows at positions `at`), most rows first."""
    if df.empty:
        return []
    key = df["cmp_unit"] if at is None else df["cmp_unit"].iloc[np.asarray(at)]
    counts = key[key.str.len() > 0].value_counts()
    return sorted(counts.index, key=lambda u: (-counts[u], u))


def target_positions(df: pd.DataFrame, kinds: Sequence[str], units: Sequence[str] = (), indicator: str = "",
                     at: np.ndarray | None = None) -> np.ndarray:
    """Positions of the rows of `df` (those at `at`, if given: a selection's, from
    `selected_targets`) of one of `kinds`, and, if given, one of `units` and with
    `indicator` in their indicator. The targets page selects rows by position so that it
    copies only what it shows: copying a large district's half million rows was half of
    its click."""
    at = np.arange(len(df)) if at is None else np.asarray(at, dtype=np.int64)
    mask = df["kind"].iloc[at].isin(list(kinds)).to_numpy(dtype=bool, copy=True)  # may come read-only from Arrow
    if units:
        mask &= df["unit"].iloc[at].isin(list(units)).to_numpy(dtype=bool)
    indicator = (indicator or "").strip()
    if indicator:
        mask &= df["indicator"].iloc[at].str.contains(indicator, regex=False, na=False).to_numpy(dtype=bool, na_value=False)
    return at[mask]


def values_by_year(c: Corpus, df: pd.DataFrame, unit: str, at: np.ndarray, limit: int = 3000) -> tuple[pd.DataFrame, str, int]:
    """The rows of `df` at `at` in comparable unit `unit` whose report is dated, with the
    report's `year` and the value to plot (`comparable_values`), for a chart of values
    over the years; at most `limit` of them (the newest reports' first). Returns (rows,
    display unit, how many there were). Only the rows drawn are copied: one unit (%) has
    hundreds of thousands of rows on a large store."""
    at = np.asarray(at, dtype=np.int64)
    at = at[_in_unit(df, unit, at)]
    years = c.years[df["rix"].to_numpy()[at]]
    at, years = at[years >= 0], years[years >= 0]
    n = len(at)
    if n > limit:
        at = at[np.argsort(-years, kind="stable")[:limit]]
    rows, shown = comparable_values(df, unit, at=at)
    rows = rows.assign(year=c.years[rows["rix"].to_numpy()] if len(rows) else [])
    return rows.sort_values(["year", "plot_value"], kind="stable"), shown, n


# --- comparison --------------------------------------------------------------------------------


def group_filter(flt: Filter, by: str, who: str) -> Filter:
    """The selection for one side of a comparison: the sidebar filter with the district
    (or speaker) replaced by `who`; by="year": the date range replaced by that year."""
    if by == "year":
        year = int(who)
        return flt.replace(date_from=dt.date(year, 1, 1), date_to=dt.date(year, 12, 31))
    return flt.replace(**{by: who})


def year_options(c: Corpus) -> list[str]:
    """The years of the dated reports, newest first (the comparison by year)."""
    years = np.unique(c.years)
    return [str(y) for y in years[years >= 0][::-1]]


def _group_vector(c: Corpus, flt: Filter, by: str, who: str) -> np.ndarray:
    """Occurrences of every vocabulary term in one comparison group (a speaker's own words
    when by='speaker')."""
    tt = c.terms()
    mask = c.mask(group_filter(flt, by, who))
    if by == "speaker":
        spk = c.speaker_terms()
        return spk.by_speaker.totals(spk.speaker_rows(mask, who), len(tt.vocab))[0]
    return tt.by_report.totals(mask, len(tt.vocab))[0]


@st.cache_data(max_entries=128, ttl=TTL, show_spinner=False)
def _group_summary(_c: Corpus, key: str, flt: Filter, by: str, who: str, top: int | None) -> tuple[int, pd.DataFrame]:
    counts = _group_vector(_c, flt, by, who)
    best = np.flatnonzero(counts > 0)
    if top is not None and len(best) > top:  # only the terms that can make the top (ties included)
        best = best[counts[best] >= np.partition(counts[best], len(best) - top)[len(best) - top]]
    best = best[np.argsort(-counts[best], kind="stable")][:top]
    return int(counts.sum()), pd.DataFrame({"term": _c.terms().vocab[best], "count": counts[best].astype(np.int64)})


def group_summary(c: Corpus, flt: Filter, by: str, who: str, top: int | None = 100) -> tuple[int, pd.DataFrame]:
    """(words in one comparison group, its `top` most frequent terms, all with top=None):
    a speaker's own words when by='speaker'. What the comparison page shows is cached
    small, where a group's whole term list is a few MB per cache entry."""
    return _group_summary(c, c.key, flt, by, who, None if top is None else int(top))


@st.cache_data(max_entries=64, ttl=TTL, show_spinner=False)
def _distinctive(_c: Corpus, key: str, flt: Filter, by: str, mine: str, others: tuple[str, ...], top: int) -> pd.DataFrame:
    from analysis.compare import log_odds_dirichlet, top_sides

    a = _group_vector(_c, flt, by, mine)
    b = sum((_group_vector(_c, flt, by, o) for o in others), np.zeros_like(a))
    if not a.any() or not b.any():
        return pd.DataFrame(columns=["term", "count_a", "count_b", "delta", "z"])
    # Prior: the whole corpus's counts (the statistic reads it only on the terms of A or B).
    present = np.flatnonzero((a > 0) | (b > 0))
    index = _c.terms().vocab[present]
    prior = np.maximum(_c.term_totals()[present], a[present] + b[present])
    scored = log_odds_dirichlet(pd.Series(a[present], index=index), pd.Series(b[present], index=index),
                                pd.Series(prior, index=index))
    res = top_sides(scored, top)
    return res[["term", "count_a", "count_b", "delta", "z"]].reset_index(drop=True)


def distinctive_terms(c: Corpus, flt: Filter, by: str, mine: str, others: Sequence[str], top: int = 15) -> pd.DataFrame:
    """Terms that set `mine` apart from `others` (z > 0: more typical of mine; z < 0: of others)."""
    return _distinctive(c, c.key, flt, by, mine, tuple(others), int(top))


# --- one report --------------------------------------------------------------------------------


@st.cache_data(max_entries=64, ttl=TTL, show_spinner=False)
def _report_parts(_c: Corpus, key: str, report_id: str) -> dict:
    i = _c._by_id.get(report_id)
    rows = np.array([] if i is None else [int(i)], dtype=np.int64)  # its row groups only
    paras = _c.paragraph_rows(rows, ["paragraph_no", "speaker", "text", "text_simplified"]).to_pandas()
    th = _c.themes[_c.themes["report_id"] == report_id]
    th = th[["paragraph_no", "theme", "score"]].assign(theme=th["theme"].astype(str), evidence=_c.evidence(th["row"]))
    tg = all_targets(_c)
    tg = tg[tg["report_id"] == report_id].reset_index(drop=True)
    bm = _c.benchmarks[_c.benchmarks["report_id"] == report_id][["benchmark", "n_mentions", "themes"]].reset_index(drop=True)
    return {"paragraphs": paras, "keywords": _report_keywords(_c, report_id), "themes": th.reset_index(drop=True),
            # the stored report text is its paragraphs joined by line breaks (pipeline.Report.text)
            "targets": tg, "benchmarks": bm, "text": "\n".join(paras["text"])}


def _report_keywords(c: Corpus, report_id: str) -> pd.DataFrame:
    """term, weight, rank, method of one report's keywords (both methods), by method and rank."""
    i = c._by_id.get(report_id)
    frames = []
    for method in ("textrank", "tfidf"):
        w, r = c.keywords.weights[method], c.keywords.ranks[method]
        if i is None:
            continue
        mask = np.zeros(len(c.reports), dtype=bool)
        mask[int(i)] = True
        _, terms, weights = w.entries(mask)
        _, _, ranks = r.entries(mask)
        frames.append(pd.DataFrame({"term": c.keywords.vocab[terms], "weight": weights, "rank": ranks, "method": method}))
    if not frames:
        return pd.DataFrame(columns=["term", "weight", "rank", "method"])
    return pd.concat(frames, ignore_index=True).sort_values(["method", "rank"], ignore_index=True)


def report_parts(c: Corpus, report_id: str) -> dict:
    """Paragraphs, keywords (both methods), paragraph themes, targets and benchmarks of one report."""
    return _report_parts(c, c.key, report_id)
