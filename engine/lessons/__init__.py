"""Guided lessons: Markdown files a teacher writes, whose steps open a project, point at the canvas and ask the
learner to predict a number the engine then computes. The GUI's Lessons dock (gui/lessons) drives the document
with them; everything it reads — the format, its checks, the values — lives here, without Qt.
"""

from .catalogue import Entry, catalogue, check_lesson, lessons_dir, open_project, project_refs
from .format import ACTIONS, PANELS, Lesson, LessonError, Prediction, Step, load_lesson, parse_lesson
from .items import Items, UnknownItemError, resolve
from .values import KINDS, Answer, Problem, compute, question

__all__ = [
    "ACTIONS", "KINDS", "PANELS", "Answer", "Entry", "Items", "Lesson", "LessonError", "Prediction", "Problem",
    "Step", "UnknownItemError", "catalogue", "check_lesson", "compute", "lessons_dir", "load_lesson",
    "open_project", "parse_lesson", "project_refs", "question", "resolve",
]
