"""Cleaners: each pure str -> str function, then the chain on real seed debris."""

from pathlib import Path

import pytest

from analysis.clean import (
    clean_text,
    is_byline,
    rejoin_broken_lines,
    strip_control,
    strip_markdown_headings,
    strip_web_furniture,
)
from analysis.normalize import normalize_width

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def test_strip_control_unifies_newlines_and_drops_invisible_characters():
    assert strip_control("a\r\nb\rc\u200bd\x07e\ufeff") == "a\nb\ncde"


def test_rejoins_a_sentence_broken_across_blank_lines():
    text = "整体布局新材料、生物医药等产业升级项\n\n\n\n目,扮演好专业园区的角色。"
    assert rejoin_broken_lines(text) == "整体布局新材料、生物医药等产业升级项目,扮演好专业园区的角色。"


def test_does_not_join_a_finished_sentence_or_a_heading():
    text = "第一句话说完了,就结束了。\n\n一、下一个标题\n正文从这里开始,继续写下去。"
    assert rejoin_broken_lines(text).split("\n") == ["第一句话说完了,就结束了。", "一、下一个标题", "正文从这里开始,继续写下去。"]


def test_does_not_join_prose_with_the_headline_of_the_next_signed_article():
    text = "以“大学习”为抓手，不断增强思想自觉，采取领导班子带头\n\n对标麓谷，创新发展\n\n济宁高新区人力资源服务中心主任 罗会涛"
    assert rejoin_broken_lines(text).split("\n")[1] == "对标麓谷，创新发展"


def test_latin_words_keep_their_space_when_rejoined():
    assert rejoin_broken_lines("引进了IBM高性能服务器芯片等一批新产业, 还有\n\nIBM") == "引进了IBM高性能服务器芯片等一批新产业, 还有IBM"
    assert rejoin_broken_lines("This long English sentence keeps going on and on past forty chars\nand ends here.") == (
        "This long English sentence keeps going on and on past forty chars and ends here."
    )


def test_web_furniture_lines_are_dropped_and_content_kept():
    text = "全站\n• 政策\n• 新闻\n【字号:\n正文一句。\n扫一扫在手机打开当前页\n按回车键在新窗口打开无障碍说明页面,按Alt+~键打开导盲模式。"
    assert strip_web_furniture(text) == "正文一句。"


def test_markdown_heading_marks_are_removed_but_heading_text_kept():
    assert strip_markdown_headings("### 强化党建引领促发展\n## 两谷一港一中心") == "强化党建引领促发展\n两谷一港一中心"


@pytest.mark.parametrize(
    "line, expected",
    [
        ("济宁高新控股集团党委书记 李兵", True),
        ("湖南省省长 毛伟明", True),
        ("自治区主席 艾尔肯·吐尼亚孜", True),
        ("对标先进 振兴美丽乡村", False),
        ("本报记者 李蕊 邓超", False),
    ],
)
def test_byline_recognition(line, expected):
    assert is_byline(line) is expected


def test_seed_000_broken_word_is_rejoined_and_page_break_gone():
    text = clean_text(seed("000"))
    assert "产业升级项目,扮演好专业园区和工业地产建设运营商的角色" in text
    assert "确保全区美丽乡村A类村覆盖率达到56%" in text
    assert "\n\n" not in text


def test_seed_001_site_menu_and_accessibility_lines_are_gone():
    text = clean_text(seed("001"))
    lines = text.split("\n")
    assert lines[0] == "济宁高新区"
    for junk in ("全站", "• 政策", "【字号", "扫一扫在手机打开当前页", "无障碍"):
        assert junk not in text
    assert lines[-1].endswith("努力创造经得起实践、群众和历史检验的新业绩。")


def test_seed_002_newspaper_breaks_are_rejoined():
    text = clean_text(seed("002"))
    assert "又有都市农业、文旅康养" in text
    assert "东夷小镇等地,听取了相关工作介绍" in text


def test_cleaning_never_loses_chinese_characters_of_the_report_body():
    raw = seed("000")
    cleaned = clean_text(raw)
    # Only whitespace is removed from this file: every other character survives.
    assert "".join(raw.split()) == "".join(cleaned.split())


def test_width_normalisation_is_one_to_one():
    s = "增长１０．２％，（亿元）　ＡＢ"
    out = normalize_width(s)
    assert out == "增长10.2%,(亿元) AB"
    assert len(out) == len(s)


def test_strip_control_drops_in_one_pass_what_two_passes_dropped():
    import random

    from analysis import resources as R

    rng = random.Random(2)
    alphabet = [chr(c) for c in [*range(0x00, 0x30), *range(0x7E, 0xA5), 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF,
                                 0xD800, 0xDFFF, 0x4E00, 0x3000]]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        unified = text.replace("\r\n", "\n").replace("\r", "\n")
        assert strip_control(text) == R.CONTROL.sub("", R.ZERO_WIDTH.sub("", unified))


def test_is_byline_shortcut_agrees_with_the_byline_pattern():
    import random

    from analysis import clean
    from analysis import resources as R

    rng = random.Random(1)
    # (with line ends and characters at and past the ends of the ideograph block: the
    # shortcut on the last character)
    alphabet = list("党委书记区长李兵张三济宁高新 \u3000\t·\n。a\u4e00\u9fff\ua000") + ["主任", "副局长"]
    for _ in range(20000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        m = len(line) <= clean._HEAD and R.BYLINE.match(line)
        assert is_byline(line) == (bool(m) and bool(R.POSITION_SUFFIX.search(m.group("role")))), line


# Pieces of text that exercise every cleaner and every shortcut of the default chain:
# line ends, controls, edge spaces, headings, furniture (marked and not), short and long
# lines, glued and unglued sentences, bylines and Latin words.
_PIECES = ["\n", "\n\n", "\r\n", "\r", " ", "\u3000", "\xa0", "\t", "#", "## ", "【", "】", "打印", "关闭", "无障碍", "导盲",
           "全站", "首页", "字号：", "分享到", "纠错", "编辑：张三", "。", "，", "、", "；", "”", "）", "一、", "（二）",
           "本报讯", "本报记者 李蕊", "济宁高新控股集团党委书记 李兵", "\u200b", "\x07", "\ud800", "IBM", "x" * 40,
           "产业升级项目建设", "•", "扫一扫", "当前位置：首页"]


def _tricky_texts(n: int, seed: int):
    import random

    rng = random.Random(seed)
    for _ in range(n):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 40)))
        yield text * rng.randint(100, 300) if rng.random() < 0.05 else text  # some over MAX_PARAGRAPH


def test_default_chain_equals_running_the_cleaners_one_by_one():
    from analysis.clean import DEFAULT_CLEANERS

    texts = [*_tricky_texts(3000, 5), *(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))]
    for text in texts:
        assert clean_text(text) == clean_text(text, cleaners=list(DEFAULT_CLEANERS)), text


def test_furniture_patterns_split_as_the_whole_pattern():
    from analysis import resources as R

    for text in _tricky_texts(3000, 6):
        for line in text.split("\n"):
            whole = bool(R.FURNITURE_LINE.match(line))
            if not any(mark in line for mark in R.FURNITURE_MARKS):
                assert bool(R.FURNITURE_UNMARKED.match(line)) == whole, line
            assert bool(R.FURNITURE_UNMARKED.match(line) or R.FURNITURE_MARKED.match(line)) == whole, line
        assert strip_web_furniture(text) == "\n".join(line for line in text.split("\n") if not R.FURNITURE_LINE.match(line))


def test_line_cleaners_equal_their_plain_forms():
    from analysis import resources as R
    from analysis.clean import split_runaway_lines, strip_line_edges

    for text in _tricky_texts(3000, 7):
        assert strip_markdown_headings(text) == "\n".join(R.MARKDOWN_HEADING.sub("", line) for line in text.split("\n"))
        assert strip_line_edges(text) == "\n".join(line.strip(" \t\u3000\u00a0") for line in text.split("\n"))
        if all(len(line) <= 5000 for line in text.split("\n")):
            assert split_runaway_lines(text) is text


def _plain_rejoin(text: str) -> str:
    """rejoin_broken_lines as first written: every line a paragraph state, all checks."""
    from analysis import clean
    from analysis import resources as R

    lines = [line for line in text.split("\n") if line]
    out: list[clean._Glued] = []
    for i, line in enumerate(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if (out and not out[-1].last.endswith(tuple(R.TERMINAL)) and clean._fits(out[-1], line)
                and clean._continues(out[-1], line, following) and not clean._makes_furniture(out[-1], line)):
            out[-1].add(line)
        else:
            out.append(clean._Glued(line))
    return "\n".join(map(str, out))


def test_rejoin_equals_building_every_paragraph_state():
    for text in _tricky_texts(3000, 8):
        assert rejoin_broken_lines(text) == _plain_rejoin(text), text


def test_a_headline_over_the_articles_opening_stays_a_line_of_its_own():
    text = "关于赴苏州工业园区、昆山高新区考察学习的报告\n为学习借鉴先进地区发展经验，区委书记带队赴两地考察学习。"
    assert clean_text(text).split("\n") == text.split("\n")
    # a line cut mid-sentence still joins the next (it is prose: more than one line glued, or no opening)
    assert clean_text("全区上下要对标先进、\n为学习借鉴先进经验创造条件。") == "全区上下要对标先进、为学习借鉴先进经验创造条件。"
