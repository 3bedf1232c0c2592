"""Following the engine's signals (the network's, the document's) from Qt objects that may die first.

The engine's signals hold plain Python callbacks, and Qt objects die with their window while a network or a
document can live on (the next window of a test, a project kept by the caller). A bound method of a destroyed
object would then run against a deleted C++ side; a `Follower` drops itself instead, at its next event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject

from engine.observe import Signal

T = TypeVar("T")


class Follower(Generic[T]):
    """Keeps `callback` connected to one signal at a time (`follow` switches), for as long as `owner` exists."""

    def __init__(self, owner: QObject, callback: Callable[[T], None], signal: Signal[T] | None = None):
        self._owner = owner
        self._callback = callback
        self._signal: Signal[T] | None = None
        if signal is not None:
            self.follow(signal)

    def follow(self, signal: Signal[T]) -> None:
        if self._signal is not None:
            self._signal.disconnect(self._deliver)
        self._signal = signal
        signal.connect(self._deliver)

    def _deliver(self, value: T) -> None:
        if not shiboken6.isValid(self._owner):
            if self._signal is not None:
                self._signal.disconnect(self._deliver)
            return
        self._callback(value)


def follow(owner: QObject, signal: Signal[T], callback: Callable[[T], None]) -> Follower[T]:
    """Connect `callback` to `signal` for as long as `owner` lives."""
    return Follower(owner, callback, signal)
