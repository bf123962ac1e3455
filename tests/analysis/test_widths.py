"""widths.width_forms gives exactly the two forms the analysis used to compute separately."""

from __future__ import annotations

import random
from pathlib import Path

from analysis.normalize import normalize_width
from analysis.widths import width_forms

SEEDS = sorted((Path(__file__).parents[2] / "seeds").glob("*.txt"))


def _targets_form(text: str) -> str:
    # what analysis.targets computed for each paragraph before width_forms
    return normalize_width(text.replace("，", "\ue000")).replace("\ue000", "，")


def test_both_forms_on_the_seeds():
    for path in SEEDS:
        text = path.read_text(encoding="utf-8")
        norm, work = width_forms(text)
        assert norm == normalize_width(text)
        assert work == _targets_form(text)
        assert len(norm) == len(work) == len(text)


def test_both_forms_on_random_strings_with_the_edge_characters():
    rng = random.Random(3)
    alphabet = ["，", ",", "ａ", "１", "\uff01", "\uff5e", "\uff5f", "\uff00", "\u3000", " ", "\ue000", "中", "a",
                "\n", "。", "😀", "\ud800", "％", "（", "）"]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 15)))
        norm, work = width_forms(text)
        assert norm == normalize_width(text), repr(text)
        assert work == _targets_form(text), repr(text)


def test_slices_of_the_joined_report_are_the_paragraph_forms():
    paragraphs = ["全年增长５％，力争完成", "ＧＤＰ　达到１，２００亿元", "plain ascii", ""]
    norm, work = width_forms("\n".join(paragraphs))
    offset = 0
    for p in paragraphs:
        assert norm[offset : offset + len(p)] == normalize_width(p)
        assert work[offset : offset + len(p)] == _targets_form(p)
        offset += len(p) + 1
