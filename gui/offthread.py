"""Work on a thread of its own (the explorer's explanations, the loss surface) so the window never waits for it.

A first-layer weight of a 1M-weight network has 10⁶ paths to the loss, and finding its largest ones takes about a
second; a 41×41 loss surface of that network takes 0.5–1.3 s: on the GUI thread either froze the window (issue 18).
The engine explains and evaluates surfaces on a private copy of the plan's buffers (`Compiled.private_copy`), so a
job may read the network while the GUI thread only looks on. Every job
belongs to a generation; `invalidate` starts a new one whenever what was asked may have changed (a new selection,
a pause, an edit, a new snapshot), and a result of an older generation is dropped when it arrives, so nothing shown
is ever older than the question. One thread is enough: a newer job replaces a queued one, and a running job that
went stale is finished and thrown away.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThreadPool, Signal

from engine import BackpropError


class OffThread(QObject):
    busy_changed = Signal(bool)
    _done = Signal(int, object, object)  # generation, result, what it raised (or None)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        # no Qt parent: a child pool would wait for its job while this object is half destroyed
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(1)
        if (app := QCoreApplication.instance()) is not None:  # no Python may run on it once the interpreter ends
            app.aboutToQuit.connect(self._pool.waitForDone)
        pool = self._pool
        self.destroyed.connect(lambda: _retire(pool))
        self.generation = 0
        # the current generation's job: what shows its result and what shows its BackpropError, in the GUI thread
        self._pending: tuple[int, Callable[[Any], None], Callable[[BackpropError], None]] | None = None
        self._done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        """A job of the current generation is queued or running: its result is still to be shown."""
        return self._pending is not None

    def invalidate(self) -> None:
        """What was asked may have changed: whatever is on its way is stale."""
        self.generation += 1
        self._pool.clear()  # queued jobs never start; a running one finishes and is dropped
        if self._pending is not None:
            self._pending = None
            self.busy_changed.emit(False)

    def submit(self, job: Callable[[], Any], show: Callable[[Any], None],
               failed: Callable[[BackpropError], None]) -> None:
        """Run `job` on the worker thread; `show` its result (or pass `failed` its BackpropError) in the GUI
        thread, unless a newer job or `invalidate` came first. Any other exception is raised in the GUI thread."""
        self.invalidate()
        generation = self.generation
        self._pending = generation, show, failed
        # a callable, not a `QRunnable`: the pool deletes a runnable after it ran, and PySide then handed out that
        # runnable's stale wrapper for the next object Qt made at its address (a text document's layout)
        self._pool.start(lambda: self._run(generation, job))
        self.busy_changed.emit(True)

    def _run(self, generation: int, job: Callable[[], Any]) -> None:
        """On the worker thread."""
        if generation != self.generation:
            return  # stale before it started: not worth computing
        result: Any = None
        error: BaseException | None = None
        try:
            result = job()
        except BaseException as exc:  # handed to the GUI thread, which raises what it does not expect
            error = exc
        with contextlib.suppress(RuntimeError):  # the window closed while the job ran
            self._done.emit(generation, result, error)

    def _deliver(self, generation: int, result: Any, error: BaseException | None) -> None:
        if self._pending is None or self._pending[0] != generation:
            return  # stale: dropped
        _, show, failed = self._pending
        self._pending = None
        self.busy_changed.emit(False)
        if error is None:
            show(result)
        elif isinstance(error, BackpropError):
            failed(error)
        else:
            raise error


def _retire(pool: QThreadPool) -> None:
    """No job outlives its owner: a window closed while an explanation ran left the job running beside the
    collection of the window's objects, and the full suite once hung there, the GUI thread collecting garbage and
    the job waiting for the GIL. Waiting here releases the GIL (a job takes a second at most, on a 1M-weight net)."""
    pool.clear()
    pool.waitForDone()
