"""A typed observer with no Qt: how the model and the document tell their views what changed.

Each kind of change is its own `Signal[T]` (or its own event class on one signal), so a misspelt kind fails at
import or in the type checker, never silently at run time (ryvencore's `flow.node_added.sub(...)`, napari's
`events.layers_change`). Callbacks run synchronously, in the thread that emits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Signal(Generic[T]):
    def __init__(self) -> None:
        self._subscribers: list[Callable[[T], None]] = []

    def connect(self, callback: Callable[[T], None]) -> None:
        self._subscribers.append(callback)

    def disconnect(self, callback: Callable[[T], None]) -> None:
        self._subscribers.remove(callback)

    def emit(self, value: T) -> None:
        for callback in list(self._subscribers):  # a callback may disconnect itself
            callback(value)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)
