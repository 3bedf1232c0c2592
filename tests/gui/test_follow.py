"""A Qt object follows one network's events at a time, and stops once the object is destroyed."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject

from engine import layered
from gui.model_events import Follower


def test_a_follower_switches_networks_and_drops_itself_when_its_owner_is_gone(qapp):
    first, second = layered([2, 3, 1]), layered([2, 3, 1])
    owner, seen = QObject(), []
    follower = Follower(owner, lambda event: seen.append(event.kind))
    follower.follow(first)
    first.rename_layer(first.output_layer.id, "y")
    follower.follow(second)
    first.rename_layer(first.output_layer.id, "z")  # no longer followed
    second.rename_layer(second.output_layer.id, "y")
    assert seen == ["layer_changed", "layer_changed"]
    shiboken6.delete(owner)
    second.rename_layer(second.output_layer.id, "z")
    assert seen == ["layer_changed", "layer_changed"]
    assert not second.events._subscribers
