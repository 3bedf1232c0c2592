"""Settings the GUI may change while the worker loop runs, handed over between two steps.

A queued Qt signal is not delivered to the worker while its `run()` loops, so the GUI writes requests here under a
lock and the loop picks them up between steps. The version counter lets the loop check for news with one integer
comparison per step instead of taking the lock every step.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from engine import History, ParamRef


@dataclass(frozen=True)
class Requests:
    """What the loop should apply before its next step; None means "unchanged"."""

    lr: float | None = None
    batch_size: int | None = None
    watched: tuple[ParamRef, ...] | None = None


class LiveSettings:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = Requests()
        self.version = 0  # bumped on every request; read without the lock (an int read is atomic)

    def request(self, *, lr: float | None = None, batch_size: int | None = None,
                watched: tuple[ParamRef, ...] | None = None) -> None:
        with self._lock:
            old = self._pending
            self._pending = Requests(
                old.lr if lr is None else float(lr),
                old.batch_size if batch_size is None else int(batch_size),
                old.watched if watched is None else tuple(watched),
            )
            self.version += 1

    def take(self) -> Requests:
        """The pending requests, leaving none behind (each is applied once)."""
        with self._lock:
            pending, self._pending = self._pending, Requests()
            return pending


def sync_watched(history: History, refs: tuple[ParamRef, ...]) -> None:
    """Make `refs` the history's watched weights, keeping the series of those watched already."""
    for ref in [r for r in history.watched if r not in refs]:
        history.unwatch(ref)
    for ref in refs:
        history.watch(ref)
