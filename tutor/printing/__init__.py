"""Printers: one per output format, each dispatching on the class of what it prints.

``_print(obj)`` looks for ``_print_<ClassName>`` along the class's MRO, as SymPy's printers do;
settings are a ``_default_settings`` dict and unknown settings are rejected. The public
wrappers are thin: ``text(obj)``, ``latex(obj)``, ``markdown(obj)``, ``json(obj)``,
``html(obj)``.
"""

from __future__ import annotations

from typing import Any


class Printer:
    """Base of all tutor printers."""

    _default_settings: dict[str, Any] = {}
    printmethod = "_print"

    def __init__(self, **settings):
        unknown = set(settings) - set(self._default_settings)
        if unknown:
            raise TypeError(f"unknown setting(s) for {type(self).__name__}: "
                            f"{', '.join(sorted(unknown))}")
        self._settings = {**self._default_settings, **settings}

    def doprint(self, obj) -> str:
        return self._print(obj)

    def _print(self, obj, *args):
        for cls in type(obj).__mro__:
            method = getattr(self, f"_print_{cls.__name__}", None)
            if method is not None:
                return method(obj, *args)
        raise TypeError(f"{type(self).__name__} cannot print {type(obj).__name__}")


def text(obj, **settings) -> str:
    from .terminal import TextDocPrinter
    return TextDocPrinter(**settings).doprint(obj)


def latex(obj, **settings) -> str:
    from .latexdoc import LatexDocPrinter
    return LatexDocPrinter(**settings).doprint(obj)


def markdown(obj, **settings) -> str:
    from .markdowndoc import MarkdownDocPrinter
    return MarkdownDocPrinter(**settings).doprint(obj)


def json(obj, **settings) -> str:
    from .jsondoc import JsonPrinter
    return JsonPrinter(**settings).doprint(obj)


def html(obj, **settings) -> str:
    from .htmldoc import HtmlDocPrinter
    return HtmlDocPrinter(**settings).doprint(obj)


FORMATS = ("text", "latex", "markdown", "json", "html")


def _convention_of(obj):
    """The context of ``obj``'s problem's convention (names, weights' layout); the current one
    for an object of no problem."""
    from .. import conventions
    convention = getattr(getattr(obj, "problem", None), "convention", None)
    return conventions.using(convention or conventions.current().name)


def render_chunks(obj, fmt: str, **settings):
    """``render(obj, fmt, **settings)`` in consecutive pieces, to be written as they are made:
    a whole derivation's HTML page (tens of megabytes for a large network) is never held
    whole. The other formats come in one piece."""
    with _convention_of(obj):
        if fmt == "html":
            from .htmldoc import HtmlDocPrinter
            yield from HtmlDocPrinter(**settings).chunks(obj)
        else:
            yield render(obj, fmt, **settings)


def render(obj, fmt: str, **settings) -> str:
    """``obj`` in format ``fmt`` (one of FORMATS), its names in its problem's convention."""
    with _convention_of(obj):
        return {"text": text, "latex": latex, "markdown": markdown, "json": json,
                "html": html}[fmt](obj, **settings)
