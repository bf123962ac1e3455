"""Word-cloud rendering with a bundled CJK font (no Streamlit import).

wordcloud's default font (DroidSansMono) has no CJK glyphs, and relying on a
system font breaks on fresh machines and on Streamlit Community Cloud.  The
repo therefore ships a subset of Noto Sans CJK SC (SIL OFL 1.1) in
``dashboard/fonts/`` — see ``dashboard/fonts/README.md`` and
``bench/make_font_subset.py``.

Guarantees:

* terms containing any character the font lacks are dropped, so tofu boxes
  are never drawn;
* empty input (or only zero/negative/NaN weights, or a canvas too small to
  place anything) yields a blank image with a short centred message instead
  of wordcloud's ``ValueError``;
* output is deterministic (fixed ``random_state``, ties broken by term);
* terms are passed to :meth:`WordCloud.generate_from_frequencies` as given —
  never re-tokenised by wordcloud's regex.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

FONTS_DIR: Path = Path(__file__).resolve().parent / "fonts"
FONT_PATH: Path = FONTS_DIR / "NotoSansSC-Regular-subset.otf"
LICENSE_PATH: Path = FONTS_DIR / "OFL.txt"

DEFAULT_COLORMAP = "tab10"  # saturated, readable on white; matplotlib built-in
EMPTY_MESSAGE = "无数据"
RANDOM_STATE = 42

__all__ = [
    "FONT_PATH",
    "LICENSE_PATH",
    "font_covers",
    "covered_weights",
    "render_wordcloud",
    "wordcloud_png",
]


@lru_cache(maxsize=8)
def _cmap(font_path: str, mtime_ns: int) -> frozenset[int]:
    """Code points mapped by the font (cached per path + modification time)."""
    from fontTools.ttLib import TTFont

    font = TTFont(font_path, lazy=True, fontNumber=0)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


def _codepoints(font_path: Path) -> frozenset[int]:
    p = Path(font_path)
    return _cmap(str(p.resolve()), p.stat().st_mtime_ns)


def font_covers(text: str, font_path: Path = FONT_PATH) -> set[str]:
    """Return the set of characters of ``text`` the font has NO glyph for.

    An empty set means every character is covered.
    """
    cps = _codepoints(font_path)
    return {ch for ch in set(text) if ord(ch) not in cps}


def _items(weights: Mapping[str, float] | Iterable[tuple[str, float]] | None):
    if weights is None:
        return []
    items = weights.items() if hasattr(weights, "items") else weights
    return list(items)


def covered_weights(
    weights: Mapping[str, float] | None, font_path: Path = FONT_PATH
) -> tuple[dict[str, float], dict[str, float]]:
    """Split ``weights`` into (drawable, dropped).

    Drawable terms are non-empty strings whose every character is in the font
    and whose weight is a finite positive number.  Duplicate keys after
    ``str()``/strip are summed.  ``dropped`` holds the font-uncovered terms
    only (bad weights are simply ignored).
    """
    cps = _codepoints(font_path)
    kept: dict[str, float] = {}
    dropped: dict[str, float] = {}
    for term, w in _items(weights):
        if term is None:
            continue
        term = str(term).strip()
        if not term:
            continue
        try:
            w = float(w)
        except (TypeError, ValueError):
            continue
        if not math.isfinite(w) or w <= 0:
            continue
        target = kept if all(ord(ch) in cps for ch in term) else dropped
        target[term] = target.get(term, 0.0) + w
    return kept, dropped


def _message_image(
    width: int, height: int, background: str | None, message: str, font_path: Path
) -> Image.Image:
    mode = "RGBA" if background is None else "RGB"
    img = Image.new(mode, (width, height), background if background is not None else (0, 0, 0, 0))
    if not message:
        return img
    # Keep only characters the font can draw.
    cps = _codepoints(font_path)
    message = "".join(ch for ch in message if ord(ch) in cps)
    if not message:
        return img
    draw = ImageDraw.Draw(img)
    size = max(8, min(height // 6, width // max(2, 2 * len(message))))
    font = ImageFont.truetype(str(font_path), size)
    draw.text((width / 2, height / 2), message, font=font, fill=(150, 150, 150), anchor="mm")
    return img


def render_wordcloud(
    weights: Mapping[str, float] | None,
    *,
    width: int = 800,
    height: int = 400,
    max_words: int = 150,
    background: str | None = "white",
    colormap: str = DEFAULT_COLORMAP,
    font_path: Path = FONT_PATH,
    random_state: int = RANDOM_STATE,
    empty_message: str = EMPTY_MESSAGE,
    **wordcloud_kwargs: Any,
) -> Image.Image:
    """Render a word cloud of ``weights`` (term -> weight) as a PIL image.

    Terms the bundled font cannot fully draw are silently dropped.  With no
    drawable term, returns a ``width`` x ``height`` image carrying
    ``empty_message`` centred.  ``background=None`` gives a transparent RGBA
    image.  Extra keyword arguments go to :class:`wordcloud.WordCloud`
    (e.g. ``prefer_horizontal``, ``max_font_size``, ``scale``).
    """
    width, height = int(width), int(height)
    if width <= 0 or height <= 0:
        raise ValueError(f"width and height must be positive, got {width}x{height}")
    font_path = Path(font_path)
    kept, _dropped = covered_weights(weights, font_path)
    if not kept or max_words <= 0:
        return _message_image(width, height, background, empty_message, font_path)

    # Deterministic order independent of the mapping's iteration order:
    # wordcloud's own sort is stable, so ties would follow input order.
    ordered = sorted(kept.items(), key=lambda kv: (-kv[1], kv[0]))[: int(max_words)]
    freqs = dict(ordered)

    from wordcloud import WordCloud  # imported lazily: pulls in matplotlib

    params: dict[str, Any] = dict(
        font_path=str(font_path),
        width=width,
        height=height,
        max_words=int(max_words),
        background_color=background,
        mode="RGBA" if background is None else "RGB",
        colormap=colormap,
        random_state=random_state,
        prefer_horizontal=0.9,
        margin=2,
        # Irrelevant for generate_from_frequencies, but make intent explicit.
        collocations=False,
        normalize_plurals=False,
    )
    params.update(wordcloud_kwargs)
    wc = WordCloud(**params)
    with _RENDER_LOCK, _shared_fonts():
        try:
            wc.generate_from_frequencies(freqs)
        except ValueError:
            # e.g. "Couldn't find space to draw" on tiny canvases.
            return _message_image(width, height, background, empty_message, font_path)
        if not wc.layout_:
            return _message_image(width, height, background, empty_message, font_path)
        return wc.to_image()


_RENDER_LOCK = threading.Lock()


class _FontCache:
    """Stands in for PIL.ImageFont inside wordcloud: wordcloud opens the font file
    again for every word and size it tries (a 1.8 MB file, ~700 times a cloud);
    the same (file, size) gives the same font object, so it is opened once."""

    TransposedFont = ImageFont.TransposedFont

    @staticmethod
    @lru_cache(maxsize=512)
    def truetype(path: str, size: int) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(path, size)


class _shared_fonts:
    """While rendering (under _RENDER_LOCK), wordcloud's ImageFont is the cache above."""

    def __enter__(self) -> None:
        import wordcloud.wordcloud as wcmod

        self._mod, self._saved = wcmod, wcmod.ImageFont
        wcmod.ImageFont = _FontCache

    def __exit__(self, *exc: Any) -> None:
        self._mod.ImageFont = self._saved


def wordcloud_png(weights: Mapping[str, float] | None, **kw: Any) -> bytes:
    """PNG bytes of :func:`render_wordcloud` (for ``st.download_button``)."""
    img = render_wordcloud(weights, **kw)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
