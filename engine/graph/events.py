"""A minimal observer so views (the GUI canvas, the inspector) can follow the model without the model knowing them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """`kind` is past tense (``layer_added``); `ids` are the layers/connections it concerns."""

    kind: str
    ids: tuple[int, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)


class Events:
    def __init__(self) -> None:
        self._subscribers: list[Callable[[Event], None]] = []

    def subscribe(self, callback: Callable[[Event], None]) -> None:
        self._subscribers.append(callback)

    def unsubscribe(self, callback: Callable[[Event], None]) -> None:
        self._subscribers.remove(callback)

    def emit(self, kind: str, *ids: int, **data: Any) -> None:
        event = Event(kind, ids, data)
        for callback in list(self._subscribers):
            callback(event)
