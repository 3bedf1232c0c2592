"""Deferred pieces of work run one per pass of the event loop, with the window's other timers in between."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer

from gui.later import later


def test_queued_pieces_take_turns_with_the_other_timers_once_each_while_their_owner_lives(qtbot):
    seen: list[str] = []
    tick = QTimer(interval=0, timerType=Qt.TimerType.PreciseTimer)
    tick.timeout.connect(lambda: seen.append("tick"))
    owner, gone = QObject(), QObject()

    def piece(name: str):
        return lambda: seen.append(name)

    first, second, third = piece("first"), piece("second"), piece("third")
    tick.start()
    later(owner, first)
    later(owner, second)
    later(gone, piece("gone"))
    later(owner, first)  # queued already: once is enough
    later(owner, third)
    gone.deleteLater()
    qtbot.waitUntil(lambda: "third" in seen)
    qtbot.wait(20)
    tick.stop()
    pieces = [name for name in seen if name != "tick"]
    assert pieces == ["first", "second", "third"]
    between = seen[seen.index("first"):seen.index("third")]
    assert between.count("tick") >= 2 and between[1] == "tick" and between[-1] == "tick"
