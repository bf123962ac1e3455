#!/usr/bin/env python3
"""Regenerate the bundled CJK font subset used by the word clouds.

Source: Noto Sans CJK SC Regular, face index 2 of
/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc (Debian package
``fonts-noto-cjk``; SIL Open Font License 1.1).  The .ttc holds
0=JP 1=KR 2=SC 3=TC 4=HK 5..9=Mono JP/KR/SC/TC/HK; the script checks the
face's name rather than trusting the index blindly.

Character set (only code points the source face actually maps are kept):

* every valid GB2312 two-byte code: symbol rows 0xA1-0xA9 and hanzi rows
  0xB0-0xF7, second byte 0xA1-0xFE (7,445 characters);
* every character occurring in ``seeds/*.txt`` and, when present,
  ``/work/shared/corpora/gov-work-reports/docs/*.txt``;
* printable ASCII, Latin-1 punctuation/letters, general punctuation,
  CJK symbols & punctuation, full-width/half-width forms, enclosed
  alphanumerics (①), enclosed CJK (㈠), number forms (Ⅻ).

The output is a standalone CFF-flavoured OpenType file with hinting,
vertical metrics and OpenType layout tables dropped (word clouds are
drawn horizontally, glyph by glyph; PIL never needs them).  The
``head.modified`` timestamp is kept from the source so reruns are
byte-for-byte reproducible given the same inputs.

Usage (from the repository root)::

    apt-get install -y fonts-noto-cjk        # only needed to regenerate
    python bench/make_font_subset.py          # writes dashboard/fonts/...
    python bench/make_font_subset.py --check  # also render-test with PIL
"""

from __future__ import annotations

import argparse
import glob
import io
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DEFAULT_FACE = "Noto Sans CJK SC"
DEFAULT_OUT = REPO / "dashboard" / "fonts" / "NotoSansSC-Regular-subset.otf"
TEXT_GLOBS = [
    str(REPO / "seeds" / "*.txt"),
    "/work/shared/corpora/gov-work-reports/docs/*.txt",
]

# Extra Unicode blocks, kept when the source face maps them.
EXTRA_RANGES = [
    (0x0020, 0x007E),  # printable ASCII
    (0x00A0, 0x00FF),  # Latin-1 supplement (·, ×, ÷, °, ±, ...)
    (0x2000, 0x206F),  # general punctuation (“ ” ‘ ’ — … ‰ ※)
    (0x2100, 0x214F),  # letterlike symbols (℃ №)
    (0x2150, 0x218F),  # number forms (Ⅰ Ⅻ ⅰ)
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # enclosed alphanumerics (① ⑴ ⒈)
    (0x2500, 0x257F),  # box drawing (GB2312 row 9)
    (0x25A0, 0x25FF),  # geometric shapes (■ ● △)
    (0x2600, 0x26FF),  # misc symbols (★ ☆)
    (0x3000, 0x303F),  # CJK symbols and punctuation (、。《》【】〔〕)
    (0x3200, 0x32FF),  # enclosed CJK letters and months (㈠ ㊣)
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half-width and full-width forms (，：；！？（）)
]


def gb2312_chars() -> set[str]:
    """Every character that decodes from a GB2312 two-byte code."""
    rows = list(range(0xA1, 0xAA)) + list(range(0xB0, 0xF8))
    out: set[str] = set()
    for hi in rows:
        for lo in range(0xA1, 0xFF):
            try:
                ch = bytes((hi, lo)).decode("gb2312")
            except UnicodeDecodeError:
                continue
            out.add(ch)
    return out


def text_chars(globs: list[str]) -> tuple[set[str], int]:
    chars: set[str] = set()
    n_files = 0
    for pattern in globs:
        for path in sorted(glob.glob(pattern)):
            chars |= set(Path(path).read_text(encoding="utf-8", errors="replace"))
            n_files += 1
    return chars, n_files


def find_face(source: Path, face_name: str) -> int:
    if source.suffix.lower() not in {".ttc", ".otc"}:
        return -1
    from fontTools.ttLib import TTCollection

    coll = TTCollection(str(source), lazy=True)
    for i, font in enumerate(coll.fonts):
        if font["name"].getDebugName(4) == face_name:
            return i
    raise SystemExit(f"face {face_name!r} not found in {source}")


def wanted_codepoints(globs: list[str]) -> tuple[set[int], dict[str, int]]:
    gb = gb2312_chars()
    txt, n_files = text_chars(globs)
    extra = {chr(c) for lo, hi in EXTRA_RANGES for c in range(lo, hi + 1)}
    chars = gb | txt | extra
    # Control characters/newlines need no glyph.
    cps = {ord(c) for c in chars if ord(c) >= 0x20 and not 0x7F <= ord(c) < 0xA0}
    stats = {"gb2312": len(gb), "text_chars": len(txt), "text_files": n_files,
             "text_set": txt}
    return cps, stats


def make_subset(source: Path, face_index: int, cps: set[int], out: Path) -> dict:
    kwargs = {"recalcTimestamp": False, "lazy": False}
    if face_index >= 0:
        kwargs["fontNumber"] = face_index
    font = TTFont(str(source), **kwargs)
    cmap = font.getBestCmap()
    present = {cp for cp in cps if cp in cmap}
    missing = sorted(cps - present)

    opts = subset.Options()
    opts.hinting = False              # strip CFF hints
    opts.desubroutinize = False       # keep (pruned) subroutines: smaller file
    opts.layout_features = []         # no GSUB/GPOS features needed for PIL
    opts.drop_tables += ["BASE", "VORG", "vhea", "vmtx", "GSUB", "GPOS", "GDEF",
                         "DSIG", "meta"]
    opts.name_IDs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    opts.name_languages = [0x0409]
    opts.name_legacy = False
    opts.notdef_outline = True
    opts.recalc_timestamp = False
    opts.glyph_names = False
    opts.ignore_missing_unicodes = True

    sub = subset.Subsetter(options=opts)
    sub.populate(unicodes=sorted(present))
    sub.subset(font)

    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    font.save(buf)
    out.write_bytes(buf.getvalue())
    return {"kept": len(present), "missing": missing, "bytes": out.stat().st_size}


def pil_check(out: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    f = ImageFont.truetype(str(out), 48)
    bitmaps = []
    for ch in "科技创新潍坊":
        img = Image.new("L", (64, 64), 0)
        ImageDraw.Draw(img).text((4, 0), ch, font=f, fill=255)
        bitmaps.append(img.tobytes())
    assert len(set(bitmaps)) == len(bitmaps), "glyph bitmaps not distinct (tofu?)"
    print("PIL check ok: 6 distinct glyph bitmaps")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--face", default=DEFAULT_FACE)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--text-glob", action="append", default=None,
                    help="extra text files whose characters must be covered "
                         "(default: seeds/*.txt and the shared corpus)")
    ap.add_argument("--check", action="store_true", help="render-test with PIL")
    a = ap.parse_args(argv)

    if not a.source.exists():
        print(f"source font {a.source} missing: apt-get install -y fonts-noto-cjk",
              file=sys.stderr)
        return 2
    globs = TEXT_GLOBS + (a.text_glob or [])
    face = find_face(a.source, a.face)
    cps, stats = wanted_codepoints(globs)
    res = make_subset(a.source, face, cps, a.out)
    print(f"source: {a.source} face #{face} ({a.face})")
    print(f"GB2312 chars: {stats['gb2312']}; chars in {stats['text_files']} text files: "
          f"{stats['text_chars']}")
    print(f"requested {len(cps)} code points, kept {res['kept']}, "
          f"not in source font {len(res['missing'])}")
    missing_txt = [chr(c) for c in res["missing"]
                   if chr(c) in stats["text_set"]]
    if missing_txt:
        print("WARNING: text characters absent from the source font:",
              " ".join(f"U+{ord(c):04X}" for c in missing_txt))
    print(f"wrote {a.out} ({res['bytes']:,} bytes = {res['bytes'] / 1e6:.2f} MB)")
    if a.check:
        pil_check(a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
