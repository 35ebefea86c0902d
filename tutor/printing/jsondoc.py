"""JSON: the derivation's results for programs (documented in the README).

Numbers are JSON numbers (full float64 precision); a value that is not finite is ``null``.
"""

from __future__ import annotations

import json as _json
import math
from json.encoder import encode_basestring

from ..conventions import shown
from ..i18n import _
from ..steps import Check, Derivation, GradientDerivation
from . import Printer, exprs
from .names import latex_name, text_name

FORMAT_VERSION = 1


def _num(x: float):
    return float(x) if math.isfinite(x) else None


def dumps(obj, indent: int) -> str:
    """``json.dumps(obj, indent=indent, ensure_ascii=False)``, byte for byte, without its
    pure-Python encoder's chain of generators (every chunk of a deep document passed up
    through each level): a derivation's JSON is tens of thousands of indented names and
    numbers."""
    out: list[str] = []
    put = out.append
    esc = encode_basestring

    def scalar(o) -> str | None:
        if isinstance(o, str):
            return esc(o)
        if o is None:
            return "null"
        if o is True:
            return "true"
        if o is False:
            return "false"
        if isinstance(o, int):
            return int.__repr__(o)
        if isinstance(o, float):
            if o != o:
                return "NaN"
            if o in (math.inf, -math.inf):
                return "Infinity" if o > 0 else "-Infinity"
            return float.__repr__(o)
        return None

    def key(k) -> str:
        if isinstance(k, str):
            return esc(k)
        if isinstance(k, (int, float)) or k is None:      # (as json: the value, quoted)
            return esc(scalar(k))
        raise TypeError(f"keys must be str, int, float, bool or None, not {type(k).__name__}")

    def encode(o, level: int) -> None:
        s = scalar(o)
        if s is not None:
            put(s)
            return
        inner = "\n" + " " * (indent * (level + 1))
        close = "\n" + " " * (indent * level)
        if isinstance(o, dict):
            if not o:
                put("{}")
                return
            sep = "{" + inner
            for k, v in o.items():
                put(sep + key(k) + ": ")
                encode(v, level + 1)
                sep = "," + inner
            put(close + "}")
        elif isinstance(o, (list, tuple)):
            if not o:
                put("[]")
            elif all(type(v) is str for v in o):     # (a path's names)
                put("[" + inner + ("," + inner).join(map(esc, o)) + close + "]")
            else:
                sep = "[" + inner
                for v in o:
                    put(sep)
                    encode(v, level + 1)
                    sep = "," + inner
                put(close + "]")
        else:
            raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")

    encode(obj, 0)
    return "".join(out)


class JsonPrinter(Printer):
    """Settings: ``indent``."""

    _default_settings = {"indent": 2}

    def doprint(self, obj) -> str:
        indent = self._settings["indent"]
        obj = self._print(obj)
        if isinstance(indent, int) and not isinstance(indent, bool):
            return dumps(obj, indent) + "\n"
        return _json.dumps(obj, indent=indent, ensure_ascii=False) + "\n"

    def _print_Derivation(self, d: Derivation) -> dict:
        p = d.problem
        return {
            "format": FORMAT_VERSION,
            "problem": p.name,
            "network": {"sizes": list(p.network.sizes),
                        "activations": [layer.activation for layer in p.network.layers]},
            "loss_function": p.loss,
            "convention": p.convention,
            "samples": p.n_samples,
            "loss": _num(d.loss),
            "sample": d.sample,
            "ok": d.ok,
            "gradients": [self._print(g) for g in d.gradients],
        }

    def _print_GraphDerivation(self, d) -> dict:
        """A computational graph (format 1, kind "graph"): its nodes with their values, the
        backward pass node by node, the inputs' gradients and their checks."""
        p = d.problem
        return {
            "format": FORMAT_VERSION,
            "kind": "graph",
            "problem": p.name,
            "output": p.output,
            "ok": d.ok,
            "nodes": [{"name": n.name, "kind": n.kind, "value": _num(n.value),
                       "gate": n.gate, "inputs": [a if isinstance(a, str) else float(a)
                                                  for a in n.args],
                       "definition": None if n.kind != "gate" else {
                           "ascii": exprs.ascii(n.expr()), "latex": exprs.tex(n.expr())}}
                      for n in p.nodes],
            "backward": [{"node": b.node, "gradient": _num(b.gradient),
                          "uses": [{"consumer": u.consumer, "gate": u.gate,
                                    "local": {"ascii": exprs.ascii(u.local),
                                              "latex": exprs.tex(u.local)},
                                    "local_value": _num(u.local_value),
                                    "upstream": _num(u.upstream), "value": _num(u.value)}
                                   for u in b.uses]} for b in d.backward],
            "gradients": {k: _num(v) for k, v in d.gradients.items()},
            "checks": [{"input": c.name, "symbolic": _num(c.symbolic), "numeric": _num(c.numeric),
                        "finite_difference": _num(c.finite_difference),
                        "finite_difference_error": _num(c.fd_error), "kink": c.kink,
                        "ok": c.ok} for c in d.checks],
        }

    def _print_GradientDerivation(self, g: GradientDerivation) -> dict:
        n = g.numbers
        return {
            "param": shown(g.param.name),
            "symbol": {"text": text_name(g.symbol.name), "latex": latex_name(g.symbol.name)},
            "value": _num(g.value),
            "expression": {"ascii": exprs.ascii(g.expression), "text": exprs.text(g.expression),
                           "latex": exprs.tex(g.expression)},
            "paths": [self._path(path.nodes) for path in g.paths],
            "path_count": max(g.path_count, len(g.paths)),
            "local_derivatives": [self._local(ld) for ld in g.local],
            "gradient": _num(n.gradient),
            "per_sample": [_num(v) for v in n.per_sample],
            "sample_values": {shown(s.name): _num(v) for s, v in n.values},
            "deltas": {s.name: _num(v) for s, v in n.deltas},
            "check": self._print(g.check),
        }

    # A layer's parameters share their local derivatives (the same objects) and their paths
    # but for the first node: each is made once per printer.

    def _local(self, ld) -> dict:
        # (a LocalDerivative is equal only to itself: hashed by identity)
        return exprs._cached(self.__dict__.setdefault("_locals", {}), lambda ld: {
            "of": shown(ld.partial.of.name), "wrt": shown(ld.partial.wrt.name),
            "rule": str(ld.rule.name), "rule_title": _(ld.rule.name),
            "ascii": exprs.ascii(ld.result), "latex": exprs.tex(ld.result)}, ld)

    def _path(self, nodes) -> list[str]:
        rest = exprs._cached(self.__dict__.setdefault("_paths", {}),
                             lambda rest: [shown(s.name) for s in rest], nodes[1:])
        return [shown(nodes[0].name), *rest]

    def _print_Check(self, c: Check) -> dict:
        return {
            "symbolic": _num(c.symbolic),
            "numpy": _num(c.numpy),
            "finite_difference": _num(c.finite_difference),
            "symbolic_error": _num(c.symbolic_error),
            "finite_difference_error": _num(c.fd_error),
            "symbolic_tolerance": c.symbolic_tol,
            "finite_difference_tolerance": c.fd_tol,
            "finite_difference_step": c.fd_step,
            "kink": c.kink,
            "ok": c.ok,
        }
