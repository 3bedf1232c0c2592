"""A choice of L1/L2 penalty and its rate λ: the Training panel's (the network's) and the inspector's (a connection's).

It shows a `Penalty` and reports a new one through `edited`; whoever holds it turns that into an undoable edit, so
this widget keeps no state of its own beyond what it shows. The inspector's adds "inherit" (None: the network's).
The rate box is handed in (the Training panel's `NumberBox`, which steps by a factor), so this module needs no
import of the panel that shows it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QWidget

from engine.regularization import KINDS, LABELS, Penalty

DEFAULT_RATE = 1e-3  # the rate offered when a penalty is first chosen
INHERIT = "inherit"
TIPS = {
    INHERIT: "This connection's weights follow the network's penalty (Training panel)",
    "none": "No penalty: the loss is the data loss alone",
    "l1": "L1: adds λ·Σ|w| to the loss, so each step pulls every weight towards 0 by λ·sign(w); it drives "
          "unneeded weights to exactly 0 (a sparse network)",
    "l2": "L2: adds λ/2·Σw² to the loss, so each step pulls every weight towards 0 by λ·w; big weights shrink "
          "most. Under SGD this is PyTorch's weight_decay = λ",
}
RATE_TIP = ("λ, the penalty's rate: how much a weight's size costs against the data loss. Weights only: biases are "
            "never penalised")


class PenaltyEditor(QWidget):
    edited = Signal(object)  # the new Penalty, or None (inherit)

    def __init__(self, rate: QDoubleSpinBox, inherit: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.kind = QComboBox()
        for key in ((INHERIT,) if inherit else ()) + KINDS:
            self.kind.addItem("inherit (network)" if key == INHERIT else LABELS[key], key)
            self.kind.setItemData(self.kind.count() - 1, TIPS[key], Qt.ItemDataRole.ToolTipRole)
        self.kind.setToolTip("Regularisation: a penalty on the size of the weights, added to the loss. "
                             + " · ".join(TIPS[k] for k in ("l1", "l2")))
        self.rate = rate
        self.rate.setRange(1e-12, 1e3)  # above 0, so a NumberBox steps by a factor; "None" is no penalty
        self.rate.setToolTip(RATE_TIP)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.kind, 1)
        layout.addWidget(self.rate, 1)
        self.show_penalty(Penalty())
        self.kind.activated.connect(self._edited)
        self.rate.valueChanged.connect(self._edited)

    def penalty(self) -> Penalty | None:
        """What the fields say, or None for "inherit"."""
        kind = self.kind.currentData()
        return None if kind == INHERIT else Penalty(kind, self.rate.value() if kind != "none" else 0.0)

    def show_penalty(self, penalty: Penalty | None) -> None:
        """Show `penalty` (None: inherit) without reporting an edit."""
        blocked = [w.blockSignals(True) for w in (self.kind, self.rate)]
        self.kind.setCurrentIndex(self.kind.findData(INHERIT if penalty is None else penalty.kind))
        self.rate.setValue(penalty.rate if penalty is not None and penalty.kind != "none" else DEFAULT_RATE)
        for widget, was in zip((self.kind, self.rate), blocked, strict=True):
            widget.blockSignals(was)
        self.rate.setEnabled(penalty is not None and penalty.kind != "none")

    def _edited(self, *_) -> None:
        self.rate.setEnabled(self.kind.currentData() not in (INHERIT, "none"))
        self.edited.emit(self.penalty())
