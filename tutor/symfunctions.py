"""tutor's own SymPy functions: σ, relu, leaky relu, softplus, silu, elu, each with its
derivative. Imported only when SymPy is needed (``activations`` reaches them lazily), so that
commands without symbolic mathematics (``tutor train``) do not import SymPy."""

from __future__ import annotations

import sympy as sp


class _RealFunction(sp.Function):
    """A function real wherever its arguments are (so that |f(z)|′ is sign(f(z))·f′(z))."""

    def _eval_is_real(self):
        return all(a.is_real for a in self.args) or None


class sigma(_RealFunction):
    """The logistic sigmoid σ(z) = 1/(1 + e^(−z))."""

    def fdiff(self, argindex=1):
        return sigma(self.args[0]) * (1 - sigma(self.args[0]))


class relu(_RealFunction):
    """relu(z) = max(0, z)."""

    def fdiff(self, argindex=1):
        return sp.Heaviside(self.args[0], 0)


class leaky_relu(_RealFunction):
    """leaky_relu(z, s) = z for z > 0, s·z otherwise."""

    nargs = 2

    def fdiff(self, argindex=1):
        z, s = self.args
        return sp.Piecewise((1, z > 0), (s, True))


class softplus(_RealFunction):
    """softplus(z) = ln(1 + e^z), a smooth relu."""

    def fdiff(self, argindex=1):
        return sigma(self.args[0])


class silu(_RealFunction):
    """silu(z) = z·σ(z) (also called swish)."""

    def fdiff(self, argindex=1):
        z = self.args[0]
        return sigma(z) * (1 + z * (1 - sigma(z)))


class elu(_RealFunction):
    """elu(z, α) = z for z > 0, α(e^z − 1) otherwise."""

    nargs = 2

    def fdiff(self, argindex=1):
        z, alpha = self.args
        return sp.Piecewise((1, z > 0), (alpha * sp.exp(z), True))
