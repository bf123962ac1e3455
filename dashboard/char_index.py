"""Where every character of the corpus's searchable text is, so the occurrences of a
term in the whole corpus are found without reading the text.

Keyword in context over a large selection needs a term's occurrences and paragraphs
in every report. Counted by scanning the text (DuckDB over the Parquet parts) that is
0.5-0.9 s per new term at 10,000 reports (573 MB of text) on two cores: every change of
filter that brings a new top term paid it. This index answers the same question in
4-130 ms (a two-character term 10-70 ms; 的, in every sentence, the slowest).

The text searched is each paragraph's `text_simplified` or, when null, its `text`
(what keyword in context searches), as UTF-16 code units (`codes`; a character outside
the Basic Multilingual Plane is two units, a term is encoded the same way, so it still
matches exactly), the paragraphs of one stored part one after another. For each part, a
`Piece`: the start of each paragraph, the report position of each, and `postings`: the
positions of the units sorted by unit (ascending within one), `unit_start[u]` where the
positions of unit u begin. A term's occurrences are the positions of its rarest unit
shifted by that unit's place in the term, kept where the other units agree (one look-up
each in `codes`) and the whole term lies inside one paragraph. Counts are of
non-overlapping occurrences from the left, as `str.count` and DuckDB's `replace` count.

The pieces are written once per build beside it (`dashboard.mapped`, ~6 bytes per
character: 1.2 GB at 10,000 reports, in mapped pages the system can drop) by the loader
threads after everything else the app reads, part by part (so a part's arrays are all
that is held while writing; 4.4 s at 10,000 reports), the pieces of parts the build
kept from the build before linked from that build's index; until then the callers
scan as before.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from analysis.store import map_parts, read_part
from dashboard.term_index import report_positions

__all__ = ["CharIndex", "PIECE_ARRAYS", "Piece", "from_files", "piece_arrays", "write_index", "write_piece"]

N_UNITS = 1 << 16  # UTF-16 code units
SEARCHED_COLUMNS = ["report_id", "text", "text_simplified"]
PIECE_ARRAYS = ("codes", "para_start", "para_rix", "postings", "unit_start")


def _units(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)


def piece_arrays(paragraphs: pa.Table, order: pa.Array) -> dict[str, np.ndarray]:
    """The arrays of one `Piece` from `paragraphs` (report_id, text, text_simplified; the
    rows of a part, as stored) for the reports `order` (report ids by position)."""
    searched = pc.fill_null(pc.coalesce(paragraphs["text_simplified"], paragraphs["text"]), "")
    lengths = pc.utf8_length(searched).to_numpy(zero_copy_only=False).astype(np.int64)
    codes = _units("".join(searched.to_pylist()))
    starts = np.zeros(len(lengths) + 1, np.int64)
    np.cumsum(lengths, out=starts[1:])
    if len(codes) != starts[-1]:  # characters of two units: move each start past the extra units before it
        high = np.flatnonzero((codes >= 0xD800) & (codes < 0xDC00))
        starts += np.searchsorted(high - np.arange(len(high)), starts, side="left")
    # positions grouped by unit, ascending within one (a stable sort: radix sort for 16 bits)
    postings = np.argsort(codes, kind="stable").astype(np.uint32 if len(codes) < 2**32 else np.int64)
    unit_start = np.zeros(N_UNITS + 1, np.int64)
    np.cumsum(np.bincount(codes, minlength=N_UNITS), out=unit_start[1:])
    return {"codes": codes, "para_start": starts, "para_rix": report_positions(paragraphs["report_id"], order),
            "postings": postings, "unit_start": unit_start}


@dataclass(frozen=True)
class Piece:
    codes: np.ndarray  # uint16: the searched text of the piece's paragraphs, one after another
    para_start: np.ndarray  # int64, one more than the paragraphs: where each begins in `codes`
    para_rix: np.ndarray  # int64: each paragraph's report position (-1: not in the corpus)
    postings: np.ndarray  # positions in `codes`, grouped by unit, ascending within one
    unit_start: np.ndarray  # int64[N_UNITS + 1]: unit u's positions are postings[unit_start[u]:unit_start[u + 1]]

    @classmethod
    def of(cls, arrays: dict[str, np.ndarray]) -> "Piece":
        return cls(*(arrays[k] for k in PIECE_ARRAYS))

    def occurrences(self, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(start of each non-overlapping occurrence of `units`, the paragraph holding it)."""
        n = len(units)
        seen = self.unit_start[units.astype(np.int64) + 1] - self.unit_start[units]
        i = int(np.argmin(seen))
        found = self.postings[self.unit_start[units[i]]:self.unit_start[units[i] + 1]].astype(np.int64) - i
        found = found[(found >= 0) & (found <= len(self.codes) - n)]
        for j in range(n):
            if j != i and len(found):
                found = found[self.codes[found + j] == units[j]]
        para = np.searchsorted(self.para_start, found, side="right") - 1
        inside = para == np.searchsorted(self.para_start, found + n - 1, side="right") - 1
        found, para = found[inside], para[inside]
        if _overlaps(units) and len(found) > 1:
            keep = _from_the_left(found, n)
            found, para = found[keep], para[keep]
        return found, para


def _overlaps(units: np.ndarray) -> bool:
    """Whether two occurrences of `units` can overlap: some proper prefix is also a suffix."""
    n = len(units)
    return any(np.array_equal(units[:k], units[n - k:]) for k in range(1, n))


def _from_the_left(starts: np.ndarray, n: int) -> np.ndarray:
    """Which of the sorted occurrence `starts` a count from the left keeps (each one
    starting at or after the end of the last one kept)."""
    keep = np.ones(len(starts), dtype=bool)
    end = -1
    for k, s in enumerate(starts.tolist()):
        if s < end:
            keep[k] = False
        else:
            end = s + n
    return keep


@dataclass(frozen=True)
class CharIndex:
    pieces: tuple[Piece, ...]

    @classmethod
    def of(cls, arrays: Iterable[dict[str, np.ndarray]]) -> "CharIndex":
        return cls(tuple(Piece.of(a) for a in arrays))

    def stack(self, other: "CharIndex") -> "CharIndex":
        return CharIndex(self.pieces + other.pieces)

    def counts(self, term: str, n_reports: int) -> tuple[np.ndarray, np.ndarray]:
        """(occurrences of `term`, paragraphs holding it) per report position, as int64
        arrays of `n_reports`: non-overlapping occurrences inside one paragraph."""
        mentions, paragraphs = np.zeros(n_reports, np.int64), np.zeros(n_reports, np.int64)
        units = _units(term)
        if not len(units):
            return mentions, paragraphs
        for piece in self.pieces:
            _, para = piece.occurrences(units)
            rix = piece.para_rix[para]
            known = rix >= 0
            mentions += np.bincount(rix[known], minlength=n_reports)
            first = np.ones(len(para), dtype=bool)  # para is ascending: one per paragraph
            first[1:] = para[1:] != para[:-1]
            paragraphs += np.bincount(rix[first & known], minlength=n_reports)
        return mentions, paragraphs


def write_piece(folder: Path, k: int, paragraphs: pa.Table, order: pa.Array) -> None:
    """Save the arrays of piece `k` (made of `paragraphs`) in `folder` as `<array>-<k>.npy`."""
    for name, a in piece_arrays(paragraphs, order).items():
        np.save(folder / f"{name}-{k:05d}.npy", a, allow_pickle=False)


# What a piece's arrays but `para_rix` depend on: the text of its part only. A part the
# build hard-linked from the build before (its files unchanged) is the same file, and
# its piece in that build's index is linked too: after a one-file rebuild the index is
# ready in a fraction of a second instead of being made again, and shares the disk.
BY_TEXT = ("codes", "para_start", "postings", "unit_start")
SOURCES = "sources.json"  # per piece, the identity of the part it was made from


def part_identity(path: Path) -> tuple[int, ...]:
    """A stored part file as the same file (device, inode, size, modification time):
    equal for a hard link of it."""
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def write_index(folder: Path, parts: Sequence[Path], order: pa.Array, earlier: Sequence[Path] = ()) -> None:
    """Save a piece for each stored `paragraphs` part in `folder`, linking the pieces of
    the same part files from the indexes `earlier` (other builds' copies) where there are."""
    made = _made_before(earlier)

    def one(item: tuple[int, Path]) -> tuple[int, ...]:
        k, path = item
        identity = part_identity(path)
        if identity in made and _link_piece(*made[identity], folder, k):
            ids = read_part(path, ["report_id"])["report_id"]
            np.save(folder / f"para_rix-{k:05d}.npy", report_positions(ids, order), allow_pickle=False)
        else:
            write_piece(folder, k, read_part(path, SEARCHED_COLUMNS), order)
        return identity

    identities = map_parts(one, list(enumerate(parts)), threads=2)
    (folder / SOURCES).write_text(json.dumps(identities), encoding="utf-8")


def _made_before(earlier: Sequence[Path]) -> dict[tuple[int, ...], tuple[Path, int]]:
    made: dict[tuple[int, ...], tuple[Path, int]] = {}
    for folder in reversed(earlier):  # the first given wins
        try:
            identities = json.loads((folder / SOURCES).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        made.update({tuple(ident): (folder, k) for k, ident in enumerate(identities)})
    return made


def _link_piece(source: Path, k_source: int, folder: Path, k: int) -> bool:
    """Hard-link piece `k_source` of `source` as piece `k` of `folder` (False, and nothing
    left behind, when it cannot be: gone meanwhile, another file system)."""
    made = []
    try:
        for name in BY_TEXT:
            target = folder / f"{name}-{k:05d}.npy"
            os.link(source / f"{name}-{k_source:05d}.npy", target)
            made.append(target)
        return True
    except OSError:
        for target in made:
            target.unlink(missing_ok=True)
        return False


def from_files(loaded: dict[str, np.ndarray]) -> CharIndex:
    """The index of the arrays `write_index` saved, as `dashboard.mapped` loads them
    (keyed by file stem)."""
    ks = sorted({key.rsplit("-", 1)[1] for key in loaded})
    return CharIndex.of({name: loaded[f"{name}-{k}"] for name in PIECE_ARRAYS} for k in ks)
