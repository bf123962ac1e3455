"""Property tests (Hypothesis) for the text stages: cleaning, sentence spans, report
splitting, metadata, target extraction and width normalisation.

Inputs mix fragments of real report prose (，。、“” 数字 亿元 % 力争 确保 左右 年 月 日
一二三 十四五, bylines, meeting lines, web furniture, control characters, lone
surrogates) with arbitrary Unicode, so both the interesting paths and the odd corners
are reached. Examples are kept moderate so the file runs in a few seconds.
"""

from __future__ import annotations

import math
import re
import unicodedata
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import clean, sentences, split
from analysis import resources as R
from analysis.gazetteer import load_gazetteer
from analysis.metadata import paragraph_speakers, report_metadata
from analysis.normalize import normalize_width
from analysis.readers import IngestError, read_bytes
from analysis.targets import extract_quantities

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FRAGMENTS = [
    # punctuation and layout
    "，", "。", "、", "“", "”", "；", "：", "（", "）", "《", "》", "!", "?", ",", ".", "-", "—", "~",
    "\n", "\n\n", " ", "\u3000", "\t", "\r\n", "\r",
    # numbers and units
    "1", "5", "12", "0.5", "2025", "1,350", "３０", "％", "５０亿元", "30亿元", "20-30亿元", "5%", "%",
    "亿元", "万元", "万人", "个", "家", "项", "个百分点", "百分之二十", "十余", "两", "一", "二", "三", "十", "百",
    "千", "万", "亿", "余", "多", "年", "月", "日", "2025年", "到2030年", "第二季度", "1-11月份", "十四五", "“十四五”",
    # cue words
    "力争", "确保", "争取实现", "左右", "以上", "不低于", "超过", "达到", "实现", "增长", "同比", "比上年", "已", "了",
    "截至", "年内", "今年", "将继续", "目标是", "该区", "他们", "这", "第", "每",
    # report furniture and headers
    "全区", "我区", "项目", "新增企业", "地区生产总值", "一、", "（一）", "1.", "### ", "#", "• 政策",
    "本报讯", "本报记者 李蕊 邓超", "（宋伟）", "日期：2024-01-01 来源：科技部",
    "济宁高新控股集团党委书记 李兵", "湖南省省长 毛伟明", "区委书记毕志伟", "毕志伟指出，", "会上，",
    "——2026年2月3日在湖南省第十四届人民代表大会第四次会议上", "二〇二六年一月二十七日",
    "为学习借鉴先进地区发展经验，", "4月14日-15日，", "赴长沙高新区考察学习", "对标麓谷", "打印", "【打印】", "【关闭】",
    "扫一扫在手机打开当前页", "无障碍", "导盲", "字号：", "责任编辑：张三",
    # hostile characters
    "\x00", "\x07", "\x1b[31m", "\x7f", "\x85", "\u200b", "\ufeff", "\u2028", "\u202e", "\ud800", "\udfff", "\ufffd",
    # a long sentence that stops mid-way (exercises rejoining)
    "这是一个很长的句子，里面有很多很多的字符，一直写到超过四十个字符为止还没有结束",
]

report_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6), st.characters()),
    max_size=60,
).map("".join)


def _no_restore(paragraphs):
    return paragraphs


# --- cleaning -----------------------------------------------------------------------------------

CLEANERS = [*clean.DEFAULT_CLEANERS, clean.clean_text]


@pytest.mark.parametrize("cleaner", CLEANERS, ids=[c.__name__ for c in CLEANERS])
@SETTINGS
@given(text=report_text)
def test_each_cleaner_never_raises_and_is_idempotent(cleaner, text):
    once = cleaner(text)
    assert isinstance(once, str)
    assert cleaner(once) == once


@SETTINGS
@given(text=report_text, limit=st.integers(min_value=4, max_value=80))
def test_cleaning_stays_idempotent_when_paragraphs_hit_the_length_limit(text, limit):
    # MAX_PARAGRAPH is 5,000 in use; a small limit makes the runaway-line cutting and
    # the glue limit of rejoin_broken_lines take part in every example.
    with mock.patch.object(clean, "MAX_PARAGRAPH", limit):
        once = clean.clean_text(text)
        assert clean.clean_text(once) == once
        assert all(len(line) <= limit for line in once.split("\n")), once


@SETTINGS
@given(text=report_text)
def test_cleaned_text_is_one_stripped_paragraph_per_line_without_invisible_characters(text):
    out = clean.clean_text(text)
    assert "\r" not in out
    for line in out.split("\n") if out else []:
        assert line, f"blank line in {out!r}"
        assert line == line.strip(" \t\u3000\u00a0")
    for ch in out:
        assert unicodedata.category(ch) not in ("Cc", "Cs") or ch in "\t\n", repr(ch)
        assert ch not in "\u200b\u200c\u200d\u2060\ufeff"


@SETTINGS
@given(text=report_text)
def test_cleaning_only_removes_or_rejoins_never_invents_characters(text):
    out = clean.clean_text(text)
    # Every character of the output comes from the input (line ends are unified, and a
    # space may be added back between Latin words when a line break is rejoined).
    budget = {}
    for ch in text:
        budget[ch] = budget.get(ch, 0) + 1
    for ch in out:
        if ch in " \n":
            continue
        budget[ch] = budget.get(ch, 0) - 1
        assert budget[ch] >= 0, (ch, text, out)


# --- sentences ----------------------------------------------------------------------------------


@SETTINGS
@given(text=report_text)
def test_sentence_spans_are_ordered_stripped_and_cover_every_visible_character(text):
    spans = sentences.sentence_spans(text)
    covered = set()
    last_end = 0
    for start, end in spans:
        assert last_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip() and piece
        assert end - start <= sentences.MAX_SENTENCE
        covered.update(range(start, end))
        last_end = end
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


@FEW
@given(text=report_text, limit=st.integers(min_value=2, max_value=30))
def test_runaway_sentences_are_cut_within_the_limit(text, limit):
    with mock.patch.object(sentences, "MAX_SENTENCE", limit):
        spans = sentences.sentence_spans(text)
    assert all(end - start <= limit for start, end in spans)
    assert all(text[start:end] == text[start:end].strip() for start, end in spans)


# --- splitting and metadata ---------------------------------------------------------------------


@SETTINGS
@given(text=report_text)
def test_split_paragraphs_are_substrings_of_the_cleaned_text_in_order(text):
    cleaned = clean.clean_text(text)
    split.split_reports(text)  # raw, uncleaned text never raises either
    with mock.patch.object(split, "restore_column_order", _no_restore):
        drafts = split.split_reports(cleaned)
    pos = 0
    for d in drafts:
        assert d.paragraphs
        for p in d.paragraphs:
            assert p.strip()
            found = cleaned.find(p, pos)
            assert found >= 0, (p, pos, cleaned)
            pos = found + len(p)
        for field in (d.title, d.byline):
            assert field in cleaned


@SETTINGS
@given(text=report_text)
def test_column_order_restoration_only_rotates_paragraphs(text):
    cleaned = clean.clean_text(text)
    with mock.patch.object(split, "restore_column_order", _no_restore):
        plain = split.split_reports(cleaned)
    restored = split.split_reports(cleaned)
    assert len(plain) == len(restored)
    for a, b in zip(plain, restored):
        joined = "".join(a.paragraphs)
        assert len("".join(b.paragraphs)) == len(joined)
        assert "".join(b.paragraphs) in joined + joined  # a rotation (with the broken sentence glued)


GAZ = load_gazetteer()


@FEW
@given(text=report_text)
def test_metadata_never_raises_and_speakers_line_up_with_paragraphs(text):
    for draft in split.split_reports(clean.clean_text(text)):
        meta = report_metadata(draft, GAZ)
        assert len(meta.paragraph_speakers) == len(draft.paragraphs)
        assert meta.date == "" or meta.date[:4].isdigit()
        assert meta.district not in meta.benchmarks


def _speakers_by_search(paragraphs: list[str], default: str) -> list[str]:
    """paragraph_speakers as first written: one regex search of the report per quote."""
    text = "\n".join(paragraphs)
    out, current = [], default
    for para in paragraphs:
        m = R.QUOTE_LEAD.match(para)
        if m and re.search(R.POSITION_WORD.pattern + r"[，,、\s]?" + re.escape(m.group("name")), text):
            current = m.group("name")
        elif R.NARRATION_LEAD.match(para):
            current = default
        out.append(current)
    return out


speech = st.lists(
    st.one_of(
        st.builds("{}{}{}，要加快发展。".format,
                  st.sampled_from(["", "针对当前工作，", "会上，"]),
                  st.sampled_from(["毕志伟", "刘宗国", "张三", "会议", "大家", "王五六"]),
                  st.sampled_from(["指出", "强调", "要求", "表示"])),
        st.builds("{}{}{}出席。".format,
                  st.sampled_from(["区委书记", "党委副书记", "局长，", "主任 ", "同志", "董事长、"]),
                  st.sampled_from(["毕志伟", "刘宗国", "张三", "王五"]), st.sampled_from(["", "等"])),
        report_text,
    ),
    max_size=12,
)


@SETTINGS
@given(paragraphs=speech, default=st.sampled_from(["", "李兵"]))
def test_quoted_speakers_are_found_as_by_searching_the_report_for_their_post(paragraphs, default):
    # The one-pass index of names written after a post must answer exactly what the
    # original per-quote search did (it replaced a quadratic search; see metadata.py).
    assert paragraph_speakers(paragraphs, default) == _speakers_by_search(paragraphs, default)


# --- targets --------------------------------------------------------------------------------


@SETTINGS
@given(paragraph=report_text)
def test_every_quantity_slices_its_sentence_and_span_out_of_the_paragraph(paragraph):
    for para in (paragraph, clean.clean_text(paragraph)):
        for q in extract_quantities(para):
            assert para[q.start : q.end] == q.sentence
            assert q.span and q.span in q.sentence
            assert q.kind in ("target", "achievement", "context")
            assert math.isfinite(q.value)
            assert q.value_max is None or math.isfinite(q.value_max)
            assert len(q.sentence) <= sentences.MAX_SENTENCE


# --- width normalisation ------------------------------------------------------------------------


@SETTINGS
@given(text=st.one_of(report_text, st.text()))
def test_normalize_width_preserves_length_and_is_idempotent(text):
    out = normalize_width(text)
    assert len(out) == len(text)
    assert normalize_width(out) == out
    assert all(a == b or unicodedata.east_asian_width(a) in ("F", "W") for a, b in zip(text, out))


# --- readers ----------------------------------------------------------------------------------


@FEW
@given(data=st.binary(max_size=2048), suffix=st.sampled_from(["txt", "md", "html", "docx", "pdf"]))
def test_read_bytes_on_arbitrary_bytes_reads_or_refuses_clearly(data, suffix):
    try:
        doc = read_bytes(data, f"upload.{suffix}")
    except IngestError as err:
        assert str(err).startswith("upload.")
        assert "\n" not in str(err)
    else:
        assert doc.text.strip()
        assert not any(unicodedata.category(c) == "Cs" for c in doc.text)


visible = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Co", "Cn"), blacklist_characters="\ufeff\ufffd"),
    min_size=1,
    max_size=40,
)


@SETTINGS
@given(lines=st.lists(st.one_of(st.sampled_from(FRAGMENTS[32:80]), visible), min_size=1, max_size=12),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"]))
def test_unicode_text_round_trips_through_the_text_reader(lines, encoding):
    text = "\n".join(line.replace("\r", "").replace("\n", "") for line in lines)
    if not text.strip():
        return
    doc = read_bytes(text.encode(encoding), "r.txt")
    assert doc.text.strip() == text.strip()


cjk_ascii = st.text(alphabet=st.sampled_from(list("各位代表现在我国务院向大会报告政府工作请予审议今年发展目标是增长左右，。、；：") + list("abc 0123%")), min_size=1, max_size=30)
cjk_only = st.text(alphabet=st.sampled_from(list("混入的国标码文字段落这是一个测试经济社会发展，。")), min_size=4, max_size=30)


@SETTINGS
@given(before=cjk_ascii, gbk=cjk_only, after=cjk_ascii, newline=st.booleans())
def test_gbk_passage_inside_a_utf8_file_is_decoded_as_gbk(before, gbk, after, newline):
    sep = "\n" if newline else ""
    head = "政府工作报告。" + before
    data = head.encode() + sep.encode() + gbk.encode("gbk") + sep.encode() + after.encode()
    doc = read_bytes(data, "mixed.txt")
    assert doc.text.replace("\n", "") == (head + gbk + after).strip().replace("\n", "")
    assert doc.encoding == "utf-8+gb18030"
