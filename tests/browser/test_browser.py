"""The app as a user sees it: `streamlit run`, headless Chromium, real URLs, screenshots.

Needs Debian's chromium (`.ci/run` installs it); Playwright drives it through
`executable_path` and never downloads a browser. Screenshots land in
tests/_artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "_artifacts"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (apt-get install chromium)"),
]

HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1">标题'
HOSTILE_REPORT = f"""{HOSTILE_TITLE}

济宁高新区测试局局长 张<b>三</b>

到潍坊高新区对标学习,<script>window.__pwned=2</script>全年新增融资到位力争30亿元。**粗体** [链接](javascript:alert(1)) <iframe src="javascript:window.__pwned=3"></iframe>
二、要在体制机制上对标,确保完成年度任务,力争引进高层次人才80个。
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from analysis.build import build

    src = tmp_path_factory.mktemp("corpus")
    for f in (ROOT / "seeds").glob("*.txt"):
        shutil.copy(f, src / f.name)
    # dated 2021 by its name (as 002's first report by its text): with 001's 2016 the
    # overview draws its chart of years
    (src / "<b>hostile<i>&amp;_2021.txt").write_text(HOSTILE_REPORT, encoding="utf-8")
    out = tmp_path_factory.mktemp("store") / "store"
    result = build([src], out, workers=1)
    assert result.n_reports == 12, result.summary()
    return out


@pytest.fixture(scope="module")
def server(store, load_test_module):
    """`streamlit run` on the store, started as the README and the load test start it."""
    lt = load_test_module
    port = lt.free_port()
    try:
        proc = lt.start_server(store, port, store.parent / "streamlit.log", timeout=60)
    except RuntimeError as err:
        pytest.fail(str(err))
    yield f"http://127.0.0.1:{port}"
    lt.stop_server(proc)


@pytest.fixture(scope="module")
def browser(load_test_module):
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=load_test_module.CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, url: str, wait_text: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.get_by_text(wait_text).first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)  # let charts and images finish drawing
    return page, errors


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_overview_filtered_by_district_from_the_url(server, browser):
    page, errors = _open(browser, f"{server}/?district=山亭区", "2 篇报告")
    main = page.inner_text("[data-testid='stMain']")
    assert "区域：山亭区" in main
    assert "12 篇报告" not in main
    _shot(page, "overview_shanting.png")
    assert not errors


def test_overview_unfiltered_and_comparison_pages(server, browser):
    page, errors = _open(browser, f"{server}/", "12 篇报告")
    _shot(page, "overview.png")
    page, more = _open(browser, f"{server}/compare?a=济宁高新区&b=山亭区", "山亭区")
    body = page.inner_text("body")
    assert "济宁高新区" in body and "山亭区" in body
    _shot(page, "compare.png")
    assert not errors + more


def test_hostile_report_is_shown_as_text_and_runs_nothing(server, browser, store):
    reports = pq.read_table(store / "reports.parquet").to_pandas()
    hostile = reports[reports["source_file"].str.contains("hostile")].iloc[0]
    page, errors = _open(browser, f"{server}/reader?report={hostile.report_id}", "对标学习")
    assert page.evaluate("window.__pwned === undefined")
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("iframe[src^='javascript']").count() == 0
    assert page.locator("b:text('三')").count() == 0
    scripts = page.evaluate("[...document.scripts].map(s => s.textContent).join(' ')")
    assert "__pwned" not in scripts
    body = page.inner_text("body")
    assert "<script>window.__pwned=2</script>" in body  # shown literally, as text
    _shot(page, "reader_hostile.png")
    assert not errors


def test_keyword_in_context_for_a_district(server, browser, store):
    """The counts shown are the plain counts over that district's paragraphs."""
    reports = pq.read_table(store / "reports.parquet").to_pandas()
    paragraphs = pq.read_table(store / "paragraphs.parquet").to_pandas()
    ids = set(reports.loc[reports["district"] == "济宁高新区", "report_id"])
    text = paragraphs.loc[paragraphs["report_id"].isin(ids), "text"]
    mentions, holding = int(text.str.count("对标").sum()), int(text.str.contains("对标").sum())
    page, errors = _open(browser, f"{server}/keywords?district=济宁高新区&term=对标", "关键词上下文")
    page.get_by_text("出现").first.wait_for(timeout=60_000)
    main = page.inner_text("[data-testid='stMain']")
    assert f"“对标”出现 {mentions} 次" in main and f"的 {holding} 个段落中" in main, main[-600:]
    _shot(page, "keywords_district.png")
    assert not errors


def test_a_heatmap_cell_filters_by_its_row_and_theme(server, browser):
    """Plotly heatmaps send Streamlit no selection: each cell holds a transparent marker
    that a click selects. Clicking one sets the row's district and the column's theme,
    and the evidence below follows the theme."""
    page, errors = _open(browser, f"{server}/themes", "主题证据")
    page.get_by_role("tab", name="主题 × 区域").click()
    page.wait_for_timeout(1000)
    cells = page.locator(".scatterlayer .point:visible")
    assert cells.count() >= 2 * 16  # two districts x the themes
    cells.nth(1).click(force=True)  # first row, second column
    page.wait_for_url("**/themes?*district=*", timeout=30_000)
    page.wait_for_timeout(2000)
    from urllib.parse import parse_qs, urlparse

    query = parse_qs(urlparse(page.url).query)
    district, theme = query["district"][0], query["theme"][0]
    main = page.inner_text("[data-testid='stMain']")
    assert f"主题：{theme}；区域：{district}" in main
    assert f"“{theme}”得分最高的段落" in main
    _shot(page, "themes_cell_click.png")
    assert not errors


def test_a_year_bar_filters_the_dates_to_that_year(server, browser):
    page, errors = _open(browser, f"{server}/", "各年份报告数")
    bars = page.locator(".barlayer .point path:visible")
    before = bars.count()
    page.get_by_text("各年份报告数").first.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    assert before >= 2
    year_chart = page.locator("[data-testid='stPlotlyChart']").filter(has_text="各年份报告数")
    year_chart.locator(".barlayer .point path").last.click(force=True)  # the newest year: 2021
    page.wait_for_url("**/?*from=2021-01-01*", timeout=30_000)
    page.wait_for_timeout(2000)
    from urllib.parse import parse_qs, urlparse

    query = parse_qs(urlparse(page.url).query)
    assert (query["from"], query["to"]) == (["2021-01-01"], ["2021-12-31"])
    main = page.inner_text("[data-testid='stMain']")
    assert "2 篇报告" in main  # the hostile report and 002's first (今年是“十四五”规划开局之年)
    _shot(page, "overview_year_click.png")
    assert not errors


def test_the_first_page_benchmark_runs_on_a_store(store, load_test_module):
    """bench/browser_first_page.py, as the benchmark notes run it, on the test store."""
    import json
    import re
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "browser_first_page.py"), "--store", str(store), "--browsers", "1",
         "--port", str(load_test_module.free_port()), "--chromium", CHROMIUM],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    first, settled = map(float, re.search(r"first chart ([\d.]+) s, every chart and the script done ([\d.]+) s", done.stdout).groups())
    assert 0 < first <= settled < 120
    written = Path(re.search(r"figures written to (\S+)", done.stdout).group(1))
    runs = json.loads(written.read_text(encoding="utf-8"))["runs"]
    written.unlink()
    assert [r["browser"] for r in runs] == [1] and runs[0]["first_chart_s"] == pytest.approx(first, abs=0.01)
