"""Tests for dashboard.wordcloud_render: the bundled CJK font and the renderer.

Everything here works from the repo alone (no system font): the seeds are
tokenised with a private jieba.Tokenizer, the font is the one in
dashboard/fonts/.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from dashboard.wordcloud_render import (
    FONT_PATH,
    LICENSE_PATH,
    covered_weights,
    font_covers,
    render_wordcloud,
    wordcloud_png,
)

ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CJK_WORD_RE = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}$")
SAMPLE = {"科技创新": 10, "潍坊高新区": 8, "双招双引": 5}


def _gb2312_chars() -> set[str]:
    out = set()
    for hi in list(range(0xA1, 0xAA)) + list(range(0xB0, 0xF8)):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


@pytest.fixture(scope="module")
def seed_text() -> str:
    assert SEEDS, "no seeds/*.txt found"
    return "\n".join(p.read_text(encoding="utf-8") for p in SEEDS)


@pytest.fixture(scope="module")
def top_seed_terms(seed_text: str) -> list[str]:
    jieba = pytest.importorskip("jieba")
    tok = jieba.Tokenizer()
    counts = Counter(w for w in tok.lcut(seed_text) if CJK_WORD_RE.match(w))
    terms = [w for w, _ in counts.most_common(300)]
    assert len(terms) >= 100
    return terms


@pytest.fixture(scope="module")
def missing_char(seed_text: str) -> str:
    """A CJK character outside GB2312, absent from the seeds and the font."""
    gb = _gb2312_chars()
    for ch in "𠮷𡃁𪚥𬌗龘靐䶮㐀鿏":
        if ch not in gb and ch not in seed_text and font_covers(ch):
            return ch
    pytest.fail("could not find a character the subset lacks")


def _non_bg_pixels(img: Image.Image, bg=(255, 255, 255)) -> int:
    arr = np.asarray(img.convert("RGB"))
    return int(np.any(arr != np.array(bg, dtype=arr.dtype), axis=-1).sum())


def _glyph(ch: str, font_path: str, size: int = 64) -> bytes:
    font = ImageFont.truetype(font_path, size)
    img = Image.new("L", (size + 16, size + 16), 0)
    ImageDraw.Draw(img).text((8, 8), ch, font=font, fill=255)
    return img.tobytes()


# --- the font file -----------------------------------------------------------


def test_font_and_licence_ship_in_repo():
    assert FONT_PATH.is_file()
    assert FONT_PATH.resolve().is_relative_to(ROOT)  # not a system font
    assert FONT_PATH.stat().st_size <= 5_000_000
    assert LICENSE_PATH.is_file()
    lic = LICENSE_PATH.read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in lic
    assert "Adobe" in lic
    assert (FONT_PATH.parent / "README.md").is_file()


def test_pil_loads_font():
    font = ImageFont.truetype(str(FONT_PATH), 32)
    assert font.getname()[0].startswith("Noto Sans CJK SC")
    left, top, right, bottom = font.getbbox("潍坊")
    assert right - left > 32 and bottom - top > 16


def test_font_covers_gb2312_ascii_and_punctuation():
    assert font_covers("".join(sorted(_gb2312_chars()))) == set()
    ascii_printable = "".join(chr(c) for c in range(0x20, 0x7F))
    assert font_covers(ascii_printable) == set()
    assert font_covers("，。、；：？！“”‘’（）《》【】〔〕…—·％０１２３ＡＢ①②㈠Ⅻ℃") == set()


def test_font_covers_reports_missing(missing_char: str):
    assert font_covers("科技" + missing_char) == {missing_char}
    assert font_covers("") == set()


def test_font_covers_top_seed_terms(top_seed_terms: list[str]):
    assert font_covers("".join(top_seed_terms)) == set()


def test_font_covers_every_cjk_char_of_seeds(seed_text: str):
    cjk = set(CJK_RE.findall(seed_text))
    assert len(cjk) > 500
    assert font_covers("".join(cjk)) == set()
    # Visible punctuation of the seeds too (zero-width / control chars need no glyph).
    visible = {ch for ch in seed_text if ch.isprintable() and not ch.isspace()}
    assert font_covers("".join(visible)) == set()


# --- no tofu -----------------------------------------------------------------


def test_glyphs_are_real_not_tofu():
    repo = str(FONT_PATH)
    chars = "科技创新潍坊"
    bitmaps = [_glyph(ch, repo) for ch in chars]
    assert all(any(b) for b in bitmaps), "a glyph rendered empty"
    assert len(set(bitmaps)) == len(chars), "identical bitmaps: boxes/tofu"

    # Sensitivity check: wordcloud's bundled DroidSansMono has no CJK, so it
    # draws the same .notdef box for both characters -- exactly what the
    # assertion above would catch.
    from wordcloud import wordcloud as wc_mod

    droid = wc_mod.FONT_PATH
    assert font_covers("科技", Path(droid)) == {"科", "技"}
    assert _glyph("科", droid) == _glyph("技", droid)
    assert _glyph("科", repo) != _glyph("科", droid)


# --- rendering -----------------------------------------------------------------


def test_render_sample_draws_glyphs():
    img = render_wordcloud(SAMPLE, width=600, height=300)
    assert isinstance(img, Image.Image)
    assert img.size == (600, 300)
    assert _non_bg_pixels(img) > 0.03 * 600 * 300


def test_render_default_size_and_deterministic():
    a = render_wordcloud(SAMPLE)
    b = render_wordcloud(dict(reversed(list(SAMPLE.items()))))
    assert a.size == (800, 400)
    assert a.tobytes() == b.tobytes()


def test_uncovered_term_dropped(missing_char: str):
    bad = "创新" + missing_char
    kept, dropped = covered_weights({**SAMPLE, bad: 100})
    assert bad in dropped and bad not in kept
    assert kept == {k: float(v) for k, v in SAMPLE.items()}
    with_bad = render_wordcloud({bad: 100, **SAMPLE}, width=400, height=200)
    without = render_wordcloud(SAMPLE, width=400, height=200)
    assert with_bad.tobytes() == without.tobytes()


@pytest.mark.parametrize("empty", [{}, None, {"科技": 0}, {"科技": float("nan")}, {"": 3}])
def test_empty_input_gives_message_image(empty):
    img = render_wordcloud(empty, width=320, height=160)
    assert img.size == (320, 160)
    n = _non_bg_pixels(img)
    assert 0 < n < 0.5 * 320 * 160  # the centred "无数据" message only


def test_only_uncovered_terms_gives_message_image(missing_char: str):
    img = render_wordcloud({missing_char * 2: 5}, width=300, height=150)
    assert img.size == (300, 150)
    assert _non_bg_pixels(img) > 0


def test_tiny_canvas_does_not_raise():
    img = render_wordcloud(SAMPLE, width=4, height=4)
    assert img.size == (4, 4)


def test_transparent_background():
    img = render_wordcloud(SAMPLE, width=300, height=150, background=None)
    assert img.mode == "RGBA" and img.size == (300, 150)
    alpha = np.asarray(img)[..., 3]
    assert (alpha == 0).any() and (alpha > 0).any()


def test_max_words_limits_and_terms_not_retokenised(monkeypatch):
    from wordcloud import WordCloud

    seen: list[dict] = []
    orig = WordCloud.generate_from_frequencies

    def spy(self, frequencies, max_font_size=None):
        if max_font_size is None:  # the outer call, not wordcloud's internal probe
            seen.append(dict(frequencies))
        return orig(self, frequencies, max_font_size=max_font_size)

    monkeypatch.setattr(WordCloud, "generate_from_frequencies", spy)
    weights = {"新质生产力": 9, "科技 创新": 7, "乡村振兴": 5, "高质量发展": 3}
    img = render_wordcloud(weights, width=500, height=250, max_words=2)
    assert img.size == (500, 250)
    assert _non_bg_pixels(img) > 0
    assert seen == [{"新质生产力": 9.0, "科技 创新": 7.0}]


def test_wordcloud_png_bytes():
    data = wordcloud_png(SAMPLE, width=400, height=200)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    img = Image.open(io.BytesIO(data))
    assert img.size == (400, 200)
    assert wordcloud_png({}, width=100, height=50)[:8] == b"\x89PNG\r\n\x1a\n"


def test_module_does_not_import_streamlit():
    code = (
        "import sys; sys.path.insert(0, %r); import dashboard.wordcloud_render as m; "
        "m.render_wordcloud({'科技': 1}, width=100, height=50); "
        "assert 'streamlit' not in sys.modules" % str(ROOT)
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
