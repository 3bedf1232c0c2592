"""Runs: what each training run (Train … Stop, Reset or continue-from-here) was and how it went, for comparing.

A learner tries lr 0.1, then 0.01, and wants both curves side by side with a legend that says what differs. A
`Run` keeps the settings, seeds, data recipe, loss and metric curves (decimated to at most `MAX_POINTS` rows, so a
project file stays small), the final metrics, the training time and the final weights. The project holds at most
`MAX_RUNS` of them (the oldest go first).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .history import EPOCH_COLUMNS
from .refs import ParamKey
from .regularization import Penalty

MAX_RUNS = 50
BRIEF = 40  # characters of a list setting a legend shows as they are
MAX_POINTS = 1000  # rows per curve: a run of a million steps is drawn from (and saved as) this many


@dataclass(frozen=True, eq=False)
class Run:
    id: int  # unique within the project, never reused
    name: str
    started: str  # ISO 8601, UTC, when the run started
    settings: dict[str, Any]  # `dataclasses.asdict(TrainSettings)` at the end of the run
    data: dict[str, Any]  # `dataclasses.asdict(DataSpec)`
    network_seed: int
    architecture: str  # the layer sizes, input first: "2-6-1"
    start_step: int
    end_step: int
    losses: np.ndarray  # (n, 2): step, batch loss (decimated)
    epochs: np.ndarray  # (m, 6): `History.EPOCH_COLUMNS` (decimated)
    final: dict[str, float | None]  # the last epoch's train/val loss and metric (None: not measured)
    duration: float  # seconds of training
    weights: dict[ParamKey, np.ndarray] | None = field(default=None)  # final weights and biases; None: not kept
    parent: int | None = None  # the run this one continued from (continue-from-here), if any

    @property
    def seed(self) -> int:
        """The shuffling seed."""
        return int(self.settings.get("seed", 0))

    def renamed(self, name: str) -> Run:
        return replace(self, name=name)


def decimate(rows: np.ndarray, limit: int = MAX_POINTS) -> np.ndarray:
    """At most `limit` rows, evenly spread, the first and the last always among them."""
    if len(rows) <= limit:
        return rows.copy()
    index = np.unique(np.linspace(0, len(rows) - 1, limit).round().astype(np.int64))
    return rows[index]


def final_metrics(epochs: np.ndarray, metric: str) -> dict[str, float | None]:
    """The last epoch row as named metrics ("train_loss", "val_accuracy", ...); NaN (not measured) is None."""
    if not len(epochs):
        return {}
    row = epochs[-1]
    names = [c.replace("metric", metric) for c in EPOCH_COLUMNS[2:]]
    return {name: None if math.isnan(v) else float(v) for name, v in zip(names, row[2:], strict=True)}


# ------------------------------------------------------------------------------------------------ differences
# when a run stops, not how it learns: F5 extends the epoch budget of a used-up run, which is no difference to show
STOP_SETTINGS = ("epochs", "target_loss", "patience", "min_delta", "blowup_factor", "pause_on_blowup")


def _flat_settings(run: Run) -> dict[str, Any]:
    """The settings that shape a run's curve, flattened, the optimiser and its parameters (by their own names, "lr")
    first: a legend reads "lr 0.1, batch_size 16"."""
    s = {name: value for name, value in run.settings.items() if name not in STOP_SETTINGS}
    if isinstance(penalty := s.get("penalty"), dict):  # "penalty L2 λ = 0.01 (λ/2·Σw²)", not the dict's repr
        s["penalty"] = str(Penalty(**penalty))
    params = s.pop("optimizer_params", {}) or {}
    flat = {"optimizer": s.pop("optimizer", None), **params, **s, "net": run.architecture,
            "init seed": run.network_seed}
    data = run.data
    flat["data"] = data.get("name", "?")
    for name, value in (data.get("params") or {}).items():
        flat[name] = brief(value)
    return flat


def brief(value: Any) -> Any:
    """A long list (painted points) as its length and a digest: a legend cannot show 5,000 points, but two paintings
    of as many points must still differ. Short ones (a CSV's input columns) read as they are."""
    if not isinstance(value, list) or len(text := json.dumps(value, default=str)) <= BRIEF:
        return value
    return f"{len(value)} ({hashlib.blake2s(text.encode(), digest_size=2).hexdigest()})"


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def differences(a: Run, b: Run) -> str:
    """What differs between two runs' settings, as a legend says it: "lr 0.1 vs 0.01, optimizer adam vs sgd"
    ("same settings" when nothing does)."""
    fa, fb = _flat_settings(a), _flat_settings(b)
    parts = [f"{name} {_show(fa.get(name, '–'))} vs {_show(fb.get(name, '–'))}"
             for name in dict.fromkeys([*fa, *fb]) if fa.get(name) != fb.get(name)]
    return ", ".join(parts) or "same settings"


def legend_labels(runs: list[Run] | tuple[Run, ...]) -> list[str]:
    """One label per run naming only the settings that differ among them ("lr 0.1", "lr 0.01"); runs whose
    settings are all alike are told apart by their names."""
    flats = [_flat_settings(run) for run in runs]
    names = list(dict.fromkeys(name for flat in flats for name in flat))
    varying = [n for n in names if len({repr(flat.get(n)) for flat in flats}) > 1]
    labels = []
    for run, flat in zip(runs, flats, strict=True):
        said = ", ".join(f"{n} {_show(flat.get(n, '–'))}" for n in varying)
        labels.append(said or run.name)
    return labels
