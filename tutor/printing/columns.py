"""How wide text is on a terminal: Hangul and other wide characters take two columns. Light
(no SymPy): ``tutor train``'s report uses it too."""

from __future__ import annotations

import functools
import re
import unicodedata

# Where wide (two-column) and combining (zero-column) characters live: Hangul, CJK, fullwidth
# forms, symbols and emoji, combining marks. Text without any is as wide as it is long, which
# a regular expression finds at C speed (mathematics is full of ∂, ⁽¹⁾, ₂, all one column).
_SPECIAL = re.compile("[\u0300-\u036f\u1100-\u115f\u20d0-\u20ff\u2600-\u27bf"
                      "\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe00-\ufe4f\uff00-\uff60"
                      "\uffe0-\uffe6\U0001f000-\U0001faff\U00020000-\U0003fffd]")


@functools.lru_cache(maxsize=1 << 14)
def width(s: str) -> int:
    """The columns ``s`` takes on a terminal: Hangul and other wide characters take two,
    combining marks none."""
    if s.isascii() or not _SPECIAL.search(s):     # (LaTeX's source is ASCII: known at once)
        return len(s)
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
