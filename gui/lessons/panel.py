"""The Lessons dock's widget: the list of lessons, the current step's text, the prediction box and the way on.

A view: it shows what the feature hands it and says what the learner did through its signals; which lesson and
step are current, and every number, belong to the feature and the engine.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.colors import text_ink


class LessonsPanel(QWidget):
    lesson_chosen = Signal(int)  # index in the list
    back_clicked = Signal()
    next_clicked = Signal()
    restart_clicked = Signal()
    check_requested = Signal(str)  # what the learner typed
    reveal_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.lessons = QComboBox()
        self.lessons.setToolTip("The lessons in resources/lessons/; one that cannot be used says why")
        self.lessons.activated.connect(self.lesson_chosen)
        self.progress = QLabel()
        self.text = QLabel(wordWrap=True)  # grows with its text: the dock scrolls as a whole, nothing is cut off
        self.text.setTextFormat(Qt.TextFormat.MarkdownText)
        self.text.setOpenExternalLinks(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.question = QLabel(wordWrap=True)
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        self.guess = QLineEdit(placeholderText="your prediction, e.g. 0.25")
        self.guess.returnPressed.connect(self._check)
        self.check_button = QPushButton("Check")
        self.check_button.setToolTip("Say how close the prediction is (Enter)")
        self.check_button.clicked.connect(self._check)
        self.reveal_button = QPushButton("Reveal")
        self.reveal_button.setToolTip("Show the value and how it is computed")
        self.reveal_button.clicked.connect(self.reveal_requested)
        self.verdict = QLabel(wordWrap=True)
        self.working = QLabel(wordWrap=True)
        self.working.setTextFormat(Qt.TextFormat.MarkdownText)
        self.working.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.back = QPushButton("◀ Back")
        self.back.clicked.connect(self.back_clicked)
        self.next = QPushButton("Next ▶")
        self.next.clicked.connect(self.next_clicked)
        self.restart = QPushButton("Restart")
        self.restart.setToolTip("Start this lesson again from its first step")
        self.restart.clicked.connect(self.restart_clicked)
        self._build()

    def _build(self) -> None:
        self.prediction = QFrame()
        self.prediction.setFrameShape(QFrame.Shape.StyledPanel)
        box = QVBoxLayout(self.prediction)
        box.addWidget(QLabel("<b>Predict before you look</b>"))
        box.addWidget(self.question)
        row = QHBoxLayout()
        row.addWidget(self.guess, 1)
        row.addWidget(self.check_button)
        row.addWidget(self.reveal_button)
        box.addLayout(row)
        box.addWidget(self.verdict)
        box.addWidget(self.working)
        buttons = QHBoxLayout()
        buttons.addWidget(self.restart)
        buttons.addStretch(1)
        buttons.addWidget(self.back)
        buttons.addWidget(self.next)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.lessons)
        layout.addWidget(self.progress)
        layout.addWidget(self.text)
        layout.addWidget(self.prediction)
        layout.addLayout(buttons)
        layout.addStretch(1)

    # ------------------------------------------------------------------ shown by the feature
    def set_lessons(self, titles: list[str], errors: list[str | None]) -> None:
        self.lessons.clear()
        for title, error in zip(titles, errors, strict=True):
            self.lessons.addItem(title if error is None else f"⚠ {title} (cannot be used)")
            if error is not None:
                self.lessons.setItemData(self.lessons.count() - 1, error, Qt.ItemDataRole.ToolTipRole)

    def show_step(self, lesson: int, index: int, count: int, markdown: str, question: str | None) -> None:
        self.lessons.setCurrentIndex(lesson)
        self.progress.setText(f"Step {index + 1} of {count}")
        self.text.setTextFormat(Qt.TextFormat.MarkdownText)
        self.text.setText(markdown)
        self.prediction.setVisible(question is not None)
        self.question.setText(f"What is {question}?" if question else "")
        self.guess.clear()
        self.guess.setEnabled(True)
        self.verdict.clear()
        self.working.clear()
        self.back.setEnabled(index > 0)
        self.next.setEnabled(index + 1 < count)
        self.restart.setEnabled(True)

    def show_waiting(self) -> None:
        """No lesson entered yet: what to do to start one."""
        self.lessons.setCurrentIndex(-1)
        self.progress.setText("Choose a lesson")
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setText("Pick a lesson from the list above, or use Help → Lessons to go on where you left off. A "
                          "lesson opens its own network in place of the one on the canvas (unsaved changes are "
                          "offered for saving first).")
        self.prediction.hide()
        for button in (self.back, self.next, self.restart):
            button.setEnabled(False)

    def show_broken(self, lesson: int, error: str) -> None:
        """A lesson that cannot be used: its error, where the steps would be."""
        self.lessons.setCurrentIndex(lesson)
        self.progress.setText("This lesson cannot be used")
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setText(f"{error}\n\nFix the file (docs/lessons.md describes the format) and open the Lessons "
                          "panel again.")
        self.prediction.hide()
        for button in (self.back, self.next, self.restart):
            button.setEnabled(False)

    def show_verdict(self, text: str, right: bool | None) -> None:
        """`right` None: a note (not a number, busy) rather than a judgement."""
        ink = text_ink(self.palette())  # green or red that reads on a light and on a dark palette
        self.verdict.setStyleSheet("" if right is None else f"color: {ink.good if right else ink.bad};")
        self.verdict.setText(text)

    def show_working(self, markdown: str) -> None:
        self.working.setText(markdown)

    def _check(self) -> None:
        self.check_requested.emit(self.guess.text())
