"""A `Project` as one JSON document (the current format version) and back, checking every field on the way in.

The layout is documented field by field in docs/project-format.md. Reading never trusts a value's type: each
field goes through `Field`, so a bad file fails with the JSON path of the first bad value, never with a
`KeyError` or a `TypeError` from deep inside.
"""

from __future__ import annotations

import json
import math
import os
import reprlib
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..datasets import BUNDLED, GENERATOR_PARAMS, TASKS
from ..datasets.transform import FEATURES, feature_set
from ..errors import ProjectError, TrainingError
from ..history import EPOCH_COLUMNS, History
from ..losses import LOSSES
from ..optim import OPTIMIZERS, make_optimizer
from ..regularization import NO_PENALTY
from ..training import TrainSettings
from .data import KINDS, DataSpec
from .fields import Field
from .migrate import FORMAT, VERSION
from .network_codec import MAX_SEED, decode_network, decode_penalty, encode_network
from .opening import opening_selection
from .painted import decode_painted
from .project import Project
from .runs_codec import decode_runs, encode_runs

# bounds on the memory a (possibly hostile) file can make us allocate
MAX_HISTORY = 1_000_000  # rows per history series
MAX_SAMPLES = 10_000_000  # a generator's n_samples (the generators themselves set no upper bound)
MAX_STEPS = 2**53  # step and epoch counts: exact as floats (Adam raises β to the step count; 10**400 overflowed)
MAX_UI_DEPTH = 64  # nesting of the GUI state: deeper crashed every recursive reader with RecursionError


# ---------------------------------------------------------------------------------------------------- writing
def _rows(data: np.ndarray) -> list[list[float | None]]:
    """History rows, NaN (no value yet, e.g. no validation set) written as null: JSON has no NaN."""
    return [[None if math.isnan(v) else v for v in row] for row in data.tolist()]


def json_default(value: object) -> object:
    """`json.dumps(default=...)`: NumPy scalars (a GUI spin box may hand one over) as the numbers they hold,
    arrays (the shuffling order in `progress`) as lists."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"a {type(value).__name__} cannot be written to a project file")


def stored_csv_name(spec: DataSpec, old_base: Path | None, new_base: Path) -> str:
    """The CSV path relative to `new_base` (POSIX separators, so a project folder moves between systems)."""
    path = spec.csv_path(old_base).absolute()
    try:
        return Path(os.path.relpath(path, new_base.absolute())).as_posix()
    except ValueError:  # another drive on Windows: no relative path exists
        return str(path)


def _depth(value: object) -> int:
    """How deeply lists and objects nest in `value`, without recursing (so any depth can be measured)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def check_ui(ui: object) -> dict[str, Any]:
    """The GUI state is free-form, but it must be a JSON object of JSON values (no NaN: JSON has none)."""
    if not isinstance(ui, dict):
        raise ProjectError(f"the GUI state must be an object, not {type(ui).__name__}", field="ui")
    if _depth(ui) > MAX_UI_DEPTH:
        raise ProjectError(f"the GUI state nests more than {MAX_UI_DEPTH} levels deep", field="ui")
    try:
        json.dumps(ui, allow_nan=False, default=json_default)
    except (TypeError, ValueError) as exc:
        raise ProjectError(f"the GUI state cannot be written as JSON: {exc}", field="ui") from None
    return ui


def encode_data(data: DataSpec) -> dict[str, Any]:
    """The data recipe; without input features the key is left out, so such a file reads as it did before them."""
    fields = asdict(data)
    if not data.features:
        del fields["features"]
    return fields


def encode_document(project: Project, data: DataSpec) -> dict[str, Any]:
    """The document for `project`, with `data` in place of project.data (its CSV path made relative already)."""
    check_ui(project.ui)
    h = project.history
    settings = asdict(project.settings)
    # written only when set, as a connection's own penalty is: files without one stay as they were before penalties
    if project.settings.penalty == NO_PENALTY:
        del settings["penalty"]
    penalties = _rows(h.penalties.data())
    return {
        "format": FORMAT,
        "version": VERSION,
        **encode_network(project.network),
        "optimizer_t": int(project.optimizer_t),
        "settings": settings,
        "data": encode_data(data),
        "history": {"capacity": h.capacity, "snapshot_every": h.snapshot_every,
                    "snapshots_kept": h.snapshots.maxlen, "losses": _rows(h.losses.data()),
                    **({"penalties": penalties} if penalties else {}), "epochs": _rows(h.epochs.data())},
        "progress": project.progress,
        "runs": encode_runs(project.runs),
        "runs_made": project.runs_made,
        "ui": project.ui,
    }


# ---------------------------------------------------------------------------------------------------- reading
def decode_settings(f: Field) -> TrainSettings:
    optimizer = f["optimizer"].str(tuple(OPTIMIZERS))
    pf = f["optimizer_params"]
    defaults = OPTIMIZERS[optimizer].defaults
    params = {}
    for name, vf in pf.entries():
        if name not in defaults:
            raise vf.error(f"{optimizer} has no setting {name!r}; its settings are {', '.join(defaults)}")
        params[name] = vf.bool() if isinstance(defaults[name], bool) else vf.float()
    try:
        make_optimizer(optimizer, **params)
    except TrainingError as exc:
        raise pf.error(str(exc)) from None
    target, patience = f["target_loss"].optional(), f["patience"].optional()
    blowup = f.get("blowup_factor", TrainSettings.blowup_factor).optional()  # both absent before they existed
    return TrainSettings(
        loss=f["loss"].str(tuple(LOSSES)), optimizer=optimizer, optimizer_params=params,
        batch_size=f["batch_size"].int(1, MAX_STEPS), epochs=f["epochs"].int(1, MAX_STEPS),
        target_loss=target.float() if target else None, patience=patience.int(1, MAX_STEPS) if patience else None,
        min_delta=f["min_delta"].float(minimum=0.0), seed=f["seed"].int(minimum=0, maximum=MAX_SEED),
        blowup_factor=blowup.float(minimum=1.0) if blowup else None,
        pause_on_blowup=f.get("pause_on_blowup", False).bool(),
        penalty=decode_penalty(f.get("penalty", {"kind": "none", "rate": 0.0})),  # absent before it existed
    )


def _whole(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# load_csv's keyword arguments and the values each accepts besides null (delimiter has no null: it defaults to ",")
_CSV_CHECKS = {
    "target_column": lambda v: isinstance(v, str) or _whole(v),
    "target_columns": lambda v: isinstance(v, list) and all(isinstance(c, str) or _whole(c) for c in v),
    "input_columns": lambda v: isinstance(v, list) and all(isinstance(c, str) or _whole(c) for c in v),
    "header": lambda v: isinstance(v, bool),
    "task": lambda v: v in TASKS,
    "delimiter": lambda v: isinstance(v, str) and len(v) == 1,
}


def _csv_params(f: Field) -> dict[str, Any]:
    params = {}
    for name, vf in f.entries():
        if name not in _CSV_CHECKS:
            raise vf.error(f"unknown CSV setting {name!r}; expected one of {', '.join(_CSV_CHECKS)}")
        if not (_CSV_CHECKS[name](vf.value) or (vf.value is None and name != "delimiter")):
            raise vf.error(f"invalid value {reprlib.repr(vf.value)} for the CSV setting {name!r}")
        params[name] = vf.value
    return params


def decode_data(f: Field) -> DataSpec:
    kind = f["kind"].str(KINDS)
    nf = f["name"]
    pf = f["params"]
    if kind == "generator":
        name = nf.str(tuple(GENERATOR_PARAMS))
        params = {}
        for pname, vf in pf.entries():
            if pname not in GENERATOR_PARAMS[name]:
                raise vf.error(f"the generator {name!r} has no parameter {pname!r}")
            limit = MAX_SAMPLES if pname == "n_samples" else None
            params[pname] = vf.int(maximum=limit) if isinstance(vf.value, int) else vf.float()
    elif kind == "bundled":
        name = nf.str(BUNDLED)
        params = pf.obj()
        if params:
            raise pf.error("a bundled data set takes no parameters")
    elif kind == "painted":
        name, params = decode_painted(nf, pf)
    else:
        name, params = nf.str(), _csv_params(pf)
    return DataSpec(kind, name, params, val_fraction=f["val_fraction"].float(minimum=0.0, below=1.0),
                    split_seed=f["split_seed"].int(minimum=0, maximum=MAX_SEED),
                    standardize=f["standardize"].bool(), features=_features(f.get("features", [])))


def _features(f: Field) -> tuple[str, ...]:
    """The input features (absent before they existed: the raw inputs), each once, put in the columns' order."""
    names = [item.str(tuple(FEATURES)) for item in f.items()]
    if len(set(names)) < len(names):
        raise f.error("an input feature is listed twice")
    return feature_set(names)


def _table(f: Field, width: int, capacity: int) -> np.ndarray:
    n = len(f.items())
    if n > capacity:
        raise f.error(f"{n} rows do not fit the capacity of {capacity}")
    return f.array((n, width), np.float64, allow_null=True)


def _history(f: Field) -> History:
    capacity = f["capacity"].int(minimum=1, maximum=MAX_HISTORY)
    history = History(capacity, f["snapshot_every"].int(1, MAX_STEPS), f["snapshots_kept"].int(minimum=0, maximum=1000))
    for row in _table(f["losses"], 2, capacity):
        history.losses.append(row)
    for row in _table(f.get("penalties", []), 2, capacity):
        history.penalties.append(row)
    for row in _table(f["epochs"], len(EPOCH_COLUMNS), capacity):
        history.epochs.append(row)
    return history


def _meter(f: Field) -> dict[str, Any]:
    n = len(f["t_sum"].items())
    if n < 1:
        raise f["t_sum"].error("expected at least one entry")
    sums = {k: f[k].array((n,), np.float64).tolist() for k in ("t_sum", "t_sq", "res_sq")}
    return {"n": f["n"].int(0, MAX_STEPS), "loss_sum": f["loss_sum"].float(), "correct": f["correct"].int(0, MAX_STEPS),
            **sums}


def _progress(f: Field) -> dict[str, Any]:
    """A saved `Trainer.progress()`, checked so that `Trainer.restore_progress` can trust every value."""
    shuffle = f["shuffle"]
    shuffle["bit_generator"].str(("PCG64",))
    state = shuffle["state"]
    order = f["order"].items()
    best, meter = f["best"].optional(), f["meter"].optional()
    return {
        "step": f["step"].int(0, MAX_STEPS), "epoch": f["epoch"].int(0, MAX_STEPS),
        "optimizer_steps": f["optimizer_steps"].int(0, MAX_STEPS),
        "best": best.float() if best else None, "stale": f["stale"].int(0, MAX_STEPS),
        "shuffle": {"bit_generator": "PCG64", "state": {k: state[k].int(0, 2**128 - 1) for k in ("state", "inc")},
                    "has_uint32": shuffle["has_uint32"].int(0, 1), "uinteger": shuffle["uinteger"].int(0, 2**32 - 1)},
        "order": np.array([item.int(0, len(order) - 1) for item in order], np.int64),
        "cursor": f["cursor"].int(0, MAX_STEPS),
        "meter": _meter(meter) if meter else None,
    }


def decode_document(doc: Field, path: Path | None) -> Project:
    """A project from a current-version document (run `migrate` first)."""
    network = decode_network(doc)
    history = doc.get("history", None)
    progress = doc.get("progress", None).optional()
    ui = check_ui(doc.get("ui", {}).value)
    runs = decode_runs(doc.get("runs", []), decode_settings, decode_data)
    made = doc.get("runs_made", 0).int(max((run.id for run in runs), default=0), MAX_STEPS)  # ids are never reused
    opening_selection(network, ui)  # its ids must name what the network has
    return Project(network, decode_settings(doc["settings"]), decode_data(doc["data"]),
                   History() if history.value is None else _history(history),
                   optimizer_t=doc.get("optimizer_t", 0).int(0, MAX_STEPS), ui=ui, path=path,
                   progress=_progress(progress) if progress else None, runs=runs, runs_made=made)


def with_csv_relative_to(project: Project, new_base: Path) -> DataSpec:
    """project.data as it must be stored in a file in `new_base`."""
    if project.data.kind != "csv":
        return project.data
    return replace(project.data, name=stored_csv_name(project.data, project.base_dir, new_base))
