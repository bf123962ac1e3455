"""Tables stored as folders of part files: written in groups of whole files, read back as
one table, linked group by group by the next build when their files are unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from analysis import build as build_mod
from analysis.build import build
from analysis.schema import TABLES
from analysis.store import PartWriter, open_snapshot, table_files

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"


def assert_same_tables(a: Path, b: Path) -> None:
    sa, sb = open_snapshot(a), open_snapshot(b)
    for name in TABLES:
        ta, tb = sa.read(name), sb.read(name)
        keys = [(c, "ascending") for c in ta.column_names if not pa.types.is_list(ta.schema.field(c).type)]
        assert ta.sort_by(keys).equals(tb.sort_by(keys)), name


def built_seeds(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the seeds in tmp_path/in, built into tmp_path/store."""
    src, out = tmp_path / "in", tmp_path / "store"
    shutil.copytree(SEEDS, src)
    build([src], out, workers=1)
    return src, out


def test_part_writer_groups_and_a_single_group_becomes_plain_files(tmp_path):
    schema = pa.schema([("a", pa.int64()), ("b", pa.string())])
    many, one = tmp_path / "many", tmp_path / "one"
    many.mkdir(), one.mkdir()
    w = PartWriter(many, {"t": schema, "u": schema}, group_bytes=1)  # every add is a group
    for i in range(3):
        w.add({"t": pa.table({"a": [i, i], "b": ["x", "y"]}, schema=schema)})
    w.close()
    assert w.n_groups == 3
    parts = table_files(many / "t.parquet")
    assert [p.name for p in parts] == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    # every table has every part, empty where its group had no rows
    assert [pq.read_metadata(p).num_rows for p in table_files(many / "u.parquet")] == [0, 0, 0]

    w = PartWriter(one, {"t": schema}, group_bytes=1 << 30)
    w.add({"t": pa.table({"a": [1], "b": ["x"]}, schema=schema)})
    w.close()
    assert (one / "t.parquet").is_file() and w.n_groups == 1


@pytest.fixture()
def small_groups(monkeypatch):
    monkeypatch.setattr(build_mod, "GROUP_BYTES", 1)  # one group per chunk of work


def test_a_partitioned_build_reads_back_like_a_plain_one(tmp_path, small_groups):
    plain, parted = tmp_path / "plain", tmp_path / "parted"
    with pytest.MonkeyPatch.context() as m:
        m.setattr(build_mod, "GROUP_BYTES", 1 << 40)
        build([SEEDS], plain, workers=1)
    result = build([SEEDS], parted, workers=1)
    assert result.groups == 5  # the seeds are five files, analysed one by one in process
    snap = open_snapshot(parted)
    for name in TABLES:
        if TABLES[name].scope == "file":
            assert snap.table_path(name).is_dir(), name
            assert len(snap.part_paths(name)) == 5, name
    assert snap.table_path("keywords").is_file()
    assert_same_tables(plain, parted)
    # pyarrow and DuckDB read the folders too
    assert pq.read_table(snap.table_path("reports")).num_rows == 11
    n = duckdb.connect().execute(f"SELECT count(*) FROM {snap.sql_source('paragraphs')}").fetchall()[0][0]
    assert n == snap.read("paragraphs").num_rows


def test_incremental_build_links_unchanged_groups_and_equals_a_fresh_build(tmp_path, small_groups):
    src, out = built_seeds(tmp_path)
    first_parts = {p.name: p.stat().st_ino for p in open_snapshot(out).part_paths("paragraphs")}

    changed = next(src.glob("002_*.txt"))
    changed.write_text(changed.read_text(encoding="utf-8") + "\n补充一段新的内容,确保年内完成3个项目。\n", encoding="utf-8")
    (src / "004_renamed.txt").write_bytes(next(src.glob("004_*.txt")).read_bytes())
    next(f for f in src.glob("004_*.txt") if f.name != "004_renamed.txt").unlink()
    second = build([src], out, workers=1)
    assert (second.analysed, second.reused) == (1, 4)
    assert second.groups_linked == 3  # 000, 001, 003; 004 was renamed so its group is rewritten
    linked = {p.stat().st_ino for p in open_snapshot(out).part_paths("paragraphs")}
    assert len(linked & set(first_parts.values())) == 3  # the same files on disk, hard-linked

    fresh = tmp_path / "fresh"
    build([src], fresh, workers=1)
    assert_same_tables(out, fresh)
    reports = open_snapshot(out).read("reports").to_pandas()
    assert "in/004_renamed.txt" in set(reports["source_file"])


@pytest.mark.parametrize("change", ["edit", "delete", "add"])
def test_incremental_keywords_equal_a_full_computation(tmp_path, change):
    # An edit keeps the number of reports: only reports whose keywords can move are
    # re-scored. Deleting or adding a file changes N: everything is re-scored.
    src, out = built_seeds(tmp_path)
    target = next(src.glob("001_*.txt"))
    if change == "edit":
        target.write_text(target.read_text(encoding="utf-8") + "\n孵化器建设取得新进展，全年新增孵化面积3万平方米。\n", encoding="utf-8")
    elif change == "delete":
        target.unlink()
    else:
        (src / "005_new.txt").write_text(target.read_text(encoding="utf-8").replace("高新区", "经开区") + "\n附：新增项目20个。\n", encoding="utf-8")
    second = build([src], out, workers=1)
    assert second.n_reports != 11 if change != "edit" else second.n_reports == 11
    assert second.keywords["incremental"] == (change == "edit")
    if change == "edit":
        assert 0 < second.keywords["rescored"] < second.n_reports
    fresh = tmp_path / "fresh"
    build([src], fresh, workers=1)
    a, b = open_snapshot(out).read("keywords"), open_snapshot(fresh).read("keywords")
    assert a.equals(b)  # same rows in the same order, weights bit for bit


@pytest.mark.parametrize("groups", ["one group", "a group per file"])
def test_successive_edits_keep_incremental_keywords_exact(tmp_path, monkeypatch, groups):
    # Edits that add and remove common terms (高新区, 发展, 项目 occur in most reports) and
    # rare ones: each incremental result must equal a fresh full computation.
    if groups == "a group per file":
        monkeypatch.setattr(build_mod, "GROUP_BYTES", 1)
    src, out = built_seeds(tmp_path)
    files = sorted(src.glob("*.txt"))
    edits = [
        (files[0], lambda t: t + "\n高新区发展项目建设，高新区发展项目招商，高新区项目落地。\n"),
        (files[3], lambda t: t.replace("发展", "进步")),
        (files[0], lambda t: t.replace("高新区发展项目建设", "")),
        (files[2], lambda t: t + "\n量子通信试验网络覆盖全区，量子计算平台投入使用。\n"),
    ]
    seen = set()
    for path, edit in edits:
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
        result = build([src], out, workers=1)
        fresh = tmp_path / f"fresh-{path.name}-{result.n_reports}"
        build([src], fresh, workers=1)
        if result.keywords["incremental"]:
            assert result.keywords["rescored"] < result.n_reports
        assert open_snapshot(out).read("keywords").equals(open_snapshot(fresh).read("keywords"))
        assert_candidates_hold(out)
        seen.add(result.keywords.get("from_candidates", 0) > 0)
    assert seen == {True, False}  # some edits were decided from the candidates alone, some not


def assert_candidates_hold(store: Path) -> None:
    """The hidden `_cand` rows of every report carry the weight a full computation gives
    their term, and no term left out of them weighs more than their bound."""
    snap = open_snapshot(store)
    tf = pq.read_table(snap.path / "_tf.parquet").to_pandas()
    df = pq.read_table(snap.path / "_df.parquet").to_pandas().set_index("term")
    n = snap.manifest["n_reports"]
    alpha = build_mod.TFIDF_ALPHA
    idf = alpha * (np.log((1 + n) / (1 + df["df"])) + 1) + (1 - alpha) * df["background"]
    tf["weight"] = tf["count"] / tf.groupby("report_id")["count"].transform("sum") * idf.reindex(tf["term"]).to_numpy()
    cand = pq.read_table(snap.path / "_cand.parquet").to_pandas()
    assert set(cand["report_id"]) == set(tf["report_id"])
    merged = cand.merge(tf, on=["report_id", "term"], how="left", suffixes=("", "_full"), validate="one_to_one")
    assert merged["weight"].to_numpy() == pytest.approx(merged["weight_full"].to_numpy(), rel=1e-12)
    left_out = tf.merge(cand[["report_id", "term"]], on=["report_id", "term"], how="left", indicator=True)
    left_out = left_out[left_out["_merge"] == "left_only"].merge(cand.groupby("report_id")["bound"].first(), on="report_id")
    assert (left_out["weight"] <= left_out["bound"] * (1 + 1e-12)).all()


def test_report_groups_cut_only_between_reports():
    from analysis.store import report_groups

    ids = pa.chunked_array([["a", "a", "b", "c", "c", "c"]])
    text = pa.chunked_array([["一", "一", "二二", "三", "三", "三"]])  # 3, 3, 6, 3, 3, 3 bytes
    assert report_groups(ids, text, 6) == [(0, 2), (2, 3), (3, 6)]
    assert report_groups(ids, text, 7) == [(0, 3), (3, 6)]  # a alone has 6 bytes: not enough
    assert report_groups(ids, text, 1000) == [(0, 6)]
    assert report_groups(ids, text, 1) == [(0, 2), (2, 3), (3, 6)]  # never inside a report


def test_run_starts():
    import numpy as np

    from analysis.store import run_starts

    assert run_starts(np.array(["a", "a", "b", "a"], dtype=object)).tolist() == [0, 2, 3]
    assert run_starts(np.array([7])).tolist() == [0] and run_starts(np.array([])).tolist() == []


def test_paragraph_row_groups_hold_whole_reports(tmp_path, monkeypatch):
    import analysis.store as store_mod

    monkeypatch.setattr(store_mod, "REPORT_GROUP_BYTES", 4000)
    build([SEEDS], tmp_path / "s", workers=1, progress=False)
    f = pq.ParquetFile(tmp_path / "s" / "paragraphs.parquet")
    assert f.metadata.num_row_groups > 5
    seen = set()
    for g in range(f.metadata.num_row_groups):
        ids = f.read_row_group(g, columns=["report_id"])["report_id"].to_pylist()
        assert not (set(ids) & seen)  # no report continues from an earlier group
        seen |= set(ids)
    assert pq.read_table(tmp_path / "s" / "paragraphs.parquet").num_rows == f.metadata.num_rows


def test_statistics_only_where_a_query_could_use_them(tmp_path):
    """Min/max statistics are left out for running text and the per-term tables (no row
    group can be skipped by them, and they cost a quarter of writing those tables); the
    other columns keep them."""
    _, out = built_seeds(tmp_path)

    def has_stats(table: str) -> dict[str, bool]:
        md = pq.ParquetFile(out / f"{table}.parquet").metadata
        return {md.schema.column(i).name: md.row_group(0).column(i).is_stats_set for i in range(md.num_columns)}

    assert not any(has_stats("term_counts").values()) and not any(has_stats("_tf").values())
    para = has_stats("paragraphs")
    assert not para["text"] and para["report_id"] and para["paragraph_no"]
    targets = has_stats("targets")
    assert not targets["sentence"] and targets["report_id"] and targets["value"]


def test_the_text_scanned_whole_is_stored_with_lz4(tmp_path):
    _, out = built_seeds(tmp_path)
    codecs = {t: {pq.ParquetFile(out / f"{t}.parquet").metadata.row_group(0).column(i).compression
                  for i in range(3)} for t in ("paragraphs", "targets")}
    assert codecs == {"paragraphs": {"LZ4"}, "targets": {"ZSTD"}}


def test_prefetched_keeps_order_and_reads_at_most_a_few_ahead():
    import threading
    import time

    from analysis.store import prefetched

    started, lock = [], threading.Lock()

    def read(i):
        with lock:
            started.append(i)
        time.sleep(0.01 * (i % 3))  # finish out of order
        return i * i

    seen = []
    for i, value in enumerate(prefetched(read, range(10), ahead=2)):
        with lock:
            assert max(started) <= i + 2  # never more than two items ahead of the caller
        seen.append(value)
    assert seen == [i * i for i in range(10)]


def test_small_groups_are_merged_instead_of_piling_up(tmp_path, monkeypatch):
    # Each one-file rebuild writes the changed file's rows as a small group at the end.
    # Linked as they are, such groups pile up, one per edit (five here after three edits:
    # a group per file); copied together with the next edit's rows, they stay few.
    monkeypatch.setattr(build_mod, "GROUP_BYTES", 200_000)  # ~3 seed files' tables; small: < 12,500 input bytes
    src, out = built_seeds(tmp_path)
    assert len(open_snapshot(out).part_paths("files")) == 2
    files = sorted(src.glob("*.txt"))
    counts = []
    for i in [0, 1, 3, 0, 2, 4, 1]:
        files[i].write_text(files[i].read_text(encoding="utf-8") + f"\n补充{i}：新增项目。\n", encoding="utf-8")
        counts.append(build([src], out, workers=1).groups)
    assert max(counts) <= 4, counts
    unchanged = build([src], out, workers=1)  # nothing new to join them: small groups are linked too
    assert unchanged.analysed == 0 and unchanged.groups_linked == unchanged.groups == counts[-1]
    fresh = tmp_path / "fresh"
    build([src], fresh, workers=1)
    assert_same_tables(out, fresh)
    assert open_snapshot(out).read("keywords").equals(open_snapshot(fresh).read("keywords"))


def test_other_keyword_parameters_compute_the_keywords_afresh(tmp_path, monkeypatch):
    src, out = built_seeds(tmp_path)
    changed = next(src.glob("002_*.txt"))
    changed.write_text(changed.read_text(encoding="utf-8") + "\n补充一段新的内容。\n", encoding="utf-8")
    monkeypatch.setattr(build_mod, "TFIDF_TOP_K", 5)
    result = build([src], out, workers=1)
    assert not result.keywords["incremental"]  # the previous keywords are top 20, not top 5
    kw = open_snapshot(out).read("keywords")
    assert max(kw.filter(pc.equal(kw["method"], "tfidf"))["rank"].to_pylist()) == 5
    changed.write_text(changed.read_text(encoding="utf-8") + "\n再补充一段。\n", encoding="utf-8")
    assert build([src], out, workers=1).keywords["incremental"]  # same parameters again
