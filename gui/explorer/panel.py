"""The chain-rule explorer's dock: why the selected weight's gradient has its value, and a step-through.

A view only: it shows what it is given (an `Explanation`, a check result, sample labels, a message) and reports
what the user asks for through signals; `install.py` decides what to compute and when. The "Gradient" tab holds
the heading, the local form, the paths and the update; the "Step-through" tab walks one training step.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine import CheckResult
from engine.explain import Explanation, OutputExplanation
from gui.colors import TextInk, error_color, text_ink

from . import render
from .batch_table import BatchTable
from .path_list import PathList
from .sample_image import SampleImage
from .stepthrough import StepThroughView

EMPTY = "Select a weight (edge) or a neuron's bias on the canvas to see why its gradient has its value."
BATCH_NOTE = ("With a batch, each factor shows its mean and each contribution is the mean of per-sample products, so "
              "the factors need not multiply to it: the table above, or one sample, shows them do.")


def notice_style(palette: QPalette, error: bool) -> str:
    """A note in the palette's tooltip colours, an error in its error red: both read on light and dark palettes."""
    role = QPalette.ColorRole
    if error:
        colours = palette.color(role.Base).name(), error_color(palette), error_color(palette)
    else:
        colours = (palette.color(role.ToolTipBase).name(), palette.color(role.ToolTipText).name(),
                   palette.color(role.Mid).name())
    return ("QLabel#explorerNotice {{ background: {}; color: {}; border: 1px solid {}; border-radius: 4px;"
            " padding: 4px 6px; }}").format(*colours)


class RichLabel(QLabel):
    """A word-wrapped rich-text label that remembers its height for each width until its text or font changes.

    Qt's layouts ask a label's height for several widths in one pass (for its minimum, its size hint and the width
    it gets), and a rich-text QLabel lays its document out again whenever the width differs from the last one it
    was asked for. `perf` on the GUI thread put half its time while showing a 10⁶-path weight's explanation in
    those layouts (`QLabel::heightForWidth` → `QTextDocumentLayout::doLayout`)."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text, wordWrap=True)
        self._heights: dict[int, int] = {}

    def setText(self, text: str) -> None:
        self._heights.clear()
        super().setText(text)

    def heightForWidth(self, width: int) -> int:
        if (height := self._heights.get(width)) is None:
            height = self._heights[width] = super().heightForWidth(width)
        return height

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._heights.clear()
        super().changeEvent(event)


def _rich(text: str = "", *, links: bool = False) -> QLabel:
    label = RichLabel(text)
    label.setTextFormat(Qt.TextFormat.RichText)
    flags = Qt.TextInteractionFlag.TextSelectableByMouse
    if links:
        flags |= Qt.TextInteractionFlag.LinksAccessibleByMouse
    label.setTextInteractionFlags(flags)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    return label


class DownScroll(QScrollArea):
    """A scroll area that scrolls only down, and so asks for its content's width as its own minimum.

    A plain one asks for almost no width at all (it can always scroll), so the docks around an explanation knew
    nothing of the width its tables need: the Learn workspace, which sizes its docks by their minimum
    (gui/workspaces.py), cut the local form and the paths off on the right. The minimum follows the content: a
    label given a wider table asks the dock for more room at once."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        _fill(self, widget)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        widget.installEventFilter(self)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        inner = self.widget()
        if inner is not None:
            bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
            hint.setWidth(max(hint.width(), inner.minimumSizeHint().width() + bar + 2 * self.frameWidth()))
        return hint

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the content's minimum may have changed: the layouts above ask again
        return super().eventFilter(watched, event)


def _fill(scroll: QScrollArea, widget: QWidget) -> QScrollArea:
    """`scroll` showing `widget` at its own width or more, without a frame of its own."""
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(widget)
    return scroll


class ExplorerPanel(QWidget):
    sample_changed = Signal()  # also sent when "Explain the output y itself" is turned on or off
    check_requested = Signal()
    highlight_all_toggled = Signal(bool)
    hovered = Signal(object)  # refs to highlight while hovering, path_list.ALL_PATHS, or None when it ended
    weight_clicked = Signal(object)  # a weight's name was clicked: explain that weight
    tab_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.explanation: Explanation | None = None
        self.check_result: CheckResult | None = None
        self._redraw: Callable[[], None] | None = None  # shows what is shown again, in a new palette's colours
        self._notice_error = False
        self.notice = QLabel(wordWrap=True)
        self.notice.setObjectName("explorerNotice")
        self.notice.hide()
        self.samples = QComboBox()
        self.samples.setToolTip("Explain one sample of the batch the trainer last used (first by default: every "
                                "factor shown is that sample's, so they multiply out), or the batch's mean, with "
                                "a table of its samples whose products average to the gradient")
        self.samples.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.samples.setMinimumContentsLength(12)
        self.samples.currentIndexChanged.connect(self.sample_changed)
        self.samples.currentIndexChanged.connect(self._show_sample_image)
        self.sample_image = SampleImage()
        self._batch_x: np.ndarray | None = None
        self._image_shape: tuple[int, int] | None = None
        self.output_mode = QCheckBox("Explain the output y itself")
        self.output_mode.setToolTip("No loss: explain dy/dx of the selected input neuron, or dy/dw of the selected "
                                    "weight or bias, as a product along each path (the notes' scalar chain)")
        self.output_mode.toggled.connect(self.sample_changed)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._gradient_page(), "Gradient")
        self.step = StepThroughView()
        # its row of controls is wider than a narrow dock: it scrolls sideways
        self.step_page = _fill(QScrollArea(), self.step)
        self.step_page.setFocusProxy(self.step)  # its keys work while it has the focus
        self.tabs.addTab(self.step_page, "Step-through")
        self.tabs.setTabToolTip(1, "One training step on one sample, neuron by neuron")
        self.tabs.currentChanged.connect(self.tab_changed)
        top = QHBoxLayout()
        top.addWidget(QLabel("Samples"))
        top.addWidget(self.samples, 1)
        options = QHBoxLayout()  # the sample's picture beside the checkbox: the chooser's row has no width to spare
        options.addWidget(self.output_mode)
        options.addStretch(1)
        options.addWidget(self.sample_image)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.notice)
        layout.addLayout(top)
        layout.addLayout(options)
        layout.addWidget(self.tabs, 1)
        self.show_empty(EMPTY)

    def _gradient_page(self) -> QWidget:
        self.stack = QStackedWidget()
        self.message = _rich()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setContentsMargins(16, 16, 16, 16)
        self.stack.addWidget(self.message)
        self.heading = _rich()
        self.check_button = QPushButton("Check")
        self.check_button.setToolTip("Compare backprop's gradient with central differences "
                                     "(L(w+ε) − L(w−ε)) / 2ε on the same samples (C)")
        self.check_button.clicked.connect(self.check_requested)
        self.highlight_all = QCheckBox("Highlight all paths")
        self.highlight_all.setToolTip("Mark every path from this weight to the loss on the canvas (A)")
        self.highlight_all.toggled.connect(self.highlight_all_toggled)
        self.check_label = _rich()
        self.local = _rich(links=True)
        self.batch_table = BatchTable()
        self.paths = PathList()
        self.paths.hovered.connect(self.hovered)
        self.paths_caption = _rich()
        self.update_label = _rich()
        self.local.linkHovered.connect(self._link_hovered)
        self.local.linkActivated.connect(self._link_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.highlight_all)
        buttons.addStretch(1)
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(6, 6, 6, 6)
        column.addWidget(self.heading)
        column.addLayout(buttons)
        column.addWidget(self.check_label)
        for title, widgets in (("Local form", (self.local, self.batch_table)),
                               ("Paths to the loss", (self.paths_caption, self.paths)),
                               ("Update", (self.update_label,))):
            box = QGroupBox(title)
            inner = QVBoxLayout(box)
            inner.setContentsMargins(6, 4, 6, 4)
            for widget in widgets:
                inner.addWidget(widget)
            column.addWidget(box)
        column.addStretch(1)
        self.content = DownScroll(body)
        self.stack.addWidget(self.content)
        self.output_text = _rich()
        self.output_text.setContentsMargins(6, 6, 6, 6)
        self.output_page = DownScroll(self.output_text)
        self.stack.addWidget(self.output_page)
        self.check_action = self._action("&Check Gradient", "C", "Backprop against central differences")
        self.check_action.triggered.connect(self.check_button.click)
        self.highlight_action = self._action("&Highlight All Paths", "A", "Mark every path to the loss on the canvas")
        self.highlight_action.setCheckable(True)
        self.highlight_action.toggled.connect(self.highlight_all.setChecked)
        self.highlight_all.toggled.connect(self.highlight_action.setChecked)
        return self.stack

    def _action(self, text: str, key: str, tip: str) -> QAction:
        """A shortcut that works while the focus is in the panel (a letter must not fire while typing elsewhere)."""
        action = QAction(text, self)
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        self.addAction(action)
        return action

    # ------------------------------------------------------------------ what is shown
    def ink(self) -> TextInk:
        return text_ink(self.palette())

    def show_notice(self, text: str | None, *, error: bool = False) -> None:
        """A message above everything (training runs; the data cannot be explained), or none."""
        self._notice_error = error
        self.notice.setText(text or "")
        self.notice.setStyleSheet(notice_style(self.palette(), error))
        self.notice.setVisible(bool(text))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.notice.setStyleSheet(notice_style(self.palette(), self._notice_error))
            if self._redraw is not None:
                self._redraw()

    def set_busy(self, busy: bool) -> None:
        """While training runs, the content stays visible but inert, until the next pause refreshes it."""
        self.tabs.setEnabled(not busy)
        self.samples.setEnabled(not busy)

    def show_empty(self, text: str, *, error: bool = False) -> None:
        self.explanation = None
        self.show_check(None)
        ink = self.ink()
        self._redraw = lambda: self.show_empty(text, error=error)
        self.message.setText(f'<span style="color:{ink.bad if error else ink.muted}">{escape(text)}</span>')
        self.stack.setCurrentWidget(self.message)

    def show_explanation(self, e: Explanation, note: str = "", column: str = "") -> None:
        """`column`: the data column a weight out of the input layer carries ("x1·x2"), named in the local form."""
        self.explanation = e
        ink = self.ink()
        self._redraw = lambda: self._redraw_explanation(e, note, column)
        extra = "<br>" + render.muted(escape(note), ink) if note else ""
        self.heading.setText(render.heading(e, ink) + extra)
        self.local.setText(render.local_form(e, ink, column))
        if e.n_samples > 1:
            self.batch_table.show_batch(e)
        self.batch_table.setHidden(e.n_samples == 1)
        pf = e.paths
        batch = "<br>" + render.muted(BATCH_NOTE, ink) if e.n_samples > 1 else ""
        self.paths_caption.setText(
            f"{len(pf.paths)} of {pf.count} path{'s' if pf.count != 1 else ''} listed, the largest |contribution| "
            f"first; hover one to see it on the canvas{batch}")
        self.paths.show_paths(e)
        self.update_label.setText(render.update(e.update, ink))
        self.stack.setCurrentWidget(self.content)

    def _redraw_explanation(self, e: Explanation, note: str, column: str) -> None:
        result = self.check_result
        self.show_explanation(e, note, column)
        self.show_check(result)

    def show_output(self, e: OutputExplanation) -> None:
        """dy/dx or dy/dw with no loss: the paths in the notes' form and the check."""
        self.explanation = None  # Check and "Highlight all paths" belong to a loss's gradient
        self.show_check(None)
        self._redraw = lambda: self.show_output(e)
        self.output_text.setText(render.output(e, self.ink()))
        self.stack.setCurrentWidget(self.output_page)

    def show_check(self, result: CheckResult | None) -> None:
        self.check_result = result
        self.check_label.setText("" if result is None else render.check(result, self.ink()))
        self.check_label.setVisible(result is not None)

    def set_samples(self, x: np.ndarray, t: np.ndarray, image_shape: tuple[int, int] | None = None) -> None:
        """The batch's samples to choose from; the choice is kept while it still exists. With `image_shape` (the
        data set's inputs are an image's pixels) the chosen sample is drawn as its image beside the chooser."""
        self._batch_x, self._image_shape = x, image_shape
        labels = [f"batch mean ({len(x)} sample{'s' if len(x) != 1 else ''})"]
        labels += [render.sample_label(k, x[k], t[k]) for k in range(len(x))]
        if labels != [self.samples.itemText(k) for k in range(self.samples.count())]:
            chosen = self.samples.currentIndex()
            self.samples.blockSignals(True)
            self.samples.clear()
            for k, label in enumerate(labels):
                self.samples.addItem(label, None if k == 0 else k - 1)
            self.samples.setCurrentIndex(chosen if 0 <= chosen < len(labels) else 1)  # sample 0: factors multiply
            self.samples.blockSignals(False)
        self._show_sample_image()

    def _show_sample_image(self) -> None:
        k = self.sample()
        row = None if self._batch_x is None or k is None or k >= len(self._batch_x) else self._batch_x[k]
        self.sample_image.show_sample(row, self._image_shape, f"sample {k}")

    def sample(self) -> int | None:
        """The chosen sample's row in the batch, or None for the batch mean."""
        return self.samples.currentData()

    def step_through_shown(self) -> bool:
        return self.tabs.currentWidget() is self.step_page

    # ------------------------------------------------------------------ links in the formulas
    def _link_hovered(self, link: str) -> None:
        ref = render.parse_link(link) if link else None
        self.hovered.emit([ref] if ref is not None else None)

    def _link_clicked(self, link: str) -> None:
        if (ref := render.parse_link(link)) is not None:
            self.weight_clicked.emit(ref)

    def sizeHint(self):
        hint = super().sizeHint()
        hint.setWidth(max(hint.width(), 420))
        return hint

