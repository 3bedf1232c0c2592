"""Undoable operations of the document (continue from a recorded step, restore a run's weights, delete or rename a
run), on the window's one undo stack beside the network edits.

The document does the work and hands back what undoes it (a `Checkpoint`, a removed run and its place); a command
only keeps that token. Like `ModelCommand`, it runs once *before* it enters the stack, so an operation the document
refuses raises its `BackpropError` to the caller and leaves the stack unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand, QUndoStack


class DocumentCommand(QUndoCommand):
    def __init__(self, text: str, do: Callable[[], Any], undo: Callable[[Any], None]):
        super().__init__(text)
        self._do, self._undo = do, undo
        self._token: Any = None
        self._applied = False

    def apply(self) -> None:
        self._token = self._do()
        self._applied = True

    def redo(self) -> None:
        if self._applied:  # QUndoStack.push calls redo; `apply` already did the work
            self._applied = False
            return
        self._token = self._do()

    def undo(self) -> None:
        self._undo(self._token)


def push_document(stack: QUndoStack, command: DocumentCommand) -> None:
    """Apply `command` and record it; raises the document's error (nothing changed) if it is refused."""
    command.apply()
    stack.push(command)
