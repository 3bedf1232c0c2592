"""The colour of the explorer's gradient check: green for a gradient that agrees with central differences up to
their rounding, by the same rule as `python -m engine gradcheck` (`CheckResult.agrees`)."""

from __future__ import annotations

from engine import CheckResult, WeightRef
from gui.colors import INK_ON_LIGHT
from gui.explorer.render import check

REF = WeightRef(1, 0, 0)
GOOD, FAIR, BAD = INK_ON_LIGHT.good, INK_ON_LIGHT.fair, INK_ON_LIGHT.bad


def colour(backprop: float, numeric: float) -> str:
    html = check(CheckResult(REF, "w", backprop, numeric), INK_ON_LIGHT)
    return next(c for c in (GOOD, FAIR, BAD) if f"color:{c}" in html)


def test_a_correct_tiny_gradient_is_green():
    assert colour(1.0e-4, 1.0e-4 * (1 + 1.9e-6)) == GOOD  # relative error 1.9e-6, absolute 1.9e-10: rounding


def test_large_gradients_are_still_judged_by_their_relative_error():
    assert colour(2.0, 2.0 * (1 + 1e-7)) == GOOD
    assert colour(2.0, 2.0 * (1 + 1e-4)) == FAIR
    assert colour(2.0, 2.5) == BAD
    assert colour(1.0e-4, 1.2e-4) == BAD
