"""Load, the bounded CI variant of `bench/load_test.py`: 5 browser sessions clicking
through the app for 40 s on a 200-report store built in a temp folder.

Asserts no errors (every step reached a finished rerun, no exception or st.error on
the page, no page error, the websocket stayed connected), that every session finished
at least 3 reruns, and that the server's memory at the end stays within 300 MB of its
memory once every session was in: the caches are bounded, so more clicks must not
mean more memory. No timing is asserted (the machine may be shared); the figures are
written to tests/_artifacts/load.json for a person to read.

Needs Debian's chromium (`.ci/run` installs it); skipped with a reason without it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "_artifacts"

SESSIONS, SECONDS, REPORTS = 5, 40, 200
MIN_RERUNS = 3
RSS_BOUND_MB = 300

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed (apt-get install chromium)"),
]


def test_sessions_click_through_filters_without_errors_and_memory_stays_bounded(tmp_path, load_test_module):
    lt = load_test_module
    store, info = lt.prepare_store(REPORTS, tmp_path, workers=2)
    assert f"{REPORTS} reports" in info["summary"], info["summary"]

    fig = lt.load_test(store, sessions=SESSIONS, seconds=SECONDS, step_timeout=30, ramp=2, work=tmp_path, settle=1.0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(fig, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    summary = lt.report(fig)
    print(summary)

    assert fig["n_reports"] == REPORTS
    assert fig["errors"] == 0, summary
    assert min(fig["per_session_reruns"]) >= MIN_RERUNS, summary
    # every kind of step ran: page loads and in-page reruns over the websocket
    assert fig["by_kind"]["goto"]["n"] > 0 and fig["by_kind"]["select"]["n"] > 0, summary
    rss = fig["rss_mb"]
    assert rss["connected"] is not None and rss["connected"] > rss["start"], summary  # the corpus was loaded
    assert rss["end"] < rss["connected"] + RSS_BOUND_MB, summary
