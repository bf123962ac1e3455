"""The district gazetteer: canonical names, aliases, and finding them in text.

Three data files: `districts.csv`, curated (high-tech zones with the names reports give
them, the provinces, the seeds' districts); `divisions.csv`, every prefecture- and
county-level division of China and every city's zones (generated,
bench/make_divisions_table.py), where a curated row replaces the generated row that
names the same division (shares a name or alias); and `not_places.txt`, phrases that
hold a name but name no place (均衡水平 holds 衡水).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DISTRICTS_CSV = Path(__file__).parent / "dictionaries" / "districts.csv"
DIVISIONS_CSV = Path(__file__).parent / "dictionaries" / "divisions.csv"
NOT_PLACES_TXT = Path(__file__).parent / "dictionaries" / "not_places.txt"


@dataclass(frozen=True)
class Mention:
    district: str  # canonical name
    start: int
    end: int


@dataclass
class Gazetteer:
    """Districts with aliases; `find` returns non-overlapping mentions, longest alias first."""

    canonical: dict[str, str]  # alias (and name) -> canonical name
    levels: dict[str, str] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)  # canonical name -> the division it belongs to
    # the curated names and aliases: the words the tokenizer keeps whole (潍坊高新区)
    curated: tuple[str, ...] = ()
    # phrases holding a name that name no place (均衡水平 holds 衡水): matched, then dropped
    not_places: frozenset[str] = frozenset()
    index_: "NameIndex | None" = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.index_ = NameIndex([*self.canonical, *self.not_places]) if self.canonical else None

    def find(self, text: str) -> list[Mention]:
        """The mentions in `text`, left to right, the longest name at each position (so
        潍坊市寒亭区 is one mention, not two), none overlapping."""
        if self.index_ is None:
            return []
        canonical = self.canonical
        return [Mention(canonical[w], a, b) for a, b in self.index_.spans(text) if (w := text[a:b]) in canonical]

    def names(self) -> list[str]:
        return sorted(set(self.canonical.values()))

    def chain(self, name: str) -> list[str]:
        """`name` and the divisions it lies in, nearest first (任城区, 济宁市, 山东省); none for ""."""
        return [name, *self.ancestors(name)] if name else []

    def ancestors(self, name: str) -> list[str]:
        """The divisions `name` lies in, nearest first (任城区 -> 济宁市, 山东省)."""
        out, seen = [], {name}
        while (name := self.parents.get(name, "")) and name not in seen:
            out.append(name)
            seen.add(name)
        return out


def read_rows(path: Path) -> list[dict]:
    """The rows of a gazetteer file (lines starting with # are comments)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    rows = []
    for row in csv.DictReader(lines):
        name = (row.get("name") or "").strip()
        if name:
            aliases = [a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()]
            rows.append({**row, "name": name, "aliases": aliases})
    return rows


def read_phrases(path: Path | None) -> frozenset[str]:
    """The phrases of a one-per-line file (# comments), none for a missing file."""
    if path is None or not path.exists():
        return frozenset()
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def load_gazetteer(path: Path = DISTRICTS_CSV, divisions: Path | None = DIVISIONS_CSV,
                   not_places: Path | None = NOT_PLACES_TXT) -> Gazetteer:
    curated = read_rows(path)
    spelled = {s: row["name"] for row in curated for s in (row["name"], *row["aliases"])}
    generated = read_rows(divisions) if divisions is not None and divisions.exists() else []
    # A generated row naming a curated division gives way to it (济宁高新技术产业开发区 is
    # one of 济宁高新区's aliases), its other spellings becoming the curated row's (济宁市高新区).
    merged: dict[str, str] = {}
    for row in generated:
        if same := next((spelled[s] for s in (row["name"], *row["aliases"]) if s in spelled), None):
            own = row["aliases"] if (row.get("bare") or "yes").strip() == "no" else [row["name"], *row["aliases"]]
            merged.update((s, same) for s in own if s not in spelled)
    generated = [r for r in generated if r["name"] not in spelled and spelled.keys().isdisjoint(r["aliases"])]
    canonical: dict[str, str] = {}
    levels: dict[str, str] = {}
    parents: dict[str, str] = {}
    for row in [*generated, *curated]:
        name = row["name"]
        levels[name] = (row.get("level") or "").strip()
        if parent := (row.get("parent") or "").strip():
            parents[name] = parent
        # 全国 on its own means "nationwide", not the national government: a country
        # is recognised only through its aliases (全国人民代表大会 ...). So is a division
        # whose name alone is shared or a common phrase (bare = no).
        if levels[name] != "国家" and (row.get("bare") or "yes").strip() != "no":
            canonical[name] = name
        for alias in row["aliases"]:
            canonical[alias] = name
    for alias, name in merged.items():
        canonical.setdefault(alias, name)
    blockers = read_phrases(not_places) - canonical.keys()  # a name stays a name
    # curated spellings in the order of districts.csv: the tokenizer's frequencies depend
    # on the order words are added
    return Gazetteer(canonical, levels, parents, tuple(s for s in canonical if s in spelled), blockers)


class NameIndex:
    """Where the longest of `names` starts, left to right, non-overlapping: the matches
    of the alternation of the names longest first (`scan.longest_word_pattern`).

    With 9,000 names that alternation (even written as a trie) costs ~0.37 s per MB:
    `re` tries the first characters' branches one after another, and 1,500 characters
    start a name. Here the text's first two characters at every position are looked up
    at once in numpy (a table of the character pairs that begin a name), and only at the
    few positions where one does are the names of that beginning tried, longest first,
    in a dict: ~0.005 s per MB, the same matches (tests/analysis/test_gazetteer.py).
    """

    def __init__(self, names):
        names = [n for n in names if n]
        lengths: dict[str, set[int]] = {}
        for n in names:
            lengths.setdefault(n[:2], set()).add(len(n))
        self.names = frozenset(names)
        self.lengths = {head: tuple(sorted(ls, reverse=True)) for head, ls in lengths.items()}
        # Characters of the Basic Multilingual Plane get a code per place (0: none), a
        # first character's code pre-multiplied so that first + second is the pair's
        # cell in `pairs_`: True when the pair begins a name (a one-character name: any
        # second character, code 0 included: the text's last character pairs with 0).
        firsts = sorted(c for c in {ord(h[0]) for h in self.lengths} if c < 0x10000)
        seconds = sorted({ord(h[1]) for h in self.lengths if len(h) == 2 and ord(h[1]) < 0x10000})
        width = len(seconds) + 1
        self.first_ = np.zeros(0x10000, np.int32)
        self.first_[firsts] = np.arange(1, len(firsts) + 1) * width
        self.second_ = np.zeros(0x10000, np.int32)
        self.second_[seconds] = np.arange(1, width)
        pairs = np.zeros((len(firsts) + 1, width), bool)
        for h in self.lengths:
            if all(ord(c) < 0x10000 for c in h):
                row = self.first_[ord(h[0])] // width
                if len(h) == 1:
                    pairs[row, :] = True
                else:
                    pairs[row, self.second_[ord(h[1])]] = True
        self.pairs_ = pairs.ravel()
        self.astral = any(ord(c) >= 0x10000 for n in names for c in n[:2])  # see spans

    def spans(self, text: str) -> list[tuple[int, int]]:
        if not text:
            return []
        if self.astral or len(text) < 64:
            # A title or a byline: trying every position costs less than numpy's set-up.
            # (Or a name begins with a character outside the BMP, which the tables leave out.)
            starts = range(len(text))
        else:
            codes = np.minimum(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32), 0xFFFF)
            cell = self.first_[codes]
            cell[:-1] += self.second_[codes[1:]]
            starts = np.flatnonzero(self.pairs_.take(cell)).tolist()
        out, end, lengths, names, size = [], 0, self.lengths, self.names, len(text)
        for p in starts:
            if p < end:
                continue
            for n in lengths.get(text[p : p + 2], ()) + lengths.get(text[p], ()):
                # (a slice past the end is shorter than n, and may be a shorter name)
                if p + n <= size and text[p : p + n] in names:
                    out.append((p, p + n))
                    end = p + n
                    break
        return out
