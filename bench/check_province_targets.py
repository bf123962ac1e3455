"""Check analysis.targets on the 31 provincial 2026 government work reports, and time it.

For each province (paragraph = line) we look for this year's GDP growth target: a row with
kind "target", unit "%", an indicator naming 生产总值 and 增长/增速 (not 年均, 人均, 比重 ...,
which are five-year or share targets) and, where the text writes 左右 right after the value,
"左右" in its hedge. Three provinces word it 经济增长5%左右 instead; they are counted
separately ("with 经济增长"), since the indicator rule is the product's, not this script's.
Then it runs the whole corpus (83 files) and prints rows per kind and the time taken.

    python bench/check_province_targets.py [--corpus DIR]
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.targets import Quantity, extract_quantities  # noqa: E402

CORPUS = Path("/work/shared/corpora/gov-work-reports/docs")
# GDP growth, not a five-year average, per-capita figure or a share of GDP.
_GDP = re.compile(r"生产总值.*(?:增长|增速)")
_NOT_ANNUAL_GDP = re.compile(r"年均|人均|比重|占|比率|比例|单位|海洋|县|市")
_ECONOMY = re.compile(r"^经济增长$")


def is_gdp_target(q: Quantity, synonyms: bool = False) -> bool:
    ok_indicator = bool(_GDP.search(q.indicator)) and not _NOT_ANNUAL_GDP.search(q.indicator)
    if synonyms:
        ok_indicator = ok_indicator or bool(_ECONOMY.match(q.indicator))
    if not (ok_indicator and q.unit == "%" and q.kind == "target"):
        return False
    return "左右" in q.hedge.split("|") if _says_about(q) else True


def _says_about(q: Quantity) -> bool:
    """Does the text write 左右 right after this value? (first span after the indicator)"""
    at = q.sentence.find(q.indicator)
    at = q.sentence.find(q.span, max(at, 0))
    return at >= 0 and q.sentence.startswith("左右", at + len(q.span))


def file_rows(path: Path) -> list[Quantity]:
    rows: list[Quantity] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        rows.extend(extract_quantities(line))
    return rows


def provinces(corpus: Path) -> None:
    files = sorted(corpus.glob("province_2026_*.txt"))
    strict, loose = [], []
    for f in files:
        rows = file_rows(f)
        name = f.stem.removeprefix("province_2026_")
        hit = [q for q in rows if is_gdp_target(q)]
        hit_loose = [q for q in rows if is_gdp_target(q, synonyms=True)]
        (strict if hit else loose if hit_loose else []).append(name)
        if not hit:
            found = hit_loose[0] if hit_loose else None
            print(f"  miss (生产总值): {name}" + (f"  -> found 经济增长 {found.span} {found.hedge}" if found else ""))
        else:
            q = hit[0]
            print(f"  ok  {name:14} {q.indicator} {q.span} hedge={q.hedge or '-'} deadline={q.deadline or '-'}")
    n = len(files)
    print(f"GDP growth target (indicator with 生产总值): {len(strict)}/{n} = {len(strict) / n:.0%}")
    print(f"... counting 经济增长 as GDP growth: {len(strict) + len(loose)}/{n} = {(len(strict) + len(loose)) / n:.0%}")


def whole_corpus(corpus: Path) -> None:
    files = sorted(corpus.glob("*.txt"))
    size = sum(f.stat().st_size for f in files)
    t0 = time.perf_counter()
    kinds: collections.Counter[str] = collections.Counter()
    for f in files:
        kinds.update(q.kind for q in file_rows(f))
    dt = time.perf_counter() - t0
    print(f"corpus: {len(files)} files, {size / 1e6:.1f} MB, {sum(kinds.values())} rows {dict(kinds)}")
    print(f"time: {dt:.2f} s ({dt / (size / 1e6):.2f} s/MB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    args = ap.parse_args()
    provinces(args.corpus)
    whole_corpus(args.corpus)


if __name__ == "__main__":
    main()
