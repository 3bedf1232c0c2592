"""The node editor: a canvas that projects the engine's `Network` and edits it through undoable commands."""

from .palette import Palette
from .scene import EditorScene
from .view import EditorView

__all__ = ["EditorScene", "EditorView", "Palette"]
