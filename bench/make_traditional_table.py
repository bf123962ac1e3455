#!/usr/bin/env python3
"""Regenerate analysis/dictionaries/traditional.txt, the traditional -> simplified
character table the analysis reads text through (not a benchmark).

Source: OpenCC's TSCharacters.txt (Apache License 2.0, https://github.com/BYVoid/OpenCC),
as shipped in the opencc-python-reimplemented wheel. Kept: one character to one
character (the analysis's offsets must slice the original text), the first simplified
candidate of each entry, and only characters that simplified text does not use: a key
that GB2312 (the simplified character set) encodes is left out (乾 of 乾隆, 覆 of 覆盖,
藉 of 狼藉 would be wrongly "simplified"), except 後 and 於, which government reports in
simplified characters do not use.

Usage (from the repository root)::

    pip download --no-deps opencc-python-reimplemented==0.1.7 -d /tmp/occ
    unzip -o /tmp/occ/*.whl -d /tmp/occ
    python bench/make_traditional_table.py /tmp/occ/opencc/dictionary/TSCharacters.txt
"""

from __future__ import annotations

import argparse
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "analysis" / "dictionaries" / "traditional.txt"
ALWAYS = {"後", "於"}  # in GB2312, yet never in simplified government prose
HEADER = """\
# Traditional -> simplified characters the analysis reads text through: segmentation,
# themes, keywords and targets see 經濟 as 经济; the reader still shows the original.
# One pair per line, "traditional<TAB>simplified", one character each (offsets into the
# original text must hold). Lines starting with '#' are comments; an empty file turns
# the conversion off.
# Made by bench/make_traditional_table.py from OpenCC's TSCharacters.txt
# (Copyright BYVoid and OpenCC contributors, Apache License 2.0,
# https://github.com/BYVoid/OpenCC); characters simplified text also uses are left out.
"""


def pairs(source: Path) -> list[tuple[str, str]]:
    out = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        traditional, candidates = line.split("\t")
        simplified = candidates.split(" ")[0]
        if len(traditional) != 1 or len(simplified) != 1 or traditional == simplified:
            continue
        if traditional not in ALWAYS and _in_gb2312(traditional):
            continue
        out.append((traditional, simplified))
    return sorted(out)


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="OpenCC's TSCharacters.txt")
    table = pairs(parser.parse_args().source)
    OUT.write_text(HEADER + "".join(f"{t}\t{s}\n" for t, s in table), encoding="utf-8")
    print(f"{len(table)} pairs -> {OUT}")


if __name__ == "__main__":
    main()
