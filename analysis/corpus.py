"""Corpus-wide tables, computed after every file is analysed: the `keywords` table.

TF-IDF needs the document frequency of every term over the whole corpus, so it cannot
be part of the per-file work. It runs here on the hidden `_tf` table (one row per
report and term, term frequencies already summed over speakers and POS by the
workers), part file by part file, so memory stays flat however large the corpus.

Full computation, two passes over the parts:

1. scan: each part's `term` column is read dictionary-encoded and its codes counted
   with numpy (`_tf` has one row per report and term, so a row is a document). Only the
   parts' dictionaries are merged: one `dictionary_encode` over all of them gives the
   vocabulary, each part's code -> vocabulary mapping and, with the counts, the document
   frequencies. Rows are never gathered;
2. score: each part again, weights for all its rows at once in numpy, and the top
   `top_k` per report (a partition per report, ties by term in code point order).

The vocabulary with its document frequencies and jieba IDF is kept in the build as the
hidden `_df` table. An incremental build (`Changes`: same number of reports as before)
updates it by the terms of the reports added and removed, and re-scores only the
reports whose keywords can have moved: the new ones, and those holding a term whose
document frequency changed when that term was among their keywords or now weighs at
least as much as their last one (`_may_move`). Every other report keeps its rows of the
previous build, which a full computation reproduces exactly (same inputs, same
operations; tests/analysis/test_store_parts.py compares the two). One pass over the
parts then suffices. When the number of reports changes, every IDF moves and the full
computation runs.

The numbers are those of `keywords.tfidf_keywords` and of the DuckDB SQL this replaced
(tests/analysis/test_corpus.py): corpus IDF = ln((1 + N) / (1 + df)) + 1, blended with
jieba's IDF (median for unknown words) as alpha * corpus + (1 - alpha) * jieba, weight =
tf / report length * IDF. The logarithms are taken with `math.log` on the distinct
document frequencies, so no vectorised log approximation can move a weight.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from analysis import keywords
from analysis.schema import TABLES
from analysis.store import map_parts, prefetched, read_part, run_starts

KEYWORDS_SCHEMA = TABLES["keywords"].schema
DF_SCHEMA = pa.schema([("term", pa.string()), ("df", pa.int64()), ("background", pa.float64())])
TF_COLUMNS = ["term", "report_id", "count"]


@dataclass
class Changes:
    """What an incremental build changed, for re-scoring only the keywords it can move.

    `added` / `removed`: (term, n) tables counting the reports holding each term, over the
    reports analysed in this build / the reports of the previous build that are gone
    (changed or deleted files).
    """

    previous_keywords: Path
    previous_df: Path
    n_reports_before: int
    added_reports: set[str] = field(default_factory=set)
    removed_reports: set[str] = field(default_factory=set)
    added: list[pa.Table] = field(default_factory=list)
    removed: list[pa.Table] = field(default_factory=list)
    # Parts hard-linked from the previous build: they hold no new report, so unless a
    # document frequency changed they need not be read at all.
    linked_parts: set[int] = field(default_factory=set)

    def note(self, tf: pa.Table, *, added: bool) -> None:
        """Record the `_tf` rows of reports that were analysed (added) or dropped (removed)."""
        if tf.num_rows == 0:
            return
        values, counts = pc.value_counts(tf["term"]).flatten()
        (self.added if added else self.removed).append(pa.table({"term": values, "n": counts.cast(pa.int64())}))
        (self.added_reports if added else self.removed_reports).update(pc.unique(tf["report_id"]).to_pylist())

    def usable(self, n_reports: int) -> bool:
        return self.n_reports_before == n_reports and self.previous_keywords.exists() and self.previous_df.exists()

    def delta(self) -> pa.Table:
        """(term, n): the change in document frequency of every term whose frequency changed."""
        parts = self.added + [t.set_column(1, "n", pc.negate(t["n"])) for t in self.removed]
        if not parts:
            return pa.table({"term": pa.array([], pa.string()), "n": pa.array([], pa.int64())})
        t = pa.concat_tables(parts).group_by("term").aggregate([("n", "sum")]).rename_columns(["term", "n"])
        return t.filter(pc.not_equal(t["n"], 0))


# --- reading ------------------------------------------------------------------------------------


def _read(path: Path, columns: list[str]) -> pa.Table:
    dictionary = [c for c in columns if c in ("report_id", "term")]
    return pq.ParquetFile(path, read_dictionary=dictionary).read(columns=columns)


def _chunks(table: pa.Table, names: list[str]) -> list[tuple]:
    """The table's rows chunk by chunk: a tuple of the columns' chunks (dictionary arrays
    for report_id and term), all columns cut at the same rows."""
    cols = []
    for name in names:
        col = table.column(name)
        if name in ("report_id", "term") and not pa.types.is_dictionary(col.type):
            col = pc.dictionary_encode(col)
        cols.append(col)
    if len({tuple(len(c) for c in col.chunks) for col in cols}) != 1:  # cut differently: one chunk each
        cols = [col.unify_dictionaries().combine_chunks() if pa.types.is_dictionary(col.type) else col.combine_chunks()
                for col in cols]
        cols = [pa.chunked_array([c]) for c in cols]
    return [chunk for chunk in zip(*(col.chunks for col in cols)) if len(chunk[0])]


@dataclass
class _Rows:
    """The rows of one part (or a selection), with codes unique across its chunks."""

    term_codes: np.ndarray
    term_names: pa.Array  # term_codes index this
    report_codes: np.ndarray
    report_names: list[str]  # report_codes index this
    counts: np.ndarray
    chunks: list[tuple[pa.Array, int]] = field(default_factory=list)  # (term dictionary, its code offset)

    @classmethod
    def of(cls, table: pa.Table) -> "_Rows":
        term_codes, names, report_codes, counts, chunks = [], [], [], [], []
        report_ids: dict[str, int] = {}
        offset = 0
        for terms, reports, count in _chunks(table, TF_COLUMNS):
            term_codes.append(terms.indices.to_numpy(zero_copy_only=False).astype(np.int64) + offset)
            names.append(terms.dictionary)
            chunks.append((terms.dictionary, offset))
            offset += len(terms.dictionary)
            unified = np.array([report_ids.setdefault(r, len(report_ids)) for r in reports.dictionary.to_pylist()], dtype=np.int64)
            report_codes.append(unified[reports.indices.to_numpy(zero_copy_only=False)])
            counts.append(count.to_numpy(zero_copy_only=False))
        if not chunks:
            empty = np.zeros(0, np.int64)
            return cls(empty, pa.array([], pa.string()), empty, [], empty)
        return cls(np.concatenate(term_codes), pa.concat_arrays(names), np.concatenate(report_codes),
                   list(report_ids), np.concatenate(counts), chunks)

    def runs(self) -> tuple[np.ndarray, np.ndarray]:
        """(start, length) of each report's rows (the workers write them report by report)."""
        starts = run_starts(self.report_codes)
        return starts, np.diff(np.append(starts, len(self.report_codes)))

    def select(self, reports: set[str]) -> "_Rows":
        wanted = np.array([r in reports for r in self.report_names], dtype=bool)
        keep = wanted[self.report_codes] if len(self.report_codes) else np.zeros(0, bool)
        return _Rows(self.term_codes[keep], self.term_names, self.report_codes[keep], self.report_names, self.counts[keep])


# --- document frequencies and IDF -----------------------------------------------------------------


@dataclass
class _Vocabulary:
    terms: pa.Array  # every term of the corpus
    df: np.ndarray  # reports holding it
    mapping: dict[tuple[int, int], tuple[pa.Array, np.ndarray]]  # (part, chunk) -> (its dictionary, codes into terms)


def scan(tf_parts: list[Path]) -> _Vocabulary:
    """Pass 1 of the full computation: vocabulary, document frequencies, part mappings."""
    dictionaries, counts, keys = [], [], []
    for k, t in enumerate(prefetched(lambda path: _read(path, ["term"]), tf_parts)):  # reads overlap the counting
        for j, (terms,) in enumerate(_chunks(t, ["term"])):
            codes = terms.indices.to_numpy(zero_copy_only=False)
            dictionaries.append(terms.dictionary)
            counts.append(np.bincount(codes, minlength=len(terms.dictionary)))
            keys.append((k, j))
    if not dictionaries:
        return _Vocabulary(pa.array([], pa.string()), np.zeros(0, np.int64), {})
    # One hash pass over all the dictionaries: the vocabulary and every part's mapping.
    encoded = pc.dictionary_encode(pa.concat_arrays(dictionaries))
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    df = np.bincount(codes, weights=np.concatenate(counts), minlength=len(encoded.dictionary)).astype(np.int64)
    mapping, start = {}, 0
    for key, d in zip(keys, dictionaries):
        mapping[key] = (d, codes[start : start + len(d)])
        start += len(d)
    return _Vocabulary(encoded.dictionary, df, mapping)


def idf_of(df: np.ndarray, background: np.ndarray, n_reports: int, alpha: float) -> np.ndarray:
    """alpha * (ln((1 + N) / (1 + df)) + 1) + (1 - alpha) * background (jieba's IDF)."""
    distinct, inverse = np.unique(df, return_inverse=True)
    logs = np.array([math.log((1 + n_reports) / (1 + int(v))) for v in distinct], dtype=float)
    corpus = logs[inverse] + 1
    return alpha * corpus + (1 - alpha) * background


def jieba_background(terms: pa.Array) -> np.ndarray:
    """jieba's IDF of each term, its median IDF for the terms it does not know."""
    names, values, median = jieba_idf_arrays()
    pos, found = _positions(terms, names)
    return np.where(found, values[pos], median)


def _positions(values: pa.Array, value_set: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(position of each value in value_set, 0 where absent; whether it is present)."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    value_set = value_set.combine_chunks() if isinstance(value_set, pa.ChunkedArray) else value_set
    pos = pc.index_in(values, value_set=value_set)
    found = pos.is_valid().to_numpy(zero_copy_only=False)
    return pc.fill_null(pos, 0).to_numpy(zero_copy_only=False).astype(np.int64), found


@lru_cache(maxsize=1)
def jieba_idf_arrays() -> tuple[pa.Array, np.ndarray, float]:
    """jieba's IDF table as (terms, idf values, median): `keywords.load_jieba_idf` without
    a Python dict of 270,000 entries - the file is parsed by Arrow's CSV reader (a tenth
    of the time, which matters to a small incremental build). Any line the reader cannot
    take as "term value" (or a repeated term) falls back to load_jieba_idf itself."""
    import pyarrow.csv as pacsv

    try:
        spec = importlib.util.find_spec("jieba")  # locate the package without importing it
        path = Path(spec.submodule_search_locations[0]) / "analyse" / "idf.txt"
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=["term", "idf"]),
            parse_options=pacsv.ParseOptions(delimiter=" ", quote_char=False, escape_char=False),
            convert_options=pacsv.ConvertOptions(column_types={"term": pa.string(), "idf": pa.float64()},
                                                 strings_can_be_null=False),
        )
        terms, values = table["term"].combine_chunks(), table["idf"].to_numpy()
        if table.num_rows == 0 or pc.count_distinct(terms).as_py() != table.num_rows or np.isnan(values).any():
            raise ValueError("not a plain term/value table")
    except (OSError, ValueError, TypeError, AttributeError, pa.ArrowException):
        idf, median = keywords.load_jieba_idf()
        return pa.array(list(idf), pa.string()), np.fromiter(idf.values(), float, len(idf)), median
    return terms, values, float(np.sort(values)[len(values) // 2])


# --- scoring ------------------------------------------------------------------------------------


def _score(rows: _Rows, row_idf: np.ndarray, top_k: int) -> pa.Table:
    """Keyword rows: the top `top_k` TF-IDF terms of each report among `rows`."""
    if len(rows.counts) == 0:
        return KEYWORDS_SCHEMA.empty_table()
    starts, lengths = rows.runs()
    totals = np.add.reduceat(rows.counts, starts).astype(float)
    weight = (rows.counts.astype(float) / np.repeat(totals, lengths)) * row_idf
    keep, ranks = _top_k(weight, starts, lengths, rows.term_codes, rows.term_names, top_k)
    return pa.table({
        "report_id": pa.array(rows.report_names, pa.string()).take(pa.array(rows.report_codes[keep])),
        "term": rows.term_names.take(pa.array(rows.term_codes[keep])),
        "weight": pa.array(weight[keep], pa.float64()),
        "rank": pa.array(ranks, pa.int64()),
        "method": pa.array(["tfidf"] * len(keep), pa.string()),
    }, schema=KEYWORDS_SCHEMA)


def score_part(k: int, path: Path, vocab: _Vocabulary, idf: np.ndarray, top_k: int) -> pa.Table:
    """Pass 2 of the full computation: the keywords of every report in part `k`. Each
    chunk's terms reach the IDF through the mapping of pass 1 (same dictionary, as the
    file is the same), else through a lookup."""
    rows = _Rows.of(_read(path, TF_COLUMNS))
    term_idf = np.empty(len(rows.term_names))
    for j, (dictionary, offset) in enumerate(rows.chunks):
        d, to_vocab = vocab.mapping.get((k, j), (None, None))
        if d is None or not d.equals(dictionary):
            to_vocab = _positions(dictionary, vocab.terms)[0]
        term_idf[offset : offset + len(dictionary)] = idf[to_vocab]
    return _score(rows, term_idf[rows.term_codes], top_k)


def _top_k(weight: np.ndarray, starts: np.ndarray, lengths: np.ndarray, term_codes: np.ndarray, names: pa.Array,
           k: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the `k` best weights of each run (report), best first, ties by term; and their ranks."""
    n_runs = len(starts)
    run_of_row = np.repeat(np.arange(n_runs), lengths)
    threshold = np.full(n_runs, -np.inf)  # runs of at most k rows: every row is a candidate
    for r in np.flatnonzero(lengths > k).tolist():  # else the k-th best weight
        w = weight[starts[r] : starts[r] + lengths[r]]
        threshold[r] = np.partition(w, len(w) - k)[len(w) - k]
    cand = np.flatnonzero(weight >= threshold[run_of_row])
    # Order the candidates by report, weight descending, then term (code point order).
    term_rank = np.empty(len(cand), dtype=np.int64)
    term_rank[pc.sort_indices(names.take(pa.array(term_codes[cand]))).to_numpy()] = np.arange(len(cand))
    order = np.lexsort((term_rank, -weight[cand], run_of_row[cand]))
    cand = cand[order]
    runs = run_of_row[cand]
    first = np.concatenate([[True], runs[1:] != runs[:-1]])
    rank = np.arange(len(cand)) - np.maximum.accumulate(np.where(first, np.arange(len(cand)), 0)) + 1
    keep = rank <= k
    return cand[keep], rank[keep]


# --- incremental --------------------------------------------------------------------------------


def _updated_df(changes: Changes) -> tuple[pa.Table, pa.Table]:
    """(the new `_df` table, the (term, n) changes of document frequency)."""
    previous = read_part(changes.previous_df).cast(DF_SCHEMA)
    delta = changes.delta()
    if delta.num_rows == 0:
        return previous, delta
    pos, found = _positions(delta["term"], previous["term"])
    df = previous["df"].to_numpy().copy()
    d = delta["n"].to_numpy()
    df[pos[found]] += d[found]
    fresh = delta.filter(pa.array(~found))  # terms the corpus did not hold before
    table = pa.table({"term": previous["term"], "df": df, "background": previous["background"]}, schema=DF_SCHEMA)
    if fresh.num_rows:
        table = pa.concat_tables([table, pa.table({
            "term": fresh["term"], "df": fresh["n"], "background": jieba_background(fresh["term"].combine_chunks()),
        }, schema=DF_SCHEMA)])
    return table.filter(pc.greater(table["df"], 0)), delta


def _incremental(tf_parts: list[Path], textrank_parts: list[Path], changes: Changes, n_reports: int, alpha: float,
                 top_k: int):
    """(keyword rows of every report, the new `_df`, what was done) from the previous build."""
    df_table, delta = _updated_df(changes)
    changed = delta["term"].combine_chunks()
    everything = read_part(changes.previous_keywords).cast(KEYWORDS_SCHEMA)
    previous = everything.filter(pc.equal(everything["method"], "tfidf"))
    # New IDF of the changed terms, for deciding which reports may move.
    pos, found = _positions(changed, df_table["term"])
    changed_idf = dict(zip(
        changed.filter(pa.array(found)).to_pylist(),
        idf_of(df_table["df"].to_numpy()[pos[found]], df_table["background"].to_numpy()[pos[found]], n_reports, alpha).tolist(),
    ))
    selected, rescore, n_touched, new_parts = [], set(), 0, []
    top = _PreviousTop(previous, top_k)
    holders = _holders(previous, changed, delta)

    def load(k: int) -> pa.Table | None:
        """Part k of `_tf` when a report in it may need rescoring, else None. Only reads
        (no shared state changes): the next parts are read on threads meanwhile."""
        linked, path = k in changes.linked_parts, tf_parts[k]
        if linked and not changed_idf:
            return None  # nothing new in it, nothing in it can move
        if linked and holders is not None and not _holds_any(path, holders):
            return None  # no report in it had a changed term among its keywords, see _holders
        # one read of the whole part: the term column is most of it, so reading it alone
        # first (to skip parts without a changed term) cost more than it saved, as an
        # edit almost always changes the document frequency of some common word
        table = _read(path, TF_COLUMNS)
        if linked and not any(pc.any(pc.is_in(c.dictionary, value_set=changed)).as_py() for c in table.column("term").chunks):
            return None  # holds none of the changed terms
        return table

    for k, table in enumerate(prefetched(load, range(len(tf_parts)))):  # each part read once (at most)
        if table is None:
            continue
        rows = _Rows.of(table)
        in_part = set(rows.report_names)
        wanted = (changes.added_reports & in_part) - changes.removed_reports
        if wanted:
            new_parts.append(k)
        if changed_idf:
            touched = _touched(rows, changed)
            n_touched += len({r for r, _, _ in touched})
            wanted |= _may_move(touched, _totals(rows), top, changed_idf, top_k)
        if wanted:
            rescore |= wanted
            part = rows.select(wanted)
            selected.append(pa.table({
                "report_id": pa.array(part.report_names, pa.string()).take(pa.array(part.report_codes)),
                "term": part.term_names.take(pa.array(part.term_codes)),
                "count": pa.array(part.counts, pa.int64()),
            }))
    drop = pa.array(sorted(rescore | changes.removed_reports), pa.string())
    tables = [previous.filter(pc.invert(pc.is_in(previous["report_id"], value_set=drop)))]
    # TextRank rows: per report, unchanged for the reports kept; read for the new ones
    # from the parts holding them (part k of `_textrank` covers the files of part k of `_tf`).
    textrank = everything.filter(pc.equal(everything["method"], "textrank"))
    gone = pa.array(sorted(changes.removed_reports), pa.string())
    tables.append(textrank.filter(pc.invert(pc.is_in(textrank["report_id"], value_set=gone))))
    added = pa.array(sorted(changes.added_reports - changes.removed_reports), pa.string())
    for path in ([textrank_parts[k] for k in new_parts] if len(textrank_parts) == len(tf_parts) else textrank_parts):
        t = read_part(path).cast(KEYWORDS_SCHEMA)
        tables.append(t.filter(pc.is_in(t["report_id"], value_set=added)))
    if selected:
        rows = _Rows.of(pa.concat_tables(selected))
        pos, _ = _positions(rows.term_names, df_table["term"])  # every selected term is in the corpus
        term_idf = idf_of(df_table["df"].to_numpy()[pos], df_table["background"].to_numpy()[pos], n_reports, alpha)
        tables.append(_score(rows, term_idf[rows.term_codes], top_k))
    info = {"changed_terms": len(changed), "touched": n_touched, "rescored": len(rescore)}
    return tables, df_table, info


def _holders(previous: pa.Table, changed: pa.Array, delta: pa.Table) -> pa.Array | None:
    """The reports whose previous keywords hold a changed term, when those are the only
    reports of unchanged parts whose keywords can move; None when any report may move.

    IDF falls as document frequency rises (`idf_of`). When no changed term became rarer,
    a changed term's weight in a report did not grow (the report's total is unchanged:
    its file is unchanged), so a term below the report's k-th keyword stays below it,
    and the other terms keep their weights: only reports holding a changed term among
    their keywords can move (a report with fewer than k terms holds all of them). An edit
    that adds text usually makes common words more frequent and none rarer, and then
    the parts without such a report need not be read at all.
    """
    if delta.num_rows and pc.any(pc.less(delta["n"], 0)).as_py():
        return None
    hit = previous.filter(pc.is_in(previous["term"], value_set=changed))
    return pc.unique(hit["report_id"])


def _holds_any(path: Path, reports: pa.Array) -> bool:
    """Whether the `_tf` part at `path` has rows of any of `reports` (its report column only)."""
    ids = _read(path, ["report_id"]).column("report_id")
    return any(pc.any(pc.is_in(c.dictionary, value_set=reports)).as_py() for c in ids.chunks if len(c))


def _touched(rows: _Rows, changed: pa.Array) -> list[tuple[str, str, int]]:
    """(report, term, count) of the rows holding a changed term."""
    hit = pc.is_in(rows.term_names, value_set=changed).to_numpy(zero_copy_only=False)
    if not hit.any():
        return []
    at = np.flatnonzero(hit[rows.term_codes])
    terms = rows.term_names.take(pa.array(rows.term_codes[at])).to_pylist()
    return list(zip([rows.report_names[r] for r in rows.report_codes[at].tolist()], terms, rows.counts[at].tolist()))


def _totals(rows: _Rows) -> dict[str, int]:
    sums = np.bincount(rows.report_codes, weights=rows.counts, minlength=len(rows.report_names))
    return dict(zip(rows.report_names, (int(s) for s in sums.tolist())))


class _PreviousTop:
    """The previous build's TF-IDF keywords, asked per report: its k-th weight and whether
    a term was among its keywords (built on first use)."""

    def __init__(self, previous: pa.Table, k: int):
        self.previous, self.k = previous, k
        self._kth: dict[str, float] | None = None
        self._rows: dict[str, np.ndarray] = {}  # report -> positions of its rows in `previous`
        self._terms: dict[str, set[str]] = {}  # report -> its keywords, for the reports asked about

    def _load(self) -> None:
        p = self.previous
        last = p.filter(pc.equal(p["rank"], self.k))
        self._kth = dict(zip(last["report_id"].to_pylist(), last["weight"].to_pylist()))
        # Each report's rows, not a set of every (report, term) pair: an edit asks about a
        # few thousand reports of 10,000, and the pairs' strings cost ~0.15 s to make.
        codes = pc.dictionary_encode(p["report_id"]).combine_chunks()
        order = np.argsort(codes.indices.to_numpy(zero_copy_only=False), kind="stable")
        bounds = np.cumsum(np.bincount(codes.indices.to_numpy(zero_copy_only=False), minlength=len(codes.dictionary)))
        self._rows = dict(zip(codes.dictionary.to_pylist(), np.split(order, bounds[:-1])))

    def kth(self, report: str) -> float | None:
        if self._kth is None:
            self._load()
        return self._kth.get(report)

    def holds(self, report: str, term: str) -> bool:
        if self._kth is None:
            self._load()
        terms = self._terms.get(report)
        if terms is None:
            rows = self._rows.get(report)
            terms = self._terms[report] = set() if rows is None else set(self.previous["term"].take(rows).to_pylist())
        return term in terms


def _may_move(touched: list[tuple[str, str, int]], totals: dict[str, int], top: _PreviousTop,
              changed_idf: dict[str, float], k: int) -> set[str]:
    """The reports among `touched` whose top `k` can differ from their rows in the previous build.

    A report's other terms keep their weights (their document frequencies and N are
    unchanged), so its top k stays as it was unless a changed term was in it, or now
    weighs at least as much as its k-th keyword (ties broken by term could let it in),
    or it had fewer than k keywords (then every term was in). The weight is computed as
    in `_score`: (count / report total) * IDF.
    """
    moved = set()
    for rid, term, count in touched:
        kth = top.kth(rid)
        if kth is None or top.holds(rid, term) or (float(count) / float(totals[rid])) * changed_idf[term] >= kth:
            moved.add(rid)
    return moved


# --- the table ------------------------------------------------------------------------------------


def write_keywords(tf_parts: list[Path], textrank_parts: list[Path], n_reports: int, out: Path,
                   *, alpha: float, top_k: int, changes: Changes | None = None, df_out: Path | None = None) -> dict:
    """Write `keywords` (and the hidden `_df` to `df_out`): the corpus TF-IDF top `top_k` of
    each report plus the TextRank rows, ordered by report_id, method, rank. Returns what
    was computed."""
    if changes is not None and changes.usable(n_reports):
        tables, df_table, info = _incremental(tf_parts, textrank_parts, changes, n_reports, alpha, top_k)
        info["incremental"] = True
    else:
        vocab = scan(tf_parts)
        background = jieba_background(vocab.terms) if len(vocab.terms) else np.zeros(0)
        idf = idf_of(vocab.df, background, n_reports, alpha)
        # Parquet and numpy work without the GIL; two threads (the parts are scored whole)
        tables = map_parts(lambda k: score_part(k, tf_parts[k], vocab, idf, top_k), range(len(tf_parts)), threads=2)
        tables += [read_part(p).cast(KEYWORDS_SCHEMA) for p in textrank_parts]
        df_table = pa.table({"term": vocab.terms, "df": vocab.df, "background": background}, schema=DF_SCHEMA)
        info = {"incremental": False}
    table = pa.concat_tables(tables) if tables else KEYWORDS_SCHEMA.empty_table()
    table = table.sort_by([("report_id", "ascending"), ("method", "ascending"), ("rank", "ascending")])
    pq.write_table(table, out, compression="zstd")
    if df_out is not None:
        pq.write_table(df_table, df_out, compression="zstd")
    info["rows"] = table.num_rows
    return info
