"""The window's status bar: a long message is elided before the permanent widgets (the run's progress and timer)
and keeps its whole text in the tooltip.

QStatusBar draws its own message unelided, cut off wherever the first permanent widget begins, and hides its
normal widgets while a message shows. So the message goes to a label that is itself the first permanent widget,
stretched over the free room and ignoring its text's width, and Qt's own drawing is left an empty strip. Following
`messageChanged` catches every message, including the status tips Qt shows from C++ on hover.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget


class ElidedLabel(QLabel):
    """One line, elided at the right to the width it is given; the whole text is the tooltip when it is cut."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.full_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setContentsMargins(4, 0, 0, 0)  # where QStatusBar would start its own message

    def set_full_text(self, text: str) -> None:
        self.full_text = text
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight, self.contentsRect().width())
        self.setText(shown)
        self.setToolTip(self.full_text if shown != self.full_text else "")


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.message = ElidedLabel()
        self.addPermanentWidget(self.message, 1)
        self.messageChanged.connect(self.message.set_full_text)
