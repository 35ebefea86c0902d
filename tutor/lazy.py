"""SymPy, imported on first use: ``from .lazy import sp`` gives an object whose attributes are
SymPy's, so that a module can name SymPy in functions it defines without importing it until
one of them runs (``tutor train`` never does)."""

from __future__ import annotations


class _LazySympy:
    def __getattr__(self, name):
        import sympy
        return getattr(sympy, name)


sp = _LazySympy()
