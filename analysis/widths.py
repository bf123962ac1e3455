"""Width normalisation of a whole report in one vectorised pass.

`analysis.normalize.normalize_width` maps full-width ASCII (U+FF01..U+FF5E) to ASCII and
the ideographic space to a space with `str.translate`, which looks every character up
in a dict: about 80 ns a character, paid twice per paragraph (segmentation and target
extraction each normalised their own copy). `width_forms` gives both forms of a text
from one numpy pass over its UTF-32 code units:

- `norm`: exactly `normalize_width(text)` (what the segmenter reads);
- `work`: exactly `normalize_width(text.replace("，", "\\ue000")).replace("\\ue000", "，")`,
  the form `targets.extract_quantities` works on (the full-width clause comma is kept
  apart from the ASCII thousands separator; a private-use U+E000 in the input comes
  out as "，" there, as it always did).

Both are length-preserving, so offsets into the joined report text slice every
paragraph's forms out of one call (tests/analysis/test_widths.py).
"""

from __future__ import annotations

import numpy as np

_FW_FIRST, _FW_LAST = 0xFF01, 0xFF5E
_SHIFT = 0xFEE0
_IDEO_SPACE = 0x3000
_FW_COMMA = 0xFF0C
_PRIVATE = 0xE000


def width_forms(text: str) -> tuple[str, str]:
    """(norm, work) of `text`; see the module doc."""
    if not text or text.isascii():
        return text, text
    code = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    full = (code - _FW_FIRST) < (_FW_LAST - _FW_FIRST + 1)  # unsigned: also false below the block
    space = code == _IDEO_SPACE
    private = code == _PRIVATE
    if not (full.any() or space.any() or private.any()):
        return text, text
    norm = code.copy()
    norm[full] -= _SHIFT
    norm[space] = 0x20
    work = norm.copy()
    work[code == _FW_COMMA] = _FW_COMMA
    work[private] = _FW_COMMA
    return _decode(norm), _decode(work)


def _decode(code: np.ndarray) -> str:
    return code.tobytes().decode("utf-32-le", "surrogatepass")
