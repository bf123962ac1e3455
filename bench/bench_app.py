"""How fast the Streamlit app answers on a large store, with Streamlit's AppTest.

    python bench/bench_app.py --store STORE [--reruns 20]
    python bench/bench_app.py --quick            # a store built from seeds/, a smoke run

Measures, in this process (AppTest runs the script in a thread, like a server session):

- first render: a new session opening the overview on a cold process (the store is read
  and the app's caches filled), then a second new session on the warm caches;
- reruns after a filter change: the sidebar district and theme boxes set to `--reruns`
  different values one after another (median and p95);
- the district comparison page: opened, then districts A/B changed `--reruns` times;
- the keywords, themes, targets and reader pages: opened, then the district changed;
- memory: RSS of this process before the first render, after it (the shared caches:
  the corpus loaded once per server process), and the growth per additional session:
  five sessions (one per page, each changing a filter) are opened, then twenty more
  like them; the growth over the twenty, divided by twenty, is what a session holds
  (the first five also fill the shared caches for what they show). Growth is read
  with tracemalloc (Python and numpy allocations: what sessions hold) and as RSS, which
  here moves by tens of MB with the allocator and the background loading. Once every
  page has been opened, RSS split into anonymous memory (what the process decoded and
  computed) and file-backed pages (the store's mapped copies, dashboard.mapped, and the
  libraries). The first run on a new build writes the mapped copies; later runs map them.

Runs with MALLOC_ARENA_MAX=2, as the README starts the server (`--malloc-default` for
glibc's default: then memory per session grows with the threads' malloc arenas, see
bench/README.md). Set DUIBIAO_TIMING=1 to have the app log each run's own duration as well. Figures are
printed and written to bench/out/app-<time>.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "dashboard" / "streamlit_app.py")
OUT = ROOT / "bench" / "out"
TIMEOUT = 900


def rss_mb() -> float:
    """Resident memory after a garbage collection and glibc's malloc_trim: what the
    process holds, not the free pages its allocator keeps for later."""
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
    return psutil.Process().memory_info().rss / 2**20


def memory_split() -> dict:
    """RSS in the process's own memory (anonymous: what it decoded and computed) and in
    mapped files (dashboard.mapped's copies, libraries: pages the system can drop and
    read again, shared with any other server)."""
    rss_mb()  # collect and trim first
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return {k: int(status[f"Rss{k.title()}"].split()[0]) / 1024 for k in ("anon", "file") if f"Rss{k.title()}" in status}


def timed_run(at) -> float:
    t0 = time.perf_counter()
    at.run()
    dt = time.perf_counter() - t0
    if at.exception:
        raise SystemExit(f"the app raised: {[e.value for e in at.exception]}")
    return dt


def summary(times: list[float]) -> dict:
    s = sorted(times)
    p95 = s[min(len(s) - 1, max(0, round(0.95 * len(s)) - 1))]
    return {"n": len(s), "median_s": statistics.median(s), "p95_s": p95, "max_s": s[-1], "all_s": times}


def new_session(page: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if page:
        at.switch_page(f"pages_/{page}.py")
    return at


def choices(box, n: int) -> list:
    options = [o for o in box.options if o]
    return (options * (n // max(1, len(options)) + 1))[:n] if options else []


def bench(store: Path, reruns: int) -> dict:
    os.environ["DUIBIAO_STORE"] = str(store)
    out: dict = {"store": str(store)}
    out["rss_before_mb"] = rss_mb()

    at = new_session()
    out["first_render_cold_s"] = timed_run(at)
    out["rss_after_first_mb"] = rss_mb()
    out["first_render_warm_s"] = timed_run(new_session())
    print(f"first render: {out['first_render_cold_s']:.2f} s cold, {out['first_render_warm_s']:.2f} s warm; "
          f"RSS {out['rss_before_mb']:.0f} -> {out['rss_after_first_mb']:.0f} MB", flush=True)

    times = []
    for key in ("district", "theme"):
        box = at.sidebar.selectbox(key=key)
        for value in choices(box, reruns // 2):
            at.sidebar.selectbox(key=key).set_value(value)
            times.append(timed_run(at))
        at.sidebar.selectbox(key=key).set_value(None)
        timed_run(at)
    out["filter_rerun"] = summary(times)
    print(f"filter change rerun: median {out['filter_rerun']['median_s']:.3f} s, p95 {out['filter_rerun']['p95_s']:.3f} s "
          f"({len(times)} reruns)", flush=True)

    cmp = new_session("compare")
    out["compare_open_s"] = timed_run(cmp)
    times = []
    box = cmp.selectbox(key="a")
    values = choices(box, reruns + 1)
    for a, b in zip(values, values[1:]):
        if a == b:
            continue
        cmp.selectbox(key="a").set_value(a)
        cmp.selectbox(key="b").set_value(b)
        times.append(timed_run(cmp))
    out["compare_rerun"] = summary(times)
    print(f"district comparison: open {out['compare_open_s']:.2f} s, rerun median {out['compare_rerun']['median_s']:.3f} s, "
          f"p95 {out['compare_rerun']['p95_s']:.3f} s ({len(times)} reruns)", flush=True)

    # the other pages: open each, then change the sidebar district (their own first clicks
    # include reading text through DuckDB, e.g. keyword in context)
    out["page_filter_rerun"] = {}
    for page in ("keywords", "themes", "targets", "reader"):
        s = new_session(page)
        opened = timed_run(s)
        times = []
        for value in choices(s.sidebar.selectbox(key="district"), max(4, reruns // 2)):
            s.sidebar.selectbox(key="district").set_value(value)
            times.append(timed_run(s))
        r = out["page_filter_rerun"][page] = {"open_s": opened, **summary(times)}
        print(f"{page}: open {opened:.2f} s, filter change rerun median {r['median_s']:.3f} s, "
              f"p95 {r['p95_s']:.3f} s ({len(times)} reruns)", flush=True)

    out["memory_after_pages_mb"] = memory_split()
    print(f"memory once every page has been opened: {out['memory_after_pages_mb']} MB (RSS anonymous / file-backed)",
          flush=True)

    # Memory per session: five sessions (one per page, each changing the district) open
    # first, which also fills the shared caches for what they show; then twenty more:
    # what those add, divided by twenty, is what a session holds.
    def open_five() -> list:
        opened = []
        for page in ("overview", "keywords", "targets", "compare", "themes"):
            s = new_session(None if page == "overview" else page)
            timed_run(s)
            box = s.sidebar.selectbox(key="district")
            value = next(iter(choices(box, 1)), None)
            if value is not None:
                box.set_value(value)
                timed_run(s)
            opened.append(s)  # kept alive, as open browser tabs are
        return opened

    import tracemalloc

    sessions = open_five()
    base = rss_mb()
    tracemalloc.start()  # Python and numpy allocations; RSS alone moves by tens of MB
    traced0 = tracemalloc.get_traced_memory()[0]
    for _ in range(4):
        sessions += open_five()
    gc.collect()
    traced = (tracemalloc.get_traced_memory()[0] - traced0) / 2**20
    tracemalloc.stop()
    out["rss_before_sessions_mb"] = base
    out["rss_after_sessions_mb"] = rss_mb()
    out["per_session_rss_mb"] = (out["rss_after_sessions_mb"] - base) / 20
    out["per_session_mb"] = traced / 20
    print(f"memory per extra session: {out['per_session_mb']:.1f} MB held in Python/numpy objects "
          f"(tracemalloc over 20 more sessions); RSS {base:.0f} -> {out['rss_after_sessions_mb']:.0f} MB "
          f"= {out['per_session_rss_mb']:.1f} MB per session", flush=True)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--store", type=Path, default=None, help="the store to open (e.g. a bench/run_bench.py --keep store)")
    p.add_argument("--reruns", type=int, default=20)
    p.add_argument("--quick", action="store_true", help="build a store from seeds/ and run a few reruns")
    p.add_argument("--malloc-default", action="store_true",
                   help="keep glibc's default malloc arenas (by default the run uses MALLOC_ARENA_MAX=2, as the README's "
                        "command starts the server)")
    args = p.parse_args(argv)
    if not args.malloc_default and "MALLOC_ARENA_MAX" not in os.environ:
        # glibc reads it at start-up only: run this script again with it set
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "MALLOC_ARENA_MAX": "2"})
    sys.path.insert(0, str(ROOT))
    if args.quick or args.store is None:
        from analysis.build import build

        store = Path(tempfile.mkdtemp(prefix="duibiao-app-")) / "store"
        build([ROOT / "seeds"], store, workers=1, progress=False)
        reruns = min(args.reruns, 6) if args.quick else args.reruns
    else:
        store, reruns = args.store, args.reruns
    from analysis.store import open_snapshot

    from dashboard.mapped import mapped_folder

    snap = open_snapshot(store)
    copies = mapped_folder(snap.path, "terms").is_dir()  # made by this code version
    print(f"store {store}: {snap.manifest.get('n_reports')} reports, {snap.manifest.get('n_files')} files; "
          f"mapped copies {'present' if copies else 'not written yet (this run writes them)'}", flush=True)
    result = bench(store, reruns)
    result["mapped_copies_at_start"] = copies
    result["n_reports"] = snap.manifest.get("n_reports")
    result["date"] = time.strftime("%Y-%m-%d")
    result["load_average"] = os.getloadavg()
    result["malloc_arena_max"] = os.environ.get("MALLOC_ARENA_MAX", "default")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"app-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"figures written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
