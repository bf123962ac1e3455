"""The Streamlit app end to end, with AppTest, on a store built once from seeds/.

Expected numbers come from the store's own Parquet files, not from constants, so
the tests follow the analysis as it improves.
"""

from __future__ import annotations

import json
import shutil
import urllib.parse
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "streamlit_app.py")
PAGES = ["overview", "keywords", "themes", "targets", "compare", "reader"]
TITLES = {"overview": "总览", "keywords": "关键词", "themes": "主题", "targets": "目标", "compare": "区域对比", "reader": "报告"}
TIMEOUT = 60


@pytest.fixture(scope="session")
def store(tmp_path_factory) -> Path:
    from analysis.build import build

    out = tmp_path_factory.mktemp("dashboard") / "store"
    result = build([ROOT / "seeds"], out, workers=1, progress=False)
    assert result.n_reports > 0, result.summary()
    return out


@pytest.fixture(scope="session")
def tables(store) -> dict[str, pd.DataFrame]:
    return {name: pq.read_table(store / f"{name}.parquet").to_pandas()
            for name in ("reports", "paragraphs", "targets", "files")}


@pytest.fixture
def app(store, monkeypatch):
    return _opener(store, monkeypatch)


def _opener(store: Path, monkeypatch):
    monkeypatch.setenv("DUIBIAO_STORE", str(store))

    def make(page: str = "overview", **params: str) -> AppTest:
        """The app opened at /<page>?<params>, as a browser would on first load.
        (Each page's url_path is its file stem, so switch_page works before the first run.)"""
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        for k, v in params.items():
            at.query_params[k] = v
        if page != "overview":
            at.switch_page(f"pages_/{page}.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return make


def _metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}: {[m.label for m in at.metric]}"
    return values[0]


def _reports_table(at: AppTest) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if {"标题", "对标", "讲话人"} <= set(d.value.columns)]
    assert frames, "reports table not shown"
    return frames[0]


def _sidebar_select(at: AppTest, key: str):
    return at.sidebar.selectbox(key=key)


# --- overview & filters ----------------------------------------------------------------------


def test_overview_counts_every_report(app, tables):
    at = app()
    n = len(tables["reports"])
    assert _metric(at, "报告") == str(n)
    assert len(_reports_table(at)) == n
    assert [t.value for t in at.title] == ["总览"]
    assert at.image, "word cloud not shown"


def test_the_overview_draws_the_network_by_province_from_the_url(app):
    def network(at):
        frames = [d.value for d in at.dataframe if {"学习方", "对标对象"} <= set(d.value.columns)]
        return set(zip(frames[0]["学习方"], frames[0]["对标对象"]))

    at = app()
    assert at.segmented_control(key="net").value == "district"
    assert ("济宁高新区", "长沙高新区") in network(at)
    at = app(net="省份")  # the link names the level as the control shows it
    assert at.segmented_control(key="net").value == "province"
    assert network(at) == {("山东省", "山东省"), ("山东省", "湖南省"), ("山东省", "上海市"), ("山东省", "湖北省")}
    at.segmented_control(key="net").set_value("city").run()
    assert ("济宁市", "长沙市") in network(at)


def test_speaker_filter_lists_byline_and_quoted_speakers(app, tables):
    at = app()
    options = _sidebar_select(at, "speaker").options
    assert "李兵" in options and "蒙婷" in options
    quoted = set(tables["paragraphs"]["speaker"]) - {""}
    assert quoted <= set(options)


def test_district_from_url_narrows_reports(app, tables):
    expected = int((tables["reports"]["district"] == "济宁高新区").sum())
    assert 0 < expected < len(tables["reports"])
    at = app("overview", district="济宁高新区")
    assert _metric(at, "报告") == str(expected)
    table = _reports_table(at)
    assert len(table) == expected and set(table["区域"]) == {"济宁高新区"}
    assert at.query_params.get("district") == "济宁高新区"


def test_district_widget_narrows_and_clears(app, tables):
    at = app()
    other = "山亭区"
    expected = int((tables["reports"]["district"] == other).sum())
    _sidebar_select(at, "district").set_value(other).run()
    assert not at.exception
    assert len(_reports_table(at)) == expected
    # (Writing the value into the URL is the browser's job for bound widgets: not visible here.)
    at.sidebar.button[0].click().run()  # 清除筛选
    assert len(_reports_table(at)) == len(tables["reports"])
    assert _sidebar_select(at, "district").value is None


def test_speaker_filter_matches_paragraph_speakers(app, tables):
    paras = tables["paragraphs"]
    reports = tables["reports"].set_index("report_id")
    quoted = paras[(paras["speaker"] != "") & (paras["speaker"] != paras["report_id"].map(reports["speaker"]))]
    if quoted.empty:
        pytest.skip("no report quotes a speaker other than its byline in this store")
    who = quoted["speaker"].iloc[0]
    expected = set(paras.loc[paras["speaker"] == who, "report_id"]) | set(reports.index[reports["speaker"] == who])
    at = app("overview", speaker=who)
    assert _metric(at, "报告") == str(len(expected))


def test_bogus_url_values_are_dropped(app, tables):
    at = app("overview", district="不存在区", theme="没有这个主题", speaker="<script>", **{"from": "not-a-date"})
    assert _metric(at, "报告") == str(len(tables["reports"]))
    for key in ("district", "theme", "speaker", "from"):
        assert key not in at.query_params
    assert not at.error


def test_date_range_from_url(app, tables):
    from dashboard.corpus import date_bounds

    dated = [date_bounds(d) for d in tables["reports"]["date"]]
    dated = [b for b in dated if b[0]]
    if not dated:
        pytest.skip("no dated report in the seeds")
    first = min(lo for lo, _ in dated)
    expected = sum(1 for lo, hi in dated if hi >= first)
    at = app("overview", **{"from": first.isoformat(), "to": f"{max(hi for _, hi in dated).year}-12-31"})
    assert at.query_params.get("from") == first.isoformat()
    assert _metric(at, "报告") == str(expected)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs(app, page):
    at = app(page)
    assert [t.value for t in at.title] == [TITLES[page]]
    assert not at.error


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_filtered(app, page, tables):
    district = tables["reports"]["district"].value_counts().index[0]
    at = app(page, district=district)
    assert [t.value for t in at.title] == [TITLES[page]]
    assert at.query_params.get("district") == district


def test_theme_filter_from_url(app, store):
    themes = pq.read_table(store / "themes.parquet").to_pandas()
    theme = themes["theme"].value_counts().index[0]
    expected = themes.loc[themes["theme"] == theme, "report_id"].nunique()
    at = app("themes", theme=theme)
    assert at.query_params.get("theme") == theme
    at.switch_page("pages_/overview.py").run()
    assert _metric(at, "报告") == str(expected)


# --- pages -----------------------------------------------------------------------------------


def test_targets_page_shows_the_30_yi_target_with_hedge(app, tables):
    if tables["targets"].empty:
        pytest.skip("targets table is empty: the target extractor is not finished")
    at = app("targets")
    frames = [d.value for d in at.dataframe if {"指标", "数值", "单位", "限定"} <= set(d.value.columns)]
    assert frames, "targets table not shown"
    t = frames[0]
    hit = t[(t["数值"] == 30) & (t["单位"] == "亿元")]
    assert not hit.empty, t[["指标", "数值", "单位"]].to_string()
    assert hit["限定"].str.contains("力争").any()
    assert (hit["类型"] == "目标").any()
    # a single value has no upper bound: a blank cell, not st.dataframe's grey "None"
    assert t["上限"].map(type).eq(str).all() and (t["上限"] == "").any()


def test_number_text_blanks_missing_numbers():
    from dashboard.ui import number_text

    assert number_text(pd.Series([30.0, float("nan"), 2.5, None, 1234567.0])).tolist() == ["30", "", "2.5", "", "1234567"]


def test_keyword_in_context_highlights_term_and_links_reader(app, tables):
    at = app("keywords", term="潍坊高新区", district="济宁高新区")
    md = [m.value for m in at.markdown]
    assert any("background[**潍坊高新区**]" in v for v in md), md[:5]
    links = [pl.proto for pl in at.get("page_link") if pl.proto.page == "reader"]
    assert links
    ids = set(tables["reports"]["report_id"])
    for link in links:
        params = dict(urllib.parse.parse_qsl(link.query_string))
        assert set(params) == {"report"} and params["report"] in ids  # bound filters travel by themselves


def test_keyword_method_switch(app):
    at = app("keywords", method="词频")
    assert at.query_params.get("method") == "词频"
    assert any("出现次数" in list(d.value.columns) or "词" in list(d.value.columns) for d in at.dataframe)


def test_reader_shows_report_from_url(app, tables):
    r = tables["reports"][tables["reports"]["title"].str.len() > 0].iloc[-1]
    at = app("reader", report=r["report_id"])
    assert [h.value for h in at.header][0].replace("\\", "") == r["title"]
    assert at.query_params.get("report") == r["report_id"]


def test_reader_drops_unknown_report(app, tables):
    at = app("reader", report="no-such-report")
    assert "report" not in at.query_params
    assert any("没有编号为" in i.value for i in at.info)
    assert at.header  # falls back to the first report


def test_compare_districts_and_speakers(app, tables):
    at = app("compare", a="济宁高新区", b="山亭区")
    heads = [m.value for m in at.markdown if m.value.startswith("### ")]
    assert any("济宁高新区" in h for h in heads) and any("山亭区" in h for h in heads)
    at = app("compare", by="speaker", a="李兵", b="蒙婷")
    assert at.query_params.get("by") == "speaker"
    heads = [m.value for m in at.markdown if m.value.startswith("### ")]
    assert any("李兵" in h for h in heads) and any("蒙婷" in h for h in heads)
    at = app("compare", by="nonsense", a="不存在区")
    assert "by" not in at.query_params and "a" not in at.query_params


def test_compare_opens_on_two_districts_and_says_when_one_lies_in_the_other(app):
    at = app("compare")  # the options start with 山东省 and 济宁市; the sides with two districts
    assert (at.selectbox(key="a").value, at.selectbox(key="b").value) == ("济宁高新区", "山亭区")
    assert not any("属于" in c.value for c in at.caption)
    at = app("compare", a="济宁市", b="山东省")
    assert any(c.value == "济宁市 属于 山东省：两组报告有重叠。" for c in at.caption)
    heads = [m.value for m in at.markdown if m.value.startswith("### ")]
    assert any("济宁市" in h for h in heads) and any("山东省" in h for h in heads)


# --- store problems and uploads ----------------------------------------------------------------


def test_old_schema_store_explains_and_rebuilds(tmp_path, monkeypatch, store):
    bad = tmp_path / "store"
    shutil.copytree(store.resolve(), bad)
    manifest = json.loads((bad / "manifest.json").read_text(encoding="utf-8"))
    manifest["schema_version"] = 0
    (bad / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.setenv("DUIBIAO_STORE", str(bad))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.error and "schema version" in at.error[0].value
    button = [b for b in at.button if b.label == "从 seeds/ 重建"]
    assert button
    button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "报告") == str(pq.read_metadata(store / "reports.parquet").num_rows)


def test_missing_store_is_built_from_seeds(tmp_path, monkeypatch, tables):
    monkeypatch.setenv("DUIBIAO_STORE", str(tmp_path / "fresh"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "报告") == str(len(tables["reports"]))


def test_upload_adds_reports_and_names_bad_files(app, tables):
    at = app()
    n = len(tables["reports"])
    good = (
        "对标先进 加快发展\n\n测试区发展改革局局长 张三\n\n"
        "到潍坊高新区对标学习，收获很大。全年力争新增税收5亿元，确保完成招商引资项目10个。\n\n"
        "我们将以科技创新为引领，加快产业转型升级。\n"
    ).encode("utf-8")
    seed = sorted((ROOT / "seeds").glob("*.txt"))[0]
    at.sidebar.file_uploader[0].set_value([
        ("新报告.txt", good, "text/plain"),
        ("坏文件.pdf", b"%PDF-1.4 this is not really a pdf", "application/pdf"),
        ("重复.txt", seed.read_bytes(), "text/plain"),
    ]).run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value for w in at.sidebar.warning]
    assert any("坏文件" in w for w in warnings), warnings
    assert any("重复" in w and "已有" in w for w in warnings), warnings
    assert int(_metric(at, "报告")) > n
    table = _reports_table(at)
    assert table["文件"].str.startswith("上传/").any()


def test_uploads_beyond_the_count_limit_are_named_and_left_out(app, monkeypatch):
    at = app()
    files = [(f"空{i}.txt", b"", "text/plain") for i in range(22)]
    at.sidebar.file_uploader[0].set_value(files).run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = [w.value for w in at.sidebar.warning]
    assert sum("一次最多分析 20 个文件" in w for w in warnings) == 2
    assert any("空20" in w for w in warnings) and any("空21" in w for w in warnings)


def test_skipped_files_are_listed_with_their_message(tmp_path, monkeypatch):
    from analysis.build import build

    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(sorted((ROOT / "seeds").glob("*.txt"))[0], src / "good.txt")
    (src / "broken.pdf").write_bytes(b"%PDF-1.4 not a pdf at all")
    build([src], tmp_path / "store", workers=1, progress=False)
    monkeypatch.setenv("DUIBIAO_STORE", str(tmp_path / "store"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any(e.label.startswith("跳过的文件（1）") for e in at.expander)
    skipped = [d.value for d in at.dataframe if "原因" in d.value.columns]
    assert skipped and "broken.pdf" in skipped[0]["文件"].iloc[0] and skipped[0]["原因"].iloc[0]


@pytest.mark.parametrize("page", PAGES)
def test_empty_store_every_page(tmp_path_factory, monkeypatch, page):
    from analysis.build import build

    root = tmp_path_factory.getbasetemp() / "empty_corpus"
    if not (root / "store").exists():
        (root / "in").mkdir(parents=True, exist_ok=True)
        build([root / "in"], root / "store", workers=1, progress=False)
    monkeypatch.setenv("DUIBIAO_STORE", str(root / "store"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page(f"pages_/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == [TITLES[page]]


@pytest.fixture(scope="session")
def dated_store(tmp_path_factory) -> Path:
    """The seeds plus two undated government-style reports dated by their file names."""
    from analysis.build import build

    root = tmp_path_factory.mktemp("dated_app")
    src = root / "reports"
    src.mkdir()
    body = "\n".join([
        "各位代表：",
        "过去一年，国民经济持续发展，工农业总产值比上年增长百分之七，财政收入稳定增加，人民生活继续改善。",
        "今年要深化改革，力争工农业总产值增长百分之四，确保完成国家计划，进一步提高经济效益。",
        "要加快发展先进制造业和战略性新兴产业，培育龙头企业，加强科技创新和研发，推进产学研合作。",
    ])
    (src / "national_1985.txt").write_text(body, encoding="utf-8")
    (src / "national_2020.txt").write_text(body.replace("深化改革", "全面深化改革"), encoding="utf-8")
    build([ROOT / "seeds", src], root / "store", workers=1, progress=False)
    return root / "store"


@pytest.fixture
def dated_app(dated_store, monkeypatch):
    return _opener(dated_store, monkeypatch)


def test_reports_across_years_draw_the_trends(dated_app):
    at = dated_app("themes")
    assert "主题随时间变化" in [h.value for h in at.subheader]
    picker = at.multiselect(key="th_trend_themes")
    assert len(picker.value) == min(4, len(picker.options)) > 0
    at = dated_app("keywords", term="改革")
    assert any("逐年出现频次" in e.label for e in at.expander)


def test_the_comparison_sets_years_side_by_side(dated_app):
    at = dated_app("compare", by="year")
    # the seeds' dated header (2016) and stated year (2021: 今年是“十四五”规划开局之年), and
    # the two reports dated by file name
    assert at.selectbox(key="a").options == ["2021", "2020", "2016", "1985"]
    assert (at.selectbox(key="a").value, at.selectbox(key="b").value) == ("2021", "2020")
    at.selectbox(key="b").set_value("1985").run()
    assert not at.exception, [e.value for e in at.exception]
    counts = [m.value for m in at.metric if m.label == "报告"]
    assert counts == ["1", "1"]


def test_targets_over_the_years_follow_the_indicator_filter(dated_app):
    at = dated_app("targets", indicator="总产值")
    assert at.text_input(key="indicator").value == "总产值"
    assert "数值随年份" in [h.value for h in at.subheader]
