"""The library's defaults that the command line shows in --help: one place, importable without
NumPy or SymPy (``tutor --help`` must stay light)."""

RTOL = 1e-3          # a number answer is right within this relative tolerance…
ATOL = 1e-8          # …or this absolute one
DECIMALS = 4         # the rounding a worksheet asks for
MAX_VARIANTS = 500   # variants of one worksheet
