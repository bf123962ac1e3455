"""Metadata of the real 政府工作报告 in ../shared (read in place, never copied into the repo).

Expected values were copied by hand from each file's header lines (title, meeting line,
speaker line). Skipped, visibly, on a machine without the shared corpus.
"""

from collections import Counter
from pathlib import Path

import pytest

from analysis.clean import clean_text
from analysis.gazetteer import load_gazetteer
from analysis.metadata import report_metadata
from analysis.split import split_reports

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "gov-work-reports" / "docs"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")
GAZ = load_gazetteer()

# file stem -> (province, speaker, position, ISO date as printed in the meeting line)
PROVINCES = {
    "anhui": ("安徽省", "王清宪", "省长", "2026-02-05"),
    "beijing": ("北京市", "殷勇", "市长", "2026-01-25"),
    "chongqing": ("重庆市", "胡衡华", "市长", "2026-01-28"),
    "fujian": ("福建省", "赵龙", "省长", "2026-01-27"),
    "gansu": ("甘肃省", "任振鹤", "省长", "2026-01-27"),  # 二〇二六年一月二十七日
    "guangdong": ("广东省", "孟凡利", "省长", ""),  # the meeting line lost its date upstream
    "guangxi": ("广西壮族自治区", "韦韬", "主席", "2026-02-02"),
    "guizhou": ("贵州省", "李炳军", "省长", "2026-01-27"),
    "hainan": ("海南省", "刘小明", "省长", "2026-01-27"),
    "hebei": ("河北省", "王正谱", "省长", "2026-01-26"),
    "heilongjiang": ("黑龙江省", "梁惠玲", "省长", "2026-01-31"),
    "henan": ("河南省", "王凯", "省长", "2026-01-26"),
    "hubei": ("湖北省", "李殿勋", "省长", "2026-01-27"),
    "hunan": ("湖南省", "毛伟明", "省长", "2026-02-03"),
    "jiangsu": ("江苏省", "刘小涛", "省长", "2026-02-03"),
    "jiangxi": ("江西省", "叶建春", "省长", "2026-01-27"),
    "jilin": ("吉林省", "胡玉亭", "省长", "2026-01-27"),
    "liaoning": ("辽宁省", "王新伟", "省长", "2026-01-27"),
    "neimenggu": ("内蒙古自治区", "包钢", "主席", "2026-02-04"),
    "ningxia": ("宁夏回族自治区", "张雨浦", "主席", "2026-02-03"),
    "qinghai": ("青海省", "罗东川", "省长", "2026-01-27"),
    "shaanxi": ("陕西省", "赵刚", "省长", "2026-01-27"),
    "shandong": ("山东省", "周乃翔", "省长", "2026-01-27"),
    "shanghai": ("上海市", "龚正", "市长", "2026-02-03"),
    "shanxi": ("山西省", "卢东亮", "省长", "2026-02-02"),
    "sichuan": ("四川省", "施小琳", "省长", "2026-02-03"),
    "tianjin": ("天津市", "张工", "市长", "2026-01-26"),
    "xinjiang": ("新疆维吾尔自治区", "艾尔肯·吐尼亚孜", "主席", "2026-01-27"),
    "xizang": ("西藏自治区", "嘎玛泽登", "主席", "2026-01-31"),
    "yunnan": ("云南省", "王予波", "省长", "2026-01-28"),  # title names no province: the speaker line does
    "zhejiang": ("浙江省", "刘捷", "省长", "2026-01-14"),
}


def first_report(path: Path):
    drafts = split_reports(clean_text(path.read_text(encoding="utf-8")))
    return drafts, report_metadata(drafts[0], GAZ)


@pytest.mark.parametrize("stem", sorted(PROVINCES))
def test_provincial_header_metadata(stem):
    drafts, meta = first_report(CORPUS / f"province_2026_{stem}.txt")
    assert len(drafts) == 1
    assert (meta.district, meta.speaker, meta.position, meta.date) == PROVINCES[stem]
    assert drafts[0].paragraphs[0].startswith("各位代表")


@pytest.mark.parametrize(
    "year, speaker, date",
    [(2017, "李克强", "2017-03-05"), (2021, "李克强", "2021-03-05"), (2024, "李强", "2024-03-05")],
)
def test_national_header_metadata(year, speaker, date):
    _, meta = first_report(CORPUS / f"national_{year}.txt")
    assert (meta.district, meta.speaker, meta.position, meta.date) == ("全国", speaker, "总理", date)


@pytest.mark.parametrize("year", [2013, 1980, 1960, 1954, 1964, 1985])
def test_national_reports_without_header_still_speak_for_the_country(year):
    # The opening's own statement of who speaks: 我代表国务院 (2013), 我受国务院的委托
    # (1980), 我受中共中央和国务院的委托 (1960), 我代表中央人民政府 (1954); or its 我国
    # 各族人民 (1964, 1985, which say neither: 1964 came out as 西藏自治区, 1985 as none).
    _, meta = first_report(CORPUS / f"national_{year}.txt")
    assert (meta.district, meta.speaker) == ("全国", "")


def test_every_corpus_file_splits_without_error():
    for path in sorted(CORPUS.glob("*.txt")):
        drafts, _ = first_report(path)
        assert drafts and sum(len(d.paragraphs) for d in drafts) > 10, path.name


def growth_targets(stem: str):
    from analysis.targets import extract_quantities

    lines = (CORPUS / f"province_2026_{stem}.txt").read_text(encoding="utf-8").split("\n")
    return [
        q
        for line in lines
        for q in extract_quantities(line)
        if q.kind == "target" and q.unit in ("%", "％") and "年均" not in q.indicator
        and (("生产总值" in q.indicator and "增长" in q.indicator) or q.indicator.endswith("经济增长"))
    ]


@pytest.mark.parametrize("stem", sorted(PROVINCES))
def test_provincial_gdp_growth_target_is_a_target_hedged_as_written(stem):
    found = growth_targets(stem)
    assert found, f"no GDP growth target in {stem}"
    q = found[0]
    written = q.sentence[q.sentence.index(q.span) + len(q.span):][:2]
    if written == "左右":
        assert "左右" in q.hedge
    assert 3 <= q.value <= 8  # every 2026 province aims at 4%-7.5% growth


def test_every_national_report_is_dated_in_its_year():
    # Most national reports have no header line: their date is the year in the file name.
    from analysis.pipeline import Resources, build_context

    res = Resources(this_year=2026)
    sources = Counter()
    for path in sorted(CORPUS.glob("national_*.txt")):
        ctx = build_context(path.read_bytes(), f"docs/{path.name}", res)
        for r in ctx.reports:
            assert r.meta.date.startswith(path.stem.split("_")[1]), (path.name, r.meta.date)
            sources[r.meta.date_source] += 1
    assert sources["file_name"] > 30 and sources["text"] >= 3 and set(sources) == {"text", "file_name"}


def test_the_1954_report_in_traditional_characters_is_analysed_as_simplified():
    from analysis.keywords import textrank
    from analysis.pipeline import Resources, build_context
    from analysis.widths import width_forms

    res = Resources(this_year=2026)
    ctx = build_context((CORPUS / "national_1954.txt").read_bytes(), "national_1954.txt", res)
    report = ctx.reports[0]
    top = [t for t, _ in textrank(report.terms, top_k=20)]
    assert {"国家", "人民", "经济", "工业"} <= set(top) and not {"國家", "經濟"} & set(top)
    assert report.paragraphs[1].text.startswith("我們第一届全國人民代表大會")  # the reader keeps the original
    # the simplified reports are untouched by the table
    for path in sorted(CORPUS.glob("province_2026_*.txt")):
        text = path.read_text(encoding="utf-8")
        assert width_forms(text, res.simplifier) == width_forms(text)


def test_the_year_a_report_says_it_is_in_matches_its_file_name():
    # "今年是……" in 28 of the 83 reports; where it names a year it is the right one
    from analysis.metadata import stated_year

    found = 0
    for path in sorted(CORPUS.glob("*.txt")):
        for draft in split_reports(clean_text(path.read_text(encoding="utf-8"))):
            year = stated_year(draft.paragraphs, this_year=2026)
            if year is not None:
                found += 1
                assert year == int(path.stem.split("_")[1]), path.name
    assert found >= 25
