"""Length-preserving character normalisation for analysis.

The reader shows the original text; analysis runs on a width-normalised copy. Because
the mapping is one character to one character, an offset found in the normalised
copy slices the same sentence out of the original.
"""

from __future__ import annotations

# Full-width ASCII variants U+FF01..U+FF5E map to U+0021..U+007E; U+3000 (ideographic
# space) maps to a plain space. Chinese punctuation (，。、；：“”) is kept: it carries
# sentence structure that the ASCII forms would blur.
_WIDTH_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE[0x3000] = 0x20
# Keep the full-width forms of the Chinese sentence punctuation that share code points
# with the full-width block: ！？；：，（）are normalised, which is what we want for
# numbers and units (（亿元）, ５０％); 。、“” are outside the block and untouched.


def normalize_width(text: str) -> str:
    """Full-width digits, letters and ASCII punctuation to half-width; same length."""
    return text.translate(_WIDTH_TABLE)
