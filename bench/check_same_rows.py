"""Check that the analysis gives the same rows as a reference version of the code.

Two modes:

    python bench/check_same_rows.py [PATH ...] [--ref HEAD]
        Runs `analyse_file` of the working tree and of git revision REF (the modules of
        REF, loaded side by side as a separate package) on every file under PATH (default:
        seeds/ and the gov-work-reports corpus when present) and compares every row of every
        table exactly (floats bit for bit, row order included).

    python bench/check_same_rows.py --stores STORE_A STORE_B
        Compares two stores table by table, after sorting the rows.

Exit status 0 when everything is identical, 1 otherwise (the first differences are printed).
Used while optimising the per-file analysis: speed-ups must not change a single row.
"""

from __future__ import annotations

import argparse
import importlib
import math
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOV = ROOT.parent / "shared" / "corpora" / "gov-work-reports" / "docs"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def load_reference(ref: str, into: Path):
    """The `analysis` package as of git revision `ref`, importable as `ref_analysis`."""
    pkg = into / "ref_analysis"
    files = subprocess.run(["git", "ls-tree", "-r", "--name-only", ref, "analysis/"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        data = subprocess.run(["git", "show", f"{ref}:{name}"], cwd=ROOT, capture_output=True, check=True).stdout
        target = pkg / Path(name).relative_to("analysis")
        target.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".py"):
            text = data.decode("utf-8")
            text = re.sub(r"\bfrom analysis\b", "from ref_analysis", text)
            text = re.sub(r"\bimport analysis\b", "import ref_analysis", text)
            text = text.replace('"analysis.', '"ref_analysis.')
            target.write_text(text, encoding="utf-8")
        else:
            target.write_bytes(data)
    sys.path.insert(0, str(into))
    return importlib.import_module("ref_analysis.pipeline")


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def compare_rows(paths: list[Path], ref: str, limit: int | None) -> int:
    from analysis.build import collect_inputs
    from analysis.pipeline import Resources, analyse_file

    with tempfile.TemporaryDirectory() as tmp:
        old = load_reference(ref, Path(tmp))
        new_res, old_res = Resources(), old.Resources()
        inputs = [f for f in collect_inputs(paths) if not f.problem][:limit]
        bad = 0
        for f in inputs:
            data = f.path.read_bytes()
            a = old.analyse_file(data, f.source_file, old_res)
            b = analyse_file(data, f.source_file, new_res)
            for name in sorted(set(a) | set(b)):
                ra, rb = a.get(name), b.get(name)
                if not same(ra, rb):
                    bad += 1
                    print(f"DIFF {f.source_file} {name}: {len(ra or [])} vs {len(rb or [])} rows")
                    for x, y in zip(ra or [], rb or []):
                        if not same(x, y):
                            print("   ref:", {k: v for k, v in x.items() if k != 'text'})
                            print("   new:", {k: v for k, v in y.items() if k != 'text'})
                            break
        print(f"{len(inputs)} files compared with {ref}: {'identical' if not bad else f'{bad} tables differ'}")
        return 1 if bad else 0


def compare_stores(a: Path, b: Path) -> int:
    from analysis.schema import TABLES
    from analysis.store import open_snapshot

    sa, sb = open_snapshot(a), open_snapshot(b)
    bad = 0
    for name in TABLES:
        ta, tb = sa.read(name), sb.read(name)
        keys = [(c, "ascending") for c in ta.column_names if not str(ta.schema.field(c).type).startswith("list")]
        ta, tb = ta.sort_by(keys), tb.sort_by(keys)
        # Types must agree; nullability flags do not matter (DuckDB wrote "not null" fields).
        same_types = [f.type for f in ta.schema] == [f.type for f in tb.schema] and ta.column_names == tb.column_names
        ok = same_types and ta.num_rows == tb.num_rows and ta.cast(tb.schema).equals(tb)
        bad += not ok
        print(f"{name:12s} {ta.num_rows:>10,} rows  {'same' if ok else 'DIFFERENT'}")
    return 1 if bad else 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("paths", nargs="*", type=Path)
    p.add_argument("--ref", default="HEAD", help="git revision of the reference code (default HEAD)")
    p.add_argument("--limit", type=int, default=None, help="compare at most this many files")
    p.add_argument("--stores", nargs=2, type=Path, metavar=("A", "B"), help="compare two stores instead")
    args = p.parse_args(argv)
    if args.stores:
        return compare_stores(*args.stores)
    paths = args.paths or [ROOT / "seeds"] + ([GOV] if GOV.is_dir() else [])
    return compare_rows(paths, args.ref, args.limit)


if __name__ == "__main__":
    sys.exit(main())
