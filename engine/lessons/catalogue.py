"""The lessons shipped in resources/lessons/, each checked against the projects it opens.

A lesson is checked whole when it is listed: its format (`parse_lesson`), then every project it opens and every
name and prediction of every step against that project's network, so a teacher's typo shows up in the list with
its file and line instead of in the middle of a learner's lesson. A broken lesson is listed with its error; the
others still load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import BackpropError
from ..graph.model import Network
from ..project import EXAMPLES, Project, load_project, open_example
from ..resources import resource_path
from . import items
from .format import Lesson, LessonError, Step, load_lesson
from .values import KINDS, param_ref

SUFFIX = ".md"


@dataclass(frozen=True)
class Entry:
    """One file of the lessons folder: the lesson, or why it cannot be used."""

    path: Path
    lesson: Lesson | None
    error: str | None = None

    @property
    def title(self) -> str:
        return self.lesson.title if self.lesson is not None else self.path.stem


def lessons_dir() -> Path:
    return resource_path("lessons")


def catalogue(folder: Path | None = None) -> list[Entry]:
    """Every lesson of the folder in file-name order (a number in front orders them), each checked."""
    entries = []
    for path in sorted((folder or lessons_dir()).glob(f"*{SUFFIX}")):
        try:
            entries.append(Entry(path, check_lesson(load_lesson(path))))
        except BackpropError as exc:
            entries.append(Entry(path, None, str(exc)))
    return entries


def open_project(lesson: Lesson, ref: str) -> tuple[Project, str]:
    """The project a step names and the title the window shows for it. A file is detached like an example, so
    Save asks where rather than overwriting the lesson's copy."""
    if ref in EXAMPLES:
        return open_example(ref), f"{ref} (lesson)"
    path = lesson.path.parent / ref
    if not path.is_file():
        raise BackpropError(f"project {ref!r} is neither an example ({', '.join(EXAMPLES)}) nor a file beside "
                            "the lesson")
    project = load_project(path)
    project.detach()
    return project, f"{path.name} (lesson)"


def project_refs(lesson: Lesson) -> list[str | None]:
    """The project in effect at each step: the one it opens, else the last one an earlier step opened."""
    refs: list[str | None] = []
    current = None
    for step in lesson.steps:
        current = step.project or current
        refs.append(current)
    return refs


def check_lesson(lesson: Lesson) -> Lesson:
    """The lesson, once every project opens and every name of every step names something in its network."""
    networks: dict[str, Network] = {}
    for step, ref in zip(lesson.steps, project_refs(lesson), strict=True):
        assert ref is not None  # the first step opens a project (parse_lesson)
        if ref not in networks:
            try:
                networks[ref] = open_project(lesson, ref)[0].network
            except BackpropError as exc:
                raise LessonError(str(exc), path=lesson.path, line=step.line_of("project")) from None
        _check_step(lesson, step, networks[ref])
    return lesson


def _check_step(lesson: Lesson, step: Step, network: Network) -> None:
    def checked(key: str, check: Callable[[], object]) -> None:
        try:
            check()
        except BackpropError as exc:
            raise LessonError(str(exc), path=lesson.path, line=step.line_of(key)) from None

    checked("select", lambda: items.resolve(network, step.select))
    checked("highlight", lambda: items.resolve(network, step.highlight))
    p = step.predict
    if p is None or not KINDS[p.value]:
        return
    of = p.of or ""
    if p.value in ("activation", "preactivation", "slope"):
        checked("predict.of", lambda: items.neuron(network, of))
    elif p.value == "norm":
        checked("predict.of", lambda: items.connection(network, of))
    elif p.value == "derivative":
        checked("predict.of", lambda: items.resolve_one(network, of))
    else:
        checked("predict.of", lambda: param_ref(network, of))
    checked("predict.through", lambda: [items.neuron(network, name) for name in p.through])
