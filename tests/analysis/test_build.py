"""The build command end to end: tables written, bad files reported, unchanged files reused,
failures leaving the previous store intact."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis import build as build_mod
from analysis.build import build, collect_inputs
from analysis.schema import TABLES, render_markdown
from analysis.store import StoreError, build_lock, open_snapshot

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="module")
def seed_store(tmp_path_factory):
    out = tmp_path_factory.mktemp("store") / "store"
    result = build([SEEDS], out, workers=1)
    return out, result


def test_seed_build_writes_every_table_with_the_registry_columns(seed_store):
    out, result = seed_store
    assert (result.n_files, result.n_reports, result.skipped) == (5, 11, [])
    for name, table in TABLES.items():
        schema = pq.read_schema(out / f"{name}.parquet")
        assert schema.names == table.column_names, name
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["n_reports"] == 11


def test_seed_reports_table_holds_the_expected_speakers_and_districts(seed_store):
    out, _ = seed_store
    reports = pq.read_table(out / "reports.parquet").to_pandas()
    assert sorted(s for s in reports["speaker"] if s) == sorted(["李兵", "蒙婷", "焦军波", "王兵", "李越峰", "罗会涛", "徐言朋"])
    assert reports.groupby("district").size().to_dict() == {"济宁高新区": 9, "山亭区": 2}
    assert reports.set_index("speaker").loc["焦军波", "benchmarks"].tolist() == ["潍坊高新区", "长沙高新区"]
    # Report ids are stable: the content hash prefix and the position in the file.
    assert reports["report_id"].str.match(r"^[0-9a-f]{12}-\d{2}$").all()


def test_paragraph_offsets_slice_the_report_text(seed_store):
    # A report's text is stored once, as its paragraphs: joined by newlines they give
    # n_chars characters, and each paragraph starts at its offset in that text.
    out, _ = seed_store
    reports = pq.read_table(out / "reports.parquet").to_pandas().set_index("report_id")
    assert "text" not in reports.columns
    paras = pq.read_table(out / "paragraphs.parquet").to_pandas().sort_values(["report_id", "paragraph_no"])
    for rid, group in paras.groupby("report_id"):
        text = "\n".join(group["text"])
        assert len(text) == reports.loc[rid, "n_chars"] > 0
        for row in group.itertuples():
            assert text[row.start : row.start + len(row.text)] == row.text


def test_meeting_report_words_are_counted_per_quoted_speaker(seed_store):
    out, _ = seed_store
    tc = pq.read_table(out / "term_counts.parquet").to_pandas()
    assert {"毕志伟", "刘宗国"} <= set(tc["speaker"])


def test_keywords_hold_both_methods_ranked_from_one(seed_store):
    out, _ = seed_store
    kw = pq.read_table(out / "keywords.parquet").to_pandas()
    assert set(kw["method"]) == {"tfidf", "textrank"}
    assert kw.groupby(["report_id", "method"])["rank"].min().eq(1).all()


def test_bad_files_are_reported_by_name_and_the_rest_builds(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(next(SEEDS.glob("000_*.txt")), src / "good.txt")
    (src / "empty.txt").write_bytes(b"")
    (src / "junk.txt").write_bytes(bytes(range(256)) * 40)
    (src / "copy.txt").write_bytes((src / "good.txt").read_bytes())
    result = build([src, tmp_path / "missing.txt"], tmp_path / "store", workers=1)
    messages = dict(result.skipped)
    assert result.n_reports == 4
    # Folders are read in name order, so copy.txt is met first and good.txt is the duplicate.
    assert set(messages) == {"in/empty.txt", "in/junk.txt", "missing.txt", "in/good.txt"}
    assert "empty" in messages["in/empty.txt"]
    assert "no such file" in messages["missing.txt"]
    assert messages["in/good.txt"] == "in/good.txt: same content as in/copy.txt (not counted twice)"
    assert "binary" in messages["in/junk.txt"]
    summary = result.summary()
    assert summary.startswith("5 files, 4 reports, 4 skipped")
    files = pq.read_table(tmp_path / "store" / "files.parquet").to_pandas()
    assert sorted(files["status"]) == ["duplicate", "ok", "skipped", "skipped", "skipped"]


def test_unchanged_files_are_not_analysed_again(tmp_path, monkeypatch):
    src = tmp_path / "in"
    shutil.copytree(SEEDS, src)
    out = tmp_path / "store"
    first = build([src], out, workers=1)
    assert (first.analysed, first.reused) == (5, 0)
    before = pq.read_table(out / "reports.parquet").to_pandas().sort_values("report_id").reset_index(drop=True)

    changed = next(src.glob("004_*.txt"))
    changed.write_text(changed.read_text(encoding="utf-8") + "\n补充一段新的内容,确保年内完成。\n", encoding="utf-8")
    second = build([src], out, workers=1)
    assert (second.analysed, second.reused) == (1, 4)
    after = pq.read_table(out / "reports.parquet").to_pandas().sort_values("report_id").reset_index(drop=True)
    assert len(after) == len(before)
    kept = before[~before["source_file"].str.contains("004_")]
    assert kept["report_id"].isin(after["report_id"]).all()
    for name in ("term_counts", "keywords", "themes", "targets", "paragraphs"):
        assert pq.read_table(out / f"{name}.parquet").num_rows > 0, name


def test_a_failing_build_leaves_the_previous_store_intact(tmp_path, monkeypatch):
    out = tmp_path / "store"
    build([SEEDS], out, workers=1)
    before = (out / "reports.parquet").read_bytes()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(build_mod, "_write_keywords", explode)
    with pytest.raises(RuntimeError):
        build([SEEDS, ROOT / "README.md"], out, workers=1)
    assert (out / "reports.parquet").read_bytes() == before
    assert open_snapshot(out).manifest["n_reports"] == 11
    assert not list((tmp_path / "store.builds").glob("*.tmp"))


def test_a_second_build_of_the_same_store_is_refused_clearly(tmp_path):
    out = tmp_path / "store"
    with build_lock(out):
        with pytest.raises(StoreError, match="another build is writing"):
            build([SEEDS], out, workers=1)


def test_open_snapshot_explains_missing_and_corrupt_stores(tmp_path):
    with pytest.raises(StoreError, match="no store"):
        open_snapshot(tmp_path / "nothing")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(StoreError, match="corrupt"):
        open_snapshot(broken)


def test_folders_are_searched_for_supported_files_only(tmp_path):
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "b.jpg").write_bytes(b"\xff\xd8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.html").write_text("<p>x</p>", encoding="utf-8")
    names = [f.source_file for f in collect_inputs([tmp_path])]
    assert names == [f"{tmp_path.name}/a.txt", f"{tmp_path.name}/sub/c.html"]


def test_cli_exit_codes_and_summary(tmp_path):
    ok = subprocess.run(
        [sys.executable, "-m", "analysis", "build", str(SEEDS), "--out", str(tmp_path / "s"), "--workers", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("5 files, 11 reports, 0 skipped")
    (tmp_path / "bad.txt").write_bytes(b"")
    bad = subprocess.run(
        [sys.executable, "-m", "analysis", "build", str(tmp_path / "bad.txt"), "--out", str(tmp_path / "s2")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert bad.returncode == 1
    assert "bad.txt: empty file" in bad.stdout
    assert not (tmp_path / "s2").exists()  # nothing readable: no store is written


def test_table_docs_are_in_sync_with_the_registry():
    assert (ROOT / "analysis" / "TABLES.md").read_text(encoding="utf-8").strip() == render_markdown().strip()


def test_every_registry_builder_exists():
    # The registry names each table's builder; a renamed function must not leave it dangling.
    for table in TABLES.values():
        assert callable(table.builder_fn()), table.name


def test_folders_are_listed_as_rglob_and_is_file_list_them(tmp_path):
    """collect_inputs walks folders with os.scandir; the files and their order are those
    of sorted(rglob("*")) filtered by is_file, on a tree with the awkward cases."""
    from analysis.build import SUPPORTED_SUFFIXES

    root = tmp_path / "in"
    for rel in ("a/b.txt", "a.b/c.txt", "a b/d.TXT", "z.txt", "A.txt", ".hidden.txt", ".dir/e.txt",
                "deep/er/still/f.docx", "g.csv", "a/中文.html", "a-b/h.pdf"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x", encoding="utf-8")
    (root / "link.txt").symlink_to(root / "z.txt")  # a link to a file counts
    (root / "linked").symlink_to(root / "a", target_is_directory=True)  # a linked folder is not entered
    (root / "broken.txt").symlink_to(root / "nowhere.txt")
    want = [p for p in sorted(root.rglob("*"))
            if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")]
    got = collect_inputs([root])
    assert [f.path for f in got] == want and len(want) == 10  # .dir/e.txt: only hidden files are left out
    assert [f.source_file for f in got] == [f"in/{p.relative_to(root).as_posix()}" for p in want]



def test_the_build_command_keeps_pandas_out_and_builds_the_same_tables(tmp_path, seed_store):
    # pyarrow would import pandas at its first conversion (~0.15 s a process); the
    # command keeps it out, and the tables are those of a build in this process.
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['analysis', 'build', {str(SEEDS)!r}, '--out', {str(tmp_path / 's')!r}, '--workers', '2']\n"
        "try:\n"
        "    runpy.run_module('analysis', run_name='__main__')\n"
        "except SystemExit as done:\n"
        "    print('exit', done.code, 'pandas', 'pandas' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.stdout.strip().splitlines()[-1] == "exit 0 pandas False", run.stderr[-2000:]
    ours, theirs = open_snapshot(seed_store[0]), open_snapshot(tmp_path / "s")
    for name in TABLES:
        keys = [c for c in TABLES[name].column_names if not pa.types.is_list(TABLES[name].schema.field(c).type)]
        assert ours.read(name).sort_by([(k, "ascending") for k in keys]).equals(
            theirs.read(name).sort_by([(k, "ascending") for k in keys])), name


def test_rows_where_is_filter_without_copying():
    # A copied group's rows are taken as slices of the part read (build._rows_where):
    # the same table as Table.filter, for any mask, empty and all-true ones too.
    import numpy as np

    from analysis.build import _rows_where

    rng = np.random.default_rng(1)
    for n in (0, 1, 2, 7, 40):
        for p in (0.0, 0.3, 0.9, 1.0):
            t = pa.table({"a": np.arange(n), "s": [f"r{i}" for i in range(n)]})
            mask = pa.chunked_array([pa.array(rng.random(n) < p, pa.bool_())])
            assert _rows_where(t, mask).equals(t.filter(mask))


def _edited_seeds(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    return corpus


def _rebuild_one_edited(corpus: Path, out: Path) -> None:
    first = sorted(corpus.glob("*.txt"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\n补充：推进新材料产业发展，力争2027年产值达到100亿元。\n", encoding="utf-8")
    result = build([corpus], out, workers=2, rehash=True)
    assert result.analysed == 1 and result.reused == 4


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the standby worker is forked: Linux only")
@pytest.mark.parametrize("standby_dies", [False, True])
def test_a_one_file_rebuild_runs_in_the_standby_worker_or_without_it(tmp_path, monkeypatch, standby_dies):
    # A rebuild of an existing store forks a standby worker at once (engines.Standby);
    # the changed file is analysed there, beside the copy of the other files' rows. If
    # it died getting ready, the file is analysed here. Either way: the rows of a full
    # build of the edited corpus (the changed file's rows come last, so compared as sets).
    from analysis import engines

    corpus = _edited_seeds(tmp_path)
    out = tmp_path / "store"
    build([corpus], out, workers=1)
    submitted = []
    real_submit = engines.Standby.submit
    monkeypatch.setattr(engines.Standby, "submit", lambda self, chunk, spool: submitted.append(chunk) or real_submit(self, chunk, spool))
    if standby_dies:
        def broken(res):
            raise OSError("a dictionary could not be read")

        real_init = engines.Standby.__init__

        def dead_by_submit(self, res):  # dead before the work is submitted (it may die after, too)
            real_init(self, res)
            assert self.ready.exception(timeout=30) is not None
        monkeypatch.setattr(engines, "_init_standby", broken)
        monkeypatch.setattr(engines.Standby, "__init__", dead_by_submit)
    _rebuild_one_edited(corpus, out)
    assert len(submitted) == 1 or standby_dies
    full = build([corpus], tmp_path / "full", workers=1)
    assert full.analysed == 5
    for name in TABLES:
        rows = [sorted(map(repr, open_snapshot(o).read(name).to_pylist())) for o in (out, tmp_path / "full")]
        assert rows[0] == rows[1] and rows[0], name


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the standby worker is forked: Linux only")
def test_a_standby_worker_is_started_only_for_a_store_built_with_the_same_code_and_dictionaries(seed_store, tmp_path):
    # A build after a dictionary or code change analyses every file in the engine's
    # workers: a standby would be a process started for nothing.
    from analysis.pipeline import Resources

    out, _ = seed_store
    res = Resources()
    fingerprint = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["fingerprint"]
    assert build_mod._standby(tmp_path / "none", fingerprint, res, "local", 2) is None  # no store yet
    assert build_mod._standby(out, "another", res, "local", 2) is None
    assert build_mod._standby(out, fingerprint, res, "local", 1) is None
    assert build_mod._standby(out, fingerprint, res, "dask", 2) is None
    standby = build_mod._standby(out, fingerprint, res, "local", 2)
    assert standby is not None
    standby.close()


def test_a_checked_build_is_opened_again_without_looking_at_its_tables(tmp_path, monkeypatch):
    """The app opens the store on every click: a build in `<store>.builds/` whose tables
    were found whole is not checked again (it never changes), a new build is, and a
    plain folder store always is."""
    import shutil

    import analysis.store as store_mod

    out = tmp_path / "store"
    build([SEEDS], out, workers=1)
    first = open_snapshot(out)
    checked = []
    real_check = store_mod._check_footer
    monkeypatch.setattr(store_mod, "_check_footer", lambda *a: checked.append(a[2]) or real_check(*a))
    assert open_snapshot(out).path == first.path and checked == []
    (SEEDS_COPY := tmp_path / "seeds").mkdir()
    shutil.copy(sorted(SEEDS.glob("*.txt"))[0], SEEDS_COPY)
    build([SEEDS_COPY], out, workers=1)  # a new build folder: checked once
    assert open_snapshot(out).path != first.path and len(checked) == len(store_mod.TABLES)
    open_snapshot(out)
    assert len(checked) == len(store_mod.TABLES)
    plain = tmp_path / "plain"
    shutil.copytree(out.resolve(), plain)
    open_snapshot(plain)
    open_snapshot(plain)
    assert len(checked) == 3 * len(store_mod.TABLES)
    (plain / "themes.parquet").write_bytes(b"PAR1 damaged")
    with pytest.raises(StoreError, match="corrupt"):
        open_snapshot(plain)


def test_the_builds_a_commit_drops_go_as_the_next_build_starts_and_by_commit_time(tmp_path, monkeypatch):
    """KEEP_BUILDS: the live build and the one before. The app's copies in the builds the
    commit will drop are deleted as the build starts, beside its work; builds are
    ordered by when they were committed, not by their folder's time, which moves when
    the app writes its copies into a folder (here into the oldest one)."""
    import analysis.build as build_mod
    from analysis.store import builds_dir

    out = tmp_path / "store"
    first = build([SEEDS], out, workers=1).store.resolve()
    second = build([SEEDS], out, workers=1).store.resolve()
    assert first != second and sorted(p.name for p in builds_dir(out).iterdir()) == sorted([first.name, second.name])
    (first / "_mapped" / "terms-x").mkdir(parents=True)  # the app's copies in the older build: its folder is now the newest
    crashed = builds_dir(out) / "20000101T000000-1-000000.tmp"
    crashed.mkdir()
    at_commit = []
    real_commit = build_mod.commit
    monkeypatch.setattr(build_mod, "commit", lambda store, b, m: at_commit.append(sorted(builds_dir(out).iterdir()))
                        or real_commit(store, b, m))
    third = build([SEEDS], out, workers=1).store.resolve()
    assert [p.name for p in at_commit[0]] == sorted([crashed.name, first.name, second.name, f"{third.name}.tmp"])
    assert not (first / "_mapped").exists()  # the copies were deleted before the commit, the rest by it
    assert sorted(p.name for p in builds_dir(out).iterdir()) == sorted([second.name, third.name])
    assert open_snapshot(out).path == third
