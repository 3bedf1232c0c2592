"""Guided lessons in a dock (Help → Lessons); the format, the checks and the values live in engine.lessons."""

from .install import LessonsFeature

__all__ = ["LessonsFeature"]
