"""Take docs/training.md's screenshots from the app itself, offscreen: the timeline, the Runs dock with two runs
overlaid, and the Loss surface dock.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots.py

The starter network trains twice (lr 0.03, then lr 0.3 from fresh weights) for a few epochs, stepping one epoch at a
time so the pictures are the same on any machine; the timeline then shows a recorded step of the second run.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from engine import WeightRef
from engine.studio import RunState, Selection
from gui.app import create_app
from gui.main_window import MainWindow

IMAGES = Path(__file__).parent / "images"


def wait(predicate, seconds: float = 30.0) -> None:
    end = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > end:
            sys.exit("screenshots: the app did not get there in time")
        QApplication.processEvents()
        time.sleep(0.005)


def train_epochs(window: MainWindow, n: int) -> None:
    controller = window.training.controller
    for _ in range(n):
        epoch = window.document.trainer().epoch
        controller.step_epoch()
        wait(lambda e=epoch: window.document.run_state is RunState.PAUSED and window.document.trainer().epoch > e)


def grab_floating(window: MainWindow, name: str, width: int, height: int, image: str | None = None) -> None:
    """A bottom dock shares the window's width with its neighbours: floated, it gets the size of a screenshot."""
    dock = window._docks[name]
    dock.setFloating(True)
    dock.resize(width, height)
    QApplication.processEvents()
    dock.grab().save(str(IMAGES / f"{image or name}.png"))
    dock.setFloating(False)


def main() -> None:
    create_app([sys.argv[0]])
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings)
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(1600, 1000)
    window.show()
    document, ui = window.document, window.training
    IMAGES.mkdir(exist_ok=True)

    document.edit_settings(lr=0.03)
    train_epochs(window, 15)
    ui.controller.stop()
    document.edit_settings(lr=0.3)
    ui.controller.reset_weights()
    train_epochs(window, 15)
    ui.controller.stop()
    for run in document.runs:
        ui.runs.table.item(ui.runs.row_of(run.id), 0).setCheckState(Qt.CheckState.Checked)
    window._docks["runs"].raise_()
    steps = document.recorder.steps()
    ui.timeline.slider.setValue(steps[len(steps) // 3])
    wait(lambda: document.viewing is not None)
    QApplication.processEvents()
    grab_floating(window, "loss", 900, 360, "timeline")
    grab_floating(window, "runs", 820, 260)
    ui.timeline.go_live()

    first = next(iter(document.network.connections.values()))
    document.select(Selection(weights=(WeightRef(first.id, 0, 0), WeightRef(first.id, 1, 0))))
    window.surface.open()
    grab_floating(window, "surface", 560, 480, "loss-surface")
    window.training.shutdown()
    window.mark_saved()
    window.close()
    print(f"screenshots written to {IMAGES}")


if __name__ == "__main__":
    main()
