"""ParagraphText: a few reports' paragraphs read by row group give exactly the stored rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis.store import open_snapshot
from dashboard.paragraph_text import ParagraphText

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["report_id", "paragraph_no", "speaker", "text"]


@pytest.fixture(scope="module")
def split_store(tmp_path_factory) -> Path:
    """The seeds in a part per file, each part in row groups of a few reports."""
    import analysis.build as build_mod
    import analysis.store as store_mod

    out = tmp_path_factory.mktemp("split") / "store"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build_mod, "GROUP_BYTES", 1)
        mp.setattr(store_mod, "REPORT_GROUP_BYTES", 3000)
        build_mod.build([ROOT / "seeds"], out, workers=1, progress=False)
    return out


@pytest.fixture(scope="module")
def index_and_rows(split_store):
    snap = open_snapshot(split_store)
    order = snap.read("reports", ["report_id"])["report_id"].combine_chunks()
    index = ParagraphText.from_parts([str(p) for p in snap.part_paths("paragraphs")], order)
    return index, order, snap.read("paragraphs", COLUMNS).to_pandas()


def _want(rows, order, rix):
    ids = [order[int(i)].as_py() for i in rix]
    return [r for rid in ids for r in rows[rows["report_id"] == rid].sort_values("paragraph_no")[COLUMNS].itertuples(index=False, name=None)]


def test_each_report_reads_back_as_stored(index_and_rows):
    index, order, rows = index_and_rows
    assert index is not None and len(index.files) == 5
    assert sum(pq.ParquetFile(f).metadata.num_row_groups for f in index.files) > 5  # groups inside parts
    for i in range(len(order)):
        got = index.read(np.array([i]), COLUMNS)
        assert list(zip(*[got[c].to_pylist() for c in COLUMNS])) == _want(rows, order, [i])


def test_a_selection_reads_back_in_the_order_asked(index_and_rows):
    index, order, rows = index_and_rows
    rix = np.random.default_rng(0).permutation(len(order))[: max(3, len(order) // 2)]
    got = index.read(rix, COLUMNS)
    assert list(zip(*[got[c].to_pylist() for c in COLUMNS])) == _want(rows, order, rix)
    assert got.num_rows <= index.rows_to_decode(rix) < index.stored_rows
    assert index.read(np.array([], dtype=np.int64), ["text"]).num_rows == 0


def test_rows_to_decode_are_those_of_the_groups_holding_the_reports(index_and_rows):
    index, order, rows = index_and_rows
    for i in range(len(order)):
        k, a, b = index.part[i], index.start[i], index.stop[i]
        bounds = index.group_starts[k]
        g = np.searchsorted(bounds, a, side="right") - 1
        assert bounds[g] <= a and b <= bounds[g + 1]  # a report lies in one row group
        assert index.rows_to_decode(np.array([i])) == bounds[g + 1] - bounds[g]


def test_uploads_are_read_from_memory(index_and_rows):
    index, order, _ = index_and_rows
    up = pa.table({"report_id": ["u-2", "u-1", "u-2"], "paragraph_no": [1, 0, 0], "speaker": ["", "", "甲"],
                   "text": ["二乙", "一", "二甲"]})
    both = index.with_uploads(up, pa.array(["u-1", "u-2"]))
    n = len(order)
    got = both.read(np.array([n + 1, 0, n]), ["report_id", "paragraph_no", "text"])
    ids = got["report_id"].to_pylist()
    assert ids[0] == "u-2" and ids[-1] == "u-1" and got["text"].to_pylist()[:2] == ["二甲", "二乙"]
    assert got["text"].to_pylist()[-1] == "一"


def test_a_store_not_grouped_by_report_is_not_indexed(tmp_path):
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"report_id": ["a", "b", "a"], "paragraph_no": [0, 0, 1]}), path)
    assert ParagraphText.from_parts([str(path)], pa.array(["a", "b"])) is None
