"""Grading a student's answers: right or wrong, and for wrong ones the mistake, named.

Numbers are compared with the derivation's verified values (relative tolerance ``rtol``,
absolute ``atol``, or within half a unit of the stated rounding). Formulas are compared by
evaluation at many random consistent points — random weights, inputs and targets, with every
z, a, ŷ, ℓ and δ computed from them by the engine, so that a(1 − a) and σ(z)(1 − σ(z)) agree —
and, when both are small, also exactly by SymPy. Wrong answers are compared with the usual
mistakes (``mistakes``); forward and backward values are checked in order, each also against
the value the student's own earlier values give (follow-through).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp

from .defaults import ATOL, RTOL  # (the CLI shows them too)
from . import conventions, engine
from .answers import Answer, Answers, quantities, written_precision
from .derivation import derive, verified
from .errors import ProblemError
from .formula import FormulaError, Vocabulary, parse
from .limits import TimeLimit, time_limit
from .names import Name
from .mistakes import ELL, W_JI, Mistake, derivation_lines, formula_mistakes, gradient_step
from .problem import Problem
from .symbolic import Model, lambdify
from .words import Words, eq
from .i18n import _

if TYPE_CHECKING:
    from .sheet import Sheet

# An answer rounded to its own last digit is right with this many significant digits, and
# matches a mistake with MISTAKE_DIGITS: 0.0081 is 4·0.0020329 rounded.
ROUNDED_DIGITS = 3
MISTAKE_DIGITS = 2
POINTS = 32             # random points for formula equivalence
FORMULA_RTOL = 1e-8     # agreement at each point
EXACT_MAX_OPS = 40      # exact SymPy comparison only for expressions this small,
EXACT_MAX_TERMS = 400   # whose expansion has at most this many terms
# One formula is graded within this time, on the command line and in the server alike; past
# it the answer is reported as too complicated to evaluate (never as wrong mathematics).
FORMULA_SECONDS = 1.0

NO_MATCH = Words("this matches none of the usual mistakes")
FOLLOW_THROUGH = Words("right given your own earlier values (follow-through): the method is "
                       "right; the slip is earlier")
LOSS = sp.Symbol("L")


@dataclass(frozen=True)
class Result:
    """The grade of one answer, as data (the printers in ``printing.checkreport`` say it).

    ok: right. expected: the right value (a float) or formula (a SymPy expression).
    diagnosis: the named mistake, or why nothing could be read, as ``Words``; ``mistake`` is
    its stable id (None when right or when no known slip matches). step: the correct step to
    show, lines of ``Words``. follow_through: wrong, but right given the student's own
    earlier values (method credit). how: for right formulas, how they were found equal."""

    answer: Answer
    ok: bool
    expected: float | sp.Expr
    diagnosis: Words | None = None
    step: tuple[Words, ...] | None = None
    follow_through: bool = False
    how: Words | None = None
    caret: str | None = None
    mistake: str | None = None
    # a follow-through from an earlier value that makes this one trivial (δ = 0 gives 0)
    trivial: bool = False

    @property
    def blank(self) -> bool:
        return self.answer.blank

    @property
    def expected_expr(self) -> sp.Expr | None:
        return self.expected if isinstance(self.expected, sp.Basic) else None


@dataclass(frozen=True)
class Report:
    """The grades of an answers file. ``sample``, ``decimals``: the rules applied (the
    answers' own, else the sheet's); ``sheet``: the worksheet's exercises and points when a
    variant (or a key) was graded."""

    problem: Problem
    answers: Answers
    rtol: float
    atol: float
    results: tuple[Result, ...] = field(default=())
    sample: int = 1
    decimals: int | None = None
    sheet: "Sheet | None" = None

    @property
    def right(self) -> int:
        return sum(r.ok for r in self.results)

    @property
    def answered(self) -> int:
        return sum(not r.blank for r in self.results)

    @property
    def return_code(self) -> int:
        """0 when every answer is right, 1 otherwise."""
        return 0 if self.right == len(self.results) else 1

    @cached_property
    def scores(self):
        """Points per exercise and part (``sheet.Score``), or None without a sheet."""
        if self.sheet is None:
            return None
        from .sheet import score
        return score(self.sheet, self.results)


def close(given: float, want: float, raw: str | None, rtol: float, atol: float,
          decimals: int | None, digits: int = ROUNDED_DIGITS) -> bool:
    """Whether an answer is ``want``: within the tolerances; or ``want`` correctly rounded to
    the ``decimals`` stated (the sheet's or the answers file's), or to the answer's own last
    digit when it has at least ``digits`` significant digits (0.0597 for 0.059717). Every
    number tutor grades, of a network or a graph, is judged by this."""
    if abs(given - want) <= atol + rtol * abs(want):
        return True
    if decimals is not None and abs(given - want) <= 0.5 * 10.0 ** -decimals * (1 + 1e-9):
        return True
    precision = written_precision(raw) if raw is not None else None
    if precision is not None and precision[0] >= digits:
        return abs(given - want) <= precision[1] * (1 + 1e-9)
    return False


class _Grader:
    def __init__(self, problem: Problem, answers: Answers, rtol: float, atol: float,
                 sample: int | None = None, decimals: int | None = None):
        self.p, self.answers, self.rtol, self.atol = problem, answers, rtol, atol
        self.sample = sample or answers.sample or problem.exercise_sample
        self.decimals = answers.decimals if answers.decimals is not None else decimals
        self.student = {a.name: a.number for a in answers.answers
                        if a.kind == "value" and not a.blank}
        self.model = Model(problem)
        self.vocab = Vocabulary.of_model(self.model)
        wanted = {a.name for a in answers.answers if a.kind != "value"}
        extra = set()
        for name in wanted:  # the parameters a swapped index would name
            ref = next(r for r in problem.network.param_refs() if r.name == name)
            if ref.kind == "W" and ref.row != ref.col:
                other = f"W{ref.layer}[{ref.col},{ref.row}]"
                if any(r.name == other for r in problem.network.param_refs()):
                    extra.add(other)
        names = sorted(wanted | extra)
        # Graded only against verified values.
        self.derivation = (verified(derive(problem, names, sample=self.sample)) if names
                           else None)
        self._points = None
        self._mistakes: dict[str, list[Mistake]] = {}
        self._numbers: dict[tuple[str, bool], list] = {}

    # -- numbers --

    def close(self, given: float, want: float, raw: str | None, digits: int = ROUNDED_DIGITS
              ) -> bool:
        return close(given, want, raw, self.rtol, self.atol, self.decimals, digits)

    def grad(self, name: str):
        return self.derivation[name] if self.derivation is not None else None

    def mistakes(self, name: str) -> list[Mistake]:
        if name not in self._mistakes:
            def others(n):
                try:
                    return self.derivation[n]
                except KeyError:
                    return None
            self._mistakes[name] = formula_mistakes(self.grad(name), self.model, others)
        return self._mistakes[name]

    @cached_property
    def forward_values(self):
        """Every symbol's value for every sample at the problem's weights, computed once."""
        return self.model.evaluate_forward(self.p.params, self.p.inputs, self.p.targets)

    def per_sample_values(self, exprs: list[sp.Expr]) -> list[np.ndarray]:
        """Each expression's value for every sample at the problem's weights: (n,) arrays."""
        values = self.forward_values
        symbols = list(values)
        f = lambdify([symbols], exprs)
        n = self.p.n_samples
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = f([values[s] for s in symbols])
        return [np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in out]

    def number_mistakes(self, name: str, batch: bool) -> list[NumberSlip]:
        """The usual mistakes for a gradient's number, from every rule of NUMBER_RULES."""
        key = (name, batch)
        if key not in self._numbers:
            self._numbers[key] = [slip for rule in NUMBER_RULES
                                  for slip in rule(self, name, batch)]
        return self._numbers[key]

    def grade_number(self, a: Answer) -> Result:
        g = self.grad(a.name)
        batch = a.kind == "gradient"
        want = g.numbers.gradient if batch else g.numbers.sample_gradient
        if self.close(a.number, want, a.text):
            return Result(a, True, want)
        precision = written_precision(a.text)
        if (precision is not None and precision[0] >= 1
                and abs(a.number - want) <= precision[1] * (1 + 1e-9)):
            # Right as far as it goes, but too short to tell from nearby wrong values.
            return Result(a, False, want,
                          Words("this agrees with {want:.6g} to the {n} significant "
                                "digit{s} given, which is too few to tell: give at least "
                                "{digits} ({rounded})", want=want, n=precision[0],
                                s="s" if precision[0] != 1 else "", digits=ROUNDED_DIGITS,
                                rounded=f"{want:.{ROUNDED_DIGITS}g}"),
                          mistake="too_few_digits")
        own = None if batch else self.sample_gradient_follow(a.name)
        if own is not None and self.close(a.number, own, a.text, MISTAKE_DIGITS) and \
                not self.close(own, want, None):
            return Result(a, False, want, FOLLOW_THROUGH, derivation_lines(g),
                          follow_through=True, mistake="follow_through",
                          trivial=own == 0 and want != 0)
        for slip in self.number_mistakes(a.name, batch):
            if self.close(a.number, slip.value, a.text, MISTAKE_DIGITS) and \
                    not self.close(slip.value, want, None):
                return Result(a, False, want, slip.message, slip.step, mistake=slip.id)
        return Result(a, False, want, NO_MATCH, derivation_lines(g))

    # -- formulas --

    @property
    def points(self):
        """Values of every symbol at POINTS random consistent points: symbol → (POINTS,)."""
        if self._points is None:
            self._points = _random_points(self.p, self.model, POINTS)
        return self._points

    def evaluate(self, exprs: list[sp.Expr]) -> list[np.ndarray]:
        symbols = list(self.points)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                f = lambdify([symbols], exprs)
                out = f([self.points[s] for s in symbols])
            except Exception:  # an expression NumPy cannot evaluate is simply not equal
                return [np.full(POINTS, np.nan) for _e in exprs]
        return [np.broadcast_to(np.asarray(v, dtype=complex).real
                                if np.iscomplexobj(v) else np.asarray(v, dtype=float),
                                (POINTS,)) for v in out]

    @staticmethod
    def same(u: np.ndarray, v: np.ndarray) -> bool:
        ok = np.isfinite(v)
        if not ok.any():
            return False
        u, v = u[ok], v[ok]
        if not np.all(np.isfinite(u)):
            return False
        return bool(np.all(np.abs(u - v) <= FORMULA_RTOL * (np.abs(u) + np.abs(v)) + 1e-12))

    def grade_formula(self, a: Answer) -> Result:
        g = self.grad(a.name)
        expected = g.expression
        try:
            given = parse(a.text, self.vocab)
        except FormulaError as e:
            return Result(a, False, expected,
                          Words("cannot read the formula: {why}", why=e.message),
                          caret=e.caret() or None, mistake="unreadable")
        ms = self.mistakes(a.name)
        values = self.evaluate([given, g.expression] + [m.expr for m in ms])
        mine, want = values[0], values[1]
        if self.same(mine, want):
            return Result(a, True, expected, how=self._how(given, g.expression))
        for m, v in zip(ms, values[2:]):
            if self.same(mine, v) and not self.same(v, want):
                return Result(a, False, expected, m.message, m.step, mistake=m.id)
        return Result(a, False, expected, NO_MATCH, derivation_lines(g))

    def _how(self, given: sp.Expr, want: sp.Expr) -> Words:
        """'exactly' when SymPy proves the two equal after writing every activation a as
        f(z); else the numeric evidence. Only tried on small expressions, so it stays fast."""
        if (sp.count_ops(given) <= EXACT_MAX_OPS and sp.count_ops(want) <= EXACT_MAX_OPS
                and _expanded_terms(given) + _expanded_terms(want) <= EXACT_MAX_TERMS):
            subs = {}
            for l in range(1, self.model.L + 1):
                act = self.model.act(l)
                if act.elementwise and act.symbolic is not None:
                    for a, z in zip(self.model.a[l], self.model.z[l]):
                        subs[a] = act.symbolic(z)
            try:
                if sp.expand((given - want).xreplace(subs)) == 0:
                    return Words("exactly")
            except (RecursionError, MemoryError, TypeError):
                pass
        return Words("at {n} random points", n=POINTS)

    # -- forward and backward values --

    def grade_values(self, items: list[Answer]) -> list[Result]:
        """In forward-then-backward order, each against the true value and against the value
        the student's own earlier values give."""
        order = {q: k for k, q in enumerate(quantities(self.p))}
        items = sorted(items, key=lambda a: order[a.name])
        true, student = self.true_values, {}
        for a in items:
            student[a.name] = a.number
        follow = _follow_through(self.p, self.sample - 1, true, student)
        return [self.grade_value(a, follow.get(a.name)) for a in items]

    @cached_property
    def true_values(self) -> dict[str, float]:
        return sample_values(self.p, self.sample - 1)

    @cached_property
    def value_hints(self) -> dict[str, list]:
        return _value_mistakes(self.p, self.sample - 1, self.true_values)

    def grade_value(self, a: Answer, follow: float | None = None) -> Result:
        """One value of the sample: right, right given the student's own earlier values
        (``follow``), or the first usual slip it matches."""
        want = self.true_values[a.name]
        if self.close(a.number, want, a.text):
            return Result(a, True, want)
        if follow is not None and self.close(a.number, follow, a.text, MISTAKE_DIGITS) and \
                not self.close(follow, want, None):
            return Result(a, False, want, FOLLOW_THROUGH, follow_through=True,
                          mistake="follow_through", trivial=follow == 0 and want != 0)
        for slip in self.value_hints.get(a.name, []):
            if self.close(a.number, slip.value, a.text, MISTAKE_DIGITS) and \
                    not self.close(slip.value, want, None):
                return Result(a, False, want, slip.message, mistake=slip.id)
        return Result(a, False, want, NO_MATCH)

    # -- one gradient-descent step --

    def grade_update(self, a: Answer, given_gradient: float | None) -> Result:
        """p − η·∂ℓ/∂p of the sample: against the true step, and the step with the student's
        own ∂ℓ/∂p (follow-through)."""
        g = self.grad(a.name)
        lr = self.p.training.lr
        grad = g.numbers.sample_gradient
        want = g.value - lr * grad
        if self.close(a.number, want, a.text):
            return Result(a, True, want)
        step = (Words("{p} ← {p0:.6g} − {lr:g} · ({g:.6g}) = {new:.6g}", p=g.symbol,
                      p0=g.value, lr=lr, g=grad, new=want),)
        if given_gradient is not None:
            own = g.value - lr * given_gradient
            if self.close(a.number, own, a.text, MISTAKE_DIGITS) and \
                    not self.close(own, want, None):
                return Result(a, False, want, FOLLOW_THROUGH, step, follow_through=True,
                              mistake="follow_through", trivial=given_gradient == 0)
        for mistake, message, v in self.update_slips(a.name):
            if self.close(a.number, v, a.text, MISTAKE_DIGITS) and not self.close(v, want, None):
                return Result(a, False, want, message, step, mistake=mistake)
        return Result(a, False, want, NO_MATCH, step)

    def update_slips(self, name: str) -> list[tuple[str, Words, float]]:
        """(id, words, value) of the usual slips in one gradient-descent step."""
        g = self.grad(name)
        lr = self.p.training.lr
        grad = g.numbers.sample_gradient
        return [("wrong_sign", Words("the step goes uphill: p + η·∂ℓ/∂p, not p − η·∂ℓ/∂p"),
                 g.value + lr * grad),
                ("missing_learning_rate", Words("the learning rate η = {lr:g} is missing: "
                                                "p − ∂ℓ/∂p", lr=lr), g.value - grad),
                ("batch_gradient", Words("that is the step with the batch mean ∂L/∂p; the "
                                         "sheet's step uses sample {k}'s ∂ℓ/∂p",
                                         k=self.sample), g.value - lr * g.numbers.gradient),
                ("gradient_for_update", Words("that is ∂ℓ/∂p itself, not the parameter after "
                                              "the step"), grad)]

    def sample_gradient_follow(self, name: str) -> float | None:
        """∂ℓ/∂p from the student's own δ (and a): δⱼ·aᵢ for wⱼᵢ, δⱼ for bⱼ, when given."""
        ref = self.grad(name).param
        d = self.student.get(f"delta{ref.layer}[{ref.row}]")
        if d is None:
            return None
        if ref.kind == "b":
            return d
        if ref.layer == 1:
            return d * float(self.p.inputs[self.sample - 1][ref.col - 1])
        a = self.student.get(_layer_names(self.p, "a", ref.layer - 1)[ref.col - 1])
        return None if a is None else d * a

    def blank(self, a: Answer) -> Result:
        want = self.grad(a.name) if a.kind != "value" else None
        if a.kind == "value":
            expected = sample_values(self.p, self.sample - 1)[a.name]
        elif a.kind == "formula":
            expected = want.expression
        elif a.kind == "update":
            expected = want.value - self.p.training.lr * want.numbers.sample_gradient
        else:
            expected = want.numbers.gradient if a.kind == "gradient" else \
                want.numbers.sample_gradient
        return Result(a, False, expected, Words("not answered"), mistake="blank")

    def run(self) -> tuple[Result, ...]:
        out: list[Result] = []
        answered = [a for a in self.answers.answers if not a.blank]
        values = [a for a in answered if a.kind == "value"]
        given = {a.name: a.number for a in answered if a.kind == "sample_gradient"}
        for a in self.answers.answers:
            if a.blank:
                out.append(self.blank(a))
            elif a.kind == "update":
                out.append(self.grade_update(a, given.get(a.name)))
            elif a.kind in ("gradient", "sample_gradient"):
                out.append(self.grade_number(a))
            elif a.kind == "formula":
                try:
                    with time_limit(FORMULA_SECONDS):
                        out.append(self.grade_formula(a))
                except TimeLimit:
                    g = self.grad(a.name)
                    out.append(Result(a, False, g.expression,
                                      Words("cannot read the formula: evaluating it took more "
                                            "than {s:g} s; write it more simply",
                                            s=FORMULA_SECONDS),
                                      mistake="too_slow"))
        if values:
            out += self.grade_values(values)
        return tuple(out)


def check(problem: Problem, answers: Answers, rtol: float = RTOL, atol: float = ATOL,
          sheet: "Sheet | None" = None) -> Report:
    """Grade ``answers`` against ``problem`` at its weights; with ``sheet``, by the sheet's
    rules (its sample and rounding, unless the answers state their own) and points. Formulas
    are read, and mistakes worded, in the problem's convention."""
    with conventions.using(problem.convention):
        grader = _Grader(problem, answers, rtol, atol,
                         sample=sheet.sample if sheet and answers.sample is None else None,
                         decimals=sheet.decimals if sheet else None)
        return Report(problem, answers, rtol, atol, grader.run(), sample=grader.sample,
                      decimals=grader.decimals, sheet=sheet)


def grade(problem: Problem, answers: Answers, rtol: float = RTOL, atol: float = ATOL,
          variant: int | None = None, seed: int | None = None, key: Answers | None = None
          ) -> Report:
    """``check`` by a worksheet's rules: at the weights of variant ``variant`` of ``seed``
    (given, or named by the ``key`` or by the answers), with the sheet's sample, rounding,
    parameters and points (the key's, else the worksheet's defaults); without a variant, at
    the problem's own weights."""
    rules = key or answers
    variant = variant if variant is not None else (rules.variant if rules.variant is not None
                                                   else answers.variant)
    seed = seed if seed is not None else (rules.seed if rules.seed is not None
                                          else answers.seed)
    if (variant is None) != (seed is None):
        raise ProblemError(_("a variant and a seed go together (a variant is only defined "
                             "with its worksheet's seed)"), file=rules.file,
                           field="seed" if seed is None else "variant")
    sheet = None
    if variant is not None:
        from .sheet import sheet_for
        from .variants import variant_problem
        problem = variant_problem(problem, seed, variant)
        sheet = sheet_for(problem, rules.params or answers.params, rules.decimals,
                          variant, seed, rules.sample)
    return check(problem, answers, rtol=rtol, atol=atol, sheet=sheet)


@dataclass(frozen=True)
class NumberSlip:
    """A usual mistake in a gradient's number: its id, words, the correct step (lines), and
    the number it gives."""

    id: str
    message: Words
    step: tuple[Words, ...] | None
    value: float


def formula_slips(grader: "_Grader", name: str, batch: bool):
    """Each formula mistake of ``mistakes.FORMULA_RULES``, evaluated at the problem's weights
    (its mean over the samples, or its value for the sample)."""
    ms = grader.mistakes(name)
    k = grader.sample - 1
    for m, v in zip(ms, grader.per_sample_values([m.expr for m in ms])):
        yield NumberSlip(m.id, m.message, m.step, float(v.mean() if batch else v[k]))


def mean_slips(grader: "_Grader", name: str, batch: bool):
    """The batch mean: its 1/N missing or applied twice, one sample taken for it; or, for
    one sample's gradient, the batch mean given instead."""
    g = grader.grad(name)
    n = grader.p.n_samples
    dL, dl = sp.Derivative(LOSS, g.symbol), sp.Derivative(ELL, g.symbol)
    if not batch:
        yield NumberSlip("mean_for_sample",
                         Words("that is the batch mean {dL}, not sample {k}'s {dl}", dL=dL,
                               k=grader.sample, dl=dl), None, g.numbers.gradient)
        for m, v in enumerate(g.numbers.per_sample):
            if m != grader.sample - 1:
                yield NumberSlip("other_sample",
                                 Words("that is sample {k}'s {dl}, not sample {mine}'s",
                                       k=m + 1, dl=dl, mine=grader.sample), None, v)
        return
    mean = (Words("{d} = (1/N) Σₙ ∂ℓₙ/∂{p}", d=dL, p=g.symbol),)
    correct = g.numbers.gradient
    yield NumberSlip("missing_mean",
                     Words("the 1/N of the mean is missing: that is the sum over the {n} "
                           "samples, not their mean", n=n), mean, correct * n)
    yield NumberSlip("mean_twice", Words("the 1/N of the mean is applied twice"), mean,
                     correct / n)
    for m, v in enumerate(g.numbers.per_sample):
        yield NumberSlip("one_sample_for_mean",
                         Words("that is sample {k}'s {dl} alone; {dL} is the mean over all "
                               "{n} samples", k=m + 1, dl=dl, dL=dL, n=n), mean, v)


def updated_weights(grader: "_Grader", name: str, batch: bool):
    """The gradient computed at the weights after one update, not the current ones."""
    p = grader.p
    lr = p.training.lr
    _loss, _fw, bw = engine.loss_and_gradients(p)
    moved = {k: v - lr * bw.grads[k] for k, v in p.params.items()}
    _loss2, fw, bw2 = engine.loss_and_gradients(p, moved)
    ref = grader.grad(name).param
    if batch:
        v = float(bw2.grads[ref.array][ref.index])
    else:
        k = grader.sample - 1
        delta = bw2.deltas[ref.layer - 1][k]
        a_prev = fw.activations[ref.layer - 1][k]
        v = float(delta[ref.row - 1] * (a_prev[ref.col - 1] if ref.kind == "W" else 1.0))
    yield NumberSlip("updated_weights",
                     Words("the weights after one update (η = {lr:g}) were used, not the "
                           "current ones", lr=lr),
                     (Words("every gradient of one step is computed at the same, current "
                            "weights"),), v)


# The number rules, in the order a wrong gradient is compared with their mistakes.
NUMBER_RULES = [formula_slips, mean_slips, updated_weights]


def _expanded_terms(e: sp.Expr) -> int:
    """An upper bound on the number of terms of ``expand(e)``, computed without expanding:
    (a + b)¹⁶ is refused before SymPy spends minutes on it."""
    if e.is_Add:
        return sum(_expanded_terms(t) for t in e.args)
    if e.is_Mul:
        n = 1
        for t in e.args:
            n *= _expanded_terms(t)
            if n > 10**6:
                break
        return n
    if e.is_Pow and e.exp.is_Integer and e.exp != 0:
        # expand multiplies out a denominator as well: 1/(a + b)² → 1/(a² + 2ab + b²)
        return min(_expanded_terms(e.base) ** abs(int(e.exp)), 10**7)
    return 1


# -------------------------------------------------------------------------------------------
# Values of one sample, and what the student's own values give


def sample_values(p: Problem, k: int) -> dict[str, float]:
    """Every quantity of sample k (0-based) by its name, from the engine."""
    L, fw, bw = engine.loss_and_gradients(p)
    names = quantities(p)
    ell = float(engine.sample_losses(p.network, p.loss_fn, fw, p.targets)[k])
    out: dict[str, float] = {"ell": ell}
    for name in names:
        layer, j = _parse_q(name, p)
        kind = Name.parse(name).kind
        if kind == "z":
            out[name] = float(fw.zs[layer - 1][k, j])
        elif kind in ("a", "yhat"):
            out[name] = float(fw.activations[layer][k, j])
        elif kind == "delta":
            out[name] = float(bw.deltas[layer - 1][k, j])
    return out


def _parse_q(name: str, p: Problem) -> tuple[int, int]:
    """(layer, 0-based neuron) of a quantity; ŷₖ and ℓ belong to the output layer."""
    n = Name.parse(name)
    if n.layer is None:   # yhat, yhatK, ell
        return len(p.network.layers), (n.indices[0] - 1 if n.indices else 0)
    return n.layer, n.indices[0] - 1


def _layer_names(p: Problem, prefix: str, l: int) -> list[str]:
    L = len(p.network.layers)
    units = p.network.sizes[l]
    if prefix == "a" and l == L:
        return ["yhat"] if units == 1 else [f"yhat{k}" for k in range(1, units + 1)]
    return [f"{prefix}{l}[{j}]" for j in range(1, units + 1)]


def _vector(p, prefix, l, values) -> np.ndarray:
    return np.array([values[n] for n in _layer_names(p, prefix, l)])


def _follow_through(p: Problem, k: int, true: dict[str, float], student: dict[str, float]
                    ) -> dict[str, float]:
    """Each quantity recomputed from its definition with the student's values of its inputs
    (the true ones where the student gave none)."""
    net = p.network
    L = len(net.layers)
    mixed = {**true, **student}
    out: dict[str, float] = {}
    x = p.inputs[k]
    y = p.targets[k][None, :]
    with np.errstate(all="ignore"):
        for l in range(1, L + 1):
            a_prev = x if l == 1 else _vector(p, "a", l - 1, mixed)
            z = a_prev @ p.params[f"W{l}"].T + p.params[f"b{l}"]
            out.update(zip(_layer_names(p, "z", l), z.tolist()))
            z_mixed = _vector(p, "z", l, mixed)
            a = net.layers[l - 1].act.value(z_mixed[None, :])[0]
            out.update(zip(_layer_names(p, "a", l), a.tolist()))
        loss = p.loss_fn
        zL, aL = _vector(p, "z", L, mixed)[None, :], _vector(p, "a", L, mixed)[None, :]
        # from the (student's) ŷ: the stable forms from z would ignore a wrong ŷ
        out["ell"] = float(loss.from_outputs(aL, y)[0])
        delta = loss.output_delta(zL, aL, y, net.layers[-1].act)[0]
        out.update(zip(_layer_names(p, "delta", L), delta.tolist()))
        for l in range(L - 1, 0, -1):
            d_next = _vector(p, "delta", l + 1, mixed)
            z_l, a_l = _vector(p, "z", l, mixed), _vector(p, "a", l, mixed)
            # The student's own a, where given, gives f'(z) = a(1 − a) for σ.
            d = (d_next @ p.params[f"W{l + 1}"]) * net.layers[l - 1].act.grad(z_l, a_l)
            out.update(zip(_layer_names(p, "delta", l), d.tolist()))
    return out


@dataclass(frozen=True)
class ValueSlip:
    """A usual slip in one forward or backward value of a sample: the quantity it concerns
    (``z1[2]``), its stable id, its words, and the value it gives."""

    name: str
    id: str
    message: Words
    value: float


@dataclass(frozen=True)
class SampleValues:
    """What every value rule works on: the problem, the sample (0-based) and the true value
    of every quantity of that sample by name."""

    p: Problem
    k: int
    true: dict[str, float]

    @property
    def L(self) -> int:
        return len(self.p.network.layers)

    def names(self, prefix: str, l: int) -> list[str]:
        return _layer_names(self.p, prefix, l)

    def vector(self, prefix: str, l: int) -> np.ndarray:
        return _vector(self.p, prefix, l, self.true)


def weighted_sum_slips(v: SampleValues):
    """z = Σᵢ wⱼᵢ aᵢ + bⱼ: the bias left out, z of the layer before used for its a, or the
    weight matrix transposed."""
    x = v.p.inputs[v.k]
    for l in range(1, v.L + 1):
        W, b = v.p.params[f"W{l}"], v.p.params[f"b{l}"]
        a_prev = x if l == 1 else v.vector("a", l - 1)
        for j, zname in enumerate(v.names("z", l)):
            yield ValueSlip(zname, "missing_bias",
                            Words("the bias {b} is missing", b=sp.Symbol(f"b{l}[{j + 1}]")),
                            float(W[j] @ a_prev))
            if l > 1:
                yield ValueSlip(zname, "z_for_a",
                                Words("z⁽{l}⁾ was used where a⁽{l}⁾ = f(z) belongs",
                                      l=_sup(l - 1)),
                                float(W[j] @ v.vector("z", l - 1) + b[j]))
            if W.shape[0] == W.shape[1]:
                yield ValueSlip(zname, "transposed_weights",
                                Words("the weight matrix is transposed ({wji} is the weight "
                                      "into neuron j from input i)", wji=W_JI),
                                float(W[:, j] @ a_prev + b[j]))


def activation_slips(v: SampleValues):
    """a = f(z): f not applied, or the activation's own usual slips (its ``forward_slips``)."""
    for l in range(1, v.L + 1):
        act = v.p.network.layers[l - 1].act
        zs = v.names("z", l)
        for j, aname in enumerate(v.names("a", l)):
            z = v.true[zs[j]]
            yield ValueSlip(aname, "activation_not_applied",
                            Words("the activation was not applied: that is {z}",
                                  z=sp.Symbol(zs[j])), z)
            for mistake, message, slip in act.forward_slips:
                yield ValueSlip(aname, mistake, Words.plain(message),
                                float(slip(z, v.true[aname])))


def loss_slips(v: SampleValues):
    """ℓ: log base 10, the sign, a factor 2 or ½."""
    ell = v.true["ell"]
    yield ValueSlip("ell", "log10",
                    Words("log base 10 was used; the loss uses the natural log ln"),
                    ell / math.log(10))
    yield ValueSlip("ell", "wrong_sign", Words("the sign is wrong: the loss is −[…]"), -ell)
    yield ValueSlip("ell", "factor_two",
                    Words("a factor 2 is off (the ½, or the mean over outputs?)"), 2 * ell)
    yield ValueSlip("ell", "factor_half",
                    Words("a factor ½ is off (the ½, or the mean over outputs?)"), ell / 2)
    K = v.p.network.outputs
    for where, mistake, message, factor in v.p.loss_fn.scale_slips:
        f = factor(K)
        if where == "ell" and f is not None:
            yield ValueSlip("ell", mistake, Words.plain(message), ell * f)


def output_delta_slips(v: SampleValues):
    """δ⁽ᴸ⁾ = ∂ℓ/∂z⁽ᴸ⁾: the sign; f′ multiplied in where the loss cancels it, or left out
    where it does not."""
    l, p = v.L, v.p
    act, loss = p.network.layers[l - 1].act, p.loss_fn
    z_sym = sp.Symbol("z")
    for j, dname in enumerate(v.names("delta", l)):
        d = v.true[dname]
        z = np.array(v.true[v.names("z", l)[j]])
        a = np.array(v.true[v.names("a", l)[j]])
        yield ValueSlip(dname, "wrong_sign", Words("the sign is wrong: δ = ∂ℓ/∂z = ŷ − y"), -d)
        for where, mistake, message, factor in loss.scale_slips:
            f = factor(p.network.outputs)
            if where == "delta" and f is not None:
                yield ValueSlip(dname, mistake, Words.plain(message), d * f)
        if act.grad is None:
            continue
        if loss.fused_with == act.name:
            f_prime = eq(_f_prime(z_sym), act.derivative(z_sym, sp.Symbol("yhat")))
            yield ValueSlip(dname, "cancelled_derivative_multiplied",
                            Words("{f} is multiplied in although {fusion} already cancels "
                                  "it: δ⁽ᴸ⁾ = ŷ − y", f=f_prime, fusion=Words.plain(loss.fused_title)),
                            d * float(act.grad(z, a)))
            continue
        g = float(act.grad(z, a))
        if g not in (0.0, 1.0):
            yield ValueSlip(dname, "missing_activation_derivative",
                            Words("the activation's derivative {f} = {g:.4g} is missing",
                                  f=_f_prime(z_sym), g=g), d / g)
            at_a = _derivative_at_a(act, a)
            if at_a is not None:
                yield ValueSlip(dname, "derivative_at_a",
                                Words("f′ was taken of a, not of z: f′(a) = {fa:.4g} where "
                                      "f′(z) = {g:.4g} belongs", fa=at_a, g=g), d / g * at_a)


def hidden_delta_slips(v: SampleValues):
    """δ⁽ˡ⁾ⱼ = f′(z⁽ˡ⁾ⱼ) Σₘ w⁽ˡ⁺¹⁾ₘⱼ δ⁽ˡ⁺¹⁾ₘ: f′ left out or replaced by a, the sign, one
    term of the sum left out."""
    p = v.p
    for l in range(v.L - 1, 0, -1):
        act = p.network.layers[l - 1].act
        d_next = v.vector("delta", l + 1)
        W_next = p.params[f"W{l + 1}"]
        for j, dname in enumerate(v.names("delta", l)):
            d = v.true[dname]
            a_name = v.names("a", l)[j]
            back = float(d_next @ W_next[:, j])
            a_sym, z_sym = sp.Symbol(a_name), sp.Symbol(f"z{l}[{j + 1}]")
            deriv = (eq(_f_prime(z_sym), act.derivative(z_sym, a_sym))
                     if act.derivative is not None else _f_prime(z_sym))
            yield ValueSlip(dname, "missing_activation_derivative",
                            Words("did you multiply by {f}? Without it: Σₘ w⁽{l}⁾ₘⱼ δ⁽{l}⁾ₘ",
                                  f=deriv, l=_sup(l + 1)), back)
            yield ValueSlip(dname, "activation_for_derivative",
                            Words("{a} itself stands where {f} belongs", a=a_sym, f=deriv),
                            back * v.true[a_name])
            yield ValueSlip(dname, "wrong_sign", Words("the sign is wrong"), -d)
            at_a = _derivative_at_a(act, v.true[a_name])
            if at_a is not None:
                yield ValueSlip(dname, "derivative_at_a",
                                Words("f′ was taken of {a}, not of {z}: f′({a}) = {fa:.4g}",
                                      a=a_sym, z=z_sym, fa=at_a), back * at_a)
            if len(d_next) > 1:
                g = d / back if back else 0.0
                for m in range(len(d_next)):
                    rest = back - d_next[m] * W_next[m, j]
                    yield ValueSlip(dname, "missing_path",
                                    Words("the path through neuron {m} of layer {l} is "
                                          "missing from the sum Σₘ", m=m + 1, l=l + 1),
                                    rest * g)


def other_sample_slips(v: SampleValues):
    """The same quantity of another sample."""
    for k in range(v.p.n_samples):
        if k == v.k:
            continue
        other = sample_values(v.p, k)
        for name, value in other.items():
            yield ValueSlip(name, "other_sample",
                            Words("that is the value of sample {k}, not of sample {mine}",
                                  k=k + 1, mine=v.k + 1), value)


# The value rules; for each quantity, a wrong value is compared with its slips in this order.
VALUE_RULES = [weighted_sum_slips, activation_slips, loss_slips, output_delta_slips,
               hidden_delta_slips, other_sample_slips]


def _value_mistakes(p: Problem, k: int, true: dict[str, float]
                    ) -> dict[str, list[ValueSlip]]:
    """The usual slips in each forward and backward value of sample k, by quantity."""
    values = SampleValues(p, k, true)
    out: dict[str, list[ValueSlip]] = {}
    for rule in VALUE_RULES:
        for slip in rule(values):
            out.setdefault(slip.name, []).append(slip)
    return out


def _derivative_at_a(act, a: float) -> float | None:
    """f′ evaluated at the activation a instead of at z (σ′(a) = σ(a)(1 − σ(a))): a slip
    only where f′ depends on its argument."""
    if not act.elementwise or act.grad is None:
        return None
    x = np.array([a])
    with np.errstate(all="ignore"):
        value = float(act.grad(x, act.value(x))[0])
    return value if np.isfinite(value) else None


def _f_prime(z: sp.Symbol) -> sp.Derivative:
    """f′(z), as a name."""
    return sp.Derivative(sp.Function("f")(z), z)


def _sup(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def _random_points(p: Problem, model: Model, R: int) -> dict[sp.Symbol, np.ndarray]:
    """Random consistent values of every symbol of one sample: weights ~ N(0, 1), inputs
    ~ N(0, 1), targets uniform in (0, 1) (a probability vector for cross-entropy), and z, a,
    ŷ, ℓ, δ computed from them by the engine."""
    rng = np.random.default_rng(20261128)
    net = p.network
    params = {k: rng.normal(0.0, 1.0, (R,) + shape) for k, shape in net.shapes().items()}
    X = rng.normal(0.0, 1.0, (R, 1, net.inputs))
    K = net.outputs
    Y = p.loss_fn.random_targets(rng, (R, 1, K))
    fw = engine.forward(net, params, X)
    bw = engine.backward(net, p.loss_fn, params, fw, Y)
    ell = engine.sample_losses(net, p.loss_fn, fw, Y)[:, 0]
    values: dict[sp.Symbol, np.ndarray] = {model.ell: ell}
    for i, x in enumerate(model.x):
        values[x] = X[:, 0, i]
    for k, (y, yh) in enumerate(zip(model.y, model.yhat)):
        values[y] = Y[:, 0, k]
        values[yh] = fw.output[:, 0, k]
    for l in range(1, model.L + 1):
        for j in range(net.sizes[l]):
            values[model.z[l][j]] = fw.zs[l - 1][:, 0, j]
            values[model.a[l][j]] = fw.activations[l][:, 0, j]
            values[model.delta[l][j]] = bw.deltas[l - 1][:, 0, j]
            values[model.b[l][j]] = params[f"b{l}"][:, j]
            for i, w in enumerate(model.W[l][j]):
                values[w] = params[f"W{l}"][:, j, i]
    return values
