"""A rebuild does not re-read files whose size and times say they are unchanged - and
re-reads every file that changed, whatever its modification time claims."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from analysis import build as build_mod
from analysis.build import build

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture()
def hashed(monkeypatch):
    seen: list[str] = []
    real = build_mod.hash_file

    def counting(path):
        seen.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(build_mod, "hash_file", counting)
    return seen


@pytest.fixture()
def src(tmp_path):
    d = tmp_path / "in"
    shutil.copytree(SEEDS, d)
    return d


def test_unchanged_files_are_not_hashed_again(src, tmp_path, hashed, monkeypatch):
    monkeypatch.setattr(build_mod, "RACY_NS", 0)  # the files were written a moment ago
    build([src], tmp_path / "store", workers=1)
    assert len(hashed) == 5
    hashed.clear()
    second = build([src], tmp_path / "store", workers=1)
    assert hashed == [] and (second.reused, second.analysed) == (5, 0)


def test_a_file_rewritten_with_the_same_size_and_an_old_mtime_is_hashed_and_analysed(src, tmp_path, hashed, monkeypatch):
    monkeypatch.setattr(build_mod, "RACY_NS", 0)
    build([src], tmp_path / "store", workers=1)
    target = next(src.glob("001_*.txt"))
    before = target.stat()
    text = target.read_text(encoding="utf-8")
    changed = text.replace("高新区", "经开区", 1)
    assert len(changed.encode()) == len(text.encode()) and changed != text
    target.write_text(changed, encoding="utf-8")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # the modification time put back
    assert target.stat().st_size == before.st_size and target.stat().st_mtime_ns == before.st_mtime_ns
    hashed.clear()
    second = build([src], tmp_path / "store", workers=1)
    assert hashed == [target.name]  # its ctime moved: hashed again
    assert (second.analysed, second.reused) == (1, 4)


def test_files_changed_just_before_the_last_build_are_hashed_again(src, tmp_path, hashed):
    # With the real RACY_NS, files written less than two seconds before a build are not
    # trusted by the next one: two writes could have fallen within one clock tick.
    build([src], tmp_path / "store", workers=1)
    hashed.clear()
    build([src], tmp_path / "store", workers=1)
    assert len(hashed) == 5


def test_rehash_hashes_everything(src, tmp_path, hashed, monkeypatch):
    monkeypatch.setattr(build_mod, "RACY_NS", 0)
    build([src], tmp_path / "store", workers=1)
    hashed.clear()
    build([src], tmp_path / "store", workers=1, rehash=True)
    assert len(hashed) == 5
