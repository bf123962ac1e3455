"""CPU cost of the per-file analysis, in CPU seconds per MB of input.

    python bench/profile_analysis.py [DIR] [--limit 200] [--passes 3] [--steps]

Runs `engines.analyse_chunk` (what the build's workers run: the per-file analysis, and
one conversion to Arrow per chunk of files, `engines.chunk_tasks`), with TextRank's scipy
kernels loaded as in the workers, over the first `--limit` files under DIR (default
/tmp/b3/corpus-1000, sorted by path) in one process, `--passes` times, and prints the CPU time (`time.process_time`, not wall time:
the machine is shared) of each pass per MB of input and the minimum over the warm
passes (all but the first, which fills the per-process memos and loads the engine).

A warm pass over the same files again flatters the analysis: every token, number and
tag is in the per-process memos already, which a build never sees (nearly every report
holds a token met for the first time). So the last line is the cost of the `--limit`
files *after* them, seen for the first time by the warm process: the figure to set
against the build's workers.

`--steps` profiles one more pass with cProfile and prints the cumulative CPU s/MB of
the main steps (cProfile's overhead inflates them; compare them with each other, not
with the plain passes). pyarrow's functions are invisible to cProfile: the conversion
of the columns to Arrow tables is in "other", what the whole file costs beyond the steps.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analysis.engines import Task, _rare_gc, analyse_chunk, chunk_tasks  # noqa: E402
from analysis.keywords import load_sparse_kernels  # noqa: E402
from analysis.pipeline import Resources  # noqa: E402

# (label, module file suffix, function name): the steps of analyse_file_columns, then
# parts of a step (indented labels, left out of "other").
STEPS = [
    ("reading", "readers.py", "read_bytes"),
    ("cleaning", "clean.py", "clean_text"),
    ("splitting", "split.py", "split_reports"),
    ("metadata", "metadata.py", "report_metadata"),
    ("segmentation + content terms + themes", "pipeline.py", "_report"),
    ("  of which the tokenizer (_split)", "segment.py", "_split"),
    ("targets", "pipeline.py", "target_columns"),
    ("benchmarks", "pipeline.py", "benchmark_columns"),
    ("TextRank", "pipeline.py", "textrank_columns"),
    ("term counts", "pipeline.py", "term_count_columns"),
    ("_tf", "pipeline.py", "tf_columns"),
]


def load(directory: Path, limit: int) -> list[tuple[str, bytes]]:
    paths = sorted(p for p in directory.rglob("*") if p.is_file())[:limit]
    return [(str(p.relative_to(directory)), p.read_bytes()) for p in paths]


def run_pass(files: list[tuple[str, bytes]], res: Resources) -> float:
    with _rare_gc():  # the collector's thresholds of the build's workers
        tasks = [Task(Path(name), name, str(k), len(data), data) for k, (name, data) in enumerate(files)]
        start = time.process_time()
        for chunk in chunk_tasks(tasks, 2):
            analyse_chunk(chunk, res)
        return time.process_time() - start


def step_times(files: list[tuple[str, bytes]], res: Resources, mb: float) -> list[tuple[str, float]]:
    profile = cProfile.Profile()
    profile.runcall(run_pass, files, res)
    stats = pstats.Stats(profile).stats  # (file, line, name) -> (cc, nc, tt, ct, callers)

    def cumulative(suffix: str, name: str) -> float:
        return sum(v[3] for (file, _, fn), v in stats.items() if fn == name and file.endswith(suffix)) / mb

    whole = cumulative("engines.py", "analyse_chunk")
    steps = [(label, cumulative(suffix, name)) for label, suffix, name in STEPS]
    other = whole - sum(cost for label, cost in steps if not label.startswith(" "))
    return [("whole (per MB)", whole)] + steps + [("other (columns to Arrow, glue)", other)]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("directory", nargs="?", type=Path, default=Path("/tmp/b3/corpus-1000"))
    p.add_argument("--limit", type=int, default=200, help="files to analyse (default 200)")
    p.add_argument("--passes", type=int, default=3, help="passes over the files (default 3; the first is cold)")
    p.add_argument("--steps", action="store_true", help="add a cProfile pass with per-step times")
    args = p.parse_args(argv)

    both = load(args.directory, 2 * args.limit)
    files, unseen = both[: args.limit], both[args.limit :]
    mb = sum(len(data) for _, data in files) / 1e6
    res = Resources().load()
    load_sparse_kernels()
    print(f"{len(files)} files, {mb:.1f} MB from {args.directory}")
    costs = []
    for k in range(args.passes):
        costs.append(run_pass(files, res) / mb)
        print(f"pass {k + 1}: {costs[-1]:.4f} CPU s/MB{' (cold)' if k == 0 else ''}")
    warm = costs[1:] or costs
    print(f"min warm: {min(warm):.4f} CPU s/MB (the same files again)")
    if unseen:
        unseen_mb = sum(len(data) for _, data in unseen) / 1e6
        print(f"next {len(unseen)} files, first seen by the warm process: {run_pass(unseen, res) / unseen_mb:.4f} CPU s/MB")
    if args.steps:
        print("cProfile cumulative CPU s/MB (inflated by the profiler):")
        for label, cost in step_times(files, res, mb):
            print(f"  {label:40s} {cost:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
