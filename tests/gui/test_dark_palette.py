"""Under a dark system palette every text stays readable: the panels follow the palette, the canvas and the plots
keep their light paper with dark ink (docs/editor.md), and nothing is drawn light on light or dark on dark.

Contrast is measured on what the window really paints: a grab of the whole window, cropped to each text's place;
the background is the crop's commonest colour, the text the colour in it that stands out most, and their WCAG 2.1
contrast ratio must reach 4.5 (the AA level for body text).
"""

from __future__ import annotations

import re

import numpy as np
import pyqtgraph as pg
import pytest
from coloraide import Color
from conftest import destroy
from PySide6.QtCore import QPoint, QRect, QSettings, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QWidget

from engine.studio import Selection
from gui.main_window import MainWindow

AA = 4.5
Role = QPalette.ColorRole
DARK = {Role.Window: "#2b2b2b", Role.WindowText: "#e6e6e6", Role.Base: "#1e1e1e", Role.AlternateBase: "#2b2b2b",
        Role.Text: "#e6e6e6", Role.Button: "#353535", Role.ButtonText: "#e6e6e6", Role.ToolTipBase: "#2b2b2b",
        Role.ToolTipText: "#e6e6e6", Role.Highlight: "#2a82da", Role.HighlightedText: "#ffffff",
        Role.PlaceholderText: "#9a9a9a", Role.Link: "#6ab0f3"}


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in DARK.items():
        palette.setColor(role, QColor(colour))
    return palette


@pytest.fixture(params=["light", "dark"])
def themed_window(request, qtbot, tmp_path):
    """The window opened under the system's light palette or under a dark one; the palette is restored after."""
    app = QApplication.instance()
    before = app.palette()
    if request.param == "dark":
        app.setPalette(dark_palette())
    win = MainWindow(settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    win.setWindowState(Qt.WindowState.WindowNoState)
    win.resize(1600, 1000)
    win.show()
    qtbot.waitExposed(win)
    try:
        yield win
    finally:
        win.mark_saved()
        win.close()
        destroy(win)
        app.setPalette(before)


def pixels(image: QImage, rect: QRect) -> np.ndarray:
    crop = image.copy(rect).convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(crop.constBits(), np.uint8, count=crop.sizeInBytes()).reshape(crop.height(), -1)
    return rows[:, : crop.width() * 3].reshape(-1, 3)


def contrast(image: QImage, rect: QRect) -> float:
    colours, counts = np.unique(pixels(image, rect), axis=0, return_counts=True)
    background = Color("srgb", list(colours[counts.argmax()] / 255))
    return max(background.contrast(Color("srgb", list(c / 255)), method="wcag21") for c in colours)


def in_window(win: MainWindow, widget: QWidget, rect: QRect | None = None) -> QRect:
    """The part of `rect` (of the whole widget) that is on screen, not scrolled away or covered, in the window."""
    shown = widget.visibleRegion().boundingRect()
    rect = shown if rect is None else rect.intersected(shown)
    return QRect(widget.mapTo(win, rect.topLeft()), rect.size())


def texts(win: MainWindow) -> dict[str, QRect]:
    """Where each text to check is drawn, in window coordinates, by a name that says what it is."""
    found: dict[str, QRect] = {}
    for panel_name, panel in (("inspector", win.inspector), ("training panel", win.training.panel),
                              ("lessons", win.lessons.panel), ("timeline", win.training.timeline),
                              ("runs", win.training.runs)):
        for label in panel.findChildren(QLabel):
            rect = in_window(win, label)
            if label.isVisible() and label.text().strip() and rect.width() > 4 and rect.height() > 4:
                found[f"{panel_name} label {label.text()[:30]!r}"] = rect
    caption = win.training.edges.colorbar.caption
    found["colour bar caption"] = in_window(win, caption)
    view = win.view
    for item in win.scene.layer_items():
        header = view.mapFromScene(item.mapToScene(item.header_rect())).boundingRect()
        found[f"canvas header of layer {item.layer_id}"] = in_window(win, view.viewport(), header)
    for plot in win.findChildren(pg.PlotWidget):
        if not plot.isVisible():
            continue
        for side in ("left", "bottom"):
            axis = plot.getPlotItem().getAxis(side)
            if axis.isVisible() and axis.tickStrings([0.0, 0.5], 1.0, 0.5):
                area = in_window(win, plot.viewport(), plot.mapFromScene(axis.sceneBoundingRect()).boundingRect())
                if area.width() > 4 and area.height() > 4:
                    found[f"{side} axis of a plot at {plot.mapTo(win, QPoint(0, 0)).toTuple()}"] = area
    return found


# what each check looks at: a workspace, and a dock of it brought to the front of its tab group
SCREENS = (("build", None), ("train", None), ("train", "edge_colours"), ("train", "runs"), ("explain", None),
           ("learn", None))


def test_every_text_reads_at_wcag_aa_under_light_and_dark_palettes(themed_window, qtbot):
    win = themed_window
    h1 = win.network.layer_by_name("h1").id
    win.document.select(Selection(layers=(h1,)))  # the inspector shows its form of labels
    win.training.controller.step()  # the plots and the colour bar get data
    qtbot.waitUntil(lambda: win.document.snapshot is not None and win.document.snapshot.step >= 1)
    win.document.post("The data set could not be read: line 3, column 2", error=True)  # an error, in the panel
    win.inspector.error.setText("'abc' is not a number")
    checked: dict[str, QRect] = {}
    poor: dict[str, float] = {}
    for workspace, front in SCREENS:  # each text is read where a workspace shows it
        win.workspaces.switch(workspace)
        if front is not None:
            win.findChild(QDockWidget, front).raise_()
        QApplication.processEvents()
        if workspace == "learn":  # a lesson's step with a prediction, judged wrong: the verdict in its red
            win.mark_saved()  # the lesson opens its own network
            win.lessons.open()
            win.lessons.start(0)
            win.lessons.go(1)
            win.lessons.panel.show_verdict("Not quite: off by 0.1 (2% too low)", False)
            QApplication.processEvents()
            # glyphs are thin: their set colour is checked as well as the pixels
            ink = re.search(r"color:\s*(#[0-9a-fA-F]{6})", win.lessons.panel.verdict.styleSheet())
            window = Color(win.palette().color(Role.Window).name())
            if ink is None or (ratio := window.contrast(Color(ink.group(1)), method="wcag21")) < AA:
                poor["the lessons' verdict colour"] = 0.0 if ink is None else round(ratio, 2)
        if workspace == "build":
            win.inspector.parentWidget().parentWidget().ensureWidgetVisible(win.inspector.error)  # a scroll area
            QApplication.processEvents()
        found = {name: rect for name, rect in texts(win).items() if not rect.isEmpty()}
        image = win.grab().toImage()
        poor |= {f"{name} ({workspace})": round(ratio, 2) for name, rect in found.items()
                 if (ratio := contrast(image, rect)) < AA}
        checked |= found
    assert len([name for name in checked if name.startswith("inspector")]) >= 5
    assert len([name for name in checked if name.startswith("training panel")]) >= 5
    assert sum("axis" in name for name in checked) >= 6
    assert "training panel label 'The data set could not be read'" in checked
    assert "inspector label \"'abc' is not a number\"" in checked
    assert "colour bar caption" in checked
    assert any(name.startswith("lessons label 'Not quite") for name in checked)
    assert any(name.startswith("timeline") for name in checked) and any(name.startswith("runs") for name in checked)
    assert not poor, f"under the {'dark' if win.palette().color(Role.Window).lightness() < 128 else 'light'} " \
                     f"palette these texts are hard to read (WCAG contrast < {AA}): {poor}"

