"""The project's runs (engine.runs) in a project file and back, bounded so a file stays small.

At most `MAX_RUNS` runs, curves of at most `MAX_POINTS` rows (a run decimates its curves when it ends), and final
weights for the newest runs only while their values add up to at most `MAX_SAVED_WEIGHTS`: older runs keep their
curves and metrics but not their weights (written as null). Fields: docs/project-format.md, section runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import numpy as np

from ..history import EPOCH_COLUMNS
from ..runs import MAX_POINTS, MAX_RUNS, Run
from .fields import Field

MAX_SAVED_WEIGHTS = 1_000_000  # values of final weights in one file, over all runs (about 20 MB of JSON)
MAX_STEPS = 2**53


def _number(v: float) -> float | None:
    return None if math.isnan(v) else v


def encode_runs(runs: list[Run]) -> list[dict[str, Any]]:
    """The runs, oldest first; final weights kept from the newest run back while they fit `MAX_SAVED_WEIGHTS`."""
    kept: set[int] = set()
    total = 0
    for run in reversed(runs):
        size = sum(w.size for w in run.weights.values()) if run.weights is not None else 0
        if run.weights is not None and total + size <= MAX_SAVED_WEIGHTS:
            kept.add(run.id)
            total += size
    return [_encode_run(run, run.id in kept) for run in runs[-MAX_RUNS:]]


def _encode_run(run: Run, with_weights: bool) -> dict[str, Any]:
    weights = None
    if with_weights and run.weights is not None:
        weights = [{"kind": kind, "id": ident, "value": w.astype(np.float64).tolist()}
                   for (kind, ident), w in run.weights.items()]
    return {
        "id": run.id, "name": run.name, "started": run.started, "parent": run.parent,
        "settings": run.settings, "data": run.data, "network_seed": run.network_seed,
        "architecture": run.architecture, "start_step": run.start_step, "end_step": run.end_step,
        "duration": run.duration, "final": run.final,
        "losses": [[_number(v) for v in row] for row in run.losses.tolist()],
        "epochs": [[_number(v) for v in row] for row in run.epochs.tolist()],
        "weights": weights,
    }


def decode_runs(f: Field, settings: Callable[[Field], Any], data: Callable[[Field], Any]) -> list[Run]:
    """The runs of a document; `settings` and `data` are the project's own readers of those fields."""
    items = f.items()
    if len(items) > MAX_RUNS:
        raise f.error(f"at most {MAX_RUNS} runs are kept, found {len(items)}")
    runs, total = [], 0
    for rf in items:
        run = _decode_run(rf, settings, data)
        total += sum(w.size for w in run.weights.values()) if run.weights is not None else 0
        if total > MAX_SAVED_WEIGHTS:
            raise rf["weights"].error(f"the runs' weights hold more than {MAX_SAVED_WEIGHTS} values")
        runs.append(run)
    ids = [run.id for run in runs]
    if len(set(ids)) != len(ids):
        raise f.error("two runs have the same id")
    return runs


def _curve(f: Field, width: int) -> np.ndarray:
    n = len(f.items())
    if n > MAX_POINTS:
        raise f.error(f"a run's curve has at most {MAX_POINTS} rows, found {n}")
    return f.array((n, width), np.float64, allow_null=True)


def _weights(f: Field) -> dict[tuple[str, int], np.ndarray] | None:
    if f.optional() is None:
        return None
    weights: dict[tuple[str, int], np.ndarray] = {}
    for entry in f.items():
        kind = entry["kind"].str(("W", "b"))
        ident = entry["id"].int(minimum=1)
        vf = entry["value"]
        rows = vf.items()
        shape = (len(rows),) if kind == "b" else (len(rows), len(rows[0].items()) if rows else 0)
        weights[(kind, ident)] = vf.array(shape, np.float64)
    return weights


def _decode_run(f: Field, settings: Callable[[Field], Any], data: Callable[[Field], Any]) -> Run:
    final = {name: (vf.float() if vf.optional() else None) for name, vf in f["final"].entries()}
    parent = f.get("parent", None).optional()
    return Run(
        id=f["id"].int(minimum=1), name=f["name"].str(), started=f["started"].str(),
        settings=asdict(settings(f["settings"])), data=asdict(data(f["data"])),
        network_seed=f["network_seed"].int(minimum=0), architecture=f["architecture"].str(),
        start_step=f["start_step"].int(0, MAX_STEPS), end_step=f["end_step"].int(0, MAX_STEPS),
        losses=_curve(f["losses"], 2), epochs=_curve(f["epochs"], len(EPOCH_COLUMNS)), final=final,
        duration=f["duration"].float(minimum=0.0), weights=_weights(f["weights"]),
        parent=parent.int(minimum=1) if parent else None,
    )
