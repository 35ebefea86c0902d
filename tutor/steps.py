"""The steps of a derivation, as data. Printing them is the printers' business.

Each class is one kind of step; its docstring states the mathematics it stands for. A
``GradientDerivation`` holds the steps for one parameter p, from the forward definitions to the
numbers; a ``Derivation`` holds one for each parameter asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .problem import ParamRef, Problem


@dataclass(frozen=True)
class Rule:
    """A named differentiation rule, stated generically: ``lhs = rhs`` (σ'(z) = σ(z)(1 − σ(z)))."""

    name: str
    lhs: sp.Expr
    rhs: sp.Expr


@dataclass(frozen=True)
class Definition:
    """A forward definition ``symbol = expr`` (z⁽¹⁾₂ = w⁽¹⁾₂₁x₁ + w⁽¹⁾₂₂x₂ + b⁽¹⁾₂)."""

    symbol: sp.Symbol
    expr: sp.Expr


@dataclass(frozen=True)
class Partial:
    """The name ∂of/∂wrt of a derivative, not its value."""

    of: sp.Symbol
    wrt: sp.Symbol


# Local derivatives and fusions are made once per edge and shared by every parameter whose
# paths cross it: identity is equality for them (eq=False), which keeps hashing cheap.
@dataclass(frozen=True, eq=False)
class LocalDerivative:
    """One edge of the computation graph: ∂out/∂in = result, by ``rule``."""

    partial: Partial
    result: sp.Expr
    rule: Rule


@dataclass(frozen=True)
class ChainPath:
    """One path p → z → … → ℓ through the graph. Its chain-rule term is the product of its
    local derivatives; ``factors`` are ordered from the loss back to p (∂ℓ/∂ŷ first)."""

    nodes: tuple[sp.Symbol, ...]
    factors: tuple[LocalDerivative, ...]


@dataclass(frozen=True, eq=False)
class Fusion:
    """∂ℓ/∂zₘ = Σₖ ∂ℓ/∂ŷₖ · ∂ŷₖ/∂zₘ, which for a matched loss and output activation cancels to
    a simple form: BCE∘sigmoid gives (ŷₘ − yₘ)/K, CE∘softmax gives ŷₘ − yₘ."""

    z: sp.Symbol
    terms: tuple[tuple[LocalDerivative, LocalDerivative], ...]
    before: sp.Expr
    result: sp.Expr
    title: str


@dataclass(frozen=True)
class DeltaForm:
    """The same gradient by backpropagated errors δ = ∂ℓ/∂z:
    δ⁽ᴸ⁾ from the loss; δ⁽ˡ⁾ⱼ = (Σₘ w⁽ˡ⁺¹⁾ₘⱼ δ⁽ˡ⁺¹⁾ₘ) f'(z⁽ˡ⁾ⱼ);
    ∂ℓ/∂w⁽ˡ⁾ⱼᵢ = δ⁽ˡ⁾ⱼ a⁽ˡ⁻¹⁾ᵢ and ∂ℓ/∂b⁽ˡ⁾ⱼ = δ⁽ˡ⁾ⱼ; in matrices,
    δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾) ⊙ f'(z⁽ˡ⁾) and ∂L/∂W⁽ˡ⁾ = (1/N) Σₙ δ⁽ˡ⁾ₙ a⁽ˡ⁻¹⁾ₙᵀ.

    ``deltas`` run from the output layer down to p's neuron."""

    layer: int
    layers: int
    kind: str
    deltas: tuple[Definition, ...]
    gradient: sp.Expr


@dataclass(frozen=True)
class Numbers:
    """The values for one sample (1-based ``sample``) and the batch mean.

    values: (symbol, value) for the sample, in forward order (x, z, a, ŷ, y, ℓ);
    factors: (local derivative, value) for the sample; deltas: (δ symbol, value);
    per_sample: ∂ℓₙ/∂p for n = 1..N; gradient: ∂L/∂p = mean of per_sample."""

    sample: int
    values: tuple[tuple[sp.Symbol, float], ...]
    factors: tuple[tuple[LocalDerivative, float], ...]
    fusions: tuple[tuple[Fusion, float], ...]
    deltas: tuple[tuple[sp.Symbol, float], ...]
    per_sample: tuple[float, ...]
    gradient: float

    @property
    def sample_gradient(self) -> float:
        return self.per_sample[self.sample - 1]


@dataclass(frozen=True)
class Check:
    """∂L/∂p computed three independent ways, and their relative errors
    |a − b| / max(|a|, |b|, floor) against the NumPy engine's value (the floors are in
    gradcheck: the magnitude below which each comparison cannot resolve its tolerance).

    symbolic: the derived expression, lambdified, at values from the SymPy forward definitions;
    numpy: the engine's vectorised backward pass; finite_difference: the fourth-order central
    difference [L(p−2h) − 8L(p−h) + 8L(p+h) − L(p+2h)] / 12h of the engine's loss, with step
    ``fd_step``; its tolerance ``fd_tol`` is 1e-7 or, if larger, its own estimated error
    (gradcheck). ``kink``: an activation's kink (relu's 0) lies within p ± 2h, so the
    difference straddles it and is not a check of the derivative there."""

    symbolic: float
    numpy: float
    finite_difference: float
    symbolic_error: float
    fd_error: float
    kink: bool
    symbolic_tol: float
    fd_tol: float
    fd_step: float = 0.0

    @property
    def symbolic_ok(self) -> bool:
        return self.symbolic_error <= self.symbolic_tol

    @property
    def fd_ok(self) -> bool:
        return self.kink or self.fd_error <= self.fd_tol

    @property
    def ok(self) -> bool:
        return self.symbolic_ok and self.fd_ok


@dataclass(frozen=True)
class GradientDerivation:
    """∂L/∂p for one parameter p, from definitions to verified numbers."""

    param: ParamRef
    symbol: sp.Symbol
    value: float
    definitions: tuple[Definition, ...]
    paths: tuple[ChainPath, ...]
    local: tuple[LocalDerivative, ...]
    fusions: tuple[Fusion, ...]
    expression: sp.Expr
    delta: DeltaForm
    numbers: Numbers
    check: Check
    # How many paths lead from p to ℓ; when more than ``paths`` holds, those are the first
    # few and ``expression`` is the delta form (the same sum, grouped by layer).
    path_count: int = 0

    @property
    def grouped(self) -> bool:
        return self.path_count > len(self.paths)


@dataclass(frozen=True)
class Derivation:
    """The derivations asked for on ``problem``, at its parameters; ``loss`` is the batch L."""

    problem: Problem
    loss: float
    sample: int
    gradients: tuple[GradientDerivation, ...]

    @property
    def ok(self) -> bool:
        return all(g.check.ok for g in self.gradients)

    def __getitem__(self, name: str) -> GradientDerivation:
        for g in self.gradients:
            if g.param.name == name:
                return g
        raise KeyError(name)
