"""Load test: N concurrent browser sessions clicking through the app on a store of R reports.

    python bench/load_test.py [--sessions 20] [--seconds 120] [--reports 1000] [--store STORE] [--port P]

1. Store. Without `--store`, writes a corpus of exactly `--reports` reports into a temp
   folder and builds it with `python -m analysis build DIR --out STORE --workers 2`.
   The corpus replicates /work/shared/corpora/gov-work-reports/docs (when present) and
   seeds/: copy k of a source has the districts, provinces and seed speakers renamed
   (rotated through the gazetteer and a list of names) and a numbered filing line
   appended, so no file is deduplicated and the filters have many values. A pilot build
   of the sources counts the reports in each, so the files can be picked to add up to
   exactly `--reports` reports.
2. Server. `streamlit run dashboard/streamlit_app.py --server.headless true --server.port P
   --server.address 127.0.0.1` with DUIBIAO_STORE=STORE (and DUIBIAO_TIMING=1, so the
   server logs the duration of each script run: reported as a cross-check). Its RSS
   (process plus children) is sampled every second with psutil.
3. Sessions. One Debian chromium (Playwright via `executable_path`, never a downloaded
   browser; `--browsers K` spreads the sessions over K chromium processes), one browser
   context per session, started evenly over `--ramp` seconds (default 10). Every session
   loops until `--seconds` after the first started; each step is one of
   - `goto`: open a URL with filter query parameters (a random district, speaker and/or
     theme from the store's reports/themes tables) on a random page among overview,
     keywords, themes, targets, compare, reader (reader: a random report of the store);
   - `select`: pick a value in a sidebar selectbox (区域 / 讲话人 / 主题) by typing it and
     clicking the option: a rerun over the open websocket, no page load;
   - `nav`: click another page in the top navigation (same session, filters kept);
   - `clear`: click 清除筛选 when a filter is set.
   `--goto-share` (default 0.3) of the steps are page loads, the rest in-page clicks. A
   session goes on at once (`--think 0`, the default) or after a random pause.

"Finished rerun". Streamlit's own signal is `data-test-script-state` on
`[data-testid=stApp]` (`running` / `notRunning`; its end-to-end tests wait on it), but a
very short run can skip `running` in the DOM (React batches the two updates). So an init
script in each page also reads the server's messages off the websocket: every script run
begins with a `new_session` ForwardMsg and ends with `script_finished`. A step is finished
when a run began after the action, the last run has finished, the app shows `notRunning`
and nothing has changed for 400 ms (so a follow-up rerun is waited for too). Its time runs
from the action to the later of `script_finished` and the switch to `notRunning` (the
quiet period is not counted). For `goto` the action is the navigation start (the page's
time origin), so the time includes loading the page shell and opening the websocket; for
clicks it is the click event in the page. `start_ms` is when the first run began.

Errors: a step that does not finish within `--step-timeout` s, any
`[data-testid=stException]`, any `st.error` (`[data-testid=stAlertContentError]`), a
page error (uncaught JS exception), a websocket that is not CONNECTED, a compile error,
or a `select` whose value did not reach the URL.

Chromium and the Playwright driver run at `--browser-nice` (default 19, every thread:
Chromium raises its compositor threads to -8 by itself): on a small machine the load
generator would otherwise take the CPU the server needs (the browsers stand in for
users on their own machines). Times measured in the browser still include the
browsers' own work on the shared cores; the CPU each side used is reported.

Prints sessions, finished reruns, errors, median/p95/max time to a finished rerun (all
steps, after warm-up, in-page only, per kind), the server's own script-run times, server
RSS (start, once every session had a finished rerun, end, peak, after the browsers
closed) and whether memory levelled off: least-squares slopes of RSS over the two halves
of the window from the first finished rerun to the end (MB/min), and the medians of its
four quarters (levelled off: last quarter at most 5 % above the second). Writes
everything to bench/out/load-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_bench import Varier, machine, sources, write_copy  # noqa: E402  (one corpus recipe for both benchmarks)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PYTHON = sys.executable
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 # background tabs must not be throttled: every session is a "background" page
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows"]
PAGES = ["overview", "keywords", "themes", "targets", "compare", "reader"]
FILTER_LABELS = {"district": "区域", "speaker": "讲话人", "theme": "主题"}
NAV_TITLES = {"overview": "总览", "keywords": "关键词", "themes": "主题", "targets": "目标", "compare": "区域对比", "reader": "报告"}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- corpus and store ----------------------------------------------------------------------------


def build(corpus: Path, store: Path, workers: int = 2) -> tuple[str, float]:
    """`python -m analysis build CORPUS --out STORE --workers W`; returns (summary line, seconds)."""
    cmd = [PYTHON, "-m", "analysis", "build", str(corpus), "--out", str(store), "--workers", str(workers), "--no-progress"]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"build failed ({res.returncode}): {' '.join(cmd)}\n{res.stdout}\n{res.stderr}")
    return (res.stdout.strip().splitlines() or [""])[0], time.perf_counter() - t0


def reports_per_source(srcs: list[Path], work: Path, workers: int) -> list[int]:
    """Reports the pipeline finds in each source file (a pilot build of the sources)."""
    import pyarrow.parquet as pq

    pilot = work / "pilot"
    pilot.mkdir(parents=True, exist_ok=True)
    for i, p in enumerate(srcs):
        shutil.copy(p, pilot / f"{i:03d}_{p.name}")
    build(pilot, work / "pilot-store", workers)
    files = pq.read_table(work / "pilot-store" / "reports.parquet", columns=["source_file"]).column("source_file").to_pylist()
    counts = [0] * len(srcs)
    for f in files:
        counts[int(Path(f).name[:3])] += 1
    return counts


def make_corpus(n_reports: int, root: Path, work: Path, workers: int = 2) -> dict:
    """Write files under `root` holding `n_reports` reports in all; returns what was written."""
    srcs = sources()
    if not srcs:
        raise SystemExit("no source files: seeds/ is missing")
    counts = reports_per_source(srcs, work, workers)
    texts = [p.read_text(encoding="utf-8") for p in srcs]
    vary = Varier()
    total = files = nbytes = 0
    i = 0
    while total < n_reports and i < 100 * n_reports:
        k, copy = i % len(srcs), i // len(srcs)
        i += 1
        if counts[k] == 0 or total + counts[k] > n_reports:
            continue
        nbytes += write_copy(root, files, srcs[k].stem, vary(texts[k], copy, files + 1))
        total += counts[k]
        files += 1
    return {"files": files, "bytes": nbytes, "expected_reports": total, "sources": len(srcs)}


def prepare_store(n_reports: int, work: Path, workers: int = 2) -> tuple[Path, dict]:
    corpus, store = work / "corpus", work / "store"
    t0 = time.perf_counter()
    info = make_corpus(n_reports, corpus, work, workers)
    info["corpus_seconds"] = time.perf_counter() - t0
    info["summary"], info["build_seconds"] = build(corpus, store, workers)
    info["command"] = f"python -m analysis build {corpus} --out {store} --workers {workers}"
    return store, info


def store_choices(store: Path) -> dict:
    """Filter values and report ids to click through, from the store's tables."""
    import pyarrow.parquet as pq

    reports = pq.read_table(store / "reports.parquet", columns=["report_id", "district", "speaker"]).to_pandas()
    themes = pq.read_table(store / "themes.parquet", columns=["theme"]).to_pandas()

    def distinct(s) -> list[str]:
        return sorted({str(x) for x in s.dropna() if str(x).strip()})

    return {
        "n_reports": len(reports),
        "district": distinct(reports["district"]),
        "speaker": distinct(reports["speaker"]),
        "theme": distinct(themes["theme"]),
        "report": reports["report_id"].astype(str).tolist(),
    }


# --- server and memory ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store: Path, port: int, log_path: Path, timeout: float = 90) -> subprocess.Popen:
    env = {"MALLOC_ARENA_MAX": "2", **os.environ, "DUIBIAO_STORE": str(store), "DUIBIAO_TIMING": "1"}  # as the README starts it
    logf = open(log_path, "w")
    proc = subprocess.Popen(
        [PYTHON, "-m", "streamlit", "run", "dashboard/streamlit_app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=logf, stderr=subprocess.STDOUT,
    )
    proc._logfile = logf  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError("streamlit did not start:\n" + log_path.read_text(errors="replace"))


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    proc._logfile.close()  # type: ignore[attr-defined]


class RssSampler:
    """Samples RSS and CPU time of the server's process tree (and, for information, of
    the chromium processes this process started) every `interval` seconds."""

    def __init__(self, server_pid: int, interval: float = 1.0, nice: int = 0):
        self.pid, self.interval, self.nice = server_pid, interval, nice
        # (monotonic s, server MB, server CPU s, chromium MB, chromium CPU s, machine busy CPU s, 1-min load)
        self.samples: list[tuple[float, float, float, float, float, float, float]] = []
        self._cpu = {"server": 0.0, "chromium": 0.0}
        self._last: dict[tuple[int, float], float] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _usage(self) -> tuple[float, float, float, float]:
        """(server RSS MB, server CPU s, chromium RSS MB, chromium CPU s); CPU seconds are
        cumulative, summed over per-process increments, so processes that have exited
        since (renderers of closed pages) still count."""
        server_rss = chrom_rss = 0
        try:
            server = [psutil.Process(self.pid)] + psutil.Process(self.pid).children(recursive=True)
        except psutil.Error:
            server = []
        try:
            others = [p for p in psutil.Process().children(recursive=True) if p.pid not in {s.pid for s in server}]
        except psutil.Error:
            others = []
        for group, procs in (("server", server), ("chromium", others)):
            for p in procs:
                try:
                    if group == "chromium" and "chrom" not in p.name().lower():
                        continue
                    rss = p.memory_info().rss
                    t = p.cpu_times()
                except psutil.Error:
                    continue
                cpu = t.user + t.system
                key = (p.pid, p.create_time())
                self._cpu[group] += cpu - self._last.get(key, 0.0)
                self._last[key] = cpu
                if group == "server":
                    server_rss += rss
                else:
                    chrom_rss += rss
        return server_rss / 2**20, self._cpu["server"], chrom_rss / 2**20, self._cpu["chromium"]

    def _renice(self) -> None:
        """Every thread of every process this process started, except the server's, to
        nice `self.nice`: per thread, since Chromium raises its compositor threads to -8."""
        try:
            server = {self.pid} | {c.pid for c in psutil.Process(self.pid).children(recursive=True)}
            kids = [p for p in psutil.Process().children(recursive=True) if p.pid not in server]
        except psutil.Error:
            return
        for p in kids:
            try:
                tids = [t.id for t in p.threads()]
            except psutil.Error:
                continue
            for tid in tids:
                try:
                    if os.getpriority(os.PRIO_PROCESS, tid) < self.nice:
                        os.setpriority(os.PRIO_PROCESS, tid, self.nice)
                except OSError:
                    pass

    def sample(self) -> float:
        with self._lock:
            mb, cpu, c_mb, c_cpu = self._usage()
            m = psutil.cpu_times()
            busy = m.user + m.nice + m.system + m.irq + m.softirq + m.steal  # guest time is inside user
            self.samples.append((time.monotonic(), mb, cpu, c_mb, c_cpu, busy, os.getloadavg()[0]))
        return mb

    def _run(self) -> None:
        next_sample = 0.0
        while not self._stop.is_set():
            if self.nice:
                self._renice()
            if time.monotonic() >= next_sample:
                next_sample = time.monotonic() + self.interval
                self.sample()
            self._stop.wait(0.25 if self.nice else self.interval)

    def start(self) -> "RssSampler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def at(self, t: float) -> tuple | None:
        """The last sample at or before monotonic time `t`."""
        before = [s for s in self.samples if s[0] <= t]
        return before[-1] if before else None


def slope_mb_per_min(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MB) points, in MB per minute."""
    if len(points) < 3:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return None if den == 0 else 60 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den


# --- browser sessions ----------------------------------------------------------------------------

# In each page: (1) a wrapper around WebSocket reads the top-level fields of every
# ForwardMsg the server sends (protobuf: new_session = 4 starts a script run,
# script_finished = 6 ends one, with status 0 FINISHED_SUCCESSFULLY, 1 compile error,
# 2 FINISHED_EARLY_FOR_RERUN, 3 fragment run finished); (2) a MutationObserver records each
# change of stApp's `data-test-script-state` (a very short run can skip `running` in the
# DOM, React batches it, so the messages are the reliable count); (3) the first click or
# Enter after `__lt.arm()`. All times are performance.now() in ms.
OBSERVER_JS = r"""
(() => {
  const lt = window.__lt = {state: null, lastFinish: -1, lastChange: 0, conn: null,
                           runs: 0, lastRunStart: -1, runStarts: [], done: 0, lastDone: -1, compileErrors: 0,
                           armedAt: null, actionAt: null};
  lt.arm = () => { lt.armedAt = performance.now(); lt.actionAt = null; };
  const onAction = (e) => {
    if (lt.armedAt !== null && lt.actionAt === null && (e.type !== 'keydown' || e.key === 'Enter')) lt.actionAt = performance.now();
  };
  window.addEventListener('click', onAction, true);
  window.addEventListener('keydown', onAction, true);

  const topFields = (buf) => {
    const b = new Uint8Array(buf), out = {};
    let i = 0;
    const varint = () => { let x = 0, m = 1, c; do { c = b[i++]; x += (c & 0x7f) * m; m *= 128; } while (c & 0x80 && i < b.length); return x; };
    while (i < b.length) {
      const tag = varint(), f = Math.floor(tag / 8), w = tag % 8;
      if (w === 0) out[f] = varint();
      else if (w === 2) { const n = varint(); out[f] = true; i += n; }
      else if (w === 1) i += 8;
      else if (w === 5) i += 4;
      else break;
    }
    return out;
  };
  const Orig = window.WebSocket;
  window.WebSocket = class extends Orig {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        if (!(e.data instanceof ArrayBuffer)) return;
        const f = topFields(e.data), now = performance.now();
        if (f[4]) { lt.runs++; lt.lastRunStart = now; lt.runStarts.push(now); }
        if (6 in f) {
          if (f[6] === 0 || f[6] === 3) { lt.done++; lt.lastDone = now; }
          else if (f[6] === 1) { lt.compileErrors++; lt.lastDone = now; }
        }
      });
    }
  };

  const check = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) return;
    lt.conn = app.getAttribute('data-test-connection-state');
    const s = app.getAttribute('data-test-script-state');
    if (s === lt.state) return;
    const now = performance.now();
    if (s === 'notRunning' && (lt.state === 'running' || lt.state === 'rerunRequested')) lt.lastFinish = now;
    lt.state = s; lt.lastChange = now;
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true,
    attributeFilter: ['data-test-script-state', 'data-test-connection-state']});
})();
"""

# Finished: a script run started after `since` (ms, performance.now()), the last run has
# finished, the app shows notRunning, and nothing has happened for `quiet` ms (so a
# follow-up rerun would have been seen).
FINISHED_JS = """([since, quiet]) => {
  const lt = window.__lt;
  if (!lt || lt.lastRunStart < since || lt.lastDone < lt.lastRunStart || lt.state !== 'notRunning') return false;
  return performance.now() - Math.max(lt.lastDone, lt.lastChange) >= quiet;
}"""

# When the rerun was finished as the user sees it: the later of the script_finished
# message and the app's switch to notRunning (when that switch was seen).
FINISHED_AT_JS = """(since) => {
  const lt = window.__lt;
  return {at: Math.max(lt.lastDone, lt.lastFinish >= lt.lastRunStart ? lt.lastFinish : -1), compileErrors: lt.compileErrors,
          firstRun: lt.runStarts.find((t) => t >= since), runs: lt.runStarts.filter((t) => t >= since).length};
}"""

ERRORS_JS = """() => {
  const out = [];
  for (const e of document.querySelectorAll('[data-testid="stException"]')) out.push('exception: ' + e.innerText.slice(0, 300));
  for (const e of document.querySelectorAll('[data-testid="stAlertContentError"]')) out.push('st.error: ' + e.innerText.slice(0, 300));
  const conn = window.__lt && window.__lt.conn;
  if (conn && conn !== 'CONNECTED') out.push('connection: ' + conn);
  return out;
}"""


def page_url(base: str, page: str, params: dict[str, str]) -> str:
    path = "" if page == "overview" else page
    q = urllib.parse.urlencode(params)
    return f"{base}/{path}" + (f"?{q}" if q else "")


class Session:
    def __init__(self, no: int, base: str, choices: dict, rng: random.Random, goto_share: float,
                 step_timeout: float, quiet_ms: int = 400, delay: float = 0.0, think: float = 0.0):
        self.no, self.base, self.choices, self.rng = no, base, choices, rng
        self.delay, self.think = delay, think
        self.goto_share, self.step_timeout, self.quiet_ms = goto_share, step_timeout, quiet_ms
        self.steps: list[dict] = []
        self.page_errors: list[str] = []
        self.current_page = "overview"
        self.filters: dict[str, str] = {}
        self.first_done: float | None = None  # monotonic time of the first finished step
        self.pending: dict = {}  # page and params of the step under way (for the error record)
        self.t_start = 0.0  # monotonic time the sessions were started (step["t"] counts from it)

    # -- one step --

    async def _finish(self, page, since: float) -> dict:
        """Wait until the rerun triggered after `since` (ms) is finished. Returns its time
        (`ms`), when the first script run started (`start_ms`: page load and websocket for
        a goto, the round trip for a click) and the number of script runs (`runs`)."""
        await page.wait_for_function(FINISHED_JS, arg=[since, self.quiet_ms], timeout=self.step_timeout * 1000, polling=100)
        lt = await page.evaluate(FINISHED_AT_JS, since)
        if lt["compileErrors"]:
            raise RuntimeError("script compile error")
        return {"ms": lt["at"] - since, "start_ms": lt["firstRun"] - since, "runs": lt["runs"]}

    def _random_filters(self) -> dict[str, str]:
        keys = [k for k in ("district", "speaker", "theme") if self.choices[k]]
        chosen = self.rng.sample(keys, self.rng.choice([0, 1, 1, 1, 2])) if keys else []
        return {k: self.rng.choice(self.choices[k]) for k in chosen}

    async def step_goto(self, page) -> dict:
        target = self.rng.choice(PAGES)
        params = self._random_filters()
        if target == "reader":
            params["report"] = self.rng.choice(self.choices["report"])
        url = page_url(self.base, target, params)
        self.pending = {"page": target, "params": params}
        await page.goto(url, wait_until="commit", timeout=self.step_timeout * 1000)
        done = await self._finish(page, 0.0)  # 0 = navigation start of the new document
        self.current_page, self.filters = target, {k: v for k, v in params.items() if k in FILTER_LABELS}
        return {"kind": "goto", "page": target, "params": params, **done}

    async def step_select(self, page) -> dict:
        key = self.rng.choice([k for k in ("district", "speaker", "theme") if self.choices[k]])
        options = [v for v in self.choices[key] if v != self.filters.get(key)]
        value = self.rng.choice(options)
        self.pending = {"page": self.current_page, "params": {key: value}}
        box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
            has=page.get_by_text(FILTER_LABELS[key], exact=True))
        await box.locator("input").click(timeout=self.step_timeout * 1000)
        await page.keyboard.insert_text(value)
        option = page.locator('[role="option"]').filter(has_text=re.compile("^" + re.escape(value) + "$")).first
        await option.wait_for(timeout=self.step_timeout * 1000)
        await page.evaluate("window.__lt.arm()")
        await option.click(timeout=self.step_timeout * 1000)
        since = await page.evaluate("window.__lt.actionAt ?? window.__lt.armedAt")
        done = await self._finish(page, since)
        self.filters[key] = value
        step = {"kind": "select", "page": self.current_page, "params": {key: value}, **done}
        got = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query).get(key, [None])[0]
        if got != value:
            step["error"] = f"select {key}={value}: URL has {key}={got}"
        return step

    async def step_nav(self, page) -> dict:
        target = self.rng.choice([p for p in PAGES if p != self.current_page and p != "reader"])
        self.pending = {"page": target, "params": dict(self.filters)}
        link = page.locator('[data-testid="stTopNavLink"]').filter(has_text=NAV_TITLES[target]).first
        await page.evaluate("window.__lt.arm()")
        await link.click(timeout=self.step_timeout * 1000)
        since = await page.evaluate("window.__lt.actionAt ?? window.__lt.armedAt")
        done = await self._finish(page, since)
        self.current_page = target
        return {"kind": "nav", "page": target, "params": dict(self.filters), **done}

    async def step_clear(self, page) -> dict:
        self.pending = {"page": self.current_page, "params": {}}
        button = page.locator('[data-testid="stSidebar"] button').filter(has_text="清除筛选").first
        await page.evaluate("window.__lt.arm()")
        await button.click(timeout=self.step_timeout * 1000)
        since = await page.evaluate("window.__lt.actionAt ?? window.__lt.armedAt")
        done = await self._finish(page, since)
        self.filters = {}
        return {"kind": "clear", "page": self.current_page, "params": {}, **done}

    async def run(self, context, t_start: float, deadline: float) -> None:
        self.t_start = t_start
        await asyncio.sleep(self.delay)  # ramp-up
        await context.add_init_script(OBSERVER_JS)
        page = await context.new_page()
        page.on("pageerror", lambda e: self.page_errors.append(str(e)[:300]))
        page.set_default_timeout(self.step_timeout * 1000)
        loaded = False
        while time.monotonic() < deadline:
            kind = "goto"
            if loaded and self.rng.random() >= self.goto_share:
                kind = self.rng.choices(["select", "nav", "clear"], weights=[6, 2, 1 if self.filters else 0])[0]
            t0 = time.monotonic()
            n_errors = len(self.page_errors)
            self.pending = {"page": self.current_page, "params": {}}
            try:
                step = await getattr(self, f"step_{kind}")(page)
                problems = await page.evaluate(ERRORS_JS)
                if problems:
                    step["error"] = "; ".join(problems)
                loaded = True
            except Exception as err:  # a timeout or a vanished element: an error, then start afresh
                step = {"kind": kind, **self.pending, "ms": None, "timeout": type(err).__name__ == "TimeoutError",
                        "error": f"{type(err).__name__}: {str(err).splitlines()[0][:300]}", "url": page.url}
                try:
                    step["state"] = await page.evaluate("JSON.stringify(window.__lt)")
                except Exception:
                    pass
                loaded = False
            if len(self.page_errors) > n_errors:
                step["error"] = (step.get("error", "") + "; page error: " + self.page_errors[-1]).lstrip("; ")
            step.update(session=self.no, t=round(t0 - t_start, 3), wall_ms=round((time.monotonic() - t0) * 1000, 1))
            self.steps.append(step)
            if self.first_done is None and "error" not in step:
                self.first_done = time.monotonic()
            if self.think and time.monotonic() < deadline:
                await asyncio.sleep(min(self.rng.uniform(0, 2 * self.think), max(0.0, deadline - time.monotonic())))
        await context.close()


async def run_sessions(base: str, n: int, seconds: float, choices: dict, *, browsers: int = 1, goto_share: float = 0.3,
                       step_timeout: float = 60, seed: int = 1, ramp: float = 0.0, think: float = 0.0,
                       on_connected=None) -> list[Session]:
    from playwright.async_api import async_playwright

    sessions = [Session(i, base, choices, random.Random(seed * 1000 + i), goto_share, step_timeout,
                        delay=ramp * i / n, think=think) for i in range(n)]
    async with async_playwright() as pw:
        procs = [await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS) for _ in range(max(1, browsers))]
        t_start = time.monotonic()
        deadline = t_start + seconds
        contexts = [await procs[i % len(procs)].new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
                    for i in range(n)]
        tasks = [asyncio.create_task(s.run(c, t_start, deadline)) for s, c in zip(sessions, contexts)]

        async def watch_connected():
            while not all(s.first_done for s in sessions) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            if on_connected:
                on_connected(max((s.first_done or time.monotonic()) for s in sessions))

        watcher = asyncio.create_task(watch_connected())
        await asyncio.gather(*tasks)
        await watcher
        for b in procs:
            await b.close()
    return sessions


# --- the run -------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def timing(steps: list[dict]) -> dict:
    """n, median / p95 / max of the time to a finished rerun and of the time to the first script run start."""
    ms, start = [s["ms"] for s in steps], [s["start_ms"] for s in steps]
    return {"n": len(ms), "median_ms": statistics.median(ms) if ms else None, "p95_ms": percentile(ms, 0.95),
            "max_ms": max(ms) if ms else None, "start_median_ms": statistics.median(start) if start else None,
            "start_p95_ms": percentile(start, 0.95)}


def server_run_times(log_path: Path) -> list[float]:
    """Durations (ms) of the script runs the server logged (DUIBIAO_TIMING=1)."""
    out = []
    for line in log_path.read_text(errors="replace").splitlines():
        m = re.search(r"run \S+ .*: (\d+) ms$", line)
        if m:
            out.append(float(m.group(1)))
    return out


def load_test(store: Path, *, sessions: int = 20, seconds: float = 120, port: int | None = None, browsers: int = 1,
              goto_share: float = 0.3, step_timeout: float = 60, seed: int = 1, work: Path | None = None,
              settle: float = 5.0, browser_nice: int = 19, ramp: float = 10.0, think: float = 0.0) -> dict:
    """Start the app on `store`, run the sessions, stop the app; returns the figures."""
    work = work or Path(tempfile.mkdtemp(prefix="duibiao-load-"))
    choices = store_choices(store)
    port = port or free_port()
    log_path = work / "streamlit.log"
    server = start_server(store, port, log_path)
    marks: dict[str, float] = {}
    try:
        sampler = RssSampler(server.pid, nice=browser_nice).start()
        time.sleep(1.5)
        marks["start"] = time.monotonic()
        rss_start = sampler.sample()
        log(f"server up on 127.0.0.1:{port}, RSS {rss_start:.0f} MB; {sessions} sessions x {seconds:.0f} s")
        result = asyncio.run(run_sessions(
            f"http://127.0.0.1:{port}", sessions, seconds, choices, browsers=browsers, goto_share=goto_share,
            step_timeout=step_timeout, seed=seed, ramp=ramp, think=think,
            on_connected=lambda t: marks.__setitem__("connected", t)))
        marks["end"] = time.monotonic()
        rss_end = sampler.sample()
        time.sleep(settle)  # sessions closed: does anything come back?
        rss_after_close = sampler.sample()
        sampler.stop()
    finally:
        stop_server(server)

    t0 = result[0].t_start
    steps = [s for sess in result for s in sess.steps]
    ok = [s for s in steps if "error" not in s]
    errors = [s for s in steps if "error" in s]
    times = [s["ms"] for s in ok]
    connected = marks.get("connected", marks["end"])
    steady = [s for s in ok if s["t"] >= connected - t0]  # steps begun once every session was in
    samples = sampler.samples
    # Memory trend from the first finished rerun (the corpus is loaded then) to the end, in two halves.
    loaded = min((t0 + s["t"] + s["wall_ms"] / 1000 for s in ok), default=marks["end"])
    window = [(ts - loaded, mb) for ts, mb, *_ in samples if loaded <= ts <= marks["end"]]
    half = (marks["end"] - loaded) / 2
    first = slope_mb_per_min([p for p in window if p[0] <= half])
    second = slope_mb_per_min([p for p in window if p[0] >= half])
    srv = server_run_times(log_path)
    at_connected, at_end, at_start = sampler.at(connected), sampler.at(marks["end"]), sampler.at(marks["start"])
    # RSS swings by a hundred MB or more within seconds (frames built and freed by each run), so
    # beside the slopes compare medians: levelled off = the median of the last quarter of the
    # window is at most 5 % above the median of the second quarter.
    span = marks["end"] - loaded
    quarters = [statistics.median([mb for x, mb in window if span * q / 4 <= x <= span * (q + 1) / 4] or [float("nan")])
                for q in range(4)]
    levelled = None
    if span > 0 and all(q == q for q in quarters):
        levelled = quarters[3] <= 1.05 * quarters[1]
    wall = marks["end"] - marks["start"]
    figures = {
        "machine": machine(),
        "store": str(store), "n_reports": choices["n_reports"],
        "filter_values": {k: len(choices[k]) for k in ("district", "speaker", "theme")},
        "sessions": sessions, "seconds": seconds, "browsers": browsers, "goto_share": goto_share, "port": port,
        "ramp_s": ramp, "think_s": think,
        "steps": len(steps), "reruns": len(ok), "errors": len(errors),
        "timeouts": sum(1 for s in errors if s.get("timeout")),  # of the errors: no finished rerun within --step-timeout
        "per_session_reruns": [sum(1 for s in sess.steps if "error" not in s) for sess in result],
        "median_ms": statistics.median(times) if times else None,
        "p95_ms": percentile(times, 0.95), "max_ms": max(times) if times else None,
        "steady": timing(steady),
        "in_page": timing([s for s in ok if s["kind"] != "goto"]),
        "by_kind": {kind: timing([s for s in ok if s["kind"] == kind]) for kind in ("goto", "select", "nav", "clear")},
        "server_run_ms": {"n": len(srv), "median": statistics.median(srv) if srv else None,
                          "p95": percentile(srv, 0.95), "max": max(srv) if srv else None},
        "connected_after_s": connected - t0, "first_rerun_after_s": loaded - t0, "browser_nice": browser_nice,
        "rss_mb": {"start": rss_start, "connected": at_connected[1] if at_connected else None, "end": rss_end,
                   "after_close": rss_after_close, "peak": max(x[1] for x in samples),
                   "chromium_peak": max(x[3] for x in samples)},
        # mean CPU cores busy from the start of the sessions to their end (2 = both cores of a 2-core machine);
        # "machine" counts every process, this run's and anyone else's
        "cpu_cores_busy": {"server": (at_end[2] - at_start[2]) / wall, "chromium": (at_end[4] - at_start[4]) / wall,
                           "machine": (at_end[5] - at_start[5]) / wall},
        "load_avg_1min": {"start": at_start[6], "mean": statistics.fmean(x[6] for x in samples if marks["start"] <= x[0] <= marks["end"]),
                          "end": at_end[6]},
        "rss_slope_mb_min": {"first_half": first, "second_half": second, "from_s": loaded - t0, "to_s": marks["end"] - t0},
        "rss_quarter_medians_mb": quarters,
        "memory_levelled_off": levelled,
        "rss_samples": [(round(x[0] - marks["start"], 1), round(x[1], 1), round(x[3], 1)) for x in samples],
        "error_samples": [{k: s.get(k) for k in ("session", "t", "kind", "page", "params", "error", "url", "state")}
                          for s in errors[:50]],
        "step_log": steps,
        "server_log": str(log_path),
    }
    return figures


def fmt(v, spec=".0f", unit="") -> str:
    return "—" if v is None else f"{v:{spec}}{unit}"


def report(fig: dict) -> str:
    r, sl = fig["rss_mb"], fig["rss_slope_mb_min"]
    lines = [
        f"reports in store        {fig['n_reports']}",
        f"sessions                {fig['sessions']} x {fig['seconds']:.0f} s ({fig['browsers']} chromium, started over "
        f"{fig['ramp_s']:.0f} s, think time {fig['think_s']:.1f} s, {fig['goto_share']:.0%} of steps page loads)",
        f"finished reruns         {fig['reruns']} of {fig['steps']} steps (per session: min {min(fig['per_session_reruns'] or [0])}, "
        f"max {max(fig['per_session_reruns'] or [0])})",
        f"errors                  {fig['errors']} ({fig['timeouts']} of them timeouts: no finished rerun within the step timeout)",
        f"time to finished rerun  median {fmt(fig['median_ms'])} ms, p95 {fmt(fig['p95_ms'])} ms, max {fmt(fig['max_ms'])} ms",
    ]
    rows = [("after warm-up", fig["steady"]), ("in-page", fig["in_page"])] + list(fig["by_kind"].items())
    for name, k in rows:
        if k["n"]:
            lines.append(f"  {name:<14}        n={k['n']}, median {k['median_ms']:.0f} ms, p95 {k['p95_ms']:.0f} ms, "
                         f"max {k['max_ms']:.0f} ms (script run began after: median {k['start_median_ms']:.0f} ms, "
                         f"p95 {k['start_p95_ms']:.0f} ms)")
    s = fig["server_run_ms"]
    lines += [
        f"server script runs      n={s['n']}, median {fmt(s['median'])} ms, p95 {fmt(s['p95'])} ms, max {fmt(s['max'])} ms",
        f"first finished rerun    after {fig['first_rerun_after_s']:.1f} s; every session had one after {fig['connected_after_s']:.1f} s",
        f"server RSS              start {fmt(r['start'])} MB, all connected {fmt(r['connected'])} MB, end {fmt(r['end'])} MB, "
        f"peak {fmt(r['peak'])} MB, {fmt(r['after_close'])} MB after the browsers closed",
        f"RSS slope               {sl['from_s']:.0f}-{sl['to_s']:.0f} s (first rerun to end): first half {fmt(sl['first_half'], '+.1f')} MB/min, "
        f"second half {fmt(sl['second_half'], '+.1f')} MB/min",
        f"RSS quarter medians     {' / '.join(fmt(q) for q in fig['rss_quarter_medians_mb'])} MB"
        f" -> levelled off (last quarter <= second quarter + 5 %): {fig['memory_levelled_off']}",
        f"chromium RSS peak       {fmt(r['chromium_peak'])} MB",
        f"CPU cores busy (mean)   server {fig['cpu_cores_busy']['server']:.2f}, chromium {fig['cpu_cores_busy']['chromium']:.2f}, "
        f"whole machine {fig['cpu_cores_busy']['machine']:.2f} of {fig['machine']['nproc']}; "
        f"1-min load average {fig['load_avg_1min']['start']:.1f} at the start, {fig['load_avg_1min']['mean']:.1f} mean",
    ]
    for e in fig["error_samples"][:10]:
        lines.append(f"  error: session {e['session']} t={e['t']:.0f}s {e['kind']} {e['page']} {e['params']}: {e['error']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--seconds", type=float, default=120)
    p.add_argument("--reports", type=int, default=1000, help="reports in the store built when --store is not given")
    p.add_argument("--store", type=Path, default=None, help="use this store instead of building one")
    p.add_argument("--port", type=int, default=None, help="port for the app (default: a free one)")
    p.add_argument("--browsers", type=int, default=1, help="chromium processes to spread the sessions over (default 1)")
    p.add_argument("--goto-share", type=float, default=0.3, help="share of steps that are page loads (default 0.3)")
    p.add_argument("--step-timeout", type=float, default=60, help="seconds before a step counts as an error (default 60)")
    p.add_argument("--workers", type=int, default=2, help="build workers (default 2)")
    p.add_argument("--browser-nice", type=int, default=19,
                   help="nice value for chromium and the Playwright driver, so the load generator does not starve the "
                        "server on a small machine (default 19; 0 = leave them alone)")
    p.add_argument("--ramp", type=float, default=10, help="start the sessions evenly over this many seconds (default 10)")
    p.add_argument("--think", type=float, default=0,
                   help="mean pause in seconds between a session's steps, uniform in [0, 2*THINK] (default 0: click on at once)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep", type=Path, default=None, help="write corpus, store and server log to DIR (kept)")
    args = p.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    work = args.keep or Path(tempfile.mkdtemp(prefix="duibiao-load-"))
    work.mkdir(parents=True, exist_ok=True)
    build_info = None
    store = args.store
    if store is None:
        log(f"building a store of {args.reports} reports in {work}")
        store, build_info = prepare_store(args.reports, work, args.workers)
        log(f"{build_info['summary']} ({build_info['build_seconds']:.1f} s)")
    fig = load_test(store.resolve(), sessions=args.sessions, seconds=args.seconds, port=args.port, browsers=args.browsers,
                    goto_share=args.goto_share, step_timeout=args.step_timeout, seed=args.seed, work=work,
                    browser_nice=args.browser_nice, ramp=args.ramp, think=args.think)
    fig["build"] = build_info
    fig["command"] = "python bench/load_test.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(report(fig))
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"load-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(fig, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    print(f"figures -> {out.relative_to(ROOT)}")
    if args.keep is None and args.store is None:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if fig["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
