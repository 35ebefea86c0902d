"""A student's answers file: what `tutor check` grades.

    sample: 1            # the sample that formulas, sample gradients and values refer to
    decimals: 4          # optional: answers rounded to this many decimals are accepted
    gradients:           # ∂L/∂p of the batch loss (the mean over all samples)
      W2[1,1]: 0.1234
    sample_gradients:    # ∂ℓ/∂p of the chosen sample's loss alone
      W1[2,1]: 0
    formulas:            # ∂ℓ/∂p of one sample, in tutor's symbols
      W2[1,3]: (ŷ - y)·a1[3]
    updates:             # p − η·∂ℓ/∂p of the chosen sample: one gradient-descent step
      W2[1,3]: -0.5826
    values:              # forward and backward values of the chosen sample
      z1[2]: 0.3246
      a1[2]: 0.5804
      yhat: 0.6453
      ell: 1.0365
      delta2[1]: 0.6453

Numbers are kept with the text they were written as, so that the number of decimals the
student gave is known. An entry left blank (``W1[2,1]:``) is not answered: listed, not wrong.
A worksheet's key and answer template also say ``variant``, ``seed`` and ``params`` (the
sheet's parameters), so that grading uses the sheet's own rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import ProblemError
from .i18n import N_, _
from .formula import canonical_name
from .names import Name
from .problem import (Problem, _read_yaml, _Validator, parse_param_ref,
                      read_text_file)

SECTIONS = ("gradients", "sample_gradients", "formulas", "values", "updates")
KINDS = {"gradients": "gradient", "sample_gradients": "sample_gradient", "formulas": "formula",
         "values": "value", "updates": "update"}
MAX_ANSWERS = 500
MAX_VARIANT = 10**9   # roster variants are drawn from 1 … 10⁹


@dataclass(frozen=True)
class Answer:
    """One answer. kind: 'gradient' (batch), 'sample_gradient', 'formula', 'value' or
    'update' (a parameter after one step); name: a parameter (``W1[2,1]``) or, for values, a
    quantity (``a1[2]``, ``yhat``, ``ell``, ``delta1[2]``); number: the value given (None for
    formulas and blanks); text: as written ("" for a blank)."""

    kind: str
    name: str
    text: str
    number: float | None
    line: int | None

    @property
    def blank(self) -> bool:
        return not self.text.strip()


@dataclass(frozen=True)
class Answers:
    """sample: the one stated (None: the grader's default, the sheet's or the problem's
    exercise sample)."""

    file: str
    sample: int | None
    decimals: int | None
    answers: tuple[Answer, ...]
    variant: int | None = None   # a worksheet variant, graded at its weights
    seed: int | None = None
    params: tuple[str, ...] | None = None   # a sheet's parameters (keys and templates)


def quantities(problem: Problem) -> list[str]:
    """The names of every forward and backward value of one sample, in forward-then-backward
    order: z1[1], a1[1], …, z2[1], yhat, ell, delta2[1], …, delta1[1], …"""
    net = problem.network
    L = len(net.layers)
    out = []
    for l in range(1, L + 1):
        units = net.sizes[l]
        out += [f"z{l}[{j}]" for j in range(1, units + 1)]
        if l < L:
            out += [f"a{l}[{j}]" for j in range(1, units + 1)]
        else:
            out += ["yhat"] if units == 1 else [f"yhat{k}" for k in range(1, units + 1)]
    out.append("ell")
    for l in range(L, 0, -1):
        out += [f"delta{l}[{j}]" for j in range(1, net.sizes[l] + 1)]
    return out


def quantity_name(raw: str, problem: Problem) -> str | None:
    """The canonical quantity a key names (ŷ → yhat, a2[1] → yhat at the output, loss → ell),
    or None."""
    name = canonical_name(str(raw).strip())
    L = len(problem.network.layers)
    K = problem.network.outputs
    if name in ("loss", "l", "ℓ"):
        name = "ell"
    n = Name.parse(name)
    if n is not None and n.kind == "a" and n.layer == L:   # the output layer's a is ŷ
        name = "yhat" if K == 1 else f"yhat{n.indices[0]}"
    elif n is not None:
        name = str(n)   # w1[2,1] is W1[2,1]
    if K == 1 and name == "yhat1":
        name = "yhat"
    return name if name in quantities(problem) else None


def _read(name, problem: Problem) -> str:
    """A parameter's name as the problem's convention writes it, in tutor's own order."""
    from . import conventions
    return conventions.read(str(name), conventions.CONVENTIONS[problem.convention])


def load_answers(path: str | Path, problem: Problem) -> Answers:
    text, file = read_text_file(path, N_("an answers file"))
    return parse_answers(text, problem, file)


def parse_answers(text: str, problem: Problem, file: str = "<answers>") -> Answers:
    scalars: dict[str, str] = {}
    doc, lines = _read_yaml(text, file, scalars)
    if doc is None:
        raise ProblemError(_("the file is empty; expected gradients, sample_gradients, "
                             "formulas or values"), file=file)
    v = _Validator(file, lines)
    v.mapping(doc, "", (), ("sample", "decimals", "problem", "variant", "seed", "params",
                            "student") + SECTIONS)
    n = problem.n_samples
    sample = v.integer(doc["sample"], "sample", 1, n) if doc.get("sample") is not None else None
    decimals = None
    if "decimals" in doc:
        decimals = v.integer(doc["decimals"], "decimals", 0, 15)
    answers: list[Answer] = []
    for section in SECTIONS:
        entries = doc.get(section)
        if entries is None:
            continue
        if not isinstance(entries, dict):
            raise v.error(section, _("expected a mapping of names to answers, e.g. "
                                     "'W1[2,1]: 0.0123'"))
        for key, value in entries.items():
            field = f"{section}.{key}"
            line = lines.get(field)
            if section == "values":
                name = quantity_name(key, problem) if isinstance(key, str) else None
                if name is None:
                    raise v.error(field, _("unknown quantity {key!r}; expected one of "
                                           "{names}").format(
                        key=key, names=", ".join(quantities(problem))))
            else:
                try:
                    name = parse_param_ref(_read(key, problem), problem.network).name
                except ProblemError as e:
                    raise v.error(field, e.message) from None
            if value is None or value == "":      # left blank: not answered
                answers.append(Answer(KINDS[section], name, "", None, line))
            elif section == "formulas":
                if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                    raise v.error(field, _("expected a formula, like (yhat - y)*a1[3]"))
                answers.append(Answer("formula", name, str(value), None, line))
            else:
                number = v.number(value, field)
                raw = scalars.get(field, str(value))
                answers.append(Answer(KINDS[section], name, raw, number, line))
            if len(answers) > MAX_ANSWERS:
                raise v.error(section, _("too many answers (at most {n})").format(
                    n=MAX_ANSWERS))
    if not answers:
        raise ProblemError(_("no answers: expected gradients, sample_gradients, formulas or "
                             "values"), file=file)
    variant = v.integer(doc["variant"], "variant", 1, MAX_VARIANT) \
        if doc.get("variant") is not None else None
    seed = v.integer(doc["seed"], "seed", 0, 2**63 - 1) if doc.get("seed") is not None else None
    params = None
    if doc.get("params") is not None:
        if not isinstance(doc["params"], list) or not doc["params"]:
            raise v.error("params", _("expected a list of parameters, like [W2[1,1], b1[1]]"))
        params = []
        for k, item in enumerate(doc["params"]):
            try:
                params.append(parse_param_ref(_read(item, problem), problem.network).name)
            except ProblemError as e:
                raise v.error(f"params[{k}]", e.message) from None
        params = tuple(params)
    return Answers(file=file, sample=sample, decimals=decimals, answers=tuple(answers),
                   variant=variant, seed=seed, params=params)


def written_precision(text: str) -> tuple[int, float] | None:
    """(significant digits, half a unit of the last digit) of a number as written:
    '0.0081' → (2, 0.00005); '1.50e-3' → (3, 0.000005); None when it is not plain decimal."""
    m = re.fullmatch(r"\s*[-+]?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?\s*", text)
    if not m or not (m.group(1) or m.group(2)):
        return None
    digits = ((m.group(1) or "") + (m.group(2) or "")).lstrip("0")
    decimals = len(m.group(2) or "") - int(m.group(3) or 0)
    return len(digits), 0.5 * 10.0 ** -decimals
