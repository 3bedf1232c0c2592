"""An `Explanation` as Qt rich text: pure functions of the engine's dataclasses, so they are tested without widgets.

Every number shown is a field of the explanation, never recomputed here, so what the reader sees is exactly what
the engine derived. The engine writes its formulas in a plain notation (∂a_j/∂w, e^h1, h2²); `typeset` turns it
into sub- and superscripts, and `fraction` stacks the derivatives of headings and equations. Everything flows as
text that wraps, so a formula never runs off a narrow dock. Colours come from a `TextInk` chosen for the panel's
palette, so the text reads on a dark one too. Weight names are links (`weight_link`): the panel highlights a weight
on the canvas while the mouse is over its name, and selects it on a click.
"""

from __future__ import annotations

import math
import re
from html import escape

import numpy as np

from engine import LOSSES, BiasRef, CheckResult, ParamRef, WeightRef
from engine.explain import Explanation, OutputExplanation, Path, Quantity, Update
from engine.explain.text import number
from gui.colors import TextInk

MAX_VECTOR = 4  # entries of a sample's x or t written out
MAX_TERMS = 12  # rows of δ_j's consumer table: a first-layer neuron of a wide net feeds hundreds, and a QLabel lays
# out a rich-text table at ~3 ms a row (400 rows froze the window for a second, issue 18)
NO_BREAK_SLASH = "/\u2060"  # a slash followed by a word joiner: Qt would otherwise break a line after it
SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_POWER = re.compile(r"\^(\w+|\([^()]*\))")  # e^h1, e^(a_y)
_INDEX = re.compile(r"_(\w+)")  # a_j, w_jk, a_h1
_NUMBERED = re.compile(r"\b([A-Za-z]+)(\d+)\b(?!\[)")  # h1, not h1[0] (a neuron's name)


def typeset(formula: str) -> str:
    """The engine's plain notation as rich text: e^h1 → e<sup>h₁</sup>, u² → u<sup>2</sup>, a_j → a<sub>j</sub>,
    and a layer's value h1 → h<sub>1</sub>, as the notes write h₁. An index inside a super- or subscript is a
    Unicode subscript: Qt's rich text does not nest a <sub> in a <sup>."""
    text = escape(formula, quote=False).replace("²", "<sup>2</sup>")
    text = _POWER.sub(lambda m: f"<sup>{_inner(m[1])}</sup>", text)
    text = _INDEX.sub(lambda m: f"<sub>{_inner(m[1])}</sub>", text)
    return _NUMBERED.sub(r"\1<sub>\2</sub>", text)


def _inner(name: str) -> str:
    return _NUMBERED.sub(lambda m: m[1] + m[2].translate(SUBSCRIPT), name)


def fraction(numerator: str, denominator: str) -> str:
    """A stacked fraction: a one-column table whose first cell is ruled underneath (Qt's rich text has no other)."""
    cell = '<td align="center" style="padding: 0 2px;{}">{}</td>'
    return ('<table cellspacing="0" cellpadding="0"><tr>' + cell.format(" border-bottom: 1px solid;", numerator)
            + "</tr><tr>" + cell.format("", denominator) + "</tr></table>")


def derivative(of: str, by: str, partial: bool = True) -> str:
    d = "∂" if partial else "d"
    return fraction(f"{d}{typeset(of)}", f"{d}{typeset(by)}")


def equation(*cells: str) -> str:
    """Fractions and text side by side on one line, centred (a table cell: a fraction cannot sit in running text).
    The last cell takes the rest of the width and wraps."""
    return ('<table cellspacing="0" cellpadding="0"><tr>'
            + "".join(f'<td valign="middle">{c}</td>' for c in cells) + "</tr></table>")


def _large(html: str) -> str:
    return f'<span style="font-size: large">{html}</span>'


def fmt(v: float, digits: int = 6) -> str:
    return f"{v + 0.0:.{digits}g}"  # + 0.0: a product like (−1) · 0 is 0, not "-0"


def signed(v: float, ink: TextInk, digits: int = 6) -> str:
    """A number coloured by its sign, as the contribution bars are."""
    return f'<span style="color:{ink.positive if v >= 0 else ink.negative}">{fmt(v, digits)}</span>'


def muted(text: str, ink: TextInk) -> str:
    return f'<span style="color:{ink.muted}">{text}</span>'


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


def _where(q: Quantity, text: str | None = None) -> str:
    """Where the quantity belongs (or `text`), a link when it is a weight."""
    where = escape(q.where if text is None else text)
    return where if q.ref is None else f'<a href="{weight_link(q.ref)}">{where}</a>'


def _named(q: Quantity) -> str:
    """`symbol[where]`, the weight's name a link when the quantity is a weight."""
    return f"{typeset(q.symbol)}[{_where(q)}]"


def _row(*cells: str, bold: bool = False) -> str:
    tag = "th" if bold else "td"
    return "<tr>" + "".join(f'<{tag} style="padding: 1px 4px">{c}</{tag}>' for c in cells) + "</tr>"


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


def heading(e: Explanation, ink: TextInk) -> str:
    title = equation(_large(derivative("L", "b" if is_bias(e) else "w")),
                     _large(f"&nbsp;for <b>{escape(e.name)}</b> = <b>{signed(e.gradient, ink, 8)}</b>"))
    return title + muted(f"{escape(LOSSES[e.loss].label)} loss · {scope(e)} of the last step · at the current "
                         "weights (after that step's update; the inspector's dL/dw is from before it)", ink)


def local_form(e: Explanation, ink: TextInk, column: str = "") -> str:
    """dL/dw = ∂a_j/∂w · δ_j, δ_j's own expansion (consumer terms, or the loss's factors), and the product; with a
    batch, the sentence that introduces the samples' table (`batch_table.BatchTable`). `column` names the data
    column (an input feature such as x1·x2) that h_i is, for a weight out of the input layer."""
    loc = e.local
    w = "b" if is_bias(e) else "w"
    batch = e.n_samples > 1
    parts = [equation(derivative("L", w), "&nbsp;=&nbsp;", derivative("a_j", w), "&nbsp;· δ<sub>j</sub>")
             + f"{'averaged over the batch, ' if batch else ''}for neuron j = <b>{escape(loc.delta.where)}</b>"]
    if not batch:
        rows = [_row(f"∂a<sub>j</sub>/∂{w}", "1 (a bias is added to a<sub>j</sub> as it is)" if is_bias(e) else
                     f"h<sub>i</sub> = h[{escape(loc.source.where)}]{_column(column)} = {fmt(loc.source.value)}"),
                _row("a<sub>j</sub>", fmt(loc.a.value))]
        if loc.f_prime is not None:
            rows.append(_row("f′(a<sub>j</sub>)", fmt(loc.f_prime.value)))
        parts.append(_table(rows))
    if loc.f_prime is None:
        factors = " · ".join(f"{_named(q)} {number(q.value)}" for q in loc.loss_factors)
        parts.append(f"δ<sub>j</sub> comes from the loss: {factors}")
    else:
        n = len(loc.terms)
        parts.append(f"δ<sub>j</sub> = f′(a<sub>j</sub>) · Σ<sub>k</sub> w<sub>jk</sub> · δ<sub>k</sub>, over the "
                     f"{n} neuron{'s' if n != 1 else ''} k that j feeds{' (δ as its batch mean)' if batch else ''}:")
        mean = "mean " if batch else ""
        terms = [_row("k", "w<sub>jk</sub>", f"{mean}δ<sub>k</sub>", "w·δ", bold=True)]
        values = [t.value for t in loc.terms]  # each a mean over the samples: taken once
        listed = range(n) if n <= MAX_TERMS else sorted(range(n), key=lambda k: -abs(values[k]))[:MAX_TERMS]
        # k alone names the weight j → k (j is named above), a link to it: a narrow dock keeps one line a row
        terms += [_row(_where(t.weight, t.delta.where), fmt(t.weight.value), fmt(t.delta.value), signed(values[k], ink))
                  for k in listed for t in (loc.terms[k],)]
        if n > MAX_TERMS:
            rest = math.fsum(values[k] for k in set(range(n)).difference(listed))
            terms.append(_row(muted(f"{n - MAX_TERMS} more", ink), "", "", signed(rest, ink)))
        parts.append(_table(terms))
        if n > MAX_TERMS:
            parts.append(muted(f"The {MAX_TERMS} largest |w·δ| are listed; the last row is the sum of the other "
                               f"{n - MAX_TERMS}.", ink))
    product = "δ" if is_bias(e) else "h · δ"
    if batch:
        product = f"mean({product})"
    else:
        parts.append(f"δ<sub>j</sub> = {fmt(loc.delta.value)}")
    parts.append(f"<b>∂L/∂{w} = {product} = {signed(loc.gradient, ink, 8)}</b>")
    if e.penalty is not None:
        parts.append(penalty(e, ink))
    naive = loc.source.value * loc.delta.value
    if batch and not is_bias(e) and not math.isclose(naive, loc.gradient, rel_tol=1e-9, abs_tol=1e-300):
        parts.append(muted(f"Products are taken per sample, then averaged: mean(h) · mean(δ) = {fmt(naive)} is not "
                           "the gradient.", ink))
    if batch:
        what = "δ<sub>j</sub>" if is_bias(e) else "h<sub>i</sub> · δ<sub>j</sub>"
        parts.append(f"Sample by sample n, {what}: each row's factors multiply to its product, and the products' "
                     "mean is the gradient:")  # the panel's `BatchTable` follows
    return "<br>".join(parts)


def penalty(e: Explanation, ink: TextInk) -> str:
    """The weight's L1/L2 penalty adds its own term to the data loss's dL/dw: the gradient training uses."""
    p = e.penalty
    assert p is not None
    return (f"+ the penalty's term ({escape(str(p.penalty))}): {escape(p.formula)}<br>"
            f"<b>∂L/∂w = data loss's + penalty's = {fmt(e.data_gradient, 8)} + {number(p.value, 8)} = "
            f"{signed(e.gradient, ink, 8)}</b>, the gradient training uses")
def _column(column: str) -> str:
    return f", the input <b>{escape(column)}</b>" if column else ""


def factor_chain(path: Path) -> str:
    """The path's factors with their values, loss first, as the chain rule reads: "∂L/∂ŷ 0.4 · ∂ŷ/∂a 0.2 · …".
    A line breaks between factors, never inside one."""
    return " · ".join(f"{typeset(q.symbol.split(' = ')[-1]).replace('/', NO_BREAK_SLASH)}&nbsp;{number(q.value, 4)}"
                      for q in path.factors)


def path_row(n: int, path: Path) -> str:
    """A path list row: its number and neurons, then its factor chain (which wraps in a narrow dock)."""
    return f"{n}. {escape(path.name)}<br>{factor_chain(path)}"


def factor_lines(path: Path) -> str:
    """Every factor on its own line, with where it is taken (a path row's tooltip)."""
    lines = [f"{q.symbol}[{q.where}] = {fmt(q.value)}" for q in path.factors]
    return "\n".join([path.name, *lines, f"product (contribution) = {fmt(path.contribution)}"])


def remainder_text(e: Explanation) -> str:
    n = e.paths.remainder_count
    return f"the other {n} path{'s' if n != 1 else ''} add up to"


def update(u: Update, ink: TextInk) -> str:
    # the settings that act: a zero momentum or weight decay, or a False flag, changes nothing in the step
    hyper = ", ".join(k if v is True else f"{k} {v:g}" for k, v in u.hyper.items() if v or k == "lr")
    parts = [typeset(u.formula()),
             muted(f"{escape(u.optimizer)} ({escape(hyper)}), optimiser step {u.t}; what the next training step on "
                   "this batch does", ink)]
    if u.state_after:
        rows = [_row("moment", "before", "after", bold=True)]
        rows += [_row(escape(name), fmt(u.state_before[name]), fmt(u.state_after[name])) for name in u.state_after]
        parts.append(_table(rows))
    return "<br>".join(parts)


def check(result: CheckResult, ink: TextInk) -> str:
    err = result.rel_error
    colour = ink.good if result.agrees(1e-6) else ink.fair if result.agrees(1e-3) else ink.bad  # gradcheck's rule
    return (f"backprop <b>{fmt(result.backprop, 10)}</b> · central difference <b>{fmt(result.numeric, 10)}</b> · "
            f'relative error <b style="color:{colour}">{err:.1e}</b>')


def output(e: OutputExplanation, ink: TextInk) -> str:
    """dy/dx or ∂y/∂w with no loss: each path in the notes' form — the formulas, then their numbers, then the
    product — and the check."""
    if isinstance(e.target, int):
        title = equation(_large(derivative(e.output, e.name, partial=False)),
                         _large(f"&nbsp;= <b>{signed(e.derivative, ink)}</b>"))
    else:
        by = "w" if isinstance(e.target, WeightRef) else "b"
        title = equation(_large(derivative(e.output, by)),
                         _large(f"&nbsp;for <b>{escape(e.name)}</b> = <b>{signed(e.derivative, ink)}</b>"))
    samples = "one sample" if e.n_samples == 1 else f"the mean over {e.n_samples} samples"
    parts = [title, muted(f"the output {escape(e.output)} itself, no loss; {samples}", ink), "",
             f"<b>Paths to the output</b>: {len(e.paths.paths)} of {e.paths.count} listed"]
    for n, (path, form) in enumerate(zip(e.paths.paths, e.forms, strict=True), 1):
        symbols, numbers = form.sides(typeset)
        parts.append(f"{n}. {escape(path.name.removesuffix(' → L'))}:<br>"
                     f"&nbsp;&nbsp;{symbols} = {numbers} = {signed(form.product, ink)}")
    if e.paths.remainder_count:
        parts.append(f"the other {e.paths.remainder_count} add up to {fmt(e.paths.remainder)}")
    parts.append(f"all paths together: <b>{fmt(e.paths.total)}</b>")
    if e.n_samples > 1:
        parts.append(muted("Each factor shows its mean over the samples and each product is the mean of per-sample "
                           "products, so the factors need not multiply to it: choose one sample to see them do.", ink))
    if e.check is not None:
        parts += ["", f"<b>Check</b> by central differences: {check(e.check, ink)}"]
    return "<br>".join(parts)


def sample_label(k: int, x: np.ndarray, t: np.ndarray) -> str:
    return f"sample {k}: x = {vector(x)}, t = {vector(t)}"
