"""Build throughput, memory and incremental rebuild on corpora of 1,000 and 10,000 reports.

    python bench/run_bench.py [--sizes 1000,10000] [--keep DIR] [--quick] [--workers 2]

For each size N it

1. writes N report files by replicating the gov-work-reports corpus and seeds/ (see
   `make_corpus`): copy k of a source has the districts, provinces and seed speakers
   renamed (rotated through the gazetteer and a list of names) and a numbered filing line
   appended, so every file has its own content hash and nothing is deduplicated;
2. times the tokenizers alone on the same text, in this process, dictionaries loaded
   beforehand: `rjieba.cut` on every file, plain `jieba.lcut` on an evenly spaced sample
   of the files (`--jieba-mb`, default 20 MB: jieba at ~1 MB/s would take ten minutes on
   the 10,000-report corpus); and again right after the full build (step 3): the
   machine's speed drifts, and the ratios use both timings together;
3. runs the full build, `python -m analysis build CORPUS --out STORE --workers W`, as a
   subprocess, polling the memory of its process tree every 0.1 s with psutil: peak of
   the summed RSS of the build and all its worker processes (an upper bound: pages the
   forked workers share with the driver are counted in each), and peak of the summed PSS
   (shared pages divided among the processes sharing them) polled every 0.5 s;
4. appends a line to one file and runs the same build again: the incremental rebuild
   (three times, a different file each time; the median is reported), after flushing
   the full build's writes to disk (`os.sync()`, not timed);

Throughput is input megabytes (10^6 bytes of the files, all UTF-8 text) per second of
wall time. It prints a table and writes the figures to bench/out/bench-<time>.json.

The machine may be shared: the load average before and after each build is recorded,
and so is the CPU time of the whole build (the build and its workers, from
getrusage(RUSAGE_CHILDREN)). "CPU-bound MB/s" = MB / (CPU seconds / workers) is what the
build would reach with its cores to itself and kept busy; the tokenizers are timed in
CPU seconds too, so the CPU ratios compare like with like when other jobs compete.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the repo, as on CI and the developers' machines (optional: seeds/ alone works)
GOV = ROOT.parent / "shared" / "corpora" / "gov-work-reports" / "docs"
SEEDS = ROOT / "seeds"
OUT = ROOT / "bench" / "out"
PYTHON = sys.executable

# Speakers and people named in seeds/: renamed in the copies.
SEED_PEOPLE = ["李兵", "蒙婷", "焦军波", "王兵", "李越峰", "罗会涛", "徐言朋", "毕志伟", "刘宗国"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ["建国", "志强", "海涛", "晓燕", "丽娟", "文军", "国华", "伟东", "春梅", "永刚", "红霞", "学军",
         "玉兰", "振华", "明亮", "秀英", "德胜", "立新", "桂芳", "宏伟", "淑珍", "长江", "晓东", "金凤"]
EDIT = "\n补充说明：全区将新增标准化厂房12万平方米，力争年内完成。\n"


# --- corpus ----------------------------------------------------------------------------------


def _gazetteer_names() -> tuple[list[str], list[str]]:
    """(district names, province names) from the gazetteer, canonical spellings."""
    lines = (ROOT / "analysis" / "dictionaries" / "districts.csv").read_text(encoding="utf-8").splitlines()
    rows = list(csv.DictReader(line for line in lines if not line.startswith("#")))
    districts = [r["name"] for r in rows if r["level"] in ("高新区", "区", "县级市", "开发区") and "（" not in r["name"]]
    provinces = [r["name"] for r in rows if r["level"] == "省级"]
    return districts, provinces


def sources() -> list[Path]:
    gov = sorted(GOV.glob("*.txt")) if GOV.is_dir() else []
    return gov + sorted(SEEDS.glob("*.txt"))


class Varier:
    """Make copy k of a source text differ from every other copy: the gazetteer's districts
    and provinces rotated by k places, the seed speakers renamed, and a numbered filing line,
    so no two files share a content hash (shared with bench/load_test.py)."""

    def __init__(self) -> None:
        districts, provinces = _gazetteer_names()
        self.names = {"d": districts, "p": provinces, "n": [s + g for g in GIVEN for s in SURNAMES]}
        self.swap = re.compile("|".join(map(re.escape, sorted(districts + provinces + SEED_PEOPLE, key=len, reverse=True))))
        self.index = {name: ("d", i) for i, name in enumerate(districts)}
        self.index |= {name: ("p", i) for i, name in enumerate(provinces)}
        self.index |= {name: ("n", i) for i, name in enumerate(SEED_PEOPLE)}

    def __call__(self, text: str, copy: int, serial: int) -> str:
        def rename(m: re.Match) -> str:
            kind, j = self.index[m.group()]
            step = copy * len(SEED_PEOPLE) if kind == "n" else copy
            return m.group() if copy == 0 else self.names[kind][(j + step) % len(self.names[kind])]

        return self.swap.sub(rename, text).rstrip("\n") + f"\n（本文件汇编序号：{serial:05d}，第{copy + 1}册）\n"


def write_copy(root: Path, serial: int, stem: str, text: str) -> int:
    """Write one corpus file (1,000 per folder); returns its size in bytes."""
    path = root / f"{serial // 1000:02d}" / f"{serial:05d}_{stem}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)


def make_corpus(n: int, root: Path) -> dict:
    """Write `n` files under `root` (1,000 per folder); returns what was written."""
    srcs = sources()
    texts = [p.read_text(encoding="utf-8") for p in srcs]
    vary = Varier()
    total = 0
    for i in range(n):
        k, copy = i % len(srcs), i // len(srcs)
        total += write_copy(root, i, srcs[k].stem, vary(texts[k], copy, i + 1))
    return {"files": n, "bytes": total, "sources": len(srcs)}


def corpus_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.txt"))


# --- tokenizers alone ----------------------------------------------------------------------------


def time_tokenizers(files: list[Path], jieba_mb: float) -> dict:
    import jieba
    import rjieba

    texts = [p.read_text(encoding="utf-8") for p in files]
    size = sum(len(t.encode("utf-8")) for t in texts)
    rjieba.cut("预热")  # load the dictionary before timing
    t0, c0 = time.perf_counter(), time.process_time()
    for t in texts:
        rjieba.cut(t)
    rj, rj_cpu = time.perf_counter() - t0, time.process_time() - c0

    step = max(1, round(size / (jieba_mb * 1e6)))
    sample = texts[::step]
    sample_size = sum(len(t.encode("utf-8")) for t in sample)
    jieba.setLogLevel(60)
    jieba.initialize()
    t0, c0 = time.perf_counter(), time.process_time()
    for t in sample:
        jieba.lcut(t)
    jb, jb_cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "rjieba_cut_mb": size / 1e6, "rjieba_cut_s": rj, "rjieba_cut_mb_s": size / 1e6 / rj,
        "rjieba_cut_mb_cpu_s": size / 1e6 / rj_cpu,
        "jieba_lcut_mb": sample_size / 1e6, "jieba_lcut_s": jb, "jieba_lcut_mb_s": sample_size / 1e6 / jb,
        "jieba_lcut_mb_cpu_s": sample_size / 1e6 / jb_cpu,
        "jieba_sample": f"every {step}th file ({len(sample)} files)",
    }


def combined_timings(before: dict, after: dict) -> dict:
    """The tokenizers' throughput over both timings (all megabytes over all seconds)."""
    out = {"before": before, "after": after, "jieba_sample": before["jieba_sample"]}
    for name in ("rjieba_cut", "jieba_lcut"):
        mb = before[f"{name}_mb"] + after[f"{name}_mb"]
        seconds = before[f"{name}_s"] + after[f"{name}_s"]
        cpu = before[f"{name}_mb"] / before[f"{name}_mb_cpu_s"] + after[f"{name}_mb"] / after[f"{name}_mb_cpu_s"]
        out.update({f"{name}_mb": mb, f"{name}_s": seconds, f"{name}_mb_s": mb / seconds, f"{name}_mb_cpu_s": mb / cpu})
    return out


# --- builds ------------------------------------------------------------------------------------


def run_build(corpus: Path, store: Path, workers: int, extra: list[str] | None = None) -> dict:
    """Run the build as a subprocess, polling the memory of its process tree."""
    cmd = [PYTHON, "-m", "analysis", "build", str(corpus), "--out", str(store), "--workers", str(workers), "--no-progress"]
    cmd += extra or []
    load_before = os.getloadavg()[0]
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = {"rss": 0, "pss": 0, "processes": 0}
    stop = threading.Event()

    def poll():
        root = psutil.Process(proc.pid)
        last_pss = 0.0
        while not stop.is_set():
            try:
                procs = [root] + root.children(recursive=True)
                rss = 0
                for p in procs:
                    try:
                        rss += p.memory_info().rss
                    except psutil.Error:
                        pass
                peak["rss"] = max(peak["rss"], rss)
                peak["processes"] = max(peak["processes"], len(procs))
                if time.perf_counter() - last_pss > 0.5:
                    last_pss = time.perf_counter()
                    pss = 0
                    for p in procs:
                        try:
                            pss += p.memory_full_info().pss
                        except psutil.Error:
                            pass
                    peak["pss"] = max(peak["pss"], pss)
            except psutil.Error:
                pass
            stop.wait(0.1)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    stop.set()
    poller.join()
    if proc.returncode != 0:
        raise SystemExit(f"build failed ({proc.returncode}): {' '.join(cmd)}\n{out}\n{err}")
    return {
        "command": " ".join(["python"] + cmd[1:]), "seconds": seconds, "cpu_seconds": cpu,
        "summary": out.strip().splitlines()[0],
        "peak_rss_mb": peak["rss"] / 2**20, "peak_pss_mb": peak["pss"] / 2**20, "max_processes": peak["processes"],
        "load_before": load_before, "load_after": os.getloadavg()[0],
    }


def store_size(store: Path) -> int:
    return sum(p.stat().st_size for p in store.resolve().rglob("*") if p.is_file())


def bench_size(n: int, work: Path, workers: int, jieba_mb: float) -> dict:
    corpus, store = work / f"corpus-{n}", work / f"store-{n}"
    files = corpus_files(corpus)
    if not files:
        t0 = time.perf_counter()
        info = make_corpus(n, corpus)
        info["seconds"] = time.perf_counter() - t0
        files = corpus_files(corpus)
    else:
        info = {"files": len(files), "bytes": sum(p.stat().st_size for p in files), "reused": True}
    mb = info["bytes"] / 1e6
    print(f"\n== {n} files, {mb:.1f} MB in {corpus}", flush=True)
    tok_before = time_tokenizers(files, jieba_mb)
    print(f"rjieba.cut {tok_before['rjieba_cut_mb_s']:.1f} MB/s, jieba.lcut {tok_before['jieba_lcut_mb_s']:.2f} MB/s "
          f"({tok_before['jieba_sample']})", flush=True)

    for old in (store, store.with_name(store.name + ".builds")):
        shutil.rmtree(old, ignore_errors=True)
    full = run_build(corpus, store, workers)
    full["mb_s"] = mb / full["seconds"]
    full["cpu_s_per_mb"] = full["cpu_seconds"] / mb
    full["cpu_bound_mb_s"] = mb / (full["cpu_seconds"] / workers)
    print(f"full build {full['seconds']:.1f} s = {full['mb_s']:.2f} MB/s ({full['cpu_seconds']:.0f} CPU s, CPU-bound "
          f"{full['cpu_bound_mb_s']:.2f} MB/s), peak RSS {full['peak_rss_mb']:.0f} MB (PSS {full['peak_pss_mb']:.0f} MB), "
          f"load {full['load_before']:.1f} -> {full['load_after']:.1f} - {full['summary']}", flush=True)

    # The machine's speed drifts (other virtual machines on the host): the tokenizers are
    # timed again right after the full build, and the ratios use both timings together.
    tok_after = time_tokenizers(files, jieba_mb)
    tok = combined_timings(tok_before, tok_after)
    print(f"after the build: rjieba.cut {tok_after['rjieba_cut_mb_s']:.1f} MB/s, jieba.lcut "
          f"{tok_after['jieba_lcut_mb_s']:.2f} MB/s; both timings: {tok['rjieba_cut_mb_s']:.1f} and "
          f"{tok['jieba_lcut_mb_s']:.2f} MB/s", flush=True)

    # three times, one file each (the middle one, then two others). The kernel is still
    # writing the full build's 0.7 GB to disk, and a rebuild started now waits for it
    # (1.8-2.7 s where 1.4-1.6 s otherwise): flush it first, outside the timing, as a
    # user's edit minutes later would find it. The time of the flush is reported.
    t0 = time.perf_counter()
    os.sync()
    flush_s = time.perf_counter() - t0
    print(f"flushed the full build to disk in {flush_s:.1f} s (not timed)", flush=True)
    runs = []
    for at in (len(files) // 2, len(files) // 4, 3 * len(files) // 4):
        # a file not edited by an earlier run on a kept corpus: appending the same line
        # again would change no document frequency, which is the cheaper kind of rebuild
        while EDIT.strip() in files[at].read_text(encoding="utf-8") and at + 1 < len(files):
            at += 1
        changed = files[at]
        changed.write_text(changed.read_text(encoding="utf-8") + EDIT, encoding="utf-8")
        run = run_build(corpus, store, workers)
        run["changed_file"] = str(changed.relative_to(corpus))
        runs.append(run)
        print(f"incremental {run['seconds']:.2f} s = {100 * run['seconds'] / full['seconds']:.1f} % of the full build "
              f"- {run['summary']}", flush=True)
    incr = dict(sorted(runs, key=lambda r: r["seconds"])[1], runs_s=[r["seconds"] for r in runs], flush_s=flush_s)  # the median run
    noop = run_build(corpus, store, workers)
    print(f"nothing changed {noop['seconds']:.2f} s", flush=True)

    return {
        "files": n, "mb": mb, "corpus": info, "tokenizers": tok, "full": full, "incremental": incr, "unchanged": noop,
        "store_mb": store_size(store) / 1e6,
        "ratios": {
            "build_vs_jieba_lcut": full["mb_s"] / tok["jieba_lcut_mb_s"],  # goal >= 5
            "build_slower_than_rjieba": tok["rjieba_cut_mb_s"] / full["mb_s"],  # goal <= 4
            "incremental_pct": 100 * incr["seconds"] / full["seconds"],  # goal < 2
            # the same on CPU time: the build's cores to itself, tokenizers' CPU time
            "cpu_build_vs_jieba_lcut": full["cpu_bound_mb_s"] / tok["jieba_lcut_mb_cpu_s"],
            "cpu_build_slower_than_rjieba": tok["rjieba_cut_mb_cpu_s"] / full["cpu_bound_mb_s"],
        },
    }


def machine() -> dict:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"nproc": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2**30, 1), "cpu": cpu,
            "python": platform.python_version(), "date": time.strftime("%Y-%m-%d")}


def print_table(results: list[dict]) -> None:
    print("\n| reports (files) | MB | build s | build MB/s | CPU-bound MB/s | jieba.lcut MB/s | rjieba.cut MB/s "
          "| build / jieba | rjieba / build | peak RSS MB (PSS) | incremental s (%) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        f, t, q = r["full"], r["tokenizers"], r["ratios"]
        reports = f["summary"].split(",")[1].strip()
        print(f"| {reports} ({r['files']}) | {r['mb']:.0f} | {f['seconds']:.1f} | {f['mb_s']:.2f} | {f['cpu_bound_mb_s']:.2f} | "
              f"{t['jieba_lcut_mb_s']:.2f} | {t['rjieba_cut_mb_s']:.1f} | {q['build_vs_jieba_lcut']:.1f}x "
              f"(CPU {q['cpu_build_vs_jieba_lcut']:.1f}x) | {q['build_slower_than_rjieba']:.1f}x "
              f"(CPU {q['cpu_build_slower_than_rjieba']:.1f}x) | {f['peak_rss_mb']:.0f} ({f['peak_pss_mb']:.0f}) | "
              f"{r['incremental']['seconds']:.2f} ({q['incremental_pct']:.1f} %) |")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1000,10000", help="corpus sizes in files, comma separated (default 1000,10000)")
    p.add_argument("--quick", action="store_true", help="a smoke run: one corpus of 200 files")
    p.add_argument("--keep", type=Path, default=None, help="keep corpora and stores in DIR (reused by the next run)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--jieba-mb", type=float, default=20.0, help="MB of the corpus to time jieba.lcut on (default 20)")
    args = p.parse_args(argv)
    sizes = [200] if args.quick else [int(s) for s in args.sizes.split(",")]
    if not sources():
        raise SystemExit("no source files: seeds/ is missing")
    # The builds are timed as an installed tool runs: from compiled bytecode. Python
    # writes it on first import, unless PYTHONDONTWRITEBYTECODE is set (it is on some
    # machines, this one included): then every build would compile analysis/ again
    # (~40 ms of a one-file rebuild). compileall writes it either way.
    compileall.compile_dir(ROOT / "analysis", quiet=1)
    work = args.keep or Path(tempfile.mkdtemp(prefix="duibiao-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for n in sizes:
            results.append(bench_size(n, work, args.workers, args.jieba_mb))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print_table(results)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps({"machine": machine(), "workers": args.workers, "results": results}, ensure_ascii=False, indent=2),
                    encoding="utf-8")
    print(f"\nfigures written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
