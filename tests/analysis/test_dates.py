"""Report dates from what a file says of itself: a web page's publication tag and a date
in the file's name or folder, used only for reports without a dated header line."""

from __future__ import annotations

import pytest

from analysis.metadata import ReportMeta, file_dates, name_date, page_date, stated_year
from analysis.pipeline import Resources, build_context


@pytest.mark.parametrize(
    "source_file, iso",
    [
        ("national_1954.txt", "1954"),
        ("corpus-10000/07/07524_national_2017.txt", "2017"),  # 07524: five digits, no year
        ("2021-04-23_考察报告.docx", "2021-04-23"),
        ("考察_2021_04_23.pdf", "2021-04-23"),
        ("20210423会议纪要.pdf", "2021-04-23"),
        ("济宁2021.5.6座谈会.txt", "2021-05-06"),
        ("2021年4月对标学习.txt", "2021-04"),
        ("reports/2019/山亭区汇报.docx", "2019"),  # the folder, when the name has none
        ("x\\2019\\a.txt", "2019"),
        ("2019/2020年总结.txt", "2020"),  # the name before its folder
        ("2020-2021总结.txt", ""),  # two years: which one?
        ("2019/2020-2021总结.txt", ""),  # and not the folder's instead
        ("2035远景目标.txt", ""),  # after this year: a plan, not a date
        ("2021-13-01.txt", ""),  # no 13th month
        ("20211342.txt", ""),
        ("2021123.txt", ""),  # seven digits: an id
        ("000_2a0ea941503524a4.txt", ""),
        ("", ""),
    ],
)
def test_name_date(source_file, iso):
    assert name_date(source_file, this_year=2026) == iso


@pytest.mark.parametrize(
    "html, iso",
    [
        (b'<head><meta name="PubDate" content="2021-04-25 10:21"></head>', "2021-04-25"),
        (b"<meta content='2021-04-25-10:21:00' name=firstpublishedtime>", "2021-04-25"),
        (b'<meta name="publishdate" content="20210425103000">', "2021-04-25"),
        (b'<meta property="article:published_time" content="2020-12-31T23:00:00+08:00">', "2020-12-31"),
        (b'<meta itemprop="datePublished" content=2019/03/05>', "2019-03-05"),
        # PubDate is preferred to a generic tag, whatever the order
        (b'<meta name="dc.date" content="2018-01-01"><meta name="PubDate" content="2021-04-25">', "2021-04-25"),
        (b'<meta name="description" content="2021-04-25">', ""),  # not a date tag
        (b'<meta name="PubDate" content="">', ""),
        (b'<meta name="PubDate" content="\xe4\xbb\x8a\xe5\xa4\xa9">', ""),  # 今天
        (b'<meta name="PubDate" content="2021-99-99">', ""),
        (b'<meta name="PubDate" content="2021-04-25', ""),  # tag never closed
        (b"<meta " + b"x" * 5000 + b' name="PubDate" content="2021-04-25">', ""),  # a tag too long to be one
        (b"<p>" * 30000 + b'<meta name="PubDate" content="2021-04-25">', ""),  # past the head
    ],
)
def test_page_date(html, iso):
    assert page_date(html) == iso


def test_file_dates_fill_only_reports_without_their_own_date():
    own, bare = ReportMeta(date="2016-01-11", date_source="text"), ReportMeta()
    file_dates([own, bare], page_date="2021-04-25", source_file="2019/a.txt", this_year=2026)
    assert (own.date, own.date_source) == ("2016-01-11", "text")
    assert (bare.date, bare.date_source) == ("2021-04-25", "page")  # the page before the name
    bare = ReportMeta()
    file_dates([bare], source_file="2019/a.txt", this_year=2026)
    assert (bare.date, bare.date_source) == ("2019", "file_name")
    bare = ReportMeta()
    file_dates([bare], source_file="a.txt", this_year=2026)
    assert (bare.date, bare.date_source) == ("", "")


BODY = "\n".join([
    "过去一年，济宁高新区坚持以园区建设带动产业升级，以平台建设强化转型基础，保持了平稳健康发展态势。",
    "全年完成地区生产总值增长百分之七，一般公共预算收入达到二十亿元，新引进项目六十个。",
    "今年要坚持稳中求进，力争地区生产总值增长百分之六以上，确保完成全年各项目标任务。",
])


def _context(data: bytes, source_file: str):
    return build_context(data, source_file, Resources(this_year=2026))


def test_a_dated_header_wins_over_the_file_name():
    text = "济宁高新区\n日期: 2016年01月11日 05:54 来源:科技部\n" + BODY
    ctx = _context(text.encode(), "2019/报告.txt")
    assert [(r.meta.date, r.meta.date_source) for r in ctx.reports] == [("2016-01-11", "text")]


def test_an_undated_text_takes_its_file_names_date():
    text = "各位代表：\n现在，我代表国务院，向大会报告政府工作，请予审议。\n" + BODY
    ctx = _context(text.encode(), "national_1980.txt")
    assert [(r.meta.date, r.meta.date_source) for r in ctx.reports] == [("1980", "file_name")]


def test_a_saved_web_page_takes_its_publication_date():
    html = ('<html><head><meta charset="utf-8"><meta name="PubDate" content="2021-04-25 10:21">'
            "<title>对标学习</title></head><body><article>" + "".join(f"<p>{p}</p>" for p in BODY.split("\n"))
            + "</article></body></html>").encode()
    ctx = _context(html, "2019/page.html")
    assert ctx.status == "ok"
    assert {(r.meta.date, r.meta.date_source) for r in ctx.reports} == {("2021-04-25", "page")}


@pytest.mark.parametrize(
    "sentence, year",
    [
        ("今年是实施“十四五”规划开局之年,也是中国共产党建党100周年", 2021),  # seed 002: both say 2021
        ("今年是实行“七五”计划的头一年", 1986),
        ("今年是“十二五”收官之年", 2015),
        ("今年是“十五五”开局之年", 2026),
        ("今年是新中国成立70周年", 2019),
        ("今年是中华人民共和国成立七十五周年", 2024),
        ("今年是改革开放30周年", 2008),
        ("今年是中国抗日战争和世界反法西斯战争胜利五十周年", 1995),
        ("今年是全面贯彻党的十九大精神的开局之年", 2018),
        ("今年是全面贯彻党的十七大精神的第一年", 2008),
        ("今年是实现这个目标的关键一年", None),  # says nothing of which year
        ("明年是建党100周年", None),  # not this year
        ("今年是“十四五”开局之年。今年是新中国成立70周年", None),  # 2021 or 2019: neither
        ("今年是“十六五”开局之年", None),  # 2031: after this year
    ],
)
def test_stated_year(sentence, year):
    assert stated_year([sentence], this_year=2026) == year


def test_a_stated_year_dates_a_report_only_when_nothing_else_does():
    meta = ReportMeta()
    draft = type("D", (), {"paragraphs": ["今年是“十四五”规划开局之年，我们要推进工作。"]})()
    file_dates([meta], source_file="a.txt", this_year=2026, drafts=[draft])
    assert (meta.date, meta.date_source) == ("2021", "stated_year")
    meta = ReportMeta()
    file_dates([meta], source_file="2019/a.txt", this_year=2026, drafts=[draft])
    assert (meta.date, meta.date_source) == ("2019", "file_name")  # the file's name first
