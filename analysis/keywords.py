"""Term counts and keywords per report: TF-IDF (corpus IDF blended with jieba's) and TextRank.

Both methods work on terms that are already segmented and tagged (segment.py), so a
report is segmented once for counts, keywords and themes alike.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Iterable

import numpy as np

from analysis.segment import content_terms

if TYPE_CHECKING:  # pandas is imported where it is used: the build's workers never need it
    import pandas as pd

# jieba's TextRank default (ns n vn v) plus the proper-noun classes, idioms (l, i),
# abbreviations (j, e.g. 党建, 研发) and x: the tag jieba-rs gives HMM-found words
# (潍柴, 瞪羚), which content_terms has already told apart from punctuation.
TEXTRANK_POS = ("ns", "n", "vn", "v", "nr", "nz", "nt", "eng", "nrt", "nrfg", "l", "i", "j", "x")

KEYWORD_COLUMNS = ["report_id", "term", "weight", "rank", "method"]


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
    tol: float = 1e-6,
) -> list[tuple[str, float]]:
    """TextRank (Mihalcea & Tarau 2004) over the term sequence of one report.

    Terms whose POS is in `allow_pos` are the nodes; two terms are linked, with
    weight = number of co-occurrences, when they are fewer than `window` positions
    apart in the filtered sequence (jieba's convention: window=5 links a term with
    the next four). Weighted PageRank is iterated on the edge list with
    np.bincount, so the cost is O(edges) per step and no dense matrix is built.
    Scores are divided by the best, so the first keyword has weight 1.0; ties keep
    the order of first occurrence.
    """
    ids, vocab = _node_ids(tagged_terms, frozenset(allow_pos))
    n = len(vocab)
    if n == 0:
        return []
    dst, src, weight = _cooccurrence_edges(ids, n, window)
    scores = np.ones(n)
    if len(src):
        # The graph is symmetric: a node's out-weight is its row sum (sums of integers,
        # exact in whatever order they are added).
        out_weight = np.bincount(dst, weights=weight, minlength=n)
        share = weight / out_weight[src]  # each node spreads its score over its edges
        spread = _spreader(src, dst, share, n)
        for _ in range(max_iter):
            new = spread(scores)  # then (1 - damping) + damping * new, in place: same floats
            new *= damping
            new += 1 - damping
            converged = np.abs(new - scores).max() < tol
            scores = new
            if converged:
                break
    scores = scores / scores.max()
    order = np.argsort(-scores, kind="stable")[:top_k]
    return [(vocab[i], float(scores[i])) for i in order]


def _node_ids(tagged_terms: list[tuple[str, str]], allow: frozenset[str]) -> tuple[np.ndarray, list[str]]:
    """(node id of each allowed term in sequence, the nodes in order of first occurrence).

    A new term gets the next id (`setdefault(term, len(index))`): one pass over the
    terms (a report holds thousands), no second look-up per term.
    """
    index: dict[str, int] = {}
    ids = [index.setdefault(term, len(index)) for term, pos in tagged_terms if pos in allow]
    return np.array(ids, dtype=np.int64), list(index)


def _spreader(src: np.ndarray, dst: np.ndarray, share: np.ndarray, n: int, *, sparse: bool | None = None):
    """scores -> for each node, the sum over its incoming edges of share * score of the source.

    The edges must be sorted by destination (as `_cooccurrence_edges` gives them). With
    scipy, they are the rows of a CSR matrix as they stand: its product adds the same
    terms in the same order as `np.bincount(dst, weights=share * scores[src])`, so the
    scores are the same to the last bit (tests/analysis/test_textrank_sparse.py), 1.7x
    faster. Without scipy, bincount.
    """
    if sparse is not False:
        try:
            from scipy.sparse import csr_matrix
        except ImportError:
            sparse = False
        else:
            indptr = np.concatenate([[0], np.cumsum(np.bincount(dst, minlength=n))])
            return csr_matrix((share, src, indptr), shape=(n, n)).__matmul__
    return lambda scores: np.bincount(dst, weights=share * scores[src], minlength=n)


def _cooccurrence_edges(ids: np.ndarray, n: int, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected co-occurrence edges as (dst, src, weight), both directions listed,
    sorted by (dst, src): the rows of a CSR matrix, each node's incoming edges in the
    order the power iteration has always added them (sources ascending).
    """
    pairs = [(ids[:-k], ids[k:]) for k in range(1, min(window, len(ids)))]
    if not pairs:
        return (np.empty(0, np.int64),) * 2 + (np.empty(0),)
    a = np.concatenate([p[0] for p in pairs])
    b = np.concatenate([p[1] for p in pairs])
    keep = a != b  # a term next to itself says nothing about its centrality
    a, b = a[keep], b[keep]
    dst, src = np.concatenate([a, b]), np.concatenate([b, a])
    # Sorted by source, then stably by destination: on 16-bit keys numpy's stable sort
    # is a radix sort, several times faster than one sort of (dst, src) pair keys.
    key_type = np.uint16 if n <= 1 << 16 else np.int64
    dst, src = dst.astype(key_type), src.astype(key_type)
    order = np.argsort(src, kind="stable")
    dst, src = dst[order], src[order]
    order = np.argsort(dst, kind="stable")
    dst, src = dst[order], src[order]
    first = np.flatnonzero(np.concatenate([[True], (dst[1:] != dst[:-1]) | (src[1:] != src[:-1])]))
    counts = np.diff(np.append(first, len(dst)))
    dst, src = dst[first].astype(np.int64), src[first].astype(np.int64)
    return dst, src, counts.astype(float)


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
    corpus_idf = np.log((1 + n_reports) / (1 + df)) + 1
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
