"""A Qt object follows one network's events at a time, and stops once the object is destroyed."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject

from engine import LayerChanged, layered
from gui.follow import Follower


def test_a_follower_switches_networks_and_drops_itself_when_its_owner_is_gone(qapp):
    first, second = layered([2, 3, 1]), layered([2, 3, 1])
    owner, seen = QObject(), []
    follower = Follower(owner, seen.append)
    follower.follow(first.events)
    first.rename_layer(first.output_layer.id, "y")
    follower.follow(second.events)
    first.rename_layer(first.output_layer.id, "z")  # no longer followed
    second.rename_layer(second.output_layer.id, "y")
    assert seen == [LayerChanged(first.output_layer.id), LayerChanged(second.output_layer.id)]
    shiboken6.delete(owner)
    second.rename_layer(second.output_layer.id, "z")
    assert len(seen) == 2
    assert second.events.subscriber_count == 0
