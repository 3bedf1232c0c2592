"""The Lessons feature: Help → Lessons, its dock, and a lesson's steps played on the document.

Entering a step opens its project through the window (`set_project`, as File → Examples does), sets the
document's selection, marks the canvas, brings a panel forward and runs its action through the training
controller's own commands; nothing here trains, explains or selects by itself. A prediction is checked against
the engine's value (`engine.lessons.compute`), computed from the network as it is when the learner asks, and only
while no run owns the network. Where the learner is in each lesson is kept in the user's QSettings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Protocol

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget

from engine import BackpropError, NetworkEvent
from engine.lessons import (
    Answer,
    Entry,
    Lesson,
    Problem,
    Step,
    catalogue,
    compute,
    open_project,
    project_refs,
    question,
)
from engine.lessons import resolve as resolve_items
from engine.project import Project
from engine.studio import Document, Selection
from gui.docks import Area, DockSpec
from gui.editor import EditorScene
from gui.follow import Follower, follow

from .marks import LessonMarks
from .panel import LessonsPanel

BUSY_NOTE = "Training is running: wait until it pauses, then check."
MINUS = str.maketrans({"−": "-", ",": "."})  # a typed minus sign or decimal comma still reads as a number


class TrainingCommands(Protocol):
    """What a step's `action` may run (the training controller has these)."""

    def step(self) -> None: ...
    def step_epoch(self) -> None: ...
    def reset_weights(self) -> None: ...


class LessonsFeature(QObject):
    raise_requested = Signal()  # Help → Lessons: the window brings up the workspace this dock belongs to

    def __init__(self, document: Document, scene: EditorScene, set_project: Callable[[Project, str], None],
                 may_replace: Callable[[], bool], training: TrainingCommands, settings: QSettings,
                 panels: Mapping[str, Callable[[], None]]):
        super().__init__(scene)
        self.document = document
        self._set_project = set_project
        self._may_replace = may_replace  # the window's unsaved-changes prompt, as File → Open asks it
        self._training = training
        self._settings = settings
        self._panels = panels
        self.panel = LessonsPanel()
        self.marks = LessonMarks(scene)
        self.dock: QDockWidget | None = None
        self.entries: list[Entry] = []  # read when the dock first opens: checking them opens their projects
        self._listed = False
        self.current: int | None = None  # index in `entries`
        self.index = 0  # the step shown
        self._project: Project | None = None  # the project this lesson opened last, while it is the document's
        self._ref: str | None = None  # and the name it opened it by
        self.action = QAction("&Lessons", self.panel)
        self.action.setToolTip("Guided lessons on backpropagation, from the lecture notes")
        self.action.setStatusTip(self.action.toolTip())
        self.action.triggered.connect(self.open)
        self._network = Follower(self, self._network_changed, document.network.events)
        follow(self, document.events.project_replaced, self._project_replaced)
        self._wire()

    @property
    def dock_spec(self) -> DockSpec:
        return DockSpec(self.panel, "Lessons", Area.LeftDockWidgetArea, "lessons", scroll=True)

    def attach(self, dock: QDockWidget) -> None:
        """Hidden until Help → Lessons (a returning learner's saved layout may show it again)."""
        self.dock = dock
        dock.hide()
        dock.visibilityChanged.connect(self._visibility_changed)

    def _wire(self) -> None:
        p = self.panel
        p.lesson_chosen.connect(self.start)
        p.next_clicked.connect(self.next_step)
        p.back_clicked.connect(self.previous_step)
        p.restart_clicked.connect(self.restart)
        p.check_requested.connect(self.check)
        p.reveal_requested.connect(self.reveal)

    # ------------------------------------------------------------------ the way through
    def open(self) -> None:
        """Help → Lessons: the dock comes up on the lesson the learner left, at the step they left it."""
        self.raise_requested.emit()
        if self.dock is not None:
            self.dock.show()
            self.dock.raise_()
        self._resume()

    def _visibility_changed(self, visible: bool) -> None:
        """Shown another way (the Learn workspace, View → Panels, a restored layout): the lessons are listed, but
        none is entered: entering one opens its network in place of the canvas's, which only the learner's choice
        (a lesson picked from the list, Help → Lessons) may do."""
        if visible and self.current is None:
            self.list_lessons()
            self.panel.show_waiting()

    def _resume(self) -> None:
        self.list_lessons()
        if self.current is None and self.entries:
            stems = [e.path.stem for e in self.entries]
            last = str(self._settings.value("lessons/current", ""))
            self.start(stems.index(last) if last in stems else 0)

    def next_step(self) -> None:
        self.go(self.index + 1)

    def previous_step(self) -> None:
        self.go(self.index - 1)

    def restart(self) -> None:
        self.go(0)

    def list_lessons(self) -> None:
        """Read and check the lessons folder, once (about 0.1 s: every lesson's projects are opened to check it)."""
        if not self._listed:
            self._listed = True
            self.entries = catalogue()
            self.panel.set_lessons([e.title for e in self.entries], [e.error for e in self.entries])

    def start(self, number: int) -> None:
        """Lesson `number` of the list, at the step the learner reached last time."""
        self.list_lessons()
        self.current = number
        entry = self.entries[number]
        if entry.lesson is None:
            self.panel.show_broken(number, entry.error or "")
            return
        self._settings.setValue("lessons/current", entry.path.stem)
        saved = str(self._settings.value(f"lessons/{entry.lesson.key}/step", 0))
        self.go(min(int(saved), len(entry.lesson.steps) - 1) if saved.isdigit() else 0)

    @property
    def lesson(self) -> Lesson | None:
        return None if self.current is None else self.entries[self.current].lesson

    @property
    def step(self) -> Step | None:
        lesson = self.lesson
        return None if lesson is None else lesson.steps[self.index]

    def go(self, index: int) -> None:
        """Enter step `index`: its project, selection, marks, panel and action, then its text."""
        lesson = self.lesson
        if lesson is None or not 0 <= index < len(lesson.steps):
            return
        self.index = index
        self._settings.setValue(f"lessons/{lesson.key}/step", index)
        step = lesson.steps[index]
        try:
            self._enter(lesson, step, project_refs(lesson)[index])
        except BackpropError as exc:  # the project changed under the lesson since it was checked
            self.document.post(f"Lesson step {index + 1}: {exc}", error=True)
        # headings two levels down: a narrow dock's text, under the lesson's name in the list above it
        text = f"### {lesson.title}\n\n{lesson.intro}\n\n" if index == 0 and lesson.intro else ""
        self.panel.show_step(self.current or 0, index, len(lesson.steps), f"{text}#### {step.title}\n\n{step.text}",
                             None if step.predict is None else question(step.predict))

    def _enter(self, lesson: Lesson, step: Step, ref: str | None) -> None:
        if ref is not None and (ref != self._ref or self.document.project is not self._project):
            # the learner's own work is never replaced unasked; a project a lesson opened (and maybe trained) is
            # the lesson's to replace
            if self.document.project is not self._project and not self._may_replace():
                self.document.post(f"This lesson step waits: it opens {ref}, and your project has unsaved changes "
                                   "(save or discard them, then show the step again).")
                return
            project, title = open_project(lesson, ref)
            self._set_project(project, title)
            self._project, self._ref = self.document.project, ref
        network = self.document.network
        if step.select:
            items = resolve_items(network, step.select)
            self.document.select(Selection(items.layers, items.neurons, items.weights))
        self.marks.show_items(resolve_items(network, (*step.select, *step.highlight)))
        if step.show is not None:
            self._panels[step.show]()
        if step.action is not None:
            if not self.document.idle:
                self.document.post("A lesson step waits: training is running (pause it, then press Back and Next).")
                return
            {"step": self._training.step, "epoch": self._training.step_epoch,
             "reset": self._training.reset_weights}[step.action]()

    def _network_changed(self, _event: NetworkEvent) -> None:
        self.marks.relayout()  # a layer moved or was resized: the marks follow its neurons

    def _project_replaced(self, project: Project) -> None:
        self._network.follow(project.network.events)
        if project is not self._project:  # the learner opened something else: the marks belong to the lesson's
            self.marks.show_items(resolve_items(project.network, ()))

    # ------------------------------------------------------------------ predictions
    def answer(self) -> Answer:
        """The engine's value for the current step's prediction, from the network and data as they are now."""
        step = self.step
        assert step is not None and step.predict is not None
        document = self.document
        train, _ = document.session.data()
        settings = document.project.settings
        lr = float(settings.optimizer_params.get("lr", 0.0))
        problem = Problem(document.network, train.X, train.y, settings.loss, lr, settings.batch_size)
        return compute(step.predict, problem)

    def check(self, typed: str) -> bool | None:
        """Say how close the learner's number is; when right, show the computation. None: nothing was judged."""
        step = self.step
        if step is None or step.predict is None:
            return None
        try:
            guess = float(typed.strip().translate(MINUS))
        except ValueError:
            self.panel.show_verdict(f"Type a number, e.g. 0.25 or -1.5e-3 (not {typed.strip()!r}).", None)
            return None
        if not math.isfinite(guess):
            self.panel.show_verdict("Type a finite number.", None)
            return None
        answer = self._answer_or_say()
        if answer is None:
            return None
        truth = answer.value
        right = step.predict.accepts(guess, truth)
        off = guess - truth
        how = f"off by {abs(off):.3g}" + (f" ({abs(off) / abs(truth):.0%} {'too high' if off > 0 else 'too low'})"
                                           if truth else "")
        if right:
            self.panel.show_verdict(f"Right: {guess:g} is {how} from {truth:.6g}.", True)
            self.panel.show_working(answer.working)
        else:
            self.panel.show_verdict(f"Not yet: {guess:g} is {how}. Try again, or Reveal.", False)
        return right

    def reveal(self) -> None:
        answer = self._answer_or_say()
        if answer is not None:
            self.panel.show_verdict(f"The value is {answer.value:.6g}.", None)
            self.panel.show_working(answer.working)

    def _answer_or_say(self) -> Answer | None:
        if not self.document.idle:
            self.panel.show_verdict(BUSY_NOTE, None)
            return None
        try:
            return self.answer()
        except BackpropError as exc:
            self.panel.show_verdict(f"This value cannot be computed now: {exc}", None)
            return None
