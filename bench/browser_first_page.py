#!/usr/bin/env python3
"""The app's first page as a user sees it: time to the overview's charts in headless Chromium.

Starts `streamlit run` on a store as the README does (load_test.py's helpers), waits
for the server to answer, then opens the overview in `--browsers` fresh Chromium processes one after another
(empty cache each): the first is the first page after the server's start (the store
read, the caches filled), the later ones a new user on a warm server. For each it
prints the seconds from navigation to the first chart drawn and to every chart drawn
with the script finished, and writes them to bench/out/browser-<time>.json.

    python bench/browser_first_page.py --store /tmp/b3/store-10000 [--browsers 3]

Needs Debian's chromium (/usr/bin/chromium) and playwright (requirements.txt).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_test import free_port, start_server, stop_server  # noqa: E402  (the app started as the load test starts it)

ROOT = Path(__file__).resolve().parents[1]
CHART = "[data-testid='stPlotlyChart']"
# every chart drawn and no script running (Streamlit shows its status widget while one runs)
SETTLED = f"""() => {{
    const charts = [...document.querySelectorAll("{CHART}")];
    return charts.length >= 3 && charts.every(c => c.querySelector('.main-svg'))
        && !document.querySelector("[data-testid='stStatusWidget']");
}}"""


def first_pages(port: int, browsers: int, chromium: str) -> list[dict]:
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as p:
        for i in range(browsers):
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            start = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector(f"{CHART} .main-svg", timeout=120_000)
            chart = time.perf_counter() - start
            page.wait_for_function(SETTLED, timeout=120_000)
            out.append({"browser": i + 1, "first_chart_s": chart, "settled_s": time.perf_counter() - start})
            print(f"browser {i + 1} ({'first after the start' if i == 0 else 'warm server'}, empty cache): "
                  f"first chart {chart:.2f} s, every chart and the script done {out[-1]['settled_s']:.2f} s", flush=True)
            browser.close()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--browsers", type=int, default=3)
    ap.add_argument("--port", type=int, default=None, help="port for the app (default: a free one)")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args(argv)
    port = args.port or free_port()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(args.store, port, Path(tmp) / "streamlit.log")
        try:
            up = time.perf_counter() - started
            print(f"server answering {up:.2f} s after its start", flush=True)
            runs = first_pages(port, args.browsers, args.chromium)
        finally:
            stop_server(server)
    out = ROOT / "bench" / "out" / f"browser-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"store": str(args.store), "server_up_s": up, "runs": runs}, indent=1), encoding="utf-8")
    print(f"figures written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
