"""How wide text is on a terminal: Hangul and other wide characters take two columns. Light
(no SymPy): ``tutor train``'s report uses it too."""

from __future__ import annotations

import functools
import unicodedata


@functools.lru_cache(maxsize=1 << 14)
def width(s: str) -> int:
    """The columns ``s`` takes on a terminal: Hangul and other wide characters take two,
    combining marks none."""
    if not s or max(s) < "\u1100":
        return len(s)
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
