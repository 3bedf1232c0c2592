"""A short GIL switch interval while the training thread lives, so the GUI thread gets the GIL back quickly.

While the worker loops, every Python call of the GUI thread (a timer's slot, and every pyqtgraph item's paint
override, dozens per repaint) must wait for the worker to hand the GIL over, which CPython forces only every
switch interval (5 ms by default). Measured with bench/training_gui_bench.py on the 2-core VM, window open, all
live views on: at 5 ms, gaps between 5 ms timer ticks reached p99 26 ms, max 63–100 ms, and the small net trained
at 0.66 of its headless speed; at 1 ms, p99 21 ms, max 27–33 ms, and 0.86 — the worker's extra hand-overs cost less
than the GUI's waiting did. The previous interval comes back when the thread ends.
"""

from __future__ import annotations

import sys

SWITCH_INTERVAL = 0.001  # seconds


class FastGilHandoff:
    def __init__(self) -> None:
        self._previous: float | None = None

    def start(self) -> None:
        if self._previous is None:
            self._previous = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL)

    def stop(self) -> None:
        if self._previous is not None:
            sys.setswitchinterval(self._previous)
            self._previous = None
