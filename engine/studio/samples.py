"""Which samples of the data set the user has picked out (a confusion-matrix cell, so far), owned by the document.

Kept apart from `Selection` (layers, neurons, weights on the canvas): samples are rows of the loaded data, not
parts of the network, and picking some must not take the inspector's or the explorer's subject away.
"""

from __future__ import annotations

from dataclasses import dataclass

SPLIT_NAMES = {"train": "training", "validation": "validation"}


@dataclass(frozen=True)
class SampleSelection:
    split: str = "train"  # "train" or "validation": which loaded set `indices` index
    indices: tuple[int, ...] = ()
    label: str = ""  # what picked them, for whoever shows them ("actual 1, predicted 0")

    def __post_init__(self) -> None:
        if self.split not in SPLIT_NAMES:
            raise ValueError(f"unknown split {self.split!r}; expected one of {', '.join(SPLIT_NAMES)}")

    def describe(self) -> str:
        """"3 training samples selected: actual 1, predicted 0" (empty when none is)."""
        if not self.indices:
            return ""
        n = len(self.indices)
        what = f"{n} {SPLIT_NAMES[self.split]} sample{'s' if n != 1 else ''} selected"
        return f"{what}: {self.label}" if self.label else what
