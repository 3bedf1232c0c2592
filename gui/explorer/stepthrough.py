"""Step-through: one training step on one sample, frame by frame — forward, loss, backward, update.

The view only walks the frames it is given (`engine.explain.StepThrough.frames`); whoever owns it builds them and
listens to `frame_changed` to mark the frame's neuron or weight on the canvas. Next / Previous / First / Last and
Play are actions with shortcuts (→ or N, ← or P, Home, End, Space) that work while the panel has the focus.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFontDatabase, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.explain import Frame
from gui.colors import phase_colors

PHASE_NAMES = {"forward": "forward pass", "loss": "loss", "backward": "backward pass", "update": "update"}
SPEEDS = ((1, "1 frame/s"), (2, "2 frames/s"), (5, "5 frames/s"), (20, "20 frames/s"))


class StepThroughView(QWidget):
    frame_changed = Signal()  # the current frame (`current()`) changed, or the frames did

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.frames: tuple[Frame, ...] = ()
        self.index = -1  # -1: before the first frame
        self.note = QLabel(wordWrap=True)
        self.note.setTextFormat(Qt.TextFormat.RichText)
        self.position = QLabel()
        self.current_label = QLabel(wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.current_label.setMinimumHeight(54)
        self.current_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.list = QListWidget()
        self.list.setToolTip("Every frame of the step; click one to jump to it")
        self.list.setUniformItemSizes(True)
        self.list.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))  # the columns line up
        self.list.currentRowChanged.connect(self._row_chosen)
        self.speed = QComboBox()
        self.speed.setToolTip("How fast Play advances")
        for fps, text in SPEEDS:
            self.speed.addItem(text, fps)
        self.speed.setCurrentIndex(1)
        self.speed.currentIndexChanged.connect(self._set_speed)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self._set_speed()
        self.actions_by_name = self._make_actions()
        self.buttons = {name: self._button(action) for name, action in self.actions_by_name.items()}
        controls = QHBoxLayout()
        for name in ("first", "previous", "play", "next", "last"):
            controls.addWidget(self.buttons[name])
        controls.addStretch(1)
        controls.addWidget(self.speed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.note)
        layout.addLayout(controls)
        layout.addWidget(self.position)
        layout.addWidget(self.current_label)
        layout.addWidget(self.list, 1)
        self.set_frames((), "")

    # ------------------------------------------------------------------ building
    def _make_actions(self) -> dict[str, QAction]:
        sp = QStyle.StandardPixmap
        specs = {  # name: (text, keys, tooltip, icon, slot)
            "first": ("First", ["Home"], "Back to before the step (Home)", sp.SP_MediaSkipBackward, self.first),
            "previous": ("Previous", ["Left", "P"], "Previous frame (← or P)", sp.SP_MediaSeekBackward,
                         self.previous),
            "play": ("Play", ["Space"], "Play the frames one after another; again to pause (Space)",
                     sp.SP_MediaPlay, self.toggle_play),
            "next": ("Next", ["Right", "N"], "Next frame (→ or N)", sp.SP_MediaSeekForward, self.next),
            "last": ("Last", ["End"], "To the last frame (End)", sp.SP_MediaSkipForward, self.last),
        }
        actions = {}
        for name, (text, keys, tip, pixmap, slot) in specs.items():
            action = QAction(self.style().standardIcon(pixmap), text, self)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setToolTip(tip)
            action.triggered.connect(slot)
            self.addAction(action)
            actions[name] = action
        actions["play"].setCheckable(True)
        return actions

    def _button(self, action: QAction) -> QToolButton:
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        return button

    # ------------------------------------------------------------------ content
    def set_frames(self, frames: Sequence[Frame], note: str, keep: bool = True) -> None:
        """New frames (after a training step or an edit, the same step recomputed): the position is kept."""
        self.frames = tuple(frames)
        self.note.setText(note)
        self.list.blockSignals(True)
        self.list.clear()
        self.list.addItems([f"{k + 1}. {_summary(f)}" for k, f in enumerate(self.frames)])
        self.list.blockSignals(False)
        self.index = min(self.index, len(self.frames) - 1) if keep else -1
        if not self.frames:
            self.stop()
        for action in self.actions_by_name.values():
            action.setEnabled(bool(self.frames))
        self._show()

    def current(self) -> Frame | None:
        return self.frames[self.index] if 0 <= self.index < len(self.frames) else None

    def visited(self) -> tuple[Frame, ...]:
        """The frames up to and including the current one: what the canvas shows values for."""
        return self.frames[: self.index + 1]

    # ------------------------------------------------------------------ moving
    def go(self, index: int) -> None:
        index = max(-1, min(index, len(self.frames) - 1))
        if index != self.index:
            self.index = index
            self._show()

    def next(self) -> None:
        self.go(self.index + 1)

    def previous(self) -> None:
        self.go(self.index - 1)

    def first(self) -> None:
        self.go(-1)

    def last(self) -> None:
        self.go(len(self.frames) - 1)

    def toggle_play(self) -> None:
        if self.timer.isActive():
            self.stop()
            return
        if self.index >= len(self.frames) - 1:
            self.go(-1)  # Play at the end starts over
        self.timer.start()
        self._sync_play()

    def stop(self) -> None:
        self.timer.stop()
        self._sync_play()

    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def _tick(self) -> None:
        self.next()
        if self.index >= len(self.frames) - 1:
            self.stop()

    def _set_speed(self) -> None:
        self.timer.setInterval(round(1000 / self.speed.currentData()))

    def _sync_play(self) -> None:
        play = self.actions_by_name["play"]
        play.setChecked(self.playing)
        play.setText("Pause" if self.playing else "Play")
        pixmap = QStyle.StandardPixmap.SP_MediaPause if self.playing else QStyle.StandardPixmap.SP_MediaPlay
        play.setIcon(self.style().standardIcon(pixmap))

    def _row_chosen(self, row: int) -> None:
        self.go(row)

    def changeEvent(self, event: QEvent) -> None:
        """A palette switched light ↔ dark: the phase's colour is redrawn in the other palette's ink."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._show()

    def _show(self) -> None:
        frame = self.current()
        total = len(self.frames)
        if frame is None:
            self.position.setText(f"Before the step: {total} frames. Press Next (→) or Play (Space)." if total
                                  else "")
            self.current_label.setText("")
        else:
            colour = phase_colors(self.palette())[frame.phase]
            self.position.setText(f"Frame {self.index + 1} of {total} · "
                                  f'<b style="color:{colour}">{PHASE_NAMES[frame.phase]}</b>')
            self.current_label.setText(
                f"<b>{escape(frame.item)}</b>: <b>{escape(frame.quantity)} = {frame.value:.6g}</b><br>"
                f'<span style="font-family: monospace">{escape(frame.formula)}</span>')
        self.list.blockSignals(True)
        self.list.setCurrentRow(self.index)
        if frame is not None:
            self.list.scrollToItem(self.list.item(self.index))
        self.list.blockSignals(False)
        self.frame_changed.emit()


def _summary(frame: Frame) -> str:
    return f"{frame.phase:<9} {frame.item}  {frame.quantity} = {frame.value:.4g}"

