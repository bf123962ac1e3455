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
hidden `_df` table, and each report's best `top_k + EXTRA_CANDIDATES` rows with their
weights, counts and a bound no row left out exceeds as the hidden `_cand` table. An
incremental build (`Changes`: same number of reports as before) updates `_df` by the
terms of the reports added and removed, and re-scores only the reports whose keywords
can have moved: a report whose candidates hold a term whose document frequency changed
is updated from its candidates alone while they still decide its top `top_k`
(`_from_candidates`; no `_tf` part is read for it); the new reports, and those whose
candidates no longer decide (or where a term that became rarer, left out of them, now
weighs as much as their bound), are scored from their `_tf` rows (`_from_rows`). A report
holding no changed term keeps its rows of the previous build, which a full computation
reproduces exactly (same inputs, same operations; tests/analysis/test_store_parts.py
compares the two after successive edits). When the number of reports changes, every
IDF moves and the full computation runs.

The numbers are those of `keywords.tfidf_keywords` and of the DuckDB SQL this replaced
(tests/analysis/test_corpus.py): corpus IDF = ln((1 + N) / (1 + df)) + 1, blended with
jieba's IDF (median for unknown words) as alpha * corpus + (1 - alpha) * jieba, weight =
tf / report length * IDF. The logarithms are taken with `math.log` on the distinct
document frequencies, so no vectorised log approximation can move a weight.
"""

from __future__ import annotations

import importlib.util
import math
from concurrent.futures import Future, ThreadPoolExecutor
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
# The hidden `_cand` table: each report's best rows (its keywords and a few more), for the next
# incremental build (`_from_candidates`); `total` is the report's term count, `bound` a
# weight no row left out exceeds (-inf when none was left out).
CAND_SCHEMA = pa.schema([("report_id", pa.string()), ("term", pa.string()), ("count", pa.int64()),
                         ("total", pa.int64()), ("weight", pa.float64()), ("bound", pa.float64())])
EXTRA_CANDIDATES = 10
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
    previous_cand: Path | None = None
    added_reports: set[str] = field(default_factory=set)
    removed_reports: set[str] = field(default_factory=set)
    added: list[pa.Table] = field(default_factory=list)
    removed: list[pa.Table] = field(default_factory=list)
    # Parts hard-linked from the previous build: they hold no new report, so they are
    # read only for a report whose candidates no longer decide or a term that became rarer.
    linked_parts: set[int] = field(default_factory=set)
    _reads: dict[Path, Future] = field(default_factory=dict, repr=False, compare=False)

    def prefetch(self) -> None:
        """Start reading the previous build's keyword tables (read whole by the keyword step,
        `read`) on threads: a one-file rebuild reads them while it hashes, copies and
        analyses, not after (~0.1 s off its critical path)."""
        pool = ThreadPoolExecutor(max_workers=3)
        for path in (self.previous_keywords, self.previous_df, self.previous_cand):
            if path is not None and path.exists():
                self._reads[path] = pool.submit(read_part, path)
        pool.shutdown(wait=False)

    def read(self, path: Path) -> pa.Table:
        """`read_part(path)`, prefetched if it was."""
        future = self._reads.pop(path, None)
        return future.result() if future is not None else read_part(path)

    def note(self, tf: pa.Table, *, added: bool) -> None:
        """Record the `_tf` rows of reports that were analysed (added) or dropped (removed)."""
        if tf.num_rows == 0:
            return
        values, counts = pc.value_counts(tf["term"]).flatten()
        (self.added if added else self.removed).append(pa.table({"term": values, "n": counts.cast(pa.int64())}))
        (self.added_reports if added else self.removed_reports).update(pc.unique(tf["report_id"]).to_pylist())

    def usable(self, n_reports: int, params: str) -> bool:
        """Whether the previous build's tables can be updated: same number of reports, and
        its keywords computed with the same parameters (`_params`, kept with `_cand`)."""
        if not (self.n_reports_before == n_reports and self.previous_keywords.exists() and self.previous_df.exists()
                and self.previous_cand is not None and self.previous_cand.exists()):
            return False
        try:
            metadata = pq.read_schema(self.previous_cand).metadata or {}
        except (OSError, pa.ArrowException):
            return False
        return metadata.get(b"keywords") == params.encode()

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


def _score(rows: _Rows, row_idf: np.ndarray, top_k: int) -> tuple[pa.Table, pa.Table]:
    """(keyword rows, candidate rows): the top `top_k` TF-IDF terms of each report among
    `rows`, and its top `top_k + EXTRA_CANDIDATES` with the weight no other row exceeds."""
    if len(rows.counts) == 0:
        return KEYWORDS_SCHEMA.empty_table(), CAND_SCHEMA.empty_table()
    starts, lengths = rows.runs()
    sums = np.add.reduceat(rows.counts, starts)
    totals = sums.astype(float)
    weight = (rows.counts.astype(float) / np.repeat(totals, lengths)) * row_idf
    listed = top_k + EXTRA_CANDIDATES
    keep, ranks = _top_k(weight, starts, lengths, rows.term_codes, rows.term_names, listed + 1)
    run = np.repeat(np.arange(len(starts)), lengths)[keep]
    left_out = ranks == listed + 1  # the best row left out gives its report's bound
    bound = np.full(len(starts), -np.inf)
    bound[run[left_out]] = weight[keep[left_out]]
    keep, ranks, run = keep[~left_out], ranks[~left_out], run[~left_out]
    report_ids = pa.array(rows.report_names, pa.string()).take(pa.array(rows.report_codes[keep]))
    terms = rows.term_names.take(pa.array(rows.term_codes[keep]))
    candidates = pa.table({
        "report_id": report_ids, "term": terms, "count": pa.array(rows.counts[keep], pa.int64()),
        "total": pa.array(sums[run], pa.int64()), "weight": pa.array(weight[keep], pa.float64()),
        "bound": pa.array(bound[run], pa.float64()),
    }, schema=CAND_SCHEMA)
    return _keyword_rows(candidates, ranks, top_k), candidates


def _keyword_rows(candidates: pa.Table, ranks: np.ndarray, top_k: int) -> pa.Table:
    """The keyword table's rows of the candidate rows ranked `top_k` or better."""
    top = candidates.filter(pa.array(ranks <= top_k))
    return pa.table({
        "report_id": top["report_id"], "term": top["term"], "weight": top["weight"],
        "rank": pa.array(ranks[ranks <= top_k], pa.int64()),
        "method": pa.array(["tfidf"] * top.num_rows, pa.string()),
    }, schema=KEYWORDS_SCHEMA)


def score_part(k: int, path: Path, vocab: _Vocabulary, idf: np.ndarray, top_k: int) -> tuple[pa.Table, pa.Table]:
    """Pass 2 of the full computation: the keyword and candidate rows of every report in
    part `k`. Each chunk's terms reach the IDF through the mapping of pass 1 (same
    dictionary, as the file is the same), else through a lookup."""
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
    previous = changes.read(changes.previous_df).cast(DF_SCHEMA)
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
    """(keyword rows of every report, candidate rows, the new `_df`, what was done) from
    the previous build: reports whose listed candidates hold a changed term are updated
    from those (`_from_candidates`); the new reports, those whose candidates no longer
    decide and those where a term that became rarer, left out of their candidates, may
    now pass their bound (`_Passed`) are scored from their rows."""
    df_table, delta = _updated_df(changes)
    changed = delta["term"].combine_chunks()
    pos, found = _positions(changed, df_table["term"])
    changed_idf = pa.table({  # every changed term the corpus still holds, with its new IDF
        "term": changed.filter(pa.array(found)),
        "idf": idf_of(df_table["df"].to_numpy()[pos[found]], df_table["background"].to_numpy()[pos[found]], n_reports, alpha),
    })
    everything = changes.read(changes.previous_keywords).cast(KEYWORDS_SCHEMA)
    previous = everything.filter(pc.equal(everything["method"], "tfidf"))
    candidates = changes.read(changes.previous_cand).cast(CAND_SCHEMA)
    candidates = candidates.filter(pc.invert(pc.is_in(candidates["report_id"], value_set=_ids(changes.removed_reports))))
    updated_kw, updated_cand, short = _from_candidates(candidates, changed_idf, top_k)
    rarer = changed_idf.filter(pc.is_in(changed_idf["term"], value_set=delta.filter(pc.less(delta["n"], 0))["term"]))
    scored_kw, scored_cand, new_parts = _from_rows(tf_parts, changes, df_table, rarer, candidates, short, n_reports,
                                                   alpha, top_k)

    rows_scored = set(pc.unique(scored_cand["report_id"]).to_pylist())
    updated = set(pc.unique(updated_cand["report_id"]).to_pylist()) - rows_scored
    drop = _ids(rows_scored | updated | changes.removed_reports)
    keep_updated = _ids(updated)
    kw = [previous.filter(pc.invert(pc.is_in(previous["report_id"], value_set=drop))),
          updated_kw.filter(pc.is_in(updated_kw["report_id"], value_set=keep_updated)), scored_kw]
    cand = [candidates.filter(pc.invert(pc.is_in(candidates["report_id"], value_set=drop))),
            updated_cand.filter(pc.is_in(updated_cand["report_id"], value_set=keep_updated)), scored_cand]
    # TextRank rows: per report, unchanged for the reports kept; read for the new ones
    # from the parts holding them (part k of `_textrank` covers the files of part k of `_tf`).
    textrank = everything.filter(pc.equal(everything["method"], "textrank"))
    kw.append(textrank.filter(pc.invert(pc.is_in(textrank["report_id"], value_set=_ids(changes.removed_reports)))))
    added = _ids(changes.added_reports - changes.removed_reports)
    for path in ([textrank_parts[k] for k in new_parts] if len(textrank_parts) == len(tf_parts) else textrank_parts):
        t = read_part(path).cast(KEYWORDS_SCHEMA)
        kw.append(t.filter(pc.is_in(t["report_id"], value_set=added)))
    info = {"changed_terms": len(changed), "from_candidates": len(updated), "rescored": len(rows_scored)}
    return kw, pa.concat_tables(cand), df_table, info


def _ids(reports: set[str]) -> pa.Array:
    return pa.array(sorted(reports), pa.string())


def _from_candidates(candidates: pa.Table, changed_idf: pa.Table, top_k: int) -> tuple[pa.Table, pa.Table, set[str]]:
    """(keyword rows, candidate rows) of the reports whose candidates hold a changed term,
    from the candidates alone; and the reports where they no longer decide.

    A report's candidates are its best rows with their weights, and `bound`, a weight no
    row left out exceeds. Its rows keep their counts (its file is unchanged), so a weight
    changes only through its term's IDF: recomputed for the changed terms listed, as
    `_score` computes it. Apart from terms that became rarer (the caller scores from their
    rows the reports where such a term left out reaches `bound`, `_Passed`), no row left
    out has grown past `bound`, and the top `top_k` are found among the
    candidates as long as the `top_k`-th of them still weighs more than `bound` (or
    nothing was left out); the others are returned to be scored from their rows.
    """
    hit = pc.is_in(candidates["term"], value_set=changed_idf["term"])
    held = pc.unique(candidates["report_id"].filter(hit))
    rows = candidates.filter(pc.is_in(candidates["report_id"], value_set=held))
    if rows.num_rows == 0:
        return KEYWORDS_SCHEMA.empty_table(), CAND_SCHEMA.empty_table(), set()
    pos, found = _positions(rows["term"], changed_idf["term"])
    fresh = (rows["count"].to_numpy().astype(float) / rows["total"].to_numpy().astype(float)) * changed_idf["idf"].to_numpy()[pos]
    weight = np.where(found, fresh, rows["weight"].to_numpy())
    rows = rows.set_column(rows.column_names.index("weight"), "weight", pa.array(weight, pa.float64()))
    rows = rows.sort_by([("report_id", "ascending"), ("weight", "descending"), ("term", "ascending")])
    ids = pc.dictionary_encode(rows["report_id"]).combine_chunks().indices.to_numpy(zero_copy_only=False)
    starts = run_starts(ids)
    ranks = np.arange(len(ids)) - np.repeat(starts, np.diff(np.append(starts, len(ids)))) + 1
    weight, bound = rows["weight"].to_numpy(), rows["bound"].to_numpy()
    decided = np.zeros(len(starts), dtype=bool)  # per report: its top_k-th candidate above bound, or none left out
    kth = np.flatnonzero(ranks == top_k)
    decided[ids[kth]] = weight[kth] > bound[kth]
    decided |= bound[starts] == -np.inf
    ok = pa.array(decided[ids])
    short = set(pc.unique(rows["report_id"].filter(pc.invert(ok))).to_pylist())
    return _keyword_rows(rows.filter(ok), ranks[decided[ids]], top_k), rows.filter(ok), short


def _from_rows(tf_parts: list[Path], changes: Changes, df_table: pa.Table, rarer: pa.Table, candidates: pa.Table,
               short: set[str], n_reports: int, alpha: float, top_k: int) -> tuple[pa.Table, pa.Table, list[int]]:
    """(keyword rows, candidate rows, parts holding new reports) of the reports scored from
    their `_tf` rows: the new ones, those in `short`, and those where a term of `rarer`
    (term, idf: its IDF rose) left out of their candidates now weighs as much as their bound."""
    wanted_short = _ids(short)
    passed = _Passed(candidates, rarer) if rarer.num_rows else None

    def load(k: int) -> pa.Table | None:
        """Part k of `_tf` when a report in it may need scoring, else None. Only reads (no
        shared state changes): the next parts are read on threads meanwhile."""
        path = tf_parts[k]
        if k not in changes.linked_parts:
            return _read(path, TF_COLUMNS)  # new or changed files' reports
        holds_short = bool(short) and _holds_any(path, wanted_short)
        if not holds_short and passed is None:
            return None
        table = _read(path, TF_COLUMNS)
        if holds_short or any(pc.any(pc.is_in(c.dictionary, value_set=rarer["term"])).as_py() for c in table.column("term").chunks):
            return table
        return None

    selected, new_parts = [], []
    for k, table in enumerate(prefetched(load, range(len(tf_parts)))):  # each part read once (at most)
        if table is None:
            continue
        rows = _Rows.of(table)
        in_part = set(rows.report_names)
        wanted = (changes.added_reports & in_part) - changes.removed_reports
        if wanted:
            new_parts.append(k)
        wanted |= short & in_part
        if passed is not None:
            wanted |= passed.reports(rows)
        if wanted:
            part = rows.select(wanted)
            selected.append(pa.table({
                "report_id": pa.array(part.report_names, pa.string()).take(pa.array(part.report_codes)),
                "term": part.term_names.take(pa.array(part.term_codes)),
                "count": pa.array(part.counts, pa.int64()),
            }))
    if not selected:
        return KEYWORDS_SCHEMA.empty_table(), CAND_SCHEMA.empty_table(), new_parts
    rows = _Rows.of(pa.concat_tables(selected))
    pos, _ = _positions(rows.term_names, df_table["term"])  # every selected term is in the corpus
    term_idf = idf_of(df_table["df"].to_numpy()[pos], df_table["background"].to_numpy()[pos], n_reports, alpha)
    return (*_score(rows, term_idf[rows.term_codes], top_k), new_parts)


class _Passed:
    """Finds the reports where a term that became rarer, left out of their candidates,
    now weighs as much as their bound (their candidates may no longer hold their best
    rows: at an equal weight the term may come first, ties going by term).
    A listed one is updated by `_from_candidates`; a report the candidates do not know
    (a new one) is scored anyway."""

    def __init__(self, candidates: pa.Table, rarer: pa.Table):
        self.rarer = rarer
        ids = pc.dictionary_encode(candidates["report_id"]).combine_chunks()
        self.known = ids.dictionary
        self.bound = np.full(len(ids.dictionary), np.inf)
        self.bound[ids.indices.to_numpy(zero_copy_only=False)] = candidates["bound"].to_numpy()
        listed = candidates.filter(pc.is_in(candidates["term"], value_set=rarer["term"]))  # few: a hash set per part
        self.listed = pc.binary_join_element_wise(listed["report_id"], listed["term"], "\t")

    def reports(self, rows: _Rows) -> set[str]:
        hit = pc.is_in(rows.term_names, value_set=self.rarer["term"]).to_numpy(zero_copy_only=False)
        if not hit.any():
            return set()
        at = np.flatnonzero(hit[rows.term_codes])
        totals = np.bincount(rows.report_codes, weights=rows.counts, minlength=len(rows.report_names))
        terms = rows.term_names.take(pa.array(rows.term_codes[at]))
        reports = pa.array(rows.report_names, pa.string()).take(pa.array(rows.report_codes[at]))
        idf = self.rarer["idf"].to_numpy()[_positions(terms, self.rarer["term"])[0]]
        weight = (rows.counts[at].astype(float) / totals[rows.report_codes[at]]) * idf  # as `_score` computes it
        pos, known = _positions(reports, self.known)
        bound = np.where(known, self.bound[pos], np.inf)  # inf: a new report, scored anyway
        passed = pa.array(weight >= bound)
        reports, terms = reports.filter(passed), terms.filter(passed)
        listed = pc.is_in(pc.binary_join_element_wise(reports, terms, "\t"), value_set=self.listed)
        return set(reports.filter(pc.invert(listed)).to_pylist())


def _holds_any(path: Path, reports: pa.Array) -> bool:
    """Whether the `_tf` part at `path` has rows of any of `reports` (its report column only)."""
    ids = _read(path, ["report_id"]).column("report_id")
    return any(pc.any(pc.is_in(c.dictionary, value_set=reports)).as_py() for c in ids.chunks if len(c))


# --- the table ------------------------------------------------------------------------------------


def _params(top_k: int, alpha: float) -> str:
    """What the keywords were computed with: an incremental build with other values (an
    edited TFIDF_TOP_K, say) must compute them afresh, not mix old rows with new ones."""
    return f"top_k={top_k} alpha={alpha!r} extra={EXTRA_CANDIDATES}"


def write_keywords(tf_parts: list[Path], textrank_parts: list[Path], n_reports: int, out: Path,
                   *, alpha: float, top_k: int, changes: Changes | None = None, df_out: Path | None = None,
                   cand_out: Path | None = None) -> dict:
    """Write `keywords` (and the hidden `_df` to `df_out`, `_cand` to `cand_out`): the
    corpus TF-IDF top `top_k` of each report plus the TextRank rows, ordered by
    report_id, method, rank. Returns what was computed."""
    params = _params(top_k, alpha)
    if changes is not None and changes.usable(n_reports, params):
        tables, candidates, df_table, info = _incremental(tf_parts, textrank_parts, changes, n_reports, alpha, top_k)
        info["incremental"] = True
    else:
        vocab = scan(tf_parts)
        background = jieba_background(vocab.terms) if len(vocab.terms) else np.zeros(0)
        idf = idf_of(vocab.df, background, n_reports, alpha)
        # Parquet and numpy work without the GIL; two threads (the parts are scored whole)
        scored = map_parts(lambda k: score_part(k, tf_parts[k], vocab, idf, top_k), range(len(tf_parts)), threads=2)
        tables = [kw for kw, _ in scored] + [read_part(p).cast(KEYWORDS_SCHEMA) for p in textrank_parts]
        candidates = pa.concat_tables([c for _, c in scored]) if scored else CAND_SCHEMA.empty_table()
        df_table = pa.table({"term": vocab.terms, "df": vocab.df, "background": background}, schema=DF_SCHEMA)
        info = {"incremental": False}
    table = pa.concat_tables(tables) if tables else KEYWORDS_SCHEMA.empty_table()
    table = table.sort_by([("report_id", "ascending"), ("method", "ascending"), ("rank", "ascending")])
    # three files at once: Parquet encodes and compresses without the GIL
    candidates = candidates.replace_schema_metadata({"keywords": params})
    writes = [(t, path) for t, path in ((table, out), (df_table, df_out), (candidates, cand_out)) if path is not None]
    map_parts(lambda w: pq.write_table(w[0], w[1], compression="zstd"), writes, threads=3)
    info["rows"] = table.num_rows
    return info
