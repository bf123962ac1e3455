"""Sparse (row, term) -> value tables that sum over a selection of rows in numpy.

The dashboard's term questions ("which terms weigh most in these reports", "how
often does this district use each word") are sums of one column over the rows of
the selected reports, grouped by term. At 10,000 reports `term_counts` has 18
million rows: an SQL `GROUP BY` over them takes about a second per click, while
the same sums over a CSR layout (rows sorted, `indptr` offsets, term codes) are one
`np.bincount` over the selected slices, tens of milliseconds.

`TermIndex.from_codes` builds one from three aligned arrays; `totals(mask)` gives
per-term sums and the number of rows holding each term; `stack` appends the rows
of uploaded reports without copying the store's arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["TermIndex", "StackedIndex", "encode", "row_slices"]


def encode(column: pa.ChunkedArray | pa.Array, vocab: pd.Index | None = None) -> tuple[np.ndarray, pd.Index]:
    """(int32 codes, vocabulary) of a string column; with `vocab`, codes into it
    (values not in it are appended to a copy, which is returned)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    values = pd.Index(column.dictionary.to_pylist(), dtype=object)
    indices = column.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    if vocab is None:
        return indices, values
    where = vocab.get_indexer(values)
    new = values[where < 0]
    if len(new):
        where[where < 0] = np.arange(len(vocab), len(vocab) + len(new))
        vocab = vocab.append(new)
    return where.astype(np.int32)[indices], vocab


def report_positions(ids: pa.ChunkedArray | pa.Array, order: pa.Array) -> np.ndarray:
    """Position in `order` of each report id (-1 when absent)."""
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks() if ids.num_chunks != 1 else ids.chunk(0)
    if pa.types.is_dictionary(ids.type):  # look up each distinct id once
        where = report_positions(ids.dictionary, order)
        return where[ids.indices.to_numpy(zero_copy_only=False)]
    pos = pc.fill_null(pc.index_in(ids, value_set=order), -1)
    return np.asarray(pos.to_numpy(zero_copy_only=False), dtype=np.int64)


def row_slices(indptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Positions of the entries of `rows` (ascending row numbers) in a CSR layout."""
    starts, ends = indptr[rows], indptr[rows + 1]
    lengths = ends - starts
    keep = lengths > 0
    starts, lengths = starts[keep], lengths[keep]
    if not len(starts):
        return np.empty(0, dtype=np.int64)
    # one arange over the total, shifted so each slice starts where it should
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return np.arange(int(lengths.sum()), dtype=np.int64) + offsets


@dataclass
class TermIndex:
    """CSR rows of (term code, value); `n_terms` is the length of the vocabulary."""

    indptr: np.ndarray  # int64, n_rows + 1
    terms: np.ndarray  # int32 term codes, row by row
    values: np.ndarray  # float64 or int64
    n_terms: int
    _whole: tuple[np.ndarray, np.ndarray] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_codes(cls, rows: np.ndarray, terms: np.ndarray, values: np.ndarray, n_rows: int, n_terms: int) -> "TermIndex":
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) > 1 and not bool(np.all(rows[1:] >= rows[:-1])):
            order = np.argsort(rows, kind="stable")  # keep each row's order of entries
            rows, terms, values = rows[order], terms[order], values[order]
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        return cls(indptr, np.asarray(terms, dtype=np.int32), np.asarray(values), int(n_terms))

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def positions(self, mask: np.ndarray | None) -> slice | np.ndarray:
        if mask is None or bool(mask.all()):
            return slice(None)
        return row_slices(self.indptr, np.flatnonzero(mask))

    def totals(self, mask: np.ndarray | None, n_terms: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(sum of values per term, rows holding the term) over rows where `mask` is true.

        With integer values and most rows selected (a district holding most of the
        corpus, a common theme), the totals are the whole index's (kept) less those of
        the rows left out: fewer entries to gather, and the same numbers, as sums of
        integers are exact in float64 (below 2**53). Over all rows, those kept arrays
        themselves, read-only."""
        n = n_terms or self.n_terms
        if not np.issubdtype(self.values.dtype, np.integer):
            return self._totals(mask, n)
        if self._whole is None:
            whole = self._totals(None, self.n_terms)
            for a in whole:
                a.flags.writeable = False  # shared by every caller asking for all rows
            self._whole = whole
        if mask is None:
            return tuple(_padded(whole, n) for whole in self._whole)
        if 2 * np.count_nonzero(mask) > len(mask):
            left_out = self._totals(~mask, self.n_terms)
            return tuple(_padded(whole - out, n) for whole, out in zip(self._whole, left_out))
        return self._totals(mask, n)

    def _totals(self, mask: np.ndarray | None, n: int) -> tuple[np.ndarray, np.ndarray]:
        at = self.positions(mask)
        terms = self.terms[at]
        sums = np.bincount(terms, weights=self.values[at], minlength=n)
        return sums, np.bincount(terms, minlength=n)

    def entries(self, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, term, value) of the selected rows, for the few questions that need rows."""
        at = self.positions(mask)
        rows = np.repeat(np.arange(self.n_rows), np.diff(self.indptr))[at]
        return rows, self.terms[at], self.values[at]


def _padded(a: np.ndarray, n: int) -> np.ndarray:
    """`a` with zeros appended up to length n (a longer vocabulary, when uploads add terms)."""
    return a if len(a) >= n else np.concatenate([a, np.zeros(n - len(a), a.dtype)])


@dataclass
class StackedIndex:
    """The store's index followed by the rows of uploads (codes into a longer vocabulary)."""

    base: TermIndex | "StackedIndex"
    extra: TermIndex

    @property
    def n_rows(self) -> int:
        return self.base.n_rows + self.extra.n_rows

    @property
    def n_terms(self) -> int:
        return self.extra.n_terms

    def totals(self, mask: np.ndarray | None, n_terms: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        n = n_terms or self.n_terms
        split = self.base.n_rows
        sums, rows = (np.array(a) for a in self.extra.totals(None if mask is None else mask[split:], n))  # added to below
        bs, br = self.base.totals(None if mask is None else mask[:split])
        sums[: len(bs)] += bs
        rows[: len(br)] += br
        return sums, rows

    def entries(self, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        split = self.base.n_rows
        r1, t1, v1 = self.base.entries(None if mask is None else mask[:split])
        r2, t2, v2 = self.extra.entries(None if mask is None else mask[split:])
        return np.concatenate([r1, r2 + split]), np.concatenate([t1, t2]), np.concatenate([v1, v2])
