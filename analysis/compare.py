"""Which terms and themes set one group of reports apart from another.

Comparison statistics share one signature, (counts_a, counts_b, prior=None, *,
prior_scale) -> DataFrame[count_a, count_b, delta, z] indexed by term, sorted by
z descending, so `compare_groups` can take either:

- `log_odds_dirichlet`: Monroe, Colaresi & Quinn (2008), the default;
- `frequency_difference`: plain difference of relative frequencies with a
  two-proportion z, for readers who want the naive number.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import pandas as pd

STAT_COLUMNS = ["count_a", "count_b", "delta", "z"]
# Pseudo-count for a term the prior has never seen, so log(0) cannot occur.
MIN_ALPHA = 0.01


def log_odds_dirichlet(
    counts_a: pd.Series,
    counts_b: pd.Series,
    prior: pd.Series | None = None,
    *,
    prior_scale: float = 1.0,
) -> pd.DataFrame:
    """Log-odds ratio with an informative Dirichlet prior ("Fightin' Words").

    With y the counts, n = sum(y) per group, and alpha_w the prior pseudo-counts:

        delta_w = log((y_a + a_w) / (n_a + a_0 - y_a - a_w))
                - log((y_b + a_w) / (n_b + a_0 - y_b - a_w))
        var_w  ~= 1 / (y_a + a_w) + 1 / (y_b + a_w)
        z_w     = delta_w / sqrt(var_w)

    Prior: `prior` holds background counts (default counts_a + counts_b, the two
    groups pooled). They are rescaled so the pseudo-counts total
    a_0 = prior_scale * min(n_a, n_b): with the default 1.0 the prior weighs as
    much as the smaller group. Tying a_0 to the smaller group keeps a large
    background (one district against the rest of the corpus) from swamping the
    small group's evidence. Terms the prior lacks get MIN_ALPHA.

    delta > 0: the term is relatively more frequent in group A. z measures how
    sure that is; rank by z, read effect size from delta.
    """
    a, b = _aligned(counts_a, counts_b)
    n_a, n_b = a.sum(), b.sum()
    background = (a + b) if prior is None else prior.reindex(a.index).fillna(0).astype(float)
    total = background.sum()
    alpha = background * (prior_scale * min(n_a, n_b) / total) if total > 0 else background * 0
    alpha = alpha.clip(lower=MIN_ALPHA)
    alpha_0 = alpha.sum()
    delta = np.log((a + alpha) / (n_a + alpha_0 - a - alpha)) - np.log((b + alpha) / (n_b + alpha_0 - b - alpha))
    z = delta / np.sqrt(1 / (a + alpha) + 1 / (b + alpha))
    return _result(a, b, delta, z)


def frequency_difference(
    counts_a: pd.Series,
    counts_b: pd.Series,
    prior: pd.Series | None = None,
    *,
    prior_scale: float = 1.0,
) -> pd.DataFrame:
    """delta = y_a/n_a - y_b/n_b, z = two-proportion z-test with the pooled rate.

    `prior` and `prior_scale` are accepted for the common signature and ignored.
    Unlike the log-odds it lets a term said twice in a small group look decisive.
    """
    a, b = _aligned(counts_a, counts_b)
    n_a, n_b = a.sum(), b.sum()
    delta = a / n_a - b / n_b
    pooled = (a + b) / (n_a + n_b)
    z = delta / np.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    return _result(a, b, delta, z)


def _aligned(counts_a: pd.Series, counts_b: pd.Series) -> tuple[pd.Series, pd.Series]:
    index = counts_a.index.union(counts_b.index)
    a = counts_a.reindex(index, fill_value=0).astype(float)
    b = counts_b.reindex(index, fill_value=0).astype(float)
    keep = (a > 0) | (b > 0)
    return a[keep], b[keep]


def _result(a, b, delta, z) -> pd.DataFrame:
    out = pd.DataFrame({"count_a": a.astype("int64"), "count_b": b.astype("int64"), "delta": delta, "z": z})
    out.index.name = "term"
    # Sort by term first so equal z values come out in a fixed order.
    return out.sort_index(kind="stable").sort_values("z", ascending=False, kind="stable")


@dataclass(frozen=True)
class CountMatrix:
    """term_counts as integer codes: report code, term code, count (POS merged).

    Built once per term_counts frame; a group comparison is then a boolean
    lookup and two np.bincount calls over the rows.
    """

    report_ids: pd.Index
    terms: pd.Index
    report_code: np.ndarray
    term_code: np.ndarray
    count: np.ndarray

    @classmethod
    def from_frame(cls, term_counts: pd.DataFrame) -> "CountMatrix":
        r, report_ids = pd.factorize(term_counts["report_id"])
        t, terms = pd.factorize(term_counts["term"])
        return cls(pd.Index(report_ids), pd.Index(terms), r, t, term_counts["count"].to_numpy(dtype=float))

    def mask(self, ids: Iterable[str]) -> np.ndarray:
        """Row mask of the rows whose report is in `ids` (unknown ids ignored)."""
        codes = self.report_ids.get_indexer(pd.Index(list(ids)))
        chosen = np.zeros(len(self.report_ids), dtype=bool)
        chosen[codes[codes >= 0]] = True
        return chosen[self.report_code]

    def totals(self, mask: np.ndarray | None = None) -> pd.Series:
        codes = self.term_code if mask is None else self.term_code[mask]
        weights = self.count if mask is None else self.count[mask]
        return pd.Series(np.bincount(codes, weights=weights, minlength=len(self.terms)), index=self.terms)


# One-slot memo: the dashboard compares within the same term_counts frame click
# after click. Keyed on the object itself through a weak reference, so a new or
# freed frame is never mistaken for the old one.
_memo: tuple[weakref.ref, CountMatrix] | None = None


def prepare_counts(term_counts: pd.DataFrame | CountMatrix) -> CountMatrix:
    """CountMatrix for a term_counts frame, reused while the same frame object is passed.

    The memo assumes the frame is not modified in place between calls.
    """
    global _memo
    if isinstance(term_counts, CountMatrix):
        return term_counts
    if _memo is not None and _memo[0]() is term_counts:
        return _memo[1]
    matrix = CountMatrix.from_frame(term_counts)
    _memo = (weakref.ref(term_counts), matrix)
    return matrix


def compare_groups(
    term_counts: pd.DataFrame | CountMatrix,
    ids_a: Iterable[str],
    ids_b: Iterable[str] | None = None,
    *,
    top_k: int = 30,
    statistic: Callable[..., pd.DataFrame] = log_odds_dirichlet,
    prior_scale: float = 1.0,
) -> pd.DataFrame:
    """The `top_k` terms most typical of group A and the `top_k` most typical of B.

    ids_b None = every report not in A. The prior is the whole corpus's term
    counts, whatever the groups. Columns: term, count_a, count_b, delta, z,
    side ("a" for z > 0, most distinctive first, then "b", most distinctive first).
    """
    matrix = prepare_counts(term_counts)
    in_a = matrix.mask(ids_a)
    in_b = ~in_a if ids_b is None else matrix.mask(ids_b) & ~in_a
    scored = statistic(matrix.totals(in_a), matrix.totals(in_b), matrix.totals(), prior_scale=prior_scale)
    return top_sides(scored, top_k)


def top_sides(scored: pd.DataFrame, top_k: int) -> pd.DataFrame:
    """The `top_k` terms of each side of a statistic's result (sorted by z descending):
    side "a" (z > 0) most distinctive first, then side "b" (z < 0) most distinctive first."""
    side_a = scored[scored["z"] > 0].head(top_k).assign(side="a")
    side_b = scored[scored["z"] < 0].iloc[::-1].head(top_k).assign(side="b")
    return pd.concat([side_a, side_b]).reset_index()


def theme_shares(themes: pd.DataFrame, report_ids: Iterable[str]) -> pd.Series:
    """Share of each theme in the selected reports' paragraphs; sums to 1.

    `themes` is the themes table (report_id, paragraph_no, theme, score). Each
    paragraph that carries any theme counts once, its unit split across its
    themes in proportion to score, so a long multi-theme paragraph does not
    outweigh several short single-theme ones. Every theme in the table is listed
    (0 if absent from the selection), strongest first.
    """
    all_themes = pd.Index(themes["theme"].unique())
    chosen = themes[themes["report_id"].isin(list(report_ids))]
    if chosen.empty:
        return pd.Series(0.0, index=all_themes, name="share").rename_axis("theme")
    paragraph_total = chosen.groupby(["report_id", "paragraph_no"])["score"].transform("sum")
    mass = (chosen["score"] / paragraph_total).groupby(chosen["theme"]).sum()
    shares = (mass / mass.sum()).reindex(all_themes, fill_value=0.0)
    shares = shares.sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    return shares.rename("share").rename_axis("theme")
