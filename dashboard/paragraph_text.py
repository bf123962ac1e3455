"""Where each report's paragraphs are in the stored Parquet parts, to read a few reports'
text without decoding whole parts.

The build writes `paragraphs` with row groups of whole reports (`analysis.store.
REPORT_GROUPED`), so the rows of one report are a contiguous range of one part, inside
one row group or a few neighbouring ones. `ParagraphText` records that range per
report position (`rix`) and reads the row groups holding the ranges asked for, through
pyarrow: a district's 145 reports spread over 92 parts come back in ~0.08 s, where a
scan of the parts' text takes ~0.5 s. Uploaded reports' paragraphs are held in memory
(`extra`) and served from there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.store import run_starts
from dashboard.term_index import report_positions

UPLOAD = -1  # the part number of an uploaded report


@dataclass(frozen=True)
class ParagraphText:
    files: tuple[str, ...]
    metadata: tuple[pq.FileMetaData, ...]
    group_starts: tuple[np.ndarray, ...]  # per part: first row of each row group, then the row count
    part: np.ndarray  # per report position: its part, UPLOAD, or -2 when it has no paragraphs
    start: np.ndarray  # per report position: its rows [start, stop) in that part (or in `extra`)
    stop: np.ndarray
    extra: pa.Table | None = None  # uploads' paragraphs, grouped by report

    @classmethod
    def from_parts(cls, files: list[str], order: pa.Array) -> "ParagraphText | None":
        """The index of the parts `files` for the reports `order` (report ids by position),
        or None when some report's rows are not one contiguous range of one part (a store
        not written by this build; the callers then read through DuckDB)."""
        n = len(order)
        part, start, stop = np.full(n, -2, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
        metas, groups = [], []
        for k, path in enumerate(files):
            f = pq.ParquetFile(path)
            md = f.metadata
            metas.append(md)
            groups.append(np.cumsum([0] + [md.row_group(i).num_rows for i in range(md.num_row_groups)], dtype=np.int64))
            runs = _runs(f.read(columns=["report_id"])["report_id"])
            if runs is None:
                return None
            ids, first, last = runs
            rix = report_positions(ids, order)
            known = rix >= 0
            if (part[rix[known]] != -2).any():  # a report in two parts
                return None
            part[rix[known]], start[rix[known]], stop[rix[known]] = k, first[known], last[known]
        return cls(tuple(files), tuple(metas), tuple(groups), part, start, stop)

    def with_uploads(self, paragraphs: pa.Table, order: pa.Array) -> "ParagraphText":
        """This index plus uploaded reports (positions after the store's, in `order`)."""
        pad = np.zeros(len(order), np.int64)
        part = np.concatenate([self.part, pad - 2])
        start, stop = np.concatenate([self.start, pad]), np.concatenate([self.stop, pad])
        table = paragraphs.sort_by([("report_id", "ascending"), ("paragraph_no", "ascending")])
        ids, first, last = _runs(table["report_id"])  # sorted: one run per report
        rix = report_positions(ids, order)
        at = len(self.part) + rix[rix >= 0]
        part[at], start[at], stop[at] = UPLOAD, first[rix >= 0], last[rix >= 0]
        return ParagraphText(self.files, self.metadata, self.group_starts, part, start, stop, table)

    def rows_to_decode(self, rix: np.ndarray) -> int:
        """How many stored rows reading the reports at `rix` decodes: all the rows of the
        row groups holding them."""
        rix = rix[self.part[rix] >= 0]
        total = 0
        for k in np.unique(self.part[rix]).tolist():
            groups = _spanned(*self._group_span(k, rix[self.part[rix] == k]))
            total += int(np.diff(self.group_starts[k])[groups].sum())
        return total

    @property
    def stored_rows(self) -> int:
        return int(sum(g[-1] for g in self.group_starts))

    def read(self, rix: np.ndarray, columns: list[str]) -> pa.Table:
        """The paragraphs of the reports at positions `rix`, report after report in that
        order (each report's rows as stored, by paragraph number)."""
        rix = np.asarray(rix, dtype=np.int64)
        rix = rix[self.part[rix] != -2]
        pieces: dict[int, pa.Table] = {}
        for k in np.unique(self.part[rix]).tolist():
            mine = rix[self.part[rix] == k]
            pieces.update(zip(mine.tolist(), self._read_part(k, mine, columns)))
        tables = [pieces[r] for r in rix.tolist()]
        return pa.concat_tables(tables) if tables else self._empty(columns)

    def _read_part(self, k: int, rix: np.ndarray, columns: list[str]) -> list[pa.Table]:
        """The rows of each report at `rix` (all in part k), one table per report."""
        if k == UPLOAD:
            return [self.extra.select(columns).slice(a, b - a) for a, b in zip(self.start[rix], self.stop[rix])]
        bounds = self.group_starts[k]
        first, last = self._group_span(k, rix)
        wanted = _spanned(first, last)
        table = pq.ParquetFile(self.files[k], metadata=self.metadata[k]).read_row_groups(wanted.tolist(), columns=columns, use_threads=False)
        # row r of the part is row offset[r's group] + (r - bounds[group]) of `table`
        offset = np.zeros(len(bounds), np.int64)
        offset[wanted] = np.cumsum(np.concatenate([[0], np.diff(bounds)[wanted][:-1]]))
        out = []
        for a, b, g in zip(self.start[rix], self.stop[rix], first):
            at = offset[g] + a - bounds[g]
            out.append(table.slice(int(at), int(b - a)))
        return out

    def _group_span(self, k: int, rix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The first and last row group of part k holding each report at `rix`'s rows."""
        bounds = self.group_starts[k]
        return (np.searchsorted(bounds, self.start[rix], side="right") - 1,
                np.searchsorted(bounds, self.stop[rix] - 1, side="right") - 1)

    def _empty(self, columns: list[str]) -> pa.Table:
        schema = self.metadata[0].schema.to_arrow_schema() if self.metadata else self.extra.schema
        return schema.empty_table().select(columns)


def _spanned(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Every row group from first[i] to last[i] for some i, ascending."""
    return np.unique(np.concatenate([np.arange(a, b + 1) for a, b in zip(first.tolist(), last.tolist())]))


def _runs(report_ids: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, np.ndarray, np.ndarray] | None:
    """(report id, first row, row after the last) of each run of equal ids, or None when
    an id has two runs."""
    ids = report_ids.to_numpy(zero_copy_only=False) if len(report_ids) else np.array([], dtype=object)
    first = run_starts(ids)
    last = np.append(first[1:], len(ids))[: len(first)]  # each run ends where the next starts
    heads = ids[first]
    if len(set(heads.tolist())) != len(heads):
        return None
    return pa.array(heads, pa.string()), first, last.astype(np.int64)
