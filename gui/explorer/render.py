"""An `Explanation` as Qt rich text: pure functions of the engine's dataclasses, so they are tested without widgets.

Every number shown is a field of the explanation, never recomputed here, so what the reader sees is exactly what
the engine derived. Weight names are links (`weight_link`): the panel highlights a weight on the canvas while the
mouse is over its name, and selects it on a click.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np

from engine import LOSSES, BiasRef, CheckResult, ParamRef, WeightRef
from engine.explain import Explanation, Path, Quantity, Update
from engine.explain.text import number

POSITIVE, NEGATIVE = "#1d5fa8", "#b2182b"  # the signed edge colours' ends: blue > 0, red < 0 (as the canvas)
MUTED = "#5f6b7a"
GOOD, FAIR, BAD = "#1e7b34", "#9a6700", "#b2182b"
MAX_VECTOR = 4  # entries of a sample's x or t written out


def fmt(v: float, digits: int = 6) -> str:
    return f"{v:.{digits}g}"


def signed(v: float, digits: int = 6) -> str:
    """A number coloured by its sign, as the contribution bars are."""
    return f'<span style="color:{POSITIVE if v >= 0 else NEGATIVE}">{fmt(v, digits)}</span>'


def vector(v: np.ndarray) -> str:
    shown = ", ".join(fmt(float(x), 4) for x in np.ravel(v)[:MAX_VECTOR])
    return f"[{shown}{', …' if np.size(v) > MAX_VECTOR else ''}]"


def weight_link(ref: ParamRef) -> str:
    numbers = (ref.conn, ref.i, ref.j) if isinstance(ref, WeightRef) else (ref.layer, ref.j)
    return ":".join([ref.key[0], *map(str, numbers)])


def parse_link(link: str) -> ParamRef | None:
    """The reference a `weight_link` names, or None for any other link."""
    kind, *numbers = link.split(":")
    if len(numbers) != {"W": 3, "b": 2}.get(kind) or not all(n.isdigit() for n in numbers):
        return None
    return WeightRef(*map(int, numbers)) if kind == "W" else BiasRef(*map(int, numbers))


def _where(q: Quantity) -> str:
    """Where the quantity belongs, a link when it is a weight."""
    where = escape(q.where)
    return where if q.ref is None else f'<a href="{weight_link(q.ref)}">{where}</a>'


def _named(q: Quantity) -> str:
    """`symbol[where]`, the weight's name a link when the quantity is a weight."""
    return f"{escape(q.symbol)}[{_where(q)}]"


def _row(*cells: str, bold: bool = False) -> str:
    tag = "th" if bold else "td"
    return "<tr>" + "".join(f'<{tag} style="padding: 1px 6px">{c}</{tag}>' for c in cells) + "</tr>"


def _table(rows: list[str]) -> str:
    return '<table cellspacing="0">' + "".join(rows) + "</table>"


def is_bias(e: Explanation) -> bool:
    return isinstance(e.ref, BiasRef)


def scope(e: Explanation) -> str:
    if e.sample is not None:
        return f"sample {e.sample} alone (the gradient of its own loss)"
    if e.n_samples == 1:
        return "a batch of 1 sample"
    return f"the mean over the batch of {e.n_samples} samples"


def heading(e: Explanation) -> str:
    symbol = "∂L/∂b" if is_bias(e) else "∂L/∂w"
    return (f'<span style="font-size: large"><b>{symbol}</b> for <b>{escape(e.name)}</b> = '
            f"<b>{signed(e.gradient, 8)}</b></span><br>"
            f'<span style="color:{MUTED}">{escape(LOSSES[e.loss].label)} loss · {scope(e)} of the last step · '
            f"at the current weights (after that step's update; the inspector's dL/dw is from before it)</span>")


def local_form(e: Explanation) -> str:
    """dL/dw = ∂a_j/∂w · δ_j, δ_j's own expansion (consumer terms, or the loss's factors), and the product."""
    loc = e.local
    w = "b" if is_bias(e) else "w"
    rows = [_row(f"∂a<sub>j</sub>/∂{w}", "1 (a bias is added to a<sub>j</sub> as it is)" if is_bias(e) else
                 f"h<sub>i</sub> = h[{escape(loc.source.where)}] = {fmt(loc.source.value)}"),
            _row("a<sub>j</sub>", fmt(loc.a.value))]
    if loc.f_prime is not None:
        rows.append(_row("f′(a<sub>j</sub>)", fmt(loc.f_prime.value)))
    parts = [f"∂L/∂{w} = ∂a<sub>j</sub>/∂{w} · δ<sub>j</sub>, for neuron j = <b>{escape(loc.delta.where)}</b>",
             _table(rows)]
    if e.n_samples > 1:
        parts.insert(1, f'<span style="color:{MUTED}">Each factor shows its mean over the batch.</span>')
    if loc.f_prime is None:
        factors = " · ".join(f"{_named(q)} {number(q.value)}" for q in loc.loss_factors)
        parts.append(f"δ<sub>j</sub> comes from the loss: {factors}")
    else:
        n = len(loc.terms)
        parts.append(f"δ<sub>j</sub> = f′(a<sub>j</sub>) · Σ<sub>k</sub> w<sub>jk</sub> · δ<sub>k</sub>, over the "
                     f"{n} neuron{'s' if n != 1 else ''} k that j feeds:")
        terms = [_row("weight", "w<sub>jk</sub>", "δ<sub>k</sub>", "w·δ", bold=True)]
        terms += [_row(_where(t.weight), fmt(t.weight.value), fmt(t.delta.value), signed(t.value))
                  for t in loc.terms]
        parts.append(_table(terms))
    parts.append(f"δ<sub>j</sub> = {fmt(loc.delta.value)}")
    product = "δ" if is_bias(e) else "h · δ"
    if e.n_samples > 1:
        product = f"mean({product})"
    parts.append(f"<b>∂L/∂{w} = {product} = {signed(loc.gradient, 8)}</b>")
    naive = loc.source.value * loc.delta.value
    if e.n_samples > 1 and not is_bias(e) and not math.isclose(naive, loc.gradient, rel_tol=1e-9, abs_tol=1e-300):
        parts.append(f'<span style="color:{MUTED}">Products are taken per sample, then averaged: '
                     f"mean(h) · mean(δ) = {fmt(naive)} is not the gradient.</span>")
    return "<br>".join(parts)


def factor_chain(path: Path) -> str:
    """The path's factors with their values, loss first, as the chain rule reads: "∂L/∂ŷ 0.4 · ∂ŷ/∂a 0.2 · …"."""
    return " · ".join(f"{q.symbol.split(' = ')[-1]} {number(q.value, 4)}" for q in path.factors)


def factor_lines(path: Path) -> str:
    """Every factor on its own line, with where it is taken (a path row's tooltip)."""
    lines = [f"{q.symbol}[{q.where}] = {fmt(q.value)}" for q in path.factors]
    return "\n".join([path.name, *lines, f"product (contribution) = {fmt(path.contribution)}"])


def remainder_text(e: Explanation) -> str:
    n = e.paths.remainder_count
    return f"the other {n} path{'s' if n != 1 else ''} add up to"


def update(u: Update) -> str:
    # the settings that act: a zero momentum or weight decay, or a False flag, changes nothing in the step
    hyper = ", ".join(k if v is True else f"{k} {v:g}" for k, v in u.hyper.items() if v or k == "lr")
    parts = [f"{escape(u.formula())}",
             f'<span style="color:{MUTED}">{escape(u.optimizer)} ({escape(hyper)}), optimiser step {u.t}; '
             "what the next training step on this batch does</span>"]
    if u.state_after:
        rows = [_row("moment", "before", "after", bold=True)]
        rows += [_row(escape(name), fmt(u.state_before[name]), fmt(u.state_after[name])) for name in u.state_after]
        parts.append(_table(rows))
    return "<br>".join(parts)


def check(result: CheckResult) -> str:
    err = result.rel_error
    colour = GOOD if result.agrees(1e-6) else FAIR if result.agrees(1e-3) else BAD  # the gradcheck command's rule
    return (f"backprop <b>{fmt(result.backprop, 10)}</b> · central difference <b>{fmt(result.numeric, 10)}</b> · "
            f'relative error <b style="color:{colour}">{err:.1e}</b>')


def sample_label(k: int, x: np.ndarray, t: np.ndarray) -> str:
    return f"sample {k}: x = {vector(x)}, t = {vector(t)}"
