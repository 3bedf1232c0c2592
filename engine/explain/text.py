"""Plain-text rendering of an explanation, for the CLI and the tests (the GUI renders the dataclass itself)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .explanation import Explanation


def number(v: float, digits: int = 6) -> str:
    """A number to write inside a formula: negative ones in parentheses, so "0.1 · (-0.3)" reads unambiguously."""
    text = f"{v:.{digits}g}"
    return f"({text})" if v < 0 else text


def render(e: Explanation) -> str:
    return "\n".join([*_heading(e), *_local(e), *_paths(e), *_penalty(e), *_update(e), *_check(e)])


def _heading(e: Explanation) -> list[str]:
    if e.sample is not None:
        scope = f"sample {e.sample} alone: the gradient of that sample's own loss (a batch of size 1)"
    elif e.n_samples == 1:
        scope = "a batch of 1 sample"
    else:
        scope = (f"a batch of {e.n_samples} samples: dL/dw = mean over samples of per-sample products; "
                 "each factor below shows its batch mean")
    return [f"∂L/∂w for {e.name} = {e.gradient:.6g}   ({e.loss} loss; {scope})"]


def _local(e: Explanation) -> list[str]:
    loc = e.local
    lines = ["", "Local form: dL/dw = ∂a_j/∂w · δ_j", f"  {loc.source}", f"  {loc.a}"]
    if loc.f_prime is None:
        factors = " · ".join(str(f) for f in loc.loss_factors)
        lines.append(f"  δ_j from the loss: {factors}")
    else:
        lines.append(f"  {loc.f_prime}")
        lines.append("  δ_j = f'(a_j) · Σ_k w_jk · δ_k, over:")
        lines += [f"    {t.weight} × {t.delta} → {t.value:.6g}" for t in loc.terms]
    lines.append(f"  {loc.delta}")
    lines.append(f"  dL/dw = mean(∂a_j/∂w · δ_j) = {loc.gradient:.6g}")
    return lines


def _paths(e: Explanation) -> list[str]:
    pf = e.paths
    lines = ["", f"Paths to the loss: {len(pf.paths)} of {pf.count} listed, largest |contribution| first"]
    for n, path in enumerate(pf.paths, 1):
        lines.append(f"  {n}. {path}")
    if pf.remainder_count:
        rest = "the other path adds" if pf.remainder_count == 1 else f"the other {pf.remainder_count} paths add"
        lines.append(f"  {rest} up to {pf.remainder:.6g} ({pf.remainder_method})")
    lines.append(f"  all paths together: {pf.total:.6g}")
    return lines


def _penalty(e: Explanation) -> list[str]:
    if e.penalty is None:
        return []
    p = e.penalty
    return ["", f"Penalty ({p.penalty}): + {p.formula}",
            f"  dL/dw = all paths + penalty = {e.paths.total:.6g} + {number(p.value)} = {e.gradient:.6g}"]


def _update(e: Explanation) -> list[str]:
    u = e.update
    hyper = ", ".join(f"{k} {v}" if isinstance(v, bool) else f"{k} {v:g}" for k, v in u.hyper.items())
    lines = ["", f"Update ({u.optimizer}: {hyper})", f"  {u.formula()}"]
    lines += [f"  {name}: {u.state_before[name]:.6g} → {u.state_after[name]:.6g}" for name in u.state_after]
    return lines


def _check(e: Explanation) -> list[str]:
    if e.check is None:
        return []
    c = e.check
    return ["", f"Check by central differences: {c.numeric:.6g} (relative error {c.rel_error:.1e})"]
