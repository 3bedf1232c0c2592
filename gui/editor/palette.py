"""The palette: layer kinds and a single neuron, dragged onto the canvas to create them at the drop point."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem

from gui.icons import icon

MIME_TYPE = "application/x-backprop-studio-palette"
KEY_ROLE = Qt.ItemDataRole.UserRole

# key, label, icon, tooltip
ENTRIES = (
    ("input", "Input layer", "input-layer",
     "One neuron per input feature of the data. A network has exactly one.\nDrag onto the canvas."),
    ("hidden", "Hidden layer", "hidden-layer",
     "Neurons that compute features from earlier layers (tanh by default).\nDrag onto the canvas."),
    ("output", "Output layer", "output-layer",
     "The network's answer: one neuron per output (sigmoid by default). A network has exactly one.\n"
     "Drag onto the canvas."),
    ("neuron", "Neuron", "neuron",
     "Drop onto a layer to add a neuron to it,\nor onto empty canvas to start a new one-neuron hidden layer."),
)


def palette_entry(mime: QMimeData) -> str | None:
    """The palette key a drag carries, or None when the drag is not from the palette."""
    if not mime.hasFormat(MIME_TYPE):
        return None
    key = mime.data(MIME_TYPE).toStdString()
    return key if key in {entry[0] for entry in ENTRIES} else None


class Palette(QListWidget):
    entry_activated = Signal(str)  # double-click or Enter: add the entry at the canvas centre

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setIconSize(QSize(32, 32))
        self.setSpacing(2)
        self.setToolTip("Drag an entry onto the canvas (or double-click it to add it at the centre)")
        for key, label, icon_name, tip in ENTRIES:
            item = QListWidgetItem(icon(icon_name), label)
            item.setData(KEY_ROLE, key)
            item.setToolTip(tip)
            self.addItem(item)
        self.itemActivated.connect(lambda item: self.entry_activated.emit(item.data(KEY_ROLE)))

    def item_for(self, key: str) -> QListWidgetItem:
        return next(self.item(row) for row in range(self.count()) if self.item(row).data(KEY_ROLE) == key)

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def mimeData(self, items: Sequence[QListWidgetItem]) -> QMimeData:
        mime = QMimeData()
        mime.setData(MIME_TYPE, str(items[0].data(KEY_ROLE)).encode())
        return mime
