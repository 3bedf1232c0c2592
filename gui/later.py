"""Work the window leaves out of a long turn, done one piece per pass of the event loop.

Opening a 1M-weight network takes several costly pieces besides the turn that shows it: building the canvas's 860k
edges (40-60 ms), their first colours (30-40 ms), the read-outs' forward pass over the data (35-40 ms). Zero
timers started in one turn all fire in the next pass, so those pieces still made one stall of their sum (134 ms
measured). Queued here they take turns: each runs in a pass of its own, with the window's paints, its input and
the other timers in between. A piece already queued is not queued twice, and one whose owner is gone is dropped.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QTimer


class Later(QObject):
    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._queue: list[tuple[QObject, Callable[[], None]]] = []
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._run_one)

    def add(self, owner: QObject, job: Callable[[], None]) -> None:
        if (owner, job) not in self._queue:
            self._queue.append((owner, job))
            self._timer.start()

    @property
    def pending(self) -> int:
        return len(self._queue)

    def _run_one(self) -> None:
        while self._queue:
            owner, job = self._queue.pop(0)
            if shiboken6.isValid(owner):
                try:
                    job()
                finally:
                    if self._queue:
                        self._timer.start()  # started while the timers fire: it fires in the next pass
                return


_queue: Later | None = None


def later(owner: QObject, job: Callable[[], None]) -> None:
    """Run `job` in a pass of the event loop of its own, soon, unless `owner` is deleted first."""
    global _queue
    if _queue is None or not shiboken6.isValid(_queue):
        _queue = Later(QCoreApplication.instance())
    _queue.add(owner, job)
