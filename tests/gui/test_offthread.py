"""Work off the GUI thread (gui/offthread.py): no job outlives the object that owns it."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from gui.offthread import OffThread


def test_deleting_the_owner_waits_for_its_running_job_and_drops_the_result(qapp):
    """A window closed while an explanation ran left the job running beside the collection of the window's
    objects (the suite once hung there). The owner's deletion now waits for the job, which needs the GIL to finish,
    so the wait must not hold it; the result, arriving for an owner that is gone, is never shown."""
    owner = QObject()
    worker = OffThread(owner)
    started, finished, shown = threading.Event(), [], []

    def job() -> int:
        started.set()
        time.sleep(0.2)
        finished.append(sum(range(100_000)))  # Python: needs the GIL the GUI thread holds while it deletes
        return finished[-1]

    worker.submit(job, shown.append, shown.append)
    assert started.wait(5)
    owner.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert finished == [sum(range(100_000))]  # done by the time the deletion returned
    QApplication.processEvents()
    assert shown == []
