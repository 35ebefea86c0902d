"""Building SymPy expressions in textbook order.

SymPy sorts the factors of a product and distributes numbers over sums (2(ŷ − y)/3 becomes
−2y/3 + 2ŷ/3). Derivations are written the way a textbook writes them, so the expressions that
are shown are built unevaluated with these helpers; they evaluate to the same values.
"""

from __future__ import annotations

from .lazy import sp


def product(*factors) -> sp.Expr:
    """f₁·f₂·… in this order, without factors of 1 (unevaluated)."""
    # ``is`` rather than ``==``: SymPy's 1 is a singleton, and equality tests are slow.
    factors = [f if isinstance(f, sp.Basic) else sp.sympify(f) for f in factors]
    factors = [f for f in factors if f is not sp.S.One]
    if not factors:
        return sp.Integer(1)
    if len(factors) == 1:
        return factors[0]
    # Mul(*factors, evaluate=False) without its checks: derivations build thousands of these.
    return sp.Mul._from_args(factors, is_commutative=True)


def quotient(numerator, denominator) -> sp.Expr:
    """numerator/denominator, unevaluated; a numeric denominator becomes a rational factor."""
    denominator = sp.sympify(denominator)
    if denominator == 1:
        return sp.sympify(numerator)
    if denominator.is_Integer:
        return product(sp.Rational(1, int(denominator)), numerator)
    return product(numerator, sp.Pow(denominator, -1, evaluate=False))


def scaled(c, expr) -> sp.Expr:
    """c·expr for a number c, without distributing c over a sum."""
    c = sp.nsimplify(c) if not isinstance(c, sp.Basic) else c
    return product(c, expr)
