"""The inspector: the selection's properties, each editable through an undoable command.

It keeps no copy of the model: every refresh reads the document again (the selection, and the values from the
network while idle or from the latest snapshot while the worker owns the network), and every edit is a command
handed to `push` (the canvas's gate, which refuses edits while training runs and reports the engine's refusals).
A refused edit shows its reason here and the fields fall back to what the model holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from engine import (
    ACTIVATIONS,
    INITIALIZERS,
    BackpropError,
    BiasRef,
    LayerMoved,
    Network,
    NetworkEvent,
    ParamRef,
    WeightRef,
    parameter_count,
)
from engine.project import Project
from engine.studio import Document, RunState, Selection, Snapshot
from gui import commands
from gui.colors import error_color
from gui.follow import Follower, follow

from .penalty_editor import PenaltyEditor
from .training_panel import NumberBox

MAX_LAYER_SIZE = 100_000
# the inspector and the Chain rule dock show two different gradients of one weight: say which each is
LAST_STEP_TIP = ("{} of the last training step: on that step's mini-batch, at the weights before its update "
                 "(what the step used). The Chain rule dock explains the gradient at the current weights.")
Push = Callable[[commands.ModelCommand], "str | None"]


def _form(parent: QStackedWidget) -> tuple[QWidget, QFormLayout]:
    page = QWidget()
    form = QFormLayout(page)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    parent.addWidget(page)
    return page, form


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


class Inspector(QWidget):
    def __init__(self, document: Document, push: Push, lock_reason: str, parent=None):
        super().__init__(parent)
        self.document = document
        self._events = Follower(self, self._on_event)
        self._push = push
        self._lock_reason = lock_reason
        self.pages = QStackedWidget()
        self.summary = QLabel(wordWrap=True, alignment=Qt.AlignmentFlag.AlignTop)
        self.pages.addWidget(self.summary)
        self._build_layer_page()
        self._build_neuron_page()
        self._build_weight_page()
        self.error = QLabel(wordWrap=True)
        self.error.setObjectName("inspectorError")
        self.error.setStyleSheet(f"QLabel#inspectorError {{ color: {error_color(self.palette())}; }}")
        self.lock_note = QLabel(wordWrap=True)
        self.lock_note.setObjectName("inspectorLock")
        self.lock_note.setStyleSheet("QLabel#inspectorLock { background: #fff4d6; color: #5b3a00;"
                                     " border: 1px solid #e0b252; border-radius: 4px; padding: 4px 6px; }")
        self.lock_note.hide()
        layout = QVBoxLayout(self)
        for widget in (self.lock_note, self.pages, self.error):
            layout.addWidget(widget)
        layout.addStretch(1)
        self._events.follow(document.network.events)
        events = document.events
        follow(self, events.project_replaced, self._project_replaced)
        follow(self, events.selection_changed, self._selection_changed)
        follow(self, events.run_state_changed, self._run_state_changed)
        follow(self, events.snapshot_published, self._snapshot_published)
        self.refresh()

    @property
    def network(self) -> Network:
        return self.document.network

    # ------------------------------------------------------------------ pages
    def _build_layer_page(self) -> None:
        self.layer_page, form = _form(self.pages)
        self.name_edit = QLineEdit()
        self.name_edit.setToolTip("The layer's name (unique); press Enter to apply")
        self.kind_label = QLabel()
        self.size_spin = QSpinBox(minimum=1, maximum=MAX_LAYER_SIZE)
        self.size_spin.setKeyboardTracking(False)
        self.size_spin.setToolTip("Number of neurons; growing adds neurons at the end with fresh weights, "
                                  "shrinking removes the last ones (undo brings their weights back)")
        self.activation_combo = QComboBox()
        self.activation_combo.setToolTip("The layer's activation function (softmax: output layer only)")
        self.links_label = QLabel(wordWrap=True)
        for label, widget in (("Name", self.name_edit), ("Kind", self.kind_label), ("Neurons", self.size_spin),
                              ("Activation", self.activation_combo), ("Connections", self.links_label)):
            form.addRow(label, widget)
        self.name_edit.editingFinished.connect(self._rename)
        self.size_spin.valueChanged.connect(self._resize)
        self.activation_combo.activated.connect(self._set_activation)

    def _build_neuron_page(self) -> None:
        self.neuron_page, form = _form(self.pages)
        self.neuron_label = QLabel()
        self.bias_edit = QLineEdit()
        self.bias_edit.setToolTip("The neuron's bias b; press Enter to apply")
        self.bias_frozen = QCheckBox("Frozen")
        self.bias_frozen.setToolTip("A frozen bias keeps its value during training")
        self.bias_grad = QLabel()
        self.bias_grad.setToolTip(LAST_STEP_TIP.format("dL/db"))
        for label, widget in (("Neuron", self.neuron_label), ("Bias", self.bias_edit), ("", self.bias_frozen),
                              ("dL/db (last step)", self.bias_grad)):
            form.addRow(label, widget)
        self.bias_edit.editingFinished.connect(lambda: self._set_value(self.bias_edit, self._bias_ref()))
        self.bias_frozen.clicked.connect(lambda on: self._run(commands.set_frozen, self._bias_ref(), on))

    def _build_weight_page(self) -> None:
        self.weight_page, form = _form(self.pages)
        self.weight_label = QLabel()
        self.value_edit = QLineEdit()
        self.value_edit.setToolTip("The weight w; press Enter to apply")
        self.cut_check = QCheckBox("Cut")
        self.cut_check.setToolTip("A cut weight is exactly 0 and never learns; "
                                  "restoring it draws a fresh initial value")
        self.frozen_check = QCheckBox("Frozen")
        self.frozen_check.setToolTip("A frozen weight keeps its value during training")
        self.grad_label = QLabel()
        self.grad_label.setToolTip(LAST_STEP_TIP.format("dL/dw"))
        self.connection_label = QLabel(wordWrap=True)
        self.init_combo = QComboBox()
        self.init_combo.setToolTip("How this connection's new weights are drawn "
                                   "(neurons added later, weights restored, Reset weights)")
        self.init_combo.addItems(list(INITIALIZERS))
        self.penalty_editor = PenaltyEditor(NumberBox(1e-12, 1e3), inherit=True)
        self.penalty_editor.setToolTip("This connection's own L1/L2 penalty on its weights (never on biases), or "
                                       "inherit the network's from the Training panel")
        for label, widget in (("Weight", self.weight_label), ("Value", self.value_edit), ("", self.cut_check),
                              ("", self.frozen_check), ("dL/dw (last step)", self.grad_label),
                              ("Connection", self.connection_label), ("Initialiser", self.init_combo),
                              ("Regularisation", self.penalty_editor)):
            form.addRow(label, widget)
        self.value_edit.editingFinished.connect(lambda: self._set_value(self.value_edit, self._weight_ref()))
        self.cut_check.clicked.connect(lambda on: self._run(commands.set_present, self._weight_ref(), not on))
        self.frozen_check.clicked.connect(lambda on: self._run(commands.set_frozen, self._weight_ref(), on))
        self.init_combo.activated.connect(self._set_init)
        self.penalty_editor.edited.connect(self._set_penalty)

    # ------------------------------------------------------------------ following the model and the selection
    def _project_replaced(self, project: Project) -> None:
        self._events.follow(project.network.events)
        self.error.clear()
        self.refresh()

    def _selection_changed(self, selection: Selection) -> None:
        self.error.clear()
        self.refresh()

    def _run_state_changed(self, state: RunState) -> None:
        locked = state is RunState.RUNNING
        self.pages.setEnabled(not locked)
        self.lock_note.setText(self._lock_reason if locked else "")
        self.lock_note.setVisible(locked)
        self.refresh()

    def _snapshot_published(self, snapshot: Snapshot) -> None:
        if self.document.selection.count == 1 and not self.document.selection.layers:
            self.refresh()  # a weight's or a bias's value and gradient follow training (throttled by the worker)

    def _on_event(self, event: NetworkEvent) -> None:
        if not isinstance(event, LayerMoved):  # nothing shown here moves; a drag sends one event per mouse move
            self.refresh()

    def _live(self, key: tuple[str, int], param) -> tuple:
        """(values, gradients) of a parameter array: the network's own while idle; while the worker owns the
        network, the latest snapshot's copies (the values the worker has published)."""
        snap = self.document.snapshot
        if self.document.idle or snap is None:
            return param.value, param.grad
        kind, ident = key
        values, grads = (snap.weights, snap.grads) if kind == "W" else (snap.biases, snap.bias_grads)
        if ident in values and values[ident].shape == param.shape:
            return values[ident], grads[ident]
        return param.value, param.grad

    def refresh(self) -> None:
        """Show the selection as the model has it now (a selected thing may just have been deleted)."""
        selection = self.document.selection
        layers, neurons, weights = selection.layers, selection.neurons, selection.weights
        count = len(layers) + len(neurons) + len(weights)
        try:
            if count == 1 and layers:
                self._show_layer(layers[0])
            elif count == 1 and neurons:
                self._show_neuron(*neurons[0])
            elif count == 1 and weights:
                self._show_weight(weights[0])
            else:
                self._show_summary(layers, neurons, weights)
        except (BackpropError, IndexError):
            self._show_summary([], [], [])

    def _show_summary(self, layers: Sequence[int], neurons: Sequence[tuple[int, int]],
                      weights: Sequence[WeightRef]) -> None:
        net = self.network
        parts = [f"{n} {what}{'s' if n != 1 else ''}" for n, what in
                 ((len(layers), "layer"), (len(neurons), "neuron"), (len(weights), "weight")) if n]
        head = f"<b>{', '.join(parts)} selected.</b> Press Delete to delete them." if parts else (
            "Select a layer, a neuron or a weight to see and edit it.")
        self.summary.setText(f"{head}<br><br>Network: {len(net.layers)} layers, {len(net.connections)} "
                             f"connections, {parameter_count(net)}.")
        self.pages.setCurrentWidget(self.summary)

    def _show_layer(self, layer_id: int) -> None:
        net = self.network
        layer = net.layer(layer_id)
        _quiet(self.name_edit, lambda: self.name_edit.setText(layer.name))
        self.kind_label.setText(f"{layer.kind} layer")
        _quiet(self.size_spin, lambda: self.size_spin.setValue(layer.size))
        names = [name for name, act in ACTIVATIONS.items() if not act.output_only or layer.kind == "output"]
        if layer.kind == "input":
            names = ["identity"]

        def fill() -> None:
            self.activation_combo.clear()
            for name in names:
                self.activation_combo.addItem(ACTIVATIONS[name].label, name)
            self.activation_combo.setCurrentIndex(names.index(layer.activation))

        _quiet(self.activation_combo, fill)
        self.activation_combo.setEnabled(layer.kind != "input")
        sources = [net.layer(c.source).name for c in net.incoming(layer_id)]
        targets = [net.layer(c.target).name for c in net.outgoing(layer_id)]
        self.links_label.setText(f"from: {', '.join(sources) or '—'}\nto: {', '.join(targets) or '—'}")
        self.pages.setCurrentWidget(self.layer_page)

    def _show_neuron(self, layer_id: int, j: int) -> None:
        layer = self.network.layer(layer_id)
        self.neuron_label.setText(f"{layer.name}[{j}]" + (" (input)" if layer.bias is None else ""))
        has_bias = layer.bias is not None
        for widget in (self.bias_edit, self.bias_frozen):
            widget.setEnabled(has_bias)
        if (bias := layer.bias) is not None:
            values, grads = self._live(("b", layer_id), layer.bias)
            _quiet(self.bias_edit, lambda: self.bias_edit.setText(f"{values[j]:.6g}"))
            _quiet(self.bias_frozen, lambda: self.bias_frozen.setChecked(bool(bias.frozen[j])))
            self.bias_grad.setText(f"{grads[j]:.4g}")
        else:
            self.bias_edit.setText("—")
            self.bias_grad.setText("—")
        self.pages.setCurrentWidget(self.neuron_page)

    def _show_weight(self, ref: WeightRef) -> None:
        net = self.network
        cid, i, j = ref.conn, ref.i, ref.j
        c = net.connection(cid)
        w = c.weight
        present = bool(w.mask[i, j])
        self.weight_label.setText(net.weight_name(cid, i, j))
        values, grads = self._live(ref.key, w)
        _quiet(self.value_edit, lambda: self.value_edit.setText(f"{values[i, j]:.6g}"))
        self.value_edit.setEnabled(present)
        _quiet(self.cut_check, lambda: self.cut_check.setChecked(not present))
        _quiet(self.frozen_check, lambda: self.frozen_check.setChecked(bool(w.frozen[i, j])))
        self.grad_label.setText(f"{grads[i, j]:.4g}")
        kind = "dense" if c.dense else "drawn weights"
        self.connection_label.setText(f"{net.layer(c.source).name} → {net.layer(c.target).name} ({kind}, "
                                      f"{int(w.mask.sum())} of {w.value.size} weights)")
        _quiet(self.init_combo, lambda: self.init_combo.setCurrentText(c.init))
        self.penalty_editor.show_penalty(c.penalty)
        self.pages.setCurrentWidget(self.weight_page)

    def _single(self, kind: int):
        """The one selected layer (0), neuron (1) or weight (2); None when the selection is anything else (an
        editor's focus-out may arrive after the selection changed)."""
        selection = self.document.selection
        chosen = (selection.layers, selection.neurons, selection.weights)[kind]
        return chosen[0] if len(chosen) == 1 and selection.count == 1 else None

    def _bias_ref(self) -> BiasRef | None:
        neuron = self._single(1)
        return None if neuron is None else BiasRef(*neuron)

    def _weight_ref(self) -> WeightRef | None:
        return self._single(2)

    # ------------------------------------------------------------------ edits
    def _run(self, build: Callable[..., commands.ModelCommand], target, *args) -> None:
        """Build and push a command on `target` (if still selected); show a refusal and refresh from the model."""
        if target is None:
            return
        try:
            reason = self._push(build(self.network, target, *args))
        except BackpropError as exc:  # building read something the engine refuses
            reason = str(exc)
        self.error.setText(reason or "")
        self.refresh()

    def _rename(self) -> None:
        lid = self._single(0)
        if lid is not None and self.name_edit.text().strip() != self.network.layer(lid).name:
            self._run(commands.rename, lid, self.name_edit.text())

    def _resize(self, size: int) -> None:
        lid = self._single(0)
        if lid is not None and size != self.network.layer(lid).size:
            self._run(commands.resize, lid, size)

    def _set_activation(self) -> None:
        lid = self._single(0)
        name = self.activation_combo.currentData()
        if lid is not None and name != self.network.layer(lid).activation:
            self._run(commands.set_activation, lid, name)

    def _set_init(self) -> None:
        ref = self._weight_ref()
        if ref is not None:
            self._run(commands.set_init, ref.conn, self.init_combo.currentText())

    def _set_penalty(self, penalty) -> None:
        ref = self._weight_ref()
        if ref is not None and penalty != self.network.connection(ref.conn).penalty:
            self._run(commands.set_penalty, ref.conn, penalty)

    def _set_value(self, edit: QLineEdit, ref: ParamRef | None) -> None:
        if ref is None:
            return
        value = _number(edit.text())
        if value is None:
            self.error.setText(f"{edit.text()!r} is not a number")
            self.refresh()
        elif value != float(self.network.param(ref.key).value[ref.index]):
            self._run(commands.set_value, ref, value)


def _quiet(widget: QWidget, change: Callable[[], None]) -> None:
    """Change a field to what the model holds without it reporting an edit."""
    was = widget.blockSignals(True)
    try:
        change()
    finally:
        widget.blockSignals(was)
