"""The district gazetteer: canonical names, aliases, and finding them in text."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from analysis.scan import longest_word_pattern

DISTRICTS_CSV = Path(__file__).parent / "dictionaries" / "districts.csv"


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
    pattern_: re.Pattern | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # The longest alias at each position, so 潍坊市寒亭区 is one mention, not two (a trie
        # pattern: the matches of the alternation of all aliases longest first, faster).
        self.pattern_ = longest_word_pattern(self.canonical) if self.canonical else None

    def find(self, text: str) -> list[Mention]:
        if self.pattern_ is None:
            return []
        return [Mention(self.canonical[m.group()], m.start(), m.end()) for m in self.pattern_.finditer(text)]

    def names(self) -> list[str]:
        return sorted(set(self.canonical.values()))


def load_gazetteer(path: Path = DISTRICTS_CSV) -> Gazetteer:
    rows = csv.DictReader(line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#"))
    canonical: dict[str, str] = {}
    levels: dict[str, str] = {}
    for row in rows:
        name = (row.get("name") or "").strip()
        if not name:
            continue
        levels[name] = (row.get("level") or "").strip()
        # 全国 on its own means "nationwide", not the national government: a country
        # is recognised only through its aliases (全国人民代表大会 ...).
        if levels[name] != "国家":
            canonical[name] = name
        for alias in (row.get("aliases") or "").split("|"):
            if alias.strip():
                canonical[alias.strip()] = name
    return Gazetteer(canonical, levels)
