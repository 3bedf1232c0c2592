"""Following a network's events from a Qt object that may be destroyed before the network is.

The engine's event list holds plain Python callbacks, and Qt objects die with their window while the network can
live on (the next window of a test, a project kept by the caller). A bound method of a destroyed object would
then run against a deleted C++ side; `Follower` drops itself instead, at its next event.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QObject

from engine import Event, Network


class Follower:
    """Keeps `callback` subscribed to the events of one network at a time, for as long as `owner` exists."""

    def __init__(self, owner: QObject, callback: Callable[[Event], None]):
        self._owner = owner
        self._callback = callback
        self._network: Network | None = None

    def follow(self, network: Network) -> None:
        if self._network is not None:
            self._network.events.unsubscribe(self._deliver)
        self._network = network
        network.events.subscribe(self._deliver)

    def _deliver(self, event: Event) -> None:
        if not shiboken6.isValid(self._owner):
            self._network.events.unsubscribe(self._deliver)
            return
        self._callback(event)
