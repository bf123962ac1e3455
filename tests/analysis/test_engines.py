"""Engines (in process, local worker processes, Dask) give the same tables; work is chunked
and submitted a bounded window ahead, results come back in input order."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from analysis.build import build
from analysis.engines import Task, chunk_tasks, ordered_window
from analysis.schema import TABLES
from analysis.store import open_snapshot

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"


def _sorted(table: pa.Table) -> pa.Table:
    keys = [(c, "ascending") for c in table.column_names if not pa.types.is_list(table.schema.field(c).type)]
    return table.sort_by(keys)


def assert_same_tables(a: Path, b: Path) -> None:
    sa, sb = open_snapshot(a), open_snapshot(b)
    for name in TABLES:
        ta, tb = _sorted(sa.read(name)), _sorted(sb.read(name))
        assert ta.num_rows == tb.num_rows, name
        assert ta.equals(tb), name


@pytest.fixture(scope="module")
def in_process_store(tmp_path_factory):
    out = tmp_path_factory.mktemp("inproc") / "store"
    result = build([SEEDS], out, workers=1)
    assert result.engine == "in-process"
    return out


def test_local_worker_processes_give_the_same_tables_as_in_process(in_process_store, tmp_path, monkeypatch):
    from analysis import engines

    monkeypatch.setattr(engines, "IN_PROCESS_BYTES", 0)  # the seeds are small enough to be analysed in process
    result = build([SEEDS], tmp_path / "store", workers=2)
    assert result.engine == "local" and (result.n_files, result.n_reports) == (5, 11)
    assert_same_tables(in_process_store, tmp_path / "store")
    # The workers' hand-over files are gone with the build.
    assert not list((tmp_path / "store").resolve().glob("**/*.arrows"))


def test_a_spooled_chunk_reads_back_as_the_same_tables(tmp_path):
    from analysis.engines import ChunkResult, spool_in, spool_out
    from analysis.pipeline import table_schema

    tables = {
        "_tf": pa.table({"report_id": ["a", "a", "b"], "term": ["创新", "发展", "创新"], "count": [2, 1, 5]},
                        schema=table_schema("_tf")),
        "benchmarks": table_schema("benchmarks").empty_table(),
    }
    files = [("x.txt", "ok", "", 2)]
    spooled = spool_out(ChunkResult(tables, files), tmp_path)
    assert not spooled.tables and spooled.spooled[0].startswith(str(tmp_path)) and len(list(tmp_path.iterdir())) == 1
    back = spool_in(spooled)
    assert back.files == files and list(back.tables) == list(tables) and back.spooled is None
    assert all(back.tables[name].equals(tables[name]) for name in tables)
    assert not list(tmp_path.iterdir())  # removed once mapped
    assert spool_in(back) is back  # a result that was never spooled passes through


def test_dask_engine_on_a_local_cluster_gives_the_same_tables(in_process_store, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster:
        with distributed.Client(cluster) as client:
            result = build([SEEDS], tmp_path / "store", engine="dask", scheduler=client)
            assert sum(1 for _ in client.scheduler_info()["workers"]) == 2
    assert result.engine == "dask" and (result.n_files, result.n_reports) == (5, 11)
    assert_same_tables(in_process_store, tmp_path / "store")


def test_a_small_amount_of_work_is_done_in_process(tmp_path):
    assert build([SEEDS], tmp_path / "store", workers=2).engine == "in-process"


def test_unknown_engine_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown engine"):
        build([SEEDS], tmp_path / "store", engine="spark")


def test_chunks_keep_file_order_and_respect_the_size_limits():
    tasks = [Task(Path(f"{i}.txt"), f"{i}.txt", f"{i:064x}", size) for i, size in enumerate([10, 500, 3_000_000, 20, 20, 20] * 5)]
    chunks = chunk_tasks(tasks, workers=2)
    assert [t for c in chunks for t in c] == tasks
    assert len(chunks) >= 8  # several per worker
    for c in chunks:
        assert len(c) == 1 or sum(t.size for t in c) <= 2 << 20


def test_ordered_window_yields_in_order_and_never_runs_far_ahead():
    in_flight, peak = [0], [0]

    class Done:  # a finished future; taking its result ends its flight
        def __init__(self, value):
            self.value = value

        def result(self):
            in_flight[0] -= 1
            return self.value

    def submit(x):
        in_flight[0] += 1
        peak[0] = max(peak[0], in_flight[0])
        return Done(x * 10)

    assert list(ordered_window(submit, range(20), window=3)) == [x * 10 for x in range(20)]
    assert peak[0] == 3 and in_flight[0] == 0


def test_engines_for_more_than_a_few_files_load_textrank_kernels(monkeypatch):
    from analysis import engines
    from analysis.pipeline import Resources

    res = Resources()
    loaded = []
    monkeypatch.setattr(engines, "_load_kernels", lambda: loaded.append(True))
    with engines.make_engine("local", res, 1, 40, n_bytes=engines.IN_PROCESS_BYTES) as big:
        assert big.name == "in-process"
    assert loaded == [True]
    with engines.make_engine("local", res, 2, 1, n_bytes=1000):
        pass
    assert loaded == [True]  # a rebuild of one file: bincount, no 0.12 s import


def test_a_chunk_is_analysed_together_with_the_rows_of_file_by_file(tmp_path):
    # analyse_chunk runs each step on all its files before the next
    # (pipeline.analyse_files_columns): the same rows, in the same order, as each file
    # alone - with an empty file, a file that is not Chinese and a file gone since it was
    # hashed (its `files` row in its place) among the seeds.
    from analysis.engines import analyse_chunk
    from analysis.pipeline import Resources, analyse_file_columns, extend_columns, to_tables

    res = Resources()
    seeds = sorted(SEEDS.glob("*.txt"))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "english.txt").write_text("A page of English text, with 数字 in it. " * 20, encoding="utf-8")
    paths = seeds[:2] + [tmp_path / "empty.txt", tmp_path / "gone.txt"] + seeds[2:] + [tmp_path / "english.txt"]
    tasks = [Task(p, p.name, "%064x" % k, 1) for k, p in enumerate(paths)]
    got = analyse_chunk(tasks, res)

    alone: dict = {}
    for t in tasks:
        if t.path.exists():
            extend_columns(alone, analyse_file_columns(t.path.read_bytes(), t.source_file, res, content_hash=t.content_hash))
    statuses = [status for _, status, _, _ in got.files]
    assert [f for f, _, _, _ in got.files] == [p.name for p in paths]
    assert statuses == ["ok", "ok", "skipped", "skipped", "ok", "ok", "ok", "skipped"]
    assert "gone.txt: cannot be read" in got.files[3][2] and "not Chinese text" in got.files[-1][2]
    want = to_tables({name: cols for name, cols in alone.items() if name != "files"})
    for name, table in want.items():
        assert got.tables[name].equals(table), name
    assert got.tables["files"].column("source_file").to_pylist() == [p.name for p in paths]
