"""TextRank's two ways of spreading scores (scipy CSR product, numpy bincount) agree to the bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis import keywords as kw
from analysis.pipeline import Resources, build_context

SEEDS = sorted((Path(__file__).parents[2] / "seeds").glob("*.txt"))


def test_sparse_product_adds_like_bincount_on_random_graphs():
    pytest.importorskip("scipy")
    rng = np.random.default_rng(5)
    for n, e in [(1, 3), (5, 8), (60, 400), (700, 9000)]:
        dst = np.sort(rng.integers(0, n, e))  # _spreader takes the edges sorted by destination
        src = rng.integers(0, n, e)
        share, scores = rng.random(e), rng.random(n)
        sparse = kw._spreader(src, dst, share, n, sparse=True)(scores)
        dense = kw._spreader(src, dst, share, n, sparse=False)(scores)
        assert sparse.tolist() == dense.tolist()


def test_textrank_of_the_seed_reports_is_the_same_either_way(monkeypatch):
    pytest.importorskip("scipy")
    res = Resources()
    reports = [[t for p in r.paragraphs for t in p.terms] for path in SEEDS
               for r in build_context(path.read_bytes(), path.name, res).reports]
    with_scipy = [kw.textrank(terms) for terms in reports]
    plain = kw._spreader
    monkeypatch.setattr(kw, "_spreader", lambda *a, **k: plain(*a, sparse=False))
    assert [kw.textrank(terms) for terms in reports] == with_scipy
    assert sum(len(r) for r in with_scipy) > 100
