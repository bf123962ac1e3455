"""The app as a user sees it: `streamlit run`, headless Chromium, real URLs, screenshots.

Needs Debian's chromium (`.ci/run` installs it); Playwright drives it through
`executable_path` and never downloads a browser. Screenshots land in
tests/_artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from analysis.build import build

    src = tmp_path_factory.mktemp("corpus")
    for f in (ROOT / "seeds").glob("*.txt"):
        shutil.copy(f, src / f.name)
    (src / "<b>hostile<i>&amp;.txt").write_text(HOSTILE_REPORT, encoding="utf-8")
    out = tmp_path_factory.mktemp("store") / "store"
    result = build([src], out, workers=1)
    assert result.n_reports == 12, result.summary()
    return out


@pytest.fixture(scope="module")
def server(store):
    port = _free_port()
    env = {"MALLOC_ARENA_MAX": "2", **os.environ, "DUIBIAO_STORE": str(store)}  # as the README starts it
    log = open(store.parent / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard/streamlit_app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + (store.parent / "streamlit.log").read_text())
    yield base
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )
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
    page, _ = _open(browser, f"{server}/", "12 篇报告")
    _shot(page, "overview.png")
    page, _ = _open(browser, f"{server}/compare?a=济宁高新区&b=山亭区", "山亭区")
    body = page.inner_text("body")
    assert "济宁高新区" in body and "山亭区" in body
    _shot(page, "compare.png")


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
