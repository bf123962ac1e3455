"""The character index (dashboard.char_index) against str.count on hand-made paragraphs."""

from __future__ import annotations

import os
import random

import numpy as np
import pyarrow as pa
import pytest

from dashboard.char_index import CharIndex, Piece, from_files, piece_arrays, write_index, write_piece
from dashboard.mapped import earlier_copies, mapped_folder, mapped_written

ORDER = pa.array(["r0", "r1", "r2"])


def _paragraphs(rows: list[tuple[str, str | None, str | None]]) -> pa.Table:
    ids, text, simplified = zip(*rows)
    return pa.table({"report_id": pa.array(ids), "text": pa.array(text, pa.string()),
                     "text_simplified": pa.array(simplified, pa.string())})


def _plain(rows, term: str, order=ORDER) -> tuple[list[int], list[int]]:
    """What the index should say: str.count over each paragraph's searched text."""
    where = {r: i for i, r in enumerate(order.to_pylist())}
    mentions, paragraphs = [0] * len(order), [0] * len(order)
    for rid, text, simplified in rows:
        if rid in where:
            k = (simplified if simplified is not None else text or "").count(term)
            mentions[where[rid]] += k
            paragraphs[where[rid]] += k > 0
    return mentions, paragraphs


def _counts(index: CharIndex, term: str, n: int = 3) -> tuple[list[int], list[int]]:
    m, p = index.counts(term, n)
    return m.tolist(), p.tolist()


HAND = [
    ("r0", "科技创新是创新之本。", None),  # 创新 twice in one paragraph
    ("r0", "科技", None),  # 科技 ends this paragraph ...
    ("r0", "创新驱动", None),  # ... 创新 begins the next: 科技创新 across them does not count
    ("r1", "𠀀创新𠀀创新", None),  # characters of two UTF-16 units before the term
    ("r1", None, None),  # no text
    ("r2", "國民經濟", "国民经济"),  # searched as simplified
    ("rX", "创新", None),  # a report not in the corpus
    ("r2", "哈哈哈哈哈", None),  # overlapping: 哈哈 counted from the left, twice
]


@pytest.mark.parametrize("term,mentions,paragraphs", [
    ("创新", [3, 2, 0], [2, 1, 0]),
    ("科技创新", [1, 0, 0], [1, 0, 0]),
    ("国民经济", [0, 0, 1], [0, 0, 1]),
    ("國民經濟", [0, 0, 0], [0, 0, 0]),
    ("哈哈", [0, 0, 2], [0, 0, 1]),
    ("哈哈哈", [0, 0, 1], [0, 0, 1]),
    ("𠀀创", [0, 2, 0], [0, 1, 0]),
    ("新𠀀", [0, 1, 0], [0, 1, 0]),
    ("本。", [1, 0, 0], [1, 0, 0]),
    ("不在", [0, 0, 0], [0, 0, 0]),
    ("创新驱动力", [0, 0, 0], [0, 0, 0]),  # runs past the end of the text
])
def test_counts_by_hand(term, mentions, paragraphs):
    index = CharIndex.of([piece_arrays(_paragraphs(HAND), ORDER)])
    assert _counts(index, term) == (mentions, paragraphs) == _plain(HAND, term)


def test_an_empty_term_and_an_empty_piece_count_nothing():
    index = CharIndex.of([piece_arrays(_paragraphs(HAND), ORDER), piece_arrays(_paragraphs([("r0", "", None)]), ORDER)])
    assert _counts(index, "") == ([0, 0, 0], [0, 0, 0])
    assert _counts(index, "创新") == _plain(HAND, "创新")


def test_pieces_add_up():
    """Two parts (a report's paragraphs in one part each) count as the whole."""
    first, second = HAND[:3], HAND[3:]
    index = CharIndex.of([piece_arrays(_paragraphs(first), ORDER), piece_arrays(_paragraphs(second), ORDER)])
    for term in ("创新", "哈哈", "国民经济", "新"):
        assert _counts(index, term) == _plain(HAND, term)


def test_random_text_counts_as_str_count():
    """Paragraphs of a small alphabet (so terms repeat and overlap), with a character of
    two units and traditional rows: every term of one to four characters counts as str.count."""
    rng = random.Random(7)
    alphabet = "创新发展哈。𠀀"
    rows = []
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        rows.append((rng.choice(["r0", "r1", "r2"]), text, text.replace("发", "哈") if rng.random() < 0.2 else None))
    index = CharIndex.of([piece_arrays(_paragraphs(rows), ORDER)])
    terms = {"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))) for _ in range(300)}
    assert len(terms) > 100
    for term in sorted(terms):
        assert _counts(index, term) == _plain(rows, term), term


def test_the_piece_layout():
    piece = Piece.of(piece_arrays(_paragraphs([("r1", "ab", None), ("r0", "ba", None)]), ORDER))
    assert piece.codes.tolist() == [ord(c) for c in "abba"]
    assert piece.para_start.tolist() == [0, 2, 4] and piece.para_rix.tolist() == [1, 0]
    a, b = ord("a"), ord("b")
    assert piece.postings[piece.unit_start[a]:piece.unit_start[a + 1]].tolist() == [0, 3]
    assert piece.postings[piece.unit_start[b]:piece.unit_start[b + 1]].tolist() == [1, 2]


def test_written_once_then_mapped(tmp_path):
    rows = _paragraphs(HAND)
    calls = []

    def write(folder):
        calls.append(folder)
        write_piece(folder, 0, rows, ORDER)
        write_piece(folder, 1, rows, ORDER)

    first = mapped_written(tmp_path, "char_index", write)
    again = mapped_written(tmp_path, "char_index", write)
    assert len(calls) == 1 and sorted(first) == sorted(again) and len(first) == 10
    assert isinstance(again["codes-00000"], np.ndarray) and not again["codes-00000"].flags.writeable
    m, p = _plain(HAND, "创新")
    assert _counts(from_files(again), "创新") == ([2 * x for x in m], [2 * x for x in p])


def test_a_copy_that_cannot_be_written_or_read_is_none(tmp_path, caplog):
    def fails(folder):
        raise OSError("disk full")

    assert mapped_written(tmp_path, "char_index", fails) is None
    assert "disk full" in caplog.text
    assert mapped_written(tmp_path, "char_index", lambda f: write_piece(f, 0, _paragraphs(HAND), ORDER)) is not None
    folder = next((tmp_path / "_mapped").glob("char_index-*"))
    (folder / "codes-00000.npy").write_bytes(b"\x93NUMPY damaged")
    assert mapped_written(tmp_path, "char_index", lambda f: None) is None
    assert not folder.exists()  # removed: the next start writes it again


def _part(path, rows) -> None:
    import pyarrow.parquet as pq

    pq.write_table(_paragraphs(rows), path)


def test_a_part_kept_from_the_build_before_links_its_piece(tmp_path):
    """Two builds of a store: the second hard-links part 0 (unchanged files) and writes a
    new part 1. Its index links piece 0 from the first build's index, makes piece 1, and
    counts as an index made from nothing, for its own report order."""
    builds = tmp_path / "store.builds"
    a, b = builds / "20260101T000000-a", builds / "20260102T000000-b"
    for d in (a, b):
        d.mkdir(parents=True)
    _part(a / "part-00000.parquet", HAND[:3])
    _part(a / "part-00001.parquet", HAND[3:5])
    os.link(a / "part-00000.parquet", b / "part-00000.parquet")
    _part(b / "part-00001.parquet", HAND[3:])
    order_b = pa.array(["r2", "r1", "r0"])  # the second build orders its reports otherwise

    first = mapped_written(a, "char_index", lambda f: write_index(f, sorted(a.glob("part-*")), ORDER))
    assert earlier_copies(b, "char_index") == [mapped_folder(a, "char_index")]
    second = mapped_written(b, "char_index", lambda f: write_index(f, sorted(b.glob("part-*")), order_b,
                                                                    earlier_copies(b, "char_index")))
    fresh = CharIndex.of([piece_arrays(_paragraphs(HAND[:3]), order_b), piece_arrays(_paragraphs(HAND[3:]), order_b)])

    def inode(folder, key):
        return os.stat(mapped_folder(folder, "char_index") / f"{key}.npy").st_ino

    assert all(inode(a, f"{n}-00000") == inode(b, f"{n}-00000") for n in ("codes", "postings", "para_start", "unit_start"))
    assert inode(a, "para_rix-00000") != inode(b, "para_rix-00000")  # made for the second build's order
    assert inode(a, "codes-00001") != inode(b, "codes-00001")  # a new part: a new piece
    for term in ("创新", "哈哈", "国民经济", "𠀀"):
        assert _counts(from_files(second), term) == _counts(fresh, term) == _plain(HAND, term, order_b)
    assert _counts(from_files(first), "哈哈") == ([0, 0, 0], [0, 0, 0])  # the first build's part 1 has none


def test_earlier_copies_only_in_a_store_s_builds_folder(tmp_path):
    (tmp_path / "other" / "_mapped").mkdir(parents=True)
    mapped_written(tmp_path / "other", "char_index", lambda f: None)
    (tmp_path / "plain").mkdir()
    assert earlier_copies(tmp_path / "plain", "char_index") == []


def test_after_a_one_file_rebuild_the_app_s_index_links_the_kept_parts(tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    import analysis.build as build_mod
    from analysis.store import open_snapshot
    from dashboard import data
    from dashboard.corpus import Corpus

    monkeypatch.setattr(build_mod, "GROUP_BYTES", 1)  # a part per file
    seeds = tmp_path / "seeds"
    shutil.copytree(Path(__file__).resolve().parents[2] / "seeds", seeds)
    out = tmp_path / "store"

    def index_of_build() -> tuple[Corpus, CharIndex, set[int]]:
        build_mod.build([seeds], out, workers=1, progress=False)
        snap = open_snapshot(out)
        c = Corpus.from_snapshot(snap)
        chars = c._char_index.result()
        return c, chars, {os.stat(f).st_ino for f in mapped_folder(snap.path, "char_index").glob("codes-*")}

    _, first, before = index_of_build()
    changed = sorted(seeds.glob("*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n补充说明：推进科技创新，发展新质生产力。\n", encoding="utf-8")
    after, second, now = index_of_build()
    assert len(first.pieces) == len(second.pieces) == len(now) == 5
    assert len(before & now) == 4  # the four unchanged files' parts: their pieces linked
    for term in ("新质生产力", "发展", "高新区"):
        got = second.counts(term, len(after.reports))
        assert [a.tolist() for a in got] == [a.tolist() for a in data.scan_term_hits(after, term)]
    assert second.counts("补充说明", len(after.reports))[0].sum() == 1


def test_a_broken_index_is_left_for_the_scan_and_made_again(tmp_path, caplog):
    import shutil
    from pathlib import Path

    from analysis.build import build
    from analysis.store import open_snapshot
    from dashboard import data
    from dashboard.corpus import Corpus, read_char_index

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for f in sorted((Path(__file__).resolve().parents[2] / "seeds").glob("*.txt"))[:2]:
        shutil.copy(f, seeds)
    build([seeds], tmp_path / "store", workers=1, progress=False)
    snap = open_snapshot(tmp_path / "store")
    c = Corpus.from_snapshot(snap)
    assert read_char_index(snap, c.order, snap.path) is not None
    folder = mapped_folder(snap.path, "char_index")
    next(folder.glob("postings-*.npy")).unlink()  # a piece missing
    assert read_char_index(snap, c.order, snap.path) is None
    assert "no character index" in caplog.text and "KeyError" in caplog.text
    assert not folder.exists()  # removed: made again on the next start
    again = read_char_index(snap, c.order, snap.path)
    assert [a.tolist() for a in again.counts("发展", len(c.reports))] == [a.tolist() for a in data.scan_term_hits(c, "发展")]
