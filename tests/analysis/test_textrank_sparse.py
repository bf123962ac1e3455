"""TextRank's two ways of spreading scores (scipy's sparse kernels, numpy bincount) agree to the bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analysis import keywords as kw
from analysis.pipeline import Resources, build_context

SEEDS = sorted((Path(__file__).parents[2] / "seeds").glob("*.txt"))


def _spread_by_hand(lo, hi, to_lo, to_hi, n, scores):
    """Each node's sum of share * score over its neighbours, neighbours in ascending order."""
    incoming = [[] for _ in range(n)]
    for a, b, share_a, share_b in zip(lo.tolist(), hi.tolist(), to_lo.tolist(), to_hi.tolist()):
        incoming[a].append((b, share_a))
        incoming[b].append((a, share_b))
    sums = []
    for edges in incoming:
        total = 0.0
        for neighbour, share in sorted(edges):
            total += share * scores[neighbour]
        sums.append(total)
    return sums


@pytest.mark.parametrize("sparse", [True, False])
def test_spreading_adds_each_nodes_neighbours_in_ascending_order(sparse):
    if sparse:
        pytest.importorskip("scipy")
    rng = np.random.default_rng(5)
    for n, e in [(2, 3), (5, 8), (60, 400), (700, 9000)]:
        a, b = rng.integers(0, n, (2, e))
        a, b = a[a != b], b[a != b]
        # distinct pairs lo < hi sorted by (lo, hi), as _cooccurrence_pairs gives them
        lo, hi = np.unique(np.stack([np.minimum(a, b), np.maximum(a, b)]), axis=1).astype(np.int32)
        to_lo, to_hi, scores = rng.random(len(lo)), rng.random(len(lo)), rng.random(n)
        spread = kw._spreader(lo, hi, to_lo, to_hi, n, sparse=sparse)
        assert spread(scores).tolist() == _spread_by_hand(lo, hi, to_lo, to_hi, n, scores.tolist())


def test_textrank_of_the_seed_reports_is_the_same_either_way(monkeypatch):
    pytest.importorskip("scipy")
    res = Resources()
    reports = [[t for p in r.paragraphs for t in p.terms] for path in SEEDS
               for r in build_context(path.read_bytes(), path.name, res).reports]
    plain = kw._spreader
    monkeypatch.setattr(kw, "_spreader", lambda *a, **k: plain(*a, sparse=True))
    with_scipy = [kw.textrank(terms) for terms in reports]
    monkeypatch.setattr(kw, "_spreader", lambda *a, **k: plain(*a, sparse=False))
    assert [kw.textrank(terms) for terms in reports] == with_scipy
    assert sum(len(r) for r in with_scipy) > 100
