"""Undoable operations of the document (continue from a recorded step, restore a run's weights, delete or rename a
run, change a training setting), on the window's one undo stack beside the network edits.

The document does the work and hands back what undoes it (a `Checkpoint`, a removed run and its place); a command
only keeps that token. Like `ModelCommand`, it runs once *before* it enters the stack, so an operation the document
refuses raises its `BackpropError` to the caller and leaves the stack unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand, QUndoStack

from engine.studio import Document


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


LABELS = {"lr": "learning rate", "batch_size": "batch size", "loss": "loss", "optimizer": "optimiser",
          "optimizer_params": "optimiser settings", "epochs": "epoch budget", "target_loss": "stop at loss",
          "patience": "patience", "seed": "shuffle seed", "pause_on_blowup": "pause when the loss blows up",
          "penalty": "regularisation"}


class SettingsCommand(DocumentCommand):
    """A change of training settings (`Document.edit_settings`); undo puts back the values it replaced, read from
    the document when the edit is made. The panel's number boxes send one edit per Enter or arrow press (no keyboard
    tracking), so each step on the stack is a value the user chose."""

    def __init__(self, document: Document, changes: dict[str, Any]):
        before, after = document.current_settings(changes), dict(changes)
        super().__init__(settings_text(after), lambda: document.edit_settings(**after),
                         lambda _token: document.edit_settings(**before))


def settings_changes(document: Document, changes: dict[str, Any]) -> dict[str, Any]:
    """Those of `changes` that differ from the settings as they are (a form sends all its fields at once)."""
    now = document.current_settings(changes)
    return {name: value for name, value in changes.items() if value != now[name]}


def settings_text(changes: dict[str, Any]) -> str:
    """The undo stack's name for an edit: "Learning rate 0.03", "Regularisation L2 λ = 0.01 (λ/2·Σw²)"."""
    if len(changes) == 1:
        (name, value), = changes.items()
        shown = f"{value:g}" if isinstance(value, float) else "off" if value is None else str(value)
        return f"{LABELS[name].capitalize()} {shown}" if not isinstance(value, dict) else f"Change {LABELS[name]}"
    return "Change " + ", ".join(LABELS[name] for name in changes)


def push_document(stack: QUndoStack, command: DocumentCommand) -> None:
    """Apply `command` and record it; raises the document's error (nothing changed) if it is refused."""
    command.apply()
    stack.push(command)
