"""Keeps Python's cyclic garbage collector in the GUI thread while the training thread lives.

The collector runs in whichever thread happens to allocate when a threshold is crossed, and the training loop
allocates the most. A reference cycle that holds a Qt object (a dropped controller, a closed dock, a test's
traceback) collected there destroys the object outside its thread: a segfault, which the tests reproduced. So,
while the worker thread exists, automatic collection is off and a GUI-thread timer collects with the same
generation thresholds instead (pyqtgraph's `GarbageCollector` does the same, but cannot be switched back off).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 250


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._timer = QTimer(self, interval=INTERVAL_MS)
        self._timer.timeout.connect(self.collect)
        self._disabled_by_us = False

    def start(self) -> None:
        if gc.isenabled():  # someone else (an app-wide collector) may already have taken over: leave it be
            gc.disable()
            self._disabled_by_us = True
            self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        if self._disabled_by_us:
            self._disabled_by_us = False
            gc.enable()

    def collect(self) -> None:
        """What the automatic collector would have done by now: the youngest generations most often."""
        threshold, count = gc.get_threshold(), gc.get_count()
        generation = -1
        for gen in range(3):
            if count[gen] > threshold[gen]:
                generation = gen
            else:
                break
        if generation >= 0:
            gc.collect(generation)
