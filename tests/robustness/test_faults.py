"""Faults around the store: builds killed with SIGKILL at random points, two builds of one
store at once, and stores left corrupt, old or incomplete.

The builds run as `python -m analysis build` in child processes, in their own process
group so that a kill reaches the worker processes too, on a corpus made here: the seeds
replicated with varied figures, big enough that a build takes several seconds.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import hostile as H
from analysis.schema import TABLES
from analysis.store import StoreError, open_snapshot

ROOT, SEEDS = H.ROOT, H.SEEDS
N_FILES = 600
ENV = {**os.environ, "MALLOC_ARENA_MAX": "2", "PYTHONHASHSEED": "0"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """N_FILES report files: the seeds with their figures varied and a line of their own."""
    root = tmp_path_factory.mktemp("corpus") / "reports"
    root.mkdir()
    seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    rnd = random.Random(2026)
    for i in range(N_FILES):
        text = re.sub(r"\d+(?:\.\d+)?", lambda m: str(rnd.randint(1, 999)), seeds[i % len(seeds)])
        (root / f"r{i:04d}.txt").write_text(f"{text}\n第{i}份材料，确保年内完成投资{i}亿元。\n", encoding="utf-8")
    return root


def start_build(*paths: Path, out: Path, extra: tuple[str, ...] = (), output=subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "analysis", "build", *map(str, paths), "--out", str(out), "--workers", "2", "--no-progress", *extra],
        cwd=ROOT, env=ENV, stdout=output, stderr=output, text=True, start_new_session=True,
    )


def finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = H.communicate_or_fail(proc, timeout, "build still running")
    return proc.returncode, out, err


def state(store: Path) -> dict:
    """What a reader sees: the manifest's counts and every table's row count."""
    snap = open_snapshot(store)
    rows = {name: snap.read(name).num_rows for name in TABLES}
    return {"n_files": snap.manifest["n_files"], "n_reports": snap.manifest["n_reports"], "rows": rows}


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the build and its workers (the whole process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate(timeout=60)


# --- SIGKILL -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_build_killed_at_random_points_leaves_the_previous_store_complete_and_the_next_build_finishes(corpus, tmp_path):
    store = tmp_path / "store"
    code, out, err = finish(start_build(SEEDS, out=store))
    assert code == 0, err
    seeds_state = state(store)
    assert seeds_state["n_reports"] == 11

    rnd = random.Random(int(os.environ.get("KILL_SEED", "7")))
    delays = sorted(rnd.uniform(lo, hi) for lo, hi in [(0.3, 1.2), (1.2, 2.5), (2.5, 4.0), (4.0, 5.5)])
    killed_mid_build = []
    for delay in delays:
        before = state(store)
        proc = start_build(corpus, out=store)
        time.sleep(delay)
        kill_group(proc)
        after = state(store)  # opens, and every table reads
        # Either the old store, whole, or (the build committed before the kill landed,
        # which a poll() before the kill cannot rule out) the new one, complete.
        if after == before:
            killed_mid_build.append(round(delay, 2))
        else:
            assert after["n_files"] == N_FILES, f"killed after {delay:.2f} s: neither the old store nor the new one"
    assert len(killed_mid_build) >= 2, f"too few kills landed mid-build: {killed_mid_build} of {delays}"
    print(f"killed mid-build after {killed_mid_build} s; the store stayed as before each time")

    code, out, err = finish(start_build(corpus, out=store))
    assert code == 0, err
    final = state(store)
    assert final["n_files"] == N_FILES and final["n_reports"] > seeds_state["n_reports"]
    assert not list((tmp_path / "store.builds").glob("*.tmp")), "failed builds are cleared by the next one"


@pytest.mark.slow
def test_killing_only_the_build_process_leaves_no_worker_behind(corpus, tmp_path):
    # No pipes: orphaned workers would hold them open and block the test on reading them.
    proc = start_build(corpus, out=tmp_path / "store", output=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(_group(proc.pid)) < 3:  # the build and its 2 workers
            time.sleep(0.1)
        time.sleep(0.5)
        assert proc.poll() is None and len(_group(proc.pid)) >= 3, "the build was not running with its workers"
        os.kill(proc.pid, signal.SIGKILL)  # the build process only, as `kill -9 <pid>` would
        proc.wait()
        deadline = time.monotonic() + 8  # a worker notices a dead parent at once or never
        while time.monotonic() < deadline and _group(proc.pid):
            time.sleep(0.2)
        assert not _group(proc.pid), f"orphaned workers still running: {_group(proc.pid)}"
    finally:
        kill_group(proc)


def _group(pgid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "-g", str(pgid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


# --- two builds at once ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_second_build_of_the_same_store_is_refused_clearly_and_readers_see_a_whole_store(corpus, tmp_path):
    store = tmp_path / "store"
    code, _, err = finish(start_build(SEEDS, out=store))
    assert code == 0, err
    seeds_state = state(store)

    first = start_build(corpus, out=store)
    second = start_build(corpus, out=store)
    seen = []
    while first.poll() is None or second.poll() is None:
        seen.append(state(store))  # a reader during the builds: always one whole store
        time.sleep(0.2)
    (ok_code, _, ok_err), (refused_code, _, refused_err) = sorted([finish(first), finish(second)])
    assert ok_code == 0, ok_err
    assert refused_code == 2
    assert refused_err.strip() == (
        f"error: another build is writing to {store}; wait for it to finish (or pass --wait SECONDS)"
    )
    final = state(store)
    assert final["n_files"] == N_FILES
    assert all(s in (seeds_state, final) for s in seen), "a reader saw a store that was neither the old nor the new"


@pytest.mark.slow
def test_with_wait_the_second_build_queues_and_both_finish(corpus, tmp_path):
    store = tmp_path / "store"
    first = start_build(corpus, out=store)
    time.sleep(0.5)
    second = start_build(corpus, out=store, extra=("--wait", "300"))
    (code1, _, err1), (code2, out2, err2) = finish(first), finish(second)
    assert (code1, code2) == (0, 0), (err1, err2)
    assert out2.startswith(f"{N_FILES} files, ") and f"(0 analysed, {N_FILES} unchanged)" in out2
    assert state(store)["n_files"] == N_FILES


# --- corrupt, old and incomplete stores --------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_store(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("good") / "store"
    code, _, err = finish(start_build(SEEDS, out=out))
    assert code == 0, err
    return out


def _copy_store(good: Path, tmp_path: Path) -> Path:
    """A plain-folder copy of the live build (stores are links to a build folder)."""
    store = tmp_path / "store"
    shutil.copytree(good.resolve(), store)
    return store


def _write_manifest(store: Path, text: str | bytes) -> None:
    path = store / "manifest.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())


def _assert_plain(err: StoreError, store: Path, *words: str) -> None:
    message = str(err)
    assert str(store) in message
    assert "\n" not in message and "Traceback" not in message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize(
    "content, words",
    [
        ("{not json", ["corrupt"]),
        (b"\xff\xfe\x00garbage", ["corrupt"]),
        ("", ["corrupt"]),
    ],
    ids=["not-json", "binary", "empty"],
)
def test_a_corrupt_manifest_is_a_store_error(good_store, tmp_path, content, words):
    store = _copy_store(good_store, tmp_path)
    _write_manifest(store, content)
    with pytest.raises(StoreError) as info:
        open_snapshot(store)
    _assert_plain(info.value, store, *words)


@pytest.mark.parametrize("content", ["[]", "null", "42", '"manifest"'])
def test_a_manifest_that_is_json_but_not_an_object_is_a_store_error(good_store, tmp_path, content):
    store = _copy_store(good_store, tmp_path)
    _write_manifest(store, content)
    with pytest.raises(StoreError) as info:
        open_snapshot(store)
    _assert_plain(info.value, store, "corrupt")


def test_a_missing_manifest_is_a_store_error(good_store, tmp_path):
    store = _copy_store(good_store, tmp_path)
    (store / "manifest.json").unlink()
    with pytest.raises(StoreError) as info:
        open_snapshot(store)
    _assert_plain(info.value, store, "incomplete or corrupt")


@pytest.mark.parametrize("version", [0, None, "1"], ids=["old", "absent", "text"])
def test_a_store_of_another_schema_version_is_a_store_error_that_says_rebuild(good_store, tmp_path, version):
    store = _copy_store(good_store, tmp_path)
    manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    if version is None:
        del manifest["schema_version"]
    else:
        manifest["schema_version"] = version
    _write_manifest(store, json.dumps(manifest))
    with pytest.raises(StoreError) as info:
        open_snapshot(store)
    _assert_plain(info.value, store, "schema version", "rebuild")


@pytest.mark.parametrize("table", ["reports", "themes", "keywords"])
def test_a_store_missing_a_table_is_a_store_error_naming_it(good_store, tmp_path, table):
    store = _copy_store(good_store, tmp_path)
    path = store / f"{table}.parquet"
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    with pytest.raises(StoreError) as info:
        open_snapshot(store)
    _assert_plain(info.value, store, "missing", table)


def test_a_store_whose_builds_were_deleted_is_a_store_error(good_store, tmp_path):
    store = tmp_path / "store"
    build = tmp_path / "store.builds" / "b1"
    shutil.copytree(good_store.resolve(), build)
    store.symlink_to(os.path.relpath(build, tmp_path))
    assert state(store)["n_reports"] == 11
    shutil.rmtree(tmp_path / "store.builds")  # the link now dangles
    with pytest.raises(StoreError) as info:
        open_snapshot(store)
    _assert_plain(info.value, store, "no store")


@pytest.mark.parametrize("damage", [b"", b"PAR1 not really parquet"], ids=["zero-bytes", "garbage"])
def test_a_store_with_a_damaged_table_is_a_store_error(good_store, tmp_path, damage):
    store = _copy_store(good_store, tmp_path)
    path = store / "reports.parquet"
    for part in [path] if path.is_file() else sorted(path.glob("*.parquet")):
        part.write_bytes(damage)
    with pytest.raises(StoreError) as info:
        open_snapshot(store).read("reports")
    _assert_plain(info.value, store, "reports")


def test_a_build_over_a_corrupt_store_replaces_it(good_store, tmp_path):
    store = _copy_store(good_store, tmp_path)
    _write_manifest(store, "{not json")
    code, out, err = finish(start_build(SEEDS, out=store))
    assert code == 0, err
    assert state(store)["n_reports"] == 11
    assert store.is_symlink()  # the plain folder was moved aside, not deleted or mixed in
