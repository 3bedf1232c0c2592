"""Regenerate the README's screenshot and the docs' pictures (workspaces, boundary, timeline, runs, loss surface)
from the real window, offscreen.

Pictures drawn by hand go stale with the first change to a dock; these are grabbed from `MainWindow` itself, on the
starter project trained part way, so `make screenshots` brings them up to date after any change. The window's
settings go to a throwaway file: the user's arrangement never shows up in the docs, nor is it changed.

    make screenshots        # or: QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_screenshots.py
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, when run as a script

import numpy as np
from PIL import Image
from PySide6.QtCore import QEvent, QPointF, QSettings, Qt
from PySide6.QtGui import QImage, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from engine import WeightRef
from engine.project import new_project
from engine.regularization import Penalty
from engine.studio import RunState, Selection
from gui.app import create_app
from gui.main_window import MainWindow

IMAGES = Path(__file__).resolve().parents[1] / "images"
README_SIZE = (1440, 900)  # the opening picture: room for the plots to read at a README's width
DOCS_SIZE = (1280, 800)  # the workspaces at the laptop size they are arranged for
EPOCHS = 8  # of the starter's 100: the circle half found, the loss still falling
BUDGET_KB = 200  # well under the 300 kB a README picture should weigh


def wait(until: Callable[[], bool], what: str, seconds: float = 120.0) -> None:
    """Run the event loop until `until()` holds; a run that never gets there is an error, not a picture."""
    end = time.monotonic() + seconds
    while not until():
        if time.monotonic() > end:
            raise SystemExit(f"make_screenshots: timed out waiting for {what}")
        QApplication.processEvents()
        time.sleep(0.01)


def settle(window: MainWindow, seconds: float = 0.3) -> None:
    """Let deferred work land (the explorer's refresh, the plots' repaint) before a grab."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)
    window.repaint()


def save(widget: QWidget, name: str, out: Path) -> Path:
    """The widget as a PNG of 256 colours (median cut, no dithering): a third of the full-colour file's size, and a
    window's flat panels, text and plots lose nothing visible."""
    path = out / f"{name}.png"
    grab = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    image = Image.frombytes("RGB", (grab.width(), grab.height()), bytes(grab.constBits()), "raw", "RGB",
                            grab.bytesPerLine())
    image.quantize(256, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    size = path.stat().st_size // 1024
    print(f"{path} ({size} kB)")
    if size > BUDGET_KB:
        raise SystemExit(f"make_screenshots: {path} is {size} kB, over the {BUDGET_KB} kB a docs picture may take")
    return path


def show(window: MainWindow, size: tuple[int, int], workspace: str) -> None:
    window.resize(*size)
    window.workspaces.switch(workspace)
    window.workspaces.reset()  # the default arrangement at this size, whatever the last switch left
    window.view.fit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMAGES, help="folder for the PNG files (default: docs/images)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    create_app(sys.argv[:1])  # the app as `python -m gui` sets it up
    with tempfile.TemporaryDirectory(prefix="bps-shots-") as folder:
        window = MainWindow(settings=QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat))
        window.setWindowState(Qt.WindowState.WindowNoState)
        window.show()
        try:
            grab_all(window, args.out)
            grab_boundary_readouts(window, args.out)
            grab_time_travel(window, args.out)
            grab_lessons(window, args.out)
            grab_weight_images(window, args.out)
            grab_confusion(window, args.out)
            grab_fit_plot(window, args.out)
            grab_regularisation(window, args.out)
            grab_painted(window, args.out)
            grab_input_features(window, args.out)
        finally:
            window.training.shutdown()
            window.mark_saved()
            window.close()
    return 0


def train_epochs(window: MainWindow, epochs: int) -> None:
    """Epoch by epoch (Shift+F10): a straight run of the starter takes about a second, too fast to grab."""
    document = window.document
    for _ in range(epochs):
        epoch = document.trainer().epoch
        window.training.controller.step_epoch()
        wait(lambda e=epoch: document.run_state is RunState.PAUSED and document.trainer().epoch > e,
             f"epoch {epoch + 1}")


def grab_dock(window: MainWindow, name: str, size: tuple[int, int], out: Path, image: str) -> None:
    """A bottom dock shares the window's width with its neighbours: floated, it gets the size of a picture."""
    dock = window._docks[name]
    dock.show()
    dock.setFloating(True)
    dock.resize(*size)
    settle(window)
    save(dock, image, out)
    dock.setFloating(False)


def grab_all(window: MainWindow, out: Path) -> None:
    """The starter (circles, 2-8-8-1) trained a few epochs, three of its weights watched, in each workspace."""
    document, network = window.document, window.network
    h1, h2 = network.layer_by_name("h1").id, network.layer_by_name("h2").id
    into_h2 = next(c.id for c in network.connections.values() if c.target == h2)
    watched = [WeightRef(into_h2, i, 0) for i in range(3)]  # three weights into one neuron, for Watched weights
    document.set_watched(watched)

    show(window, README_SIZE, "train")
    train_epochs(window, EPOCHS)
    settle(window)
    save(window, "readme-training", out)  # the loss so far, the boundary, the edges by |dL/dw|

    show(window, DOCS_SIZE, "train")
    settle(window)
    save(window, "workspace-train", out)

    show(window, DOCS_SIZE, "build")
    document.select(Selection(layers=(h1,)))  # the inspector's form for a layer
    settle(window)
    save(window, "workspace-build", out)

    show(window, DOCS_SIZE, "explain")
    document.select(Selection(weights=(watched[0],)))
    window.explorer.explain_selection()  # E on the canvas: the chain rule for the selected weight
    wait(lambda: (e := window.explorer.panel.explanation) is not None and e.ref == watched[0], "the explanation")
    settle(window)
    save(window, "workspace-explain", out)


def grab_boundary_readouts(window: MainWindow, out: Path) -> None:
    """docs/training.md's decision boundary with Show test data and Discretize output ticked (then unticked)."""
    view = window.training.boundary
    show(window, DOCS_SIZE, "train")
    view.show_test.setChecked(True)
    view.discretize.setChecked(True)
    grab_dock(window, "boundary", (760, 400), out, "boundary-readouts")
    view.show_test.setChecked(False)
    view.discretize.setChecked(False)


def grab_time_travel(window: MainWindow, out: Path) -> None:
    """docs/training.md's Timeline, Runs and Loss surface: the run so far, then a second run at a larger learning
    rate from fresh weights, both overlaid, and the timeline on a recorded step of the second."""
    document, ui = window.document, window.training
    show(window, DOCS_SIZE, "train")
    ui.controller.stop()
    document.edit_settings(lr=0.3)
    ui.controller.reset_weights()
    train_epochs(window, EPOCHS)
    ui.controller.stop()
    for run in document.runs:
        ui.runs.table.item(ui.runs.row_of(run.id), 0).setCheckState(Qt.CheckState.Checked)
    steps = document.recorder.steps()
    ui.timeline.slider.setValue(steps[len(steps) // 3])
    wait(lambda: document.viewing is not None, "a recorded step")
    grab_dock(window, "loss", (900, 360), out, "timeline")
    grab_dock(window, "runs", (820, 260), out, "runs")
    ui.timeline.go_live()

    first = next(iter(document.network.connections.values()))
    document.select(Selection(weights=(WeightRef(first.id, 0, 0), WeightRef(first.id, 1, 0))))
    window.surface.open()
    wait(lambda: not window.surface.pending, "the loss surface")  # computed off the GUI thread
    grab_dock(window, "surface", (560, 480), out, "loss-surface")


def grab_lessons(window: MainWindow, out: Path) -> None:
    """The Learn workspace on the first lesson, which opens the notes' 4-3-2-1 network in place of the starter."""
    window.mark_saved()  # the trained starter is the pictures' to throw away: no unsaved-changes prompt
    show(window, DOCS_SIZE, "learn")
    window.lessons.open()  # Help → Lessons
    wait(lambda: window.lessons.lesson is not None, "the first lesson")
    settle(window)
    save(window, "workspace-learn", out)


def grab_weight_images(window: MainWindow, out: Path) -> None:
    """docs/training.md's Weight images: the digits example a few epochs into its run."""
    window.mark_saved()
    show(window, DOCS_SIZE, "train")
    window.files.open_example("Digits (8×8)")
    train_epochs(window, 5)
    grab_dock(window, "weight_images", (560, 440), out, "weight-images")


def grab_confusion(window: MainWindow, out: Path) -> None:
    """docs/training.md's Confusion matrix: the digits as `grab_weight_images` left them, on the validation images,
    with the cell of the digit most often mistaken clicked (its samples ringed in the Data preview)."""
    view = window.training.confusion
    view.split.setCurrentIndex(view.split.findData("validation"))
    matrix = view.confusion.matrix if view.confusion is not None else None
    if matrix is not None:
        wrong = matrix * (1 - np.eye(len(matrix), dtype=matrix.dtype))
        view.table.cellClicked.emit(*np.unravel_index(int(wrong.argmax()), wrong.shape))
    grab_dock(window, "confusion", (560, 440), out, "confusion")


def grab_fit_plot(window: MainWindow, out: Path) -> None:
    """docs/training.md's Fit plot: the sine regression a few epochs in, its residuals shown, R² and RMSE under the
    loss."""
    window.mark_saved()
    show(window, DOCS_SIZE, "train")
    window.files.open_example("Sine regression")
    train_epochs(window, 15)
    window.training.fit.show_residuals.setChecked(True)
    grab_dock(window, "boundary", (760, 440), out, "fit-plot")
    window.training.fit.show_residuals.setChecked(False)


def grab_regularisation(window: MainWindow, out: Path) -> None:
    """docs/training.md's Regularisation: the starter under L2 (λ = 0.003: it still learns the circles), its loss
    plot with the data loss and the penalty apart."""
    window.mark_saved()
    show(window, DOCS_SIZE, "train")
    window.files.open_example("Circles")
    window.document.edit_settings(penalty=Penalty("l2", 0.003))
    train_epochs(window, EPOCHS)
    grab_dock(window, "loss", (900, 360), out, "loss-penalty")
def grab_painted(window: MainWindow, out: Path) -> None:
    """docs/datasets.md's painted points: on the starter, Clear, two strokes of each class drawn with the mouse on
    the boundary's plot, then a few epochs of training on them."""
    window.mark_saved()
    window.set_project(new_project())
    show(window, DOCS_SIZE, "train")
    dock = window._docks["boundary"]
    dock.show()
    dock.raise_()
    settle(window)
    tool = window.training.paint
    tool.clear.trigger()  # Paint → Clear (start empty)
    viewport = tool.plot.viewport()

    def stroke(label: int, points: list[tuple[float, float]]) -> None:
        tool.classes.setCurrentIndex(tool.classes.findData(label))
        pixels = [tool.plot.mapFromScene(tool.view_box.mapViewToScene(QPointF(x, y))) for x, y in points]
        QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pixels[0])
        for a, b in pairwise(pixels):
            for k in range(1, 9):  # sent, not QTest.mouseMove, which drops a move beyond the offscreen screen
                pos = QPointF(a + (b - a) * (k / 8))
                QApplication.sendEvent(viewport, QMouseEvent(
                    QEvent.Type.MouseMove, pos, QPointF(viewport.mapToGlobal(pos.toPoint())),
                    Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
        QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pixels[-1])

    stroke(0, [(-0.9, -0.6), (-0.3, 0.1), (0.2, 0.8)])
    stroke(0, [(0.9, -0.9), (0.3, -0.8)])
    stroke(1, [(-0.2, -0.9), (0.3, -0.2), (0.9, 0.4)])
    stroke(1, [(-0.9, 0.4), (-0.6, 0.9)])
    train_epochs(window, 40)
    grab_dock(window, "boundary", (760, 400), out, "boundary-painted")
def grab_input_features(window: MainWindow, out: Path) -> None:
    """docs/datasets.md's Input features: the spiral example with x1², x2², sin x1 and sin x2 ticked on the Data dock
    (each toggle adds an input neuron, named on the canvas), trained a few epochs."""
    window.mark_saved()
    show(window, DOCS_SIZE, "train")
    window.files.open_example("Spiral (3 arms)")
    for name in ("x1²", "x2²", "sin x1", "sin x2"):
        window.training.dataset_panel.features.boxes[name].click()
    window._docks["dataset"].raise_()
    train_epochs(window, 30)
    window.view.fit()
    settle(window)
    save(window, "input-features", out)


if __name__ == "__main__":
    sys.exit(main())
