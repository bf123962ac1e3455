"""dashboard.mapped: the copies of term counts and targets the app maps instead of decoding
the Parquet again, and the corpus read through them."""

from __future__ import annotations

import logging
import mmap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from analysis.store import open_snapshot
from dashboard import data
from dashboard.corpus import Corpus, read_speaker_terms, read_tables, read_targets, read_terms
from dashboard.filters import Filter
from dashboard.mapped import CODE_VERSION, MAPPED_DIR, mapped, mapped_folder

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"ids", "counts", "names"}


def _made():
    return {"ids": np.array([3, 1, 2], np.int64), "counts": np.arange(5, dtype=np.int32),
            "names": pa.table({"value": ["高新区", "对标", ""]})}


def _never():
    raise AssertionError("made again: the copy was not used")


def _is_mapped(a: np.ndarray) -> bool:
    base = a
    while getattr(base, "base", None) is not None:
        base = base.base
    return isinstance(base, mmap.mmap)


def _in_a_file_under(address: int, folder: Path) -> bool:
    """Whether `address` lies in a mapping of a file under `folder` (/proc/self/maps)."""
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[5].startswith(str(folder)):
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if start <= address < end:
                return True
    return False


def _same(got, want) -> None:
    assert set(got) == set(want)
    for k, v in want.items():
        if isinstance(v, pa.Table):
            assert got[k].equals(v)
        else:
            assert got[k].dtype == v.dtype and got[k].tolist() == v.tolist()


def test_without_a_build_folder_nothing_is_written(tmp_path):
    got = mapped(None, "x", _made, KEYS)
    _same(got, _made())
    assert not any(tmp_path.iterdir())


def test_the_first_read_writes_the_copy_and_the_next_maps_it(tmp_path):
    first = mapped(tmp_path, "x", _made, KEYS)
    assert sorted(p.name for p in mapped_folder(tmp_path, "x").iterdir()) == ["counts.npy", "ids.npy", "names.arrow"]
    again = mapped(tmp_path, "x", _never, KEYS)
    for got in (first, again):  # both served from the file, not from the process's memory
        _same(got, _made())
        assert _is_mapped(got["ids"]) and _is_mapped(got["counts"])
        assert not got["ids"].flags.writeable  # shared by every session: nobody writes into it
    assert not list((tmp_path / MAPPED_DIR).glob(".*"))  # no temporary folder left


def test_a_copy_made_by_other_code_is_replaced(tmp_path, monkeypatch):
    """An upgrade that changes how a copy is derived must not map the old one."""
    from dashboard import mapped as module

    monkeypatch.setattr(module, "CODE_VERSION", "oldversion01")
    mapped(tmp_path, "x", lambda: {**_made(), "counts": np.zeros(5, np.int32)}, KEYS)
    mapped(tmp_path, "x_y", _made, KEYS)  # another copy whose name starts alike stays
    monkeypatch.setattr(module, "CODE_VERSION", "newversion02")
    _same(mapped(tmp_path, "x", _made, KEYS), _made())  # made again, not the old zeros
    assert sorted(p.name for p in (tmp_path / MAPPED_DIR).iterdir()) == ["x-newversion02", "x_y-oldversion01"]


def test_the_code_version_follows_the_modules_that_derive_the_copies():
    from dashboard import mapped as module

    assert len(CODE_VERSION) == 12 and CODE_VERSION == module._code_version()
    assert set(module._DERIVED_BY) == {"corpus.py", "term_index.py", "mapped.py", "char_index.py"}
    assert all((ROOT / "dashboard" / name).is_file() for name in module._DERIVED_BY)


def test_an_empty_array_and_table_survive_the_copy(tmp_path):
    empty = {"ids": np.zeros(0, np.int64), "counts": np.zeros(0, np.int32), "names": pa.table({"value": pa.array([], pa.string())})}
    mapped(tmp_path, "x", lambda: empty, KEYS)
    _same(mapped(tmp_path, "x", _never, KEYS), empty)


@pytest.mark.parametrize("damage", ["truncate", "remove", "garbage"])
def test_a_damaged_copy_is_not_trusted(tmp_path, caplog, damage):
    mapped(tmp_path, "x", _made, KEYS)
    folder = mapped_folder(tmp_path, "x")
    if damage == "truncate":
        (folder / "ids.npy").write_bytes((folder / "ids.npy").read_bytes()[:70])
    elif damage == "remove":
        (folder / "names.arrow").unlink()
    else:
        (folder / "names.arrow").write_bytes(b"<html>not arrow</html>")
    with caplog.at_level(logging.WARNING, logger="dashboard.mapped"):
        got = mapped(tmp_path, "x", _made, KEYS)
    _same(got, _made())
    assert "mapped copy cannot be read" in caplog.text and str(folder) in caplog.text
    again = mapped(tmp_path, "x", _never, KEYS)  # written again: the next start maps it
    _same(again, _made())
    assert _is_mapped(again["ids"])


def test_where_no_copy_can_be_written_the_data_is_held_in_memory(tmp_path, caplog):
    build = tmp_path / "build"
    build.mkdir()
    (build / MAPPED_DIR).write_text("a file where the folder would go")
    with caplog.at_level(logging.WARNING, logger="dashboard.mapped"):
        got = mapped(build, "x", _made, KEYS)
    _same(got, _made())
    assert not _is_mapped(got["ids"])
    assert "no mapped copy" in caplog.text


def test_two_servers_saving_at_once_keep_one_copy(tmp_path, monkeypatch):
    """The second server's rename finds the first's copy in place: it maps that one."""
    from dashboard import mapped as module

    def first_server_wins(*args):
        module._save(mapped_folder(tmp_path, "x"), _made())  # the other server, just before us
        return {**_made(), "counts": np.full(5, 7, dtype=np.int32)}  # ours: told apart from theirs

    got = mapped(tmp_path, "x", first_server_wins, KEYS)
    _same(got, _made())  # theirs, from their file
    assert _is_mapped(got["counts"])
    assert [p.name for p in (tmp_path / MAPPED_DIR).iterdir()] == [mapped_folder(tmp_path, "x").name]  # ours removed


# --- the corpus over the copies ------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    from analysis.build import build

    out = tmp_path_factory.mktemp("mapped") / "store"
    build([ROOT / "seeds"], out, workers=1, progress=False)
    return out


def _index_equal(a, b) -> None:
    for name in ("indptr", "terms", "values"):
        assert np.array_equal(getattr(a, name), getattr(b, name)) and getattr(a, name).dtype == getattr(b, name).dtype
    assert a.n_terms == b.n_terms


def test_the_corpus_maps_its_term_counts_and_targets(store):
    snap = open_snapshot(store)
    decoded = read_tables(snap)  # straight from the Parquet, no copy
    order = decoded["reports"]["report_id"].combine_chunks()
    decoded_terms = read_terms(snap, order)
    decoded_speakers = read_speaker_terms(snap, order, decoded_terms.vocab)
    decoded_targets = read_targets(snap)
    assert not (snap.path / MAPPED_DIR).exists()
    if Path("/proc/self/maps").exists():  # what was decoded is the process's own memory
        assert not _in_a_file_under(decoded_targets["sentence"].chunk(0).buffers()[2].address, snap.path)

    first = Corpus.from_snapshot(snap)  # writes the copies
    first.start_loading()
    first.targets_frame()
    first._char_index.result()  # the last of the loader threads' jobs
    assert sorted(p.name for p in (snap.path / MAPPED_DIR).iterdir()) == [
        f"{name}-{CODE_VERSION}" for name in ("char_index", "paragraph_tables", "speaker_terms", "targets", "terms")]
    second = Corpus.from_snapshot(open_snapshot(store))  # maps them
    for c in (first, second):
        for name in ("themes", "speakers"):
            assert c.arrow[name].equals(decoded[name]) and c.arrow[name].num_rows > 10
        if Path("/proc/self/maps").exists():  # Linux: the evidence is read from the copy's file
            evidence = c.arrow["themes"]["evidence"].chunk(0).values.buffers()[2]
            assert _in_a_file_under(evidence.address, snap.path / MAPPED_DIR)
            assert _in_a_file_under(c.targets_arrow()["sentence"].chunk(0).buffers()[2].address, snap.path / MAPPED_DIR)
        terms, speakers = c.terms(), c.speaker_terms()
        assert terms.vocab.tolist() == decoded_terms.vocab.tolist() and len(terms.vocab) > 1000
        _index_equal(terms.by_report, decoded_terms.by_report)
        _index_equal(speakers.by_speaker, decoded_speakers.by_speaker)
        assert speakers.speakers.tolist() == decoded_speakers.speakers.tolist()
        assert np.array_equal(speakers.seg_rix, decoded_speakers.seg_rix)
        assert np.array_equal(speakers.seg_speaker, decoded_speakers.seg_speaker)
        assert _is_mapped(terms.by_report.terms) and _is_mapped(speakers.by_speaker.values)
        assert c.targets_arrow().equals(decoded_targets) and c.targets_arrow().num_rows > 40
        chars = c._char_index.result()
        assert all(_is_mapped(p.codes) and _is_mapped(p.postings) for p in chars.pieces)
        counted = chars.counts("高新区", len(c.reports))
        assert [a.tolist() for a in counted] == [a.tolist() for a in data.scan_term_hits(c, "高新区")]
    # what the pages show is the same either way
    flt = Filter(district="济宁高新区")
    assert data.term_ranking(second, flt, "count", limit=30).equals(data.term_ranking(first, flt, "count", limit=30))
    assert data.targets(second, flt).equals(data.targets(first, flt))


def test_a_rebuilt_store_gets_copies_of_its_own(tmp_path):
    """A build is a new folder: the copies of the last one are not read for it."""
    import shutil

    from analysis.build import build

    copy = tmp_path / "seeds"
    shutil.copytree(ROOT / "seeds", copy)
    extra = ("对标先进 加快发展\n\n测试区发展改革局局长 张三\n\n"
             "到潍坊高新区对标学习，收获很大。全年力争新增税收5亿元，确保完成招商引资项目10个。\n\n"
             "我们将以科技创新为引领，加快产业转型升级，培育独角兽企业。\n")
    (copy / "added.txt").write_text(extra, encoding="utf-8")
    out = tmp_path / "store"
    build([ROOT / "seeds"], out, workers=1, progress=False)
    old = Corpus.from_snapshot(open_snapshot(out))
    n_old = old.targets_arrow().num_rows  # and its copies written
    before = open_snapshot(out).path
    assert mapped_folder(before, "targets").is_dir()
    build([copy], out, workers=1, progress=False)
    after = open_snapshot(out)
    assert after.path != before and not (after.path / MAPPED_DIR).exists()
    grown = Corpus.from_snapshot(after)
    assert len(grown.reports) == len(old.reports) + 1
    assert grown.targets_arrow().num_rows == n_old + 2  # 5亿元 and 10个 of the added report
    assert mapped_folder(after.path, "targets").is_dir()


def test_a_background_read_hands_arrow_s_freed_buffers_back(monkeypatch):
    """Arrow's allocator keeps the buffers a Parquet read frees; each load returns them,
    whether it succeeded or not."""
    from dashboard import corpus as corpus_module

    released = []

    class Pool:
        def release_unused(self):
            released.append(True)

    monkeypatch.setattr(corpus_module.pa, "default_memory_pool", lambda: Pool())
    assert corpus_module.Deferred(lambda: 42).result() == 42 and len(released) == 1

    def fails():
        raise OSError("a part vanished")

    with pytest.raises(OSError):
        corpus_module.Deferred(fails).result()
    assert len(released) == 2
