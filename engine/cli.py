"""`python -m engine`: train, evaluate, export, gradient-check and describe project files without the GUI.

Everything here goes through the same engine API as the GUI, so a run on the command line reproduces what the
app shows. A user's mistake (a missing file, a bad project, data that does not fit) ends with one line
`error: ...` on stderr and exit status 2, never a traceback; commands are documented in docs/cli.md.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TextIO

import numpy as np

from .counting import parameter_count
from .datasets import Dataset
from .errors import BackpropError, GraphError, ProjectError
from .export import FORMATS, export_network
from .gradcheck import all_refs, gradient_check
from .graph.model import Network
from .graph.validate import validate
from .optim import make_optimizer
from .project import Project, load_project, save_project
from .refs import BiasRef, ParamRef, WeightRef
from .runs import brief
from .surface import gradient_slice, loss_surface
from .training import StepResult, Trainer

BAR_WIDTH = 30
REDRAW_SECONDS = 0.1


def _out(line: str = "") -> None:
    print(line, file=sys.stdout)


def _shown(text: object) -> str:
    """Text from a file as it may reach a terminal: each non-printable character (an escape sequence's ESC, a
    NUL, a lone surrogate) written as its Python escape, so a file cannot drive the terminal or crash the print."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in str(text))


def _load(args: argparse.Namespace) -> tuple[Project, Dataset, Dataset]:
    project = load_project(args.project)
    train, val, _ = project.data.load(project.base_dir)
    return project, train, val


def _metrics_lines(metric: str, rows: dict[str, tuple[float, float]]) -> list[str]:
    lines = [f"{'':12}{'loss':>12}{metric:>12}"]
    lines += [f"{name:12}{loss:12.6g}{value:12.4f}" for name, (loss, value) in rows.items()]
    return lines


# -------------------------------------------------------------------------------------------------- train
class ProgressBar:
    """One self-overwriting line on stderr, redrawn at most every REDRAW_SECONDS so printing never slows the run."""

    def __init__(self, first: int, last: int, stream: TextIO | None = None):
        self.first, self.last = first, last
        self.stream = stream or sys.stderr
        self._drawn = 0.0

    def update(self, result: StepResult, force: bool = False) -> None:
        now = time.monotonic()
        if not (force or (result.epoch_done and now - self._drawn >= REDRAW_SECONDS)):
            return
        self._drawn = now
        done = result.epoch - self.first
        total = max(self.last - self.first, 1)
        filled = round(BAR_WIDTH * min(done / total, 1.0))
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        loss = result.epoch_metrics["train_loss"] if result.epoch_metrics else result.loss
        self.stream.write(f"\r[{bar}] epoch {done}/{total}  loss {loss:.5g}")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")


def _check_writable(folder: Path) -> None:
    """Fail before a long run, not after it, when its result could not be saved: write and remove a file there
    (asking `os.access` says yes to root even on a read-only file system)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".bps-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ProjectError(f"cannot write in {str(folder)!r}: {exc.strerror or exc}") from None


def cmd_train(args: argparse.Namespace) -> int:
    project, train, val = _load(args)
    out = Path(args.out or args.project)  # project.path is Path(args.project)
    _check_writable(out.parent)
    trainer = project.make_trainer(train, val)
    first = trainer.epoch
    epochs = args.epochs or project.settings.epochs
    # the budget counts epochs in total, and this run continues the saved one: stop `epochs` from here
    trainer.settings = replace(project.settings, epochs=first + epochs)
    start_loss = trainer.evaluate(trainer.x, trainer.t)[0]
    bar = ProgressBar(first, first + epochs)
    started = time.monotonic()
    result = None
    try:
        for result in trainer.run():
            bar.update(result)
            if result.warning is not None:
                print(f"\nwarning: {result.warning}", file=sys.stderr)
        if result is not None:
            bar.update(result, force=True)
    finally:
        bar.close()
    project.update_from(trainer)
    trained = trainer.epoch - first
    _out(f"trained {trained} epochs in {time.monotonic() - started:.1f} s (epoch {trainer.epoch}, step "
         f"{trainer.step_count} of the whole run)")
    if trained < epochs:
        _out(f"stopped early: {trainer.stop_reason}")
    _out(f"training loss {start_loss:.6g} → {trainer.evaluate(trainer.x, trainer.t)[0]:.6g}")
    _report(trainer)
    save_project(project, out)
    _out(f"saved {out}")
    return 0


# -------------------------------------------------------------------------------------------------- evaluate
def _report(trainer: Trainer) -> None:
    rows = {"train": trainer.evaluate(trainer.x, trainer.t)}
    if trainer.x_val is not None and trainer.t_val is not None:
        rows["validation"] = trainer.evaluate(trainer.x_val, trainer.t_val)
    for line in _metrics_lines(trainer.metric, rows):
        _out(line)


def cmd_evaluate(args: argparse.Namespace) -> int:
    project, train, val = _load(args)
    _report(Trainer(project.network, train.X, train.y, project.settings, val.X, val.y))
    return 0


# -------------------------------------------------------------------------------------------------- export
def cmd_export(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    # the model takes raw rows: it standardises them itself when the project does
    export_network(project.network, args.out, args.format, project.data.input_transform(project.base_dir))
    _out(f"exported {args.format} to {args.out}")
    return 0


# -------------------------------------------------------------------------------------------------- gradcheck
def cmd_gradcheck(args: argparse.Namespace) -> int:
    project, train, _ = _load(args)
    net, loss = project.network, project.settings.loss
    if net.dtype != np.float64:
        net.set_dtype(np.float64)  # central differences need float64; the file is not written back
        _out("(the network is float32; checking it in float64)")
    validate(net, loss, n_features=train.n_features)
    refs = all_refs(net)
    if len(refs) > args.limit:
        picked = np.random.default_rng(0).choice(len(refs), args.limit, replace=False)
        refs = [refs[k] for k in sorted(picked)]
    n = min(args.samples, train.n_samples)
    results = gradient_check(net, train.X[:n], train.y[:n], loss, refs, eps=args.eps)
    failed = [r for r in results if not r.agrees(args.tol)]
    _out(f"checked {len(results)} of {len(all_refs(net))} parameters on {n} samples (ε = {args.eps:g})")
    _out("worst relative errors:")
    for r in sorted(results, key=lambda r: r.rel_error, reverse=True)[: args.show]:
        _out(f"  {r.name:28} backprop {r.backprop: .6e}  numeric {r.numeric: .6e}  rel. error {r.rel_error:.2e}")
    worst = max((r.rel_error for r in results), default=0.0)
    if failed:
        _out(f"FAIL: {len(failed)} of {len(results)} gradients differ by more than {args.tol:g} (relative)")
        return 1
    _out(f"PASS: all {len(results)} gradients agree within {args.tol:g} (worst relative error {worst:.2e})")
    return 0


# -------------------------------------------------------------------------------------------------- info
def _info_data(project: Project) -> list[str]:
    d = project.data
    params = ", ".join(f"{k}={v!r}" if brief(v) is v else f"{k}={brief(v)}" for k, v in d.params.items())
    lines = [f"data: {d.kind} {_shown(d.name)}" + (f" ({_shown(params)})" if params else ""),
             f"  validation fraction {d.val_fraction:g}, split seed {d.split_seed}, "
             f"standardised: {'yes' if d.standardize else 'no'}"]
    if d.features:
        lines.append(f"  input features (before standardising): {', '.join(d.features)}")
    try:
        train, val, scaler = d.load(project.base_dir)
    except BackpropError as exc:
        return [*lines, f"  (cannot load the data: {_shown(exc)})"]
    kind = f"{train.n_classes} classes" if train.n_classes else f"{train.n_outputs} targets"
    lines.append(f"  {train.n_samples} training / {val.n_samples} validation samples, {train.n_features} features, "
                 f"{kind}")
    if scaler is not None:
        lines.append(f"  standardiser mean {np.array2string(scaler.mean, precision=6)}")
        lines.append(f"  standardiser std  {np.array2string(scaler.std, precision=6)}")
    return lines


def _info_runs(project: Project) -> list[str]:
    lines = [f"runs: {len(project.runs)} kept" if project.runs else "runs: none yet"]
    for run in project.runs:
        s = run.settings
        params = ", ".join(f"{k}={v}" for k, v in (s.get("optimizer_params") or {}).items())
        final = ", ".join(f"{name} {value:.6g}" for name, value in run.final.items() if value is not None)
        weights = "final weights kept" if run.weights is not None else "final weights not kept"
        branch = f", continued from run {run.parent}" if run.parent is not None else ""
        lines.append(f"  [{run.id}] {_shown(run.name)}: steps {run.start_step}–{run.end_step}, {run.duration:.1f} s, "
                     f"started {_shown(run.started)}{branch}")
        lines.append(f"      {run.architecture}, {s.get('optimizer')}" + (f" ({params})" if params else "") +
                     f", batch size {s.get('batch_size')}, shuffle seed {run.seed}, network seed {run.network_seed}, "
                     f"data {_shown(run.data.get('name'))}; {final or 'no epoch finished'}; {weights}")
    return lines


def cmd_info(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    net, s = project.network, project.settings
    _out(f"project: {_shown(project.path)}")
    _out(f"network: {net.dtype.name}, seed {net.seed}, {len(net.layers)} layers, {len(net.connections)} "
         f"connections, {parameter_count(net)} = {net.n_weights + net.n_biases} parameters")
    _out("layers:")
    for lay in net.layers.values():
        _out(f"  [{lay.id}] {_shown(lay.name):12} {lay.kind:7} size {lay.size:<5} {lay.activation}")
    _out("connections:")
    for c in net.connections.values():
        w = c.weight
        frozen = int((w.frozen & w.mask).sum())
        extra = f", {frozen} frozen" if frozen else ""
        extra += f", own regularisation {c.penalty}" if c.penalty is not None else ""
        ends = " → ".join(_shown(net.layer(lid).name) for lid in (c.source, c.target))
        _out(f"  [{c.id}] {ends}: {int(w.mask.sum())} of {w.mask.size} weights "
             f"({'dense' if c.dense else 'drawn pairs'}, {c.init}{extra})")
    for line in _info_data(project):
        _out(line)
    opt = ", ".join(f"{k}={v}" for k, v in s.optimizer_params.items())
    _out(f"settings: loss {s.loss}, optimiser {s.optimizer}" + (f" ({opt})" if opt else "") +
         f", batch size {s.batch_size}, {s.epochs} epochs, target loss {s.target_loss}, patience {s.patience}, "
         f"shuffle seed {s.seed}, regularisation {s.penalty}")
    epochs = project.history.epochs.data()
    _out(f"history: {len(project.history.losses.data())} steps and {len(epochs)} epochs recorded, "
         f"{project.optimizer_t} optimiser steps taken")
    if len(epochs):
        _out(f"  last epoch {int(epochs[-1, 0])}: train loss {epochs[-1, 2]:.6g}, validation loss {epochs[-1, 4]:.6g}")
    for line in _info_runs(project):
        _out(line)
    return 0


# -------------------------------------------------------------------------------------------------- surface
_NEURON = r"\s*(.+?)\[(\d+)\]\s*"
_WEIGHT = re.compile(_NEURON + r"(?:->|→)" + _NEURON)
_BIAS = re.compile(r"\s*b\s+" + _NEURON)


def parse_ref(network: Network, text: str) -> ParamRef:
    """A weight or bias named as `gradcheck` prints it: `in[0] → h1[2]` (or `->`) for a weight, `b h1[2]` for a
    bias, layers by name."""

    def layer(name: str, neuron: str) -> int:
        found = [lay for lay in network.layers.values() if lay.name == name]
        if len(found) != 1:
            raise GraphError(f"{text!r}: {'no' if not found else 'more than one'} layer is named {name!r}")
        if int(neuron) >= found[0].size:
            raise GraphError(f"{text!r}: layer {name!r} has {found[0].size} neurons, numbered from 0")
        return found[0].id

    if (m := _WEIGHT.fullmatch(text)) is not None:
        conn = network.find_connection(layer(m[1], m[2]), layer(m[3], m[4]))
        if conn is None:
            raise GraphError(f"{text!r}: no connection runs from {m[1]!r} to {m[3]!r}")
        ref: ParamRef = WeightRef(conn.id, int(m[2]), int(m[4]))
    elif (m := _BIAS.fullmatch(text)) is not None:
        ref = BiasRef(layer(m[1], m[2]), int(m[2]))
    else:
        raise GraphError(f"{text!r} names no weight or bias; write a weight as 'in[0]->h1[2]', a bias as 'b h1[2]'")
    try:
        network.check_ref(ref)
    except GraphError as exc:
        raise GraphError(f"{text!r}: {exc}") from None
    return ref


def cmd_surface(args: argparse.Namespace) -> int:
    project, train, _ = _load(args)
    net = project.network
    refs = [parse_ref(net, text) for text in args.weights]
    n = min(args.samples or train.n_samples, train.n_samples)
    x, y = train.X[:n], train.y[:n]
    s = loss_surface(net, x, y, project.settings.loss, refs, args.points, args.span, project.settings.penalty)
    arrays = {"loss": s.loss, "center": np.array(s.center), "center_loss": np.array(s.center_loss),
              "names": np.array(s.names), **{f"axis{k}": axis for k, axis in enumerate(s.axes)}}
    if len(refs) == 1:  # one weight: also the slice along its own gradient step, w − t·lr·dL/dw
        settings = project.settings
        lr = make_optimizer(settings.optimizer, **settings.optimizer_params).lr
        sl = gradient_slice(net, x, y, settings.loss, lr, refs=refs)
        arrays |= {"slice_t": sl.t, "slice_loss": sl.loss, "slice_lr": np.array(lr)}
    with open(args.out, "wb") as f:  # to the name given: np.savez would append .npz to a name without it
        np.savez(f, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds as its allow_pickle flag
    _out(f"loss over {' × '.join(str(len(a)) for a in s.axes)} values of {', '.join(s.names)} on {n} training "
         f"samples: {np.nanmin(s.loss):.6g} … {np.nanmax(s.loss):.6g} (now {s.center_loss:.6g})")
    _out(f"saved {args.out}")
    return 0


# -------------------------------------------------------------------------------------------------- entry point
def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be ≥ 1, not {value}")
    return value


def _positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, not {text}")
    return value


def _file_name(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a file, not an empty string")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("project", help="project file (.bps.json)")
        p.set_defaults(run=run)
        return p

    p = command("train", cmd_train, "train a project and save it (in place, or to --out)")
    p.add_argument("--epochs", type=_positive, help="epochs to train now (default: the project's epoch budget)")
    p.add_argument("--out", type=_file_name, help="save the trained project here instead of over PROJECT")
    command("evaluate", cmd_evaluate, "loss and accuracy (or R²) on the training and validation sets")
    p = command("export", cmd_export, "export the network's weights or code")
    p.add_argument("--format", required=True, choices=list(FORMATS))
    p.add_argument("--out", required=True, type=_file_name, help="file to write")
    p = command("gradcheck", cmd_gradcheck, "compare backprop's gradients with central differences")
    p.add_argument("--samples", type=_positive, default=16, help="training samples in the batch (default 16)")
    p.add_argument("--limit", type=_positive, default=2000, help="check at most this many parameters (default 2000)")
    p.add_argument("--eps", type=_positive_number, default=1e-6, help="finite-difference step (default 1e-6)")
    p.add_argument("--tol", type=_positive_number, default=1e-5,
                   help="largest relative error that passes (default 1e-5)")
    p.add_argument("--show", type=int, default=5, help="how many of the worst parameters to list (default 5)")
    command("info", cmd_info, "describe the network, data, settings, history and runs")
    p = command("surface", cmd_surface, "the loss over a grid of one or two weights around their current values")
    p.add_argument("--weights", required=True, nargs="+", metavar="REF",
                   help="one or two weights ('in[0]->h1[2]') or biases ('b h1[2]'), as gradcheck names them")
    p.add_argument("--out", required=True, type=_file_name, help=".npz file to write")
    p.add_argument("--points", type=_positive, default=64, help="grid points per axis (default 64)")
    p.add_argument("--span", type=_positive_number,
                   help="how far each axis reaches either side of the current value (default max(1, 3|w|))")
    p.add_argument("--samples", type=_positive, help="use the first N training samples (default: all)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        run: Callable[[argparse.Namespace], int] = args.run
        return run(args)
    except BackpropError as exc:
        message = str(exc)
    except OSError as exc:
        message = f"{exc.filename}: {exc.strerror}" if exc.filename and exc.strerror else str(exc)
    print(f"error: {_shown(' '.join(message.split()))}", file=sys.stderr)
    return 2
