"""Themes of paragraphs, from the editable theme dictionary (dictionaries/themes.toml)."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Iterable, Mapping

from analysis.segment import DICT_DIR, keeps_whole

# One matched cue in a paragraph of 9 content terms scores 1/sqrt(9) = 0.33, two
# in 25 score 0.4, one in 25 only 0.2: a passing mention in a long paragraph is not
# a theme of it, a short headline with one cue is.
DEFAULT_MIN_SCORE = 0.3


@dataclass(frozen=True)
class Theme:
    name: str
    terms: frozenset[str]
    description: str = ""
    # Cue -> weight for cues that are not worth 1.0 (broad words like 产业, 创新).
    weights: Mapping[str, float] = field(default_factory=dict, hash=False)

    def weight(self, term: str) -> float:
        return self.weights.get(term, 1.0)


def load_themes(path: Path = DICT_DIR / "themes.toml") -> list[Theme]:
    """Read [themes.<name>] tables (description, terms, optional weights), file order kept."""
    with open(path, "rb") as f:
        tables = tomllib.load(f).get("themes", {})
    themes = []
    for name, spec in tables.items():
        terms = frozenset(t.strip() for t in spec.get("terms", []) if t.strip())
        weights = {t: float(w) for t, w in spec.get("weights", {}).items()}
        unknown = set(weights) - terms
        if unknown:
            raise ValueError(f"{path}: theme {name}: weights for terms not in its list: {sorted(unknown)}")
        themes.append(Theme(name, terms, spec.get("description", ""), weights))
    return themes


@dataclass(frozen=True, eq=False)
class ThemeIndex:
    """The themes turned inside out: cue term -> ((theme position, weight), ...).

    Scoring a paragraph then looks each of its tokens up once, instead of testing
    every token against every theme (15 themes: 15 passes over the paragraph).
    """

    themes: tuple[Theme, ...]
    cues: Mapping[str, tuple[tuple[int, float], ...]]

    def __contains__(self, term: str) -> bool:
        return term in self.cues


def theme_index(themes: Iterable[Theme]) -> ThemeIndex:
    themes = tuple(themes)
    cues: dict[str, list[tuple[int, float]]] = {}
    for i, theme in enumerate(themes):
        for term in theme.terms:
            cues.setdefault(term, []).append((i, theme.weight(term)))
    return ThemeIndex(themes, {t: tuple(v) for t, v in cues.items()})


def paragraph_themes(
    tokens: list[str], themes: Iterable[Theme] | ThemeIndex, *, min_score: float = DEFAULT_MIN_SCORE
) -> list[tuple[str, float, list[str]]]:
    """Themes a paragraph carries: [(theme, score, evidence)], strongest first.

    `tokens` are the paragraph's content terms (segment.content_terms), so the
    length that normalises the score counts words that carry meaning, not
    punctuation or particles. score = (sum of cue weights over matched tokens,
    repeats counted) / sqrt(number of tokens): it grows with how often a theme is
    invoked but less than linearly with paragraph length, so long paragraphs can
    carry several themes and short ones are not drowned. evidence = the distinct
    cue terms that matched, most frequent first, then by code point.

    Pass a `ThemeIndex` (theme_index(themes)) when scoring many paragraphs: same
    result as the theme list (tests/analysis/test_themes.py compares both with the
    straightforward theme-by-theme scoring), several times faster.
    """
    index = themes if isinstance(themes, ThemeIndex) else theme_index(themes)
    return score_cues(list(filter(index.cues.__contains__, tokens)), len(tokens), index, min_score=min_score)


def score_cues(
    cue_terms: list[str], n_tokens: int, index: ThemeIndex, *, min_score: float = DEFAULT_MIN_SCORE
) -> list[tuple[str, float, list[str]]]:
    """`paragraph_themes` from the cue terms among the paragraph's `n_tokens` content
    terms, in order (repeats included)."""
    if not cue_terms:
        return []
    # A few cues per paragraph: a plain loop counts them faster than Counter() is built.
    counts: dict[str, int] = {}
    for term in cue_terms:
        counts[term] = counts.get(term, 0) + 1
    return score_themes(counts, n_tokens, index, min_score=min_score)


def score_themes(
    cue_counts: Mapping[str, int], n_tokens: int, index: ThemeIndex, *, min_score: float = DEFAULT_MIN_SCORE
) -> list[tuple[str, float, list[str]]]:
    """`paragraph_themes` from the counts of the cue terms among the paragraph's
    `n_tokens` content terms, in order of first occurrence (Counter(filter(...)))."""
    if not n_tokens or not cue_counts:
        return []
    # Per theme (by position), the products weight * count of its cues added up in the
    # order of first occurrence of the cues (as Counter(tokens) has them), from 0: what
    # sum() of the products does, the same additions in the same order, the same float
    # (no list per theme to build and sum).
    totals: dict[int, float] = {}
    cues = index.cues
    for term, n in cue_counts.items():
        for i, weight in cues[term]:
            totals[i] = totals.get(i, 0) + weight * n
    norm = math.sqrt(n_tokens)
    found = []
    for i in sorted(totals):  # theme file order
        score = totals[i] / norm
        if score >= min_score:
            theme = index.themes[i]
            terms = theme.terms
            evidence = [t for t in cue_counts if t in terms]
            if len(evidence) > 1:  # most frequent first, then by code point (the sort is stable)
                evidence.sort()
                evidence.sort(key=cue_counts.__getitem__, reverse=True)
            found.append((theme.name, score, evidence))
    found.sort(key=itemgetter(1), reverse=True)  # stable: equal scores keep file order
    return found


def unsegmentable_terms(themes: Iterable[Theme], segmenter, stopwords=frozenset()) -> list[str]:
    """Cue terms that can never match: split by the segmenter (see
    segment.keeps_whole) or removed as stop words. For checking an edited
    themes.toml against the user dictionary and stop list.
    """
    terms = {t for theme in themes for t in theme.terms}
    return sorted(t for t in terms if t in stopwords or not keeps_whole(segmenter, t))
