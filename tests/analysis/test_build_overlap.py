"""A small incremental build analyses its changed files in a forked process while it
copies the rows of the unchanged files of their groups (build._run_beside_copy): the
store is the one the sequential build writes, part by part and row by row, and a
failure on either side fails the build and leaves the last store as it was."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from analysis import build as build_mod
from analysis import engines
from analysis.build import STORED, build
from analysis.store import builds_dir, open_snapshot, read_part

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the analysis is forked on Linux only")

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"


@pytest.fixture()
def small_groups(monkeypatch):
    monkeypatch.setattr(build_mod, "GROUP_BYTES", 1)  # a group per file: the edit and the rename below copy two


@pytest.fixture()
def overlaps(monkeypatch):
    """How many times the overlapped path ran."""
    calls = []
    real = build_mod._run_beside_copy
    monkeypatch.setattr(build_mod, "_run_beside_copy", lambda *a: calls.append(1) or real(*a))
    return calls


def built_then_edited(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A store of the seeds, then one seed edited and another renamed."""
    src = tmp_path / name / "in"  # same folder name: the rows name their files by it
    shutil.copytree(SEEDS, src)
    out = tmp_path / name / "store"
    build([src], out, workers=1)
    changed = next(src.glob("002_*.txt"))
    changed.write_text(changed.read_text(encoding="utf-8") + "\n补充说明：新增标准化厂房12万平方米。\n", encoding="utf-8")
    renamed = next(src.glob("004_*.txt"))
    renamed.rename(src / "004_renamed.txt")
    return src, out


def parts(store: Path) -> dict[str, list]:
    snap = open_snapshot(store)
    return {name: [(p.name, read_part(p)) for p in snap.part_paths(name)] for name in STORED}


def test_overlapped_rebuild_writes_the_parts_of_a_sequential_one(tmp_path, small_groups, overlaps):
    src_a, out_a = built_then_edited(tmp_path, "a")
    src_b, out_b = built_then_edited(tmp_path, "b")
    sequential = build([src_a], out_a, workers=1)
    assert not overlaps
    overlapped = build([src_b], out_b, workers=2)
    assert overlaps and overlapped.engine == "in-process"
    for field in ("n_files", "n_reports", "analysed", "reused", "groups", "groups_linked"):
        assert getattr(overlapped, field) == getattr(sequential, field), field
    assert (overlapped.analysed, overlapped.groups_linked) == (1, 3)
    a, b = parts(out_a), parts(out_b)
    for name in STORED:
        assert [n for n, _ in a[name]] == [n for n, _ in b[name]], name
        assert all(ta.equals(tb) for (_, ta), (_, tb) in zip(a[name], b[name])), name
    assert open_snapshot(out_a).read("keywords").equals(open_snapshot(out_b).read("keywords"))


def _analysis_fails(*_):
    raise RuntimeError("analysis failed")


def _copy_fails(*_):
    raise RuntimeError("copy failed")


@pytest.mark.parametrize("side", ["analysis", "copy"])
def test_a_failure_on_either_side_fails_the_build_and_keeps_the_store(tmp_path, small_groups, overlaps, monkeypatch, side):
    src, out = built_then_edited(tmp_path, side)
    before = open_snapshot(out)
    if side == "analysis":
        monkeypatch.setattr(engines, "analyse_chunk", _analysis_fails)  # in the forked child
    else:
        monkeypatch.setattr(build_mod, "_copy_group", _copy_fails)  # in this process, meanwhile
    with pytest.raises(RuntimeError, match=f"{side} failed"):
        build([src], out, workers=2)
    assert overlaps
    after = open_snapshot(out)
    assert after.path == before.path and after.manifest == before.manifest
    assert not list(builds_dir(out).glob("*.tmp"))  # the failed build's folder is gone
