"""The local form of the chain rule: dL/dw = h_i · δ_j, with δ_j = f'(a_j) · Σ_k w_jk δ_k.

This is what backprop computes, one layer at a time: δ_j gathers, in a single number per sample, the sum over
every path from neuron j to the loss that the path form lists one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .batch import PerSample, Quantity


@dataclass(frozen=True, eq=False)
class Term:
    """One consumer's share of δ_j: w_jk · δ_k."""

    weight: Quantity
    delta: Quantity

    @property
    def value(self) -> float:
        return float(np.mean(self.weight.samples * self.delta.samples))


@dataclass(frozen=True, eq=False)
class LocalForm:
    """dL/dw = mean over samples of source · δ_j (for one sample: its own product).

    At the output layer δ_j comes from the loss (`loss_factors`, their product); elsewhere it is
    f'(a_j) · Σ terms, per sample — so with a batch, the mean of δ_j is not mean f'(a_j) × mean Σ.
    """

    source: Quantity  # ∂a_j/∂w = h_i, or 1 for a bias
    delta: Quantity  # δ_j = ∂ℓ/∂a_j per sample
    a: Quantity
    f_prime: Quantity | None  # None at the output, where δ_j comes from the loss
    terms: tuple[Term, ...]
    loss_factors: tuple[Quantity, ...]

    @property
    def gradient(self) -> float:
        return float(np.mean(self.source.samples * self.delta.samples))

    @property
    def delta_factors(self) -> tuple[Quantity, ...]:
        """δ_j's factors, whose product per sample is δ_j: f'(a_j) and Σ_k w_jk δ_k, or the loss's own factors."""
        if self.f_prime is None:
            return self.loss_factors
        total = sum((t.weight.samples * t.delta.samples for t in self.terms), np.zeros_like(self.delta.samples))
        return self.f_prime, Quantity("Σ w·δ", self.delta.where, total)

    @property
    def product(self) -> Quantity:
        """∂a_j/∂w · δ_j per sample: its batch mean is the gradient."""
        return Quantity("∂a/∂w · δ", self.delta.where, self.source.samples * self.delta.samples)


def local_form(ps: PerSample, pos: int, j: int, source: Quantity) -> LocalForm:
    delta = ps.quantity("δ", pos, j, ps.delta)
    a = ps.quantity("a", pos, j, ps.a)
    if pos == ps.out:
        return LocalForm(source, delta, a, None, (), ps.tail(j))
    terms = tuple(
        Term(ps.weight(c, j, int(k)), ps.quantity("δ", ps.plan.pos[c.target], int(k), ps.delta))
        for c in ps.consumers[pos]
        for k in np.flatnonzero(c.weight.mask[j])
    )
    return LocalForm(source, delta, a, ps.quantity("f'(a)", pos, j, ps.fprime), terms, ())
