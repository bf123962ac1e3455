"""CSR term sums over a selection of rows, checked on tables small enough to add up by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard.term_index import StackedIndex, TermIndex, encode, row_slices

# rows 0..3, vocabulary a b c; row 2 is empty; row 3 comes first in the input (unsorted)
ROWS = np.array([3, 0, 0, 1, 1, 1])
TERMS = np.array([2, 0, 1, 0, 1, 2])  # codes into VOCAB
VALUES = np.array([7, 1, 2, 10, 20, 30])
VOCAB = ["a", "b", "c"]


def _index() -> TermIndex:
    return TermIndex.from_codes(ROWS, TERMS, VALUES, n_rows=4, n_terms=3)


def test_csr_layout_sorts_rows_and_keeps_entry_order():
    ix = _index()
    assert ix.indptr.tolist() == [0, 2, 5, 5, 6]
    assert ix.terms.tolist() == [0, 1, 0, 1, 2, 2]
    assert ix.values.tolist() == [1, 2, 10, 20, 30, 7]


def test_totals_over_all_and_selected_rows():
    ix = _index()
    sums, rows = ix.totals(None)
    assert sums.tolist() == [11, 22, 37] and rows.tolist() == [2, 2, 2]
    sums, rows = ix.totals(np.array([True, False, True, True]))  # rows 0, 2 (empty), 3
    assert sums.tolist() == [1, 2, 7] and rows.tolist() == [1, 1, 1]
    sums, rows = ix.totals(np.zeros(4, dtype=bool))
    assert sums.tolist() == [0, 0, 0] and rows.tolist() == [0, 0, 0]


def test_totals_of_most_rows_equal_a_direct_count():
    """Selecting most rows takes the whole index's totals less the rows left out: the
    same numbers as counting the selected rows, to the last bit, with a longer vocabulary too."""
    rng = np.random.default_rng(7)
    rows = rng.integers(0, 300, 20_000)
    terms = rng.integers(0, 500, 20_000)
    counts = rng.integers(1, 1000, 20_000)
    ix = TermIndex.from_codes(rows, terms, counts, n_rows=300, n_terms=500)
    for share in (0.3, 0.5, 0.51, 0.9, 1.0):
        mask = rng.random(300) < share
        sel = mask[rows]
        want = np.bincount(terms[sel], weights=counts[sel].astype(float), minlength=520)
        sums, held = ix.totals(mask, 520)
        assert np.array_equal(sums, want) and sums.dtype == want.dtype
        assert np.array_equal(held, np.bincount(terms[sel], minlength=520))
    whole = ix.totals(None)
    assert whole[0] is ix.totals(None)[0] and not whole[0].flags.writeable  # kept once, shared read-only
    weights = TermIndex.from_codes(rows, terms, counts / 7, n_rows=300, n_terms=500)  # floats: counted directly
    mask = rng.random(300) < 0.9
    assert np.array_equal(weights.totals(mask)[0], np.bincount(weights.terms[weights.positions(mask)],
                                                               weights=weights.values[weights.positions(mask)], minlength=500))
    assert weights._whole is None


def test_row_slices_skip_empty_rows():
    indptr = np.array([0, 2, 5, 5, 6])
    assert row_slices(indptr, np.array([0, 2, 3])).tolist() == [0, 1, 5]
    assert row_slices(indptr, np.array([2])).tolist() == []


def test_entries_give_row_term_value():
    rows, terms, values = _index().entries(np.array([False, True, False, True]))
    assert list(zip(rows.tolist(), terms.tolist(), values.tolist())) == [(1, 0, 10), (1, 1, 20), (1, 2, 30), (3, 2, 7)]


def test_stacked_index_adds_upload_rows_with_new_terms():
    base = _index()
    # an upload: one row using "b" (code 1) and a new term "d" (code 3)
    extra = TermIndex.from_codes(np.array([0, 0]), np.array([1, 3]), np.array([5, 4]), n_rows=1, n_terms=4)
    both = StackedIndex(base, extra)
    assert both.n_rows == 5 and both.n_terms == 4
    sums, rows = both.totals(None)
    assert sums.tolist() == [11, 27, 37, 4] and rows.tolist() == [2, 3, 2, 1]
    sums, _ = both.totals(np.array([False, False, False, True, True]))  # row 3 of base + the upload
    assert sums.tolist() == [0, 5, 7, 4]
    r, t, v = both.entries(np.array([False, False, False, False, True]))
    assert r.tolist() == [4, 4] and t.tolist() == [1, 3] and v.tolist() == [5, 4]


def test_encode_extends_a_vocabulary():
    codes, vocab = encode(pa.array(["b", "a", "b"]))
    assert [vocab[c] for c in codes] == ["b", "a", "b"]
    codes2, vocab2 = encode(pa.chunked_array([pa.array(["x", "a"])]), vocab)
    assert list(vocab2[: len(vocab)]) == list(vocab)  # old codes stay valid
    assert [vocab2[c] for c in codes2] == ["x", "a"]
    assert isinstance(vocab2, pd.Index)
