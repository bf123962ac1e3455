"""Term counts and keywords per report: TF-IDF (corpus IDF blended with jieba's) and TextRank.

Both methods work on terms that are already segmented and tagged (segment.py), so a
report is segmented once for counts, keywords and themes alike.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

import numpy as np

from analysis.segment import content_terms

if TYPE_CHECKING:  # pandas is imported where it is used: the build's workers never need it
    import pandas as pd

# jieba's TextRank default (ns n vn v) plus the proper-noun classes, idioms (l, i),
# abbreviations (j, e.g. 党建, 研发) and x: the tag jieba-rs gives HMM-found words
# (潍柴, 瞪羚), which content_terms has already told apart from punctuation.
TEXTRANK_POS = ("ns", "n", "vn", "v", "nr", "nz", "nt", "eng", "nrt", "nrfg", "l", "i", "j", "x")

KEYWORD_COLUMNS = ["report_id", "term", "weight", "rank", "method"]
# TextRank iterates until no score moves by this much. Scores are about 1 (0.15 at the
# least), shown to three decimals: on the 94 reports of the seeds and the gov-work
# corpus, 1e-4 gives the same top 20, in the same order, as 1e-6 (weights within 1e-4)
# in 24 steps instead of 38 - TextRank's power iteration was 6 % of a build. jieba
# itself stops after 10 steps, converged or not.
TEXTRANK_TOL = 1e-4


def count_terms(paragraphs: Iterable[str], segmenter, stopwords) -> Counter[tuple[str, str]]:
    """(term, pos) -> occurrences over the paragraphs of one report, stop words removed."""
    counts: Counter[tuple[str, str]] = Counter()
    for paragraph in paragraphs:
        counts.update(content_terms(segmenter.tag(paragraph), stopwords))
    return counts


def textrank(
    tagged_terms: list[tuple[str, str]],
    *,
    window: int = 5,
    top_k: int = 20,
    allow_pos: Iterable[str] = TEXTRANK_POS,
    damping: float = 0.85,
    max_iter: int = 100,
    tol: float = TEXTRANK_TOL,
) -> list[tuple[str, float]]:
    """TextRank (Mihalcea & Tarau 2004) over the term sequence of one report.

    Terms whose POS is in `allow_pos` are the nodes; two terms are linked, with
    weight = number of co-occurrences, when they are fewer than `window` positions
    apart in the filtered sequence (jieba's convention: window=5 links a term with
    the next four). Weighted PageRank is iterated on the list of linked pairs, so the
    cost is O(edges) per step and no dense matrix is built.
    Scores are divided by the best, so the first keyword has weight 1.0; ties keep
    the order of first occurrence.
    """
    ids, vocab = _node_ids(tagged_terms, frozenset(allow_pos))
    n = len(vocab)
    if n == 0:
        return []
    lo, hi, count = _cooccurrence_pairs(ids, n, window)
    scores = np.ones(n)
    if len(lo):
        # A node's out-weight is the weight of the pairs it is in: integers, exact in
        # whatever order they are added.
        out_weight = np.bincount(lo, weights=count, minlength=n) + np.bincount(hi, weights=count, minlength=n)
        # Each node spreads its score over its pairs in proportion to their weights.
        spread = _spreader(lo, hi, count / out_weight[hi], count / out_weight[lo], n)
        scores = _power_iteration(spread, scores, damping, max_iter, tol)
    scores = scores / scores.max()
    order = _top(scores, np.arange(n), top_k)  # ties by node id: order of first occurrence
    return [(vocab[i], float(scores[i])) for i in order.tolist()]


def _node_ids(tagged_terms: list[tuple[str, str]], allow: frozenset[str]) -> tuple[np.ndarray, list[str]]:
    """(node id of each term whose POS is in `allow`, in sequence; the nodes in order of
    their first such occurrence).

    A new term gets the next id (`setdefault(term, len(index))`): one pass over the
    terms (a report holds thousands), one dict look-up per term.
    """
    # Measured on 200 reports (Python 3.11): splitting and filtering with C iterators
    # (compress/itemgetter), or dict.fromkeys for the vocabulary plus a second look-up
    # pass, costs 10-30 % more than this one comprehension; the dict look-up is most of
    # the cost either way. np.fromiter with a count is ~20 % faster than np.array(ids),
    # which first scans the list for nested sequences.
    index: dict[str, int] = {}
    ids = [index.setdefault(term, len(index)) for term, pos in tagged_terms if pos in allow]
    return np.fromiter(ids, np.int64, len(ids)), list(index)


def _cooccurrence_pairs(ids: np.ndarray, n: int, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The linked pairs of nodes as (lo, hi, count), lo < hi, sorted by (lo, hi), each
    pair once with the number of times its two terms occur within the window.

    Each pair stands for both directions of the edge (`_spreader`), so only half as
    many keys are sorted as there are directed edges. lo and hi are int32, the index
    type of scipy's sparse kernels.
    """
    shifts = range(1, min(window, len(ids)))
    if not shifts:
        return np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0)
    # On 16-bit keys numpy's stable sort is a radix sort, several times faster than one
    # sort of (lo, hi) pair keys.
    ids = ids.astype(np.uint16 if n <= 1 << 16 else np.int64)
    a = np.concatenate([ids[:-k] for k in shifts])
    b = np.concatenate([ids[k:] for k in shifts])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keep = lo != hi  # a term next to itself says nothing about its centrality
    lo, hi = np.compress(keep, lo), np.compress(keep, hi)
    # Sorted by hi, then stably by lo: sorted by (lo, hi).
    order = np.argsort(hi, kind="stable")
    lo, hi = lo[order], hi[order]
    order = np.argsort(lo, kind="stable")
    lo, hi = lo[order], hi[order]
    # The first of each run of equal pairs stands for the run; the run's length is its count.
    first = np.empty(len(lo), bool)
    first[:1] = True
    np.not_equal(lo[1:], lo[:-1], out=first[1:])
    first[1:] |= hi[1:] != hi[:-1]
    first = np.flatnonzero(first)
    count = np.diff(first, append=len(lo)).astype(float)
    return lo[first].astype(np.int32), hi[first].astype(np.int32), count


def _spreader(lo: np.ndarray, hi: np.ndarray, to_lo: np.ndarray, to_hi: np.ndarray, n: int,
              *, sparse: bool | None = None):
    """scores -> for each node, the sum over its neighbours of share * score of the neighbour,
    neighbours added in ascending order (the order TextRank has always added them in, so
    the floats stay the same to the last bit).

    The pairs (lo < hi) come sorted by (lo, hi) (`_cooccurrence_pairs`); `to_lo` is the
    share of hi's score that goes to lo, `to_hi` the share of lo's that goes to hi. A
    node x's neighbours below it are the pairs (lo, x), in order of lo; those above it
    the pairs (x, hi), in order of hi. Read as the columns of one sparse matrix the
    pairs give the first (scipy's csc_matvec adds them into y column by column), read
    as its rows the second (csr_matvec continues each row's sum from y): both kernels
    compute y += A @ x, so x's sum is one sequence of additions, in the order above, on
    the pairs as they stand (no second sort, no matrix object per report). The kernels
    are scipy's private ones: without them (or scipy), numpy's bincount adds the same
    terms in the same order (tests/analysis/test_textrank_sparse.py).
    """
    kernels = _SPARSE_KERNELS if sparse is None else (load_sparse_kernels() if sparse else None)
    if kernels is not None:
        csc_matvec, csr_matvec = kernels
        indptr = np.searchsorted(lo, np.arange(n + 1)).astype(lo.dtype)

        def spread(scores: np.ndarray) -> np.ndarray:
            new = np.zeros(n)
            csc_matvec(n, n, indptr, hi, to_hi, scores, new)  # from the neighbours below
            csr_matvec(n, n, indptr, hi, to_lo, scores, new)  # then from those above
            return new
        return spread
    # Each node's incoming terms in the order above: those from below, then those from above.
    dst, src, share = np.concatenate([hi, lo]), np.concatenate([lo, hi]), np.concatenate([to_hi, to_lo])
    return lambda scores: np.bincount(dst, weights=share * scores[src], minlength=n)


# scipy's private sparse kernels, once loaded (load_sparse_kernels); None: numpy's bincount.
_SPARSE_KERNELS: tuple | None = None


def load_sparse_kernels() -> tuple | None:
    """Load scipy's sparse kernels for TextRank, and return them (None without scipy).

    Importing scipy.sparse costs ~0.12 s: a build of more than a few files does it at
    start (engines), not the few reports of a rebuild or an upload. Same floats either
    way. The one place that names scipy's private module."""
    global _SPARSE_KERNELS
    if _SPARSE_KERNELS is None:
        try:
            from scipy.sparse._sparsetools import csc_matvec, csr_matvec
        except ImportError:
            return None
        _SPARSE_KERNELS = (csc_matvec, csr_matvec)
    return _SPARSE_KERNELS


def _power_iteration(spread, scores: np.ndarray, damping: float, max_iter: int, tol: float) -> np.ndarray:
    """PageRank's iteration from `scores` until no score moves by `tol` or more.

    The damping is applied to the product in place and the convergence test reuses one
    buffer: the same floats as `(1 - damping) + damping * spread(scores)` and
    `np.abs(new - scores).max()` without a new array per operation (a report takes 30
    to 50 steps on a few thousand nodes, where the cost of each call counts).
    """
    diff = np.empty_like(scores)
    for _ in range(max_iter):
        new = spread(scores)
        new *= damping
        new += 1 - damping
        np.subtract(new, scores, out=diff)
        converged = np.abs(diff, out=diff).max() < tol
        scores = new
        if converged:
            break
    return scores


@lru_cache(maxsize=1)
def load_jieba_idf() -> tuple[dict[str, float], float]:
    """jieba's IDF table (analyse/idf.txt) and its median, the IDF jieba gives unknown words.

    Read as a package resource; jieba.analyse is not imported, so no default
    extractor is built. The dict is cached and shared: treat it as read-only.
    """
    text = resources.files("jieba").joinpath("analyse/idf.txt").read_text(encoding="utf-8")
    idf = {}
    for line in text.splitlines():
        word, _, value = line.strip().rpartition(" ")
        if word:
            idf[word] = float(value)
    values = sorted(idf.values())
    return idf, values[len(values) // 2]  # the median as jieba.analyse computes it


def tfidf_keywords(
    term_counts: pd.DataFrame,
    *,
    jieba_idf: dict[str, float],
    median_idf: float,
    alpha: float = 0.5,
    top_k: int = 20,
    corpus_df: Callable[[Sequence[str]], np.ndarray] | None = None,
    corpus_n: int = 0,
) -> pd.DataFrame:
    """Top `top_k` TF-IDF keywords per report.

    `term_counts` has columns report_id, term, count, pos (rows of one term with
    different POS are summed). For term t in report d:

        tf(t, d)      = count(t, d) / (content terms in d)
        corpus_idf(t) = log((1 + N) / (1 + df(t))) + 1          (scikit-learn's smooth IDF)
        idf(t)        = alpha * corpus_idf(t) + (1 - alpha) * jieba_idf(t)
        weight        = tf * idf

    Why blend: with a handful of reports the corpus IDF hardly separates anything
    (five reports give values between 1 and 2.1), so 工作-like words that escaped
    the stop list tie with real topics. jieba's IDF, estimated on a large general
    corpus, supplies that background knowledge: common words have low IDF
    (发展 3.6), specific ones high (孵化器 ~9). Words jieba has never seen - local names,
    slogans like 双招双引 - get its median IDF, i.e. count as fairly specific.
    As the corpus grows its own IDF spreads out (log N) and carries more of the
    ranking; alpha=1 is pure corpus TF-IDF, alpha=0 is jieba.analyse's ranking.

    Reports scored against a larger corpus they join (uploads against the store):
    `corpus_df(terms)` gives the corpus's document frequency of each term and
    `corpus_n` its number of reports; N and df are then the corpus's plus these reports'.

    Returns columns report_id, term, weight, rank (1 = best; ties broken by
    term), method="tfidf", ordered by report and rank.
    """
    import pandas as pd

    if term_counts.empty:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in
                             zip(KEYWORD_COLUMNS, [str, str, float, "int64", str])})
    r, report_ids = pd.factorize(term_counts["report_id"])
    t, terms = pd.factorize(term_counts["term"])
    count = term_counts["count"].to_numpy(dtype=float)
    n_reports, n_terms = len(report_ids), len(terms)
    if (np.diff(r) < 0).any():  # rows of a report not contiguous in the input
        order = np.argsort(r, kind="stable")
        r, t, count = r[order], t[order], count[order]
    # One row per (report, term): POS variants of a term are the same keyword.
    # Merged report by report - small sorts instead of one over every row.
    merged = [_merge(t[a:b], count[a:b]) for a, b in _slices(r, n_reports)]
    t = np.concatenate([m[0] for m in merged])
    count = np.concatenate([m[1] for m in merged])
    r = np.repeat(np.arange(n_reports), [len(m[0]) for m in merged])

    df = np.bincount(t, minlength=n_terms)
    n = n_reports
    if corpus_df is not None:
        df = df + np.asarray(corpus_df(list(terms)), dtype=np.int64)
        n += corpus_n
    corpus_idf = np.log((1 + n) / (1 + df)) + 1
    background = pd.Series(terms).map(jieba_idf).fillna(median_idf).to_numpy(dtype=float)
    idf = alpha * corpus_idf + (1 - alpha) * background

    length = np.bincount(r, weights=count, minlength=n_reports)
    weight = count / length[r] * idf[t]

    term_rank = np.argsort(np.argsort(np.asarray(terms, dtype=object)))  # alphabetical, for ties
    chosen = [a + _top(weight[a:b], term_rank[t[a:b]], top_k) for a, b in _slices(r, n_reports)]
    rank = np.concatenate([np.arange(1, len(c) + 1) for c in chosen])
    rows = np.concatenate(chosen)
    return pd.DataFrame({
        "report_id": np.asarray(report_ids, dtype=object)[r[rows]],
        "term": np.asarray(terms, dtype=object)[t[rows]],
        "weight": weight[rows],
        "rank": rank.astype("int64"),
        "method": "tfidf",
    })


def _top(weight: np.ndarray, tie: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k largest weights, best first, ties by `tie` ascending.

    A partition finds the k-th largest value, so only the candidates at or above
    it are sorted: one report at a time this beats a global sort of every
    (report, term) row by far on large corpora.
    """
    if len(weight) > k:
        threshold = np.partition(weight, len(weight) - k)[len(weight) - k]
        candidates = np.flatnonzero(weight >= threshold)
    else:
        candidates = np.arange(len(weight))
    return candidates[np.lexsort((tie[candidates], -weight[candidates]))][:k]


def _slices(report_codes: np.ndarray, n_reports: int):
    """(start, end) of each report's rows in an array grouped by report code."""
    bounds = np.concatenate([[0], np.cumsum(np.bincount(report_codes, minlength=n_reports))])
    return zip(bounds[:-1].tolist(), bounds[1:].tolist())


def _merge(terms: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    unique, inverse = np.unique(terms, return_inverse=True)
    return unique, np.bincount(inverse, weights=counts, minlength=len(unique))
