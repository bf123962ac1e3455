"""widths.width_forms gives exactly the two forms the analysis used to compute separately."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from analysis.normalize import normalize_width
from analysis.widths import Simplifier, read_simplifier, width_forms, width_forms_script

SEEDS = sorted((Path(__file__).parents[2] / "seeds").glob("*.txt"))


def _targets_form(text: str) -> str:
    # what analysis.targets computed for each paragraph before width_forms, and a
    # full-width thousands separator read as one (33，212万吨)
    form = normalize_width(text.replace("，", "\ue000")).replace("\ue000", "，")
    return re.sub(r"(?<=[0-9])，(?=[0-9]{3}(?![0-9]))", ",", form)


def test_both_forms_on_the_seeds():
    for path in SEEDS:
        text = path.read_text(encoding="utf-8")
        norm, work = width_forms(text)
        assert norm == normalize_width(text)
        assert work == _targets_form(text)
        assert len(norm) == len(work) == len(text)


def test_both_forms_on_random_strings_with_the_edge_characters():
    rng = random.Random(3)
    alphabet = ["，", ",", "ａ", "１", "1", "2", "\uff01", "\uff5e", "\uff5f", "\uff00", "\u3000", " ", "\ue000", "中", "a",
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


# --- traditional characters -----------------------------------------------------------

TABLE = Path(__file__).resolve().parents[2] / "analysis" / "dictionaries" / "traditional.txt"


def test_traditional_characters_are_read_as_simplified_keeping_every_offset():
    simplifier = read_simplifier(TABLE)
    text = "我國經濟增長５０％，於是後來發展"  # 8 distinct traditional characters
    norm, work = width_forms(text, simplifier)
    assert norm == "我国经济增长50%,于是后来发展"
    assert work == "我国经济增长50%，于是后来发展"
    assert len(norm) == len(work) == len(text)
    # a simplified text with a name in a traditional character or two keeps it
    assert width_forms("昇腾生态适配，濛溪河遗址，我國", simplifier)[0] == "昇腾生态适配,濛溪河遗址,我國"
    assert width_forms("國國國國國國國國國", simplifier)[0] == "國國國國國國國國國"  # one character, often
    assert width_forms_script(text, simplifier)[2] and not width_forms_script("昇腾生态适配，濛溪河遗址，我國", simplifier)[2]
    assert not width_forms_script(text, None)[2] and not width_forms_script("", simplifier)[2]
    assert width_forms("国家", simplifier) == ("国家", "国家")
    assert width_forms("我國", None) == ("我國", "我國")  # no table: width only


def test_the_table_leaves_simplified_text_alone():
    # Its keys are characters simplified text does not use (not in GB2312, but 後 and
    # 於): the seeds come out as width_forms alone (the gov-work reports: test_gov_corpus).
    simplifier = read_simplifier(TABLE)
    keys = set(simplifier.traditional)
    assert len(keys) == len(simplifier.traditional) > 4000
    assert {"乾", "覆", "藉", "著"}.isdisjoint(keys) and {"後", "於", "經", "國"} <= keys
    for path in SEEDS:
        text = path.read_text(encoding="utf-8")
        assert width_forms(text, simplifier) == width_forms(text)


def test_read_simplifier_names_a_bad_line(tmp_path):
    path = tmp_path / "traditional.txt"
    path.write_text("# comment\n國\t国\n\n", encoding="utf-8")
    assert read_simplifier(path) == Simplifier("國", "国")
    path.write_text("# only comments\n", encoding="utf-8")
    assert read_simplifier(path) is None  # an empty table turns the conversion off
    assert read_simplifier(tmp_path / "missing.txt") is None
    path.write_text("國\t国\n經濟\t经济\n", encoding="utf-8")
    with pytest.raises(ValueError, match="traditional.txt line 2"):
        read_simplifier(path)
