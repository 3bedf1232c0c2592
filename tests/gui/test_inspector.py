"""The inspector: what it shows for each kind of selection, and its edits (undoable, refused with a reason)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from engine import ACTIVATIONS, WeightRef
from engine.studio import RunState
from gui.editor.scene import LOCK_REASON


def type_into(edit, text: str) -> None:
    edit.setFocus()
    edit.selectAll()
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Return)


def choose(combo, data: str) -> None:
    index = combo.findData(data) if combo.findData(data) >= 0 else combo.findText(data)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def test_a_selected_layer_shows_its_name_size_activation_and_links(window, canvas):
    ins = window.inspector
    canvas.click(canvas.header(canvas.layer("h1")))
    assert ins.pages.currentWidget() is ins.layer_page
    assert (ins.name_edit.text(), ins.size_spin.value(), ins.activation_combo.currentData()) == ("h1", 8, "tanh")
    offered = [ins.activation_combo.itemData(k) for k in range(ins.activation_combo.count())]
    assert offered == [name for name in ACTIVATIONS if name != "softmax"]
    assert ins.links_label.text() == "from: in\nto: h2"
    canvas.click(canvas.header(canvas.layer("out")))
    assert ins.activation_combo.findData("softmax") >= 0
    canvas.click(canvas.header(canvas.layer("in")))
    assert not ins.activation_combo.isEnabled() and ins.kind_label.text() == "input layer"


def test_renaming_is_undoable_and_a_taken_name_is_refused(window, canvas):
    net, ins = window.network, window.inspector
    h1 = canvas.layer("h1")
    canvas.click(canvas.header(h1))
    type_into(ins.name_edit, "encoder")
    assert net.layer(h1).name == "encoder" and window.undo_stack.undoText() == "Rename h1 to encoder"
    window.scene.undo()
    assert net.layer(h1).name == "h1" and ins.name_edit.text() == "h1"
    type_into(ins.name_edit, "h2")
    assert net.layer(h1).name == "h1" and ins.name_edit.text() == "h1"
    assert "a layer named 'h2' exists already" in ins.error.text()
    assert window.undo_stack.count() == 1  # only the undone rename


def test_resizing_redraws_the_edges_and_undo_restores_the_exact_weights(window, canvas, fingerprint):
    net, ins, scene = window.network, window.inspector, canvas.scene
    original = fingerprint(net)
    h1 = canvas.layer("h1")
    canvas.click(canvas.header(h1))
    ins.size_spin.setValue(3)
    assert net.layer(h1).size == 3 and len(scene.layer_item(h1).neurons) == 3
    assert len(scene.edge_layer.edges) == net.n_weights == 2 * 3 + 3 * 8 + 8
    ins.size_spin.setValue(12)
    assert net.layer(h1).size == 12 and len(scene.edge_layer.edges) == 2 * 12 + 12 * 8 + 8
    grown = fingerprint(net)
    assert window.undo_stack.undoText() == "Resize h1 to 12"
    window.scene.undo()
    window.scene.undo()
    assert fingerprint(net) == original and ins.size_spin.value() == 8
    window.scene.redo()
    window.scene.redo()
    assert fingerprint(net) == grown  # the same new weights, not fresh random ones


def test_the_output_layer_can_take_softmax_and_undo_puts_its_activation_back(window, canvas):
    net, ins = window.network, window.inspector
    canvas.click(canvas.header(canvas.layer("out")))
    choose(ins.activation_combo, "softmax")
    assert net.output_layer.activation == "softmax"
    assert window.undo_stack.undoText() == "Set out activation to Softmax"
    window.scene.undo()
    assert net.output_layer.activation == "sigmoid" and ins.activation_combo.currentData() == "sigmoid"


def test_a_weight_can_be_set_cut_restored_frozen_and_reinitialised(window, canvas, fingerprint):
    net, ins, scene = window.network, window.inspector, canvas.scene
    original = fingerprint(net)
    c = net.find_connection(canvas.layer("h2"), canvas.layer("out"))
    ref = WeightRef(c.id, 3, 0)
    canvas.click(canvas.weight(ref))
    assert ins.pages.currentWidget() is ins.weight_page
    assert ins.weight_label.text() == "h2[3] → out[0]"
    assert ins.value_edit.text() == f"{c.weight.value[3, 0]:.6g}"
    assert ins.connection_label.text() == "h2 → out (dense, 8 of 8 weights)"
    type_into(ins.value_edit, "0.75")
    assert c.weight.value[3, 0] == 0.75 and canvas.hover(canvas.weight(ref)).startswith("h2[3] → out[0]\nw = 0.75\n")
    ins.cut_check.click()
    assert not c.weight.mask[3, 0] and c.weight.value[3, 0] == 0.0
    assert scene.edge_bins()[scene.edge_row(ref)] == -1 and not ins.value_edit.isEnabled()
    assert ins.connection_label.text() == "h2 → out (dense, 7 of 8 weights)"
    ins.cut_check.click()
    assert c.weight.mask[3, 0] and c.weight.value[3, 0] != 0.0  # back, with a fresh initial value
    ins.frozen_check.click()
    assert c.weight.frozen[3, 0]
    choose(ins.init_combo, "he_normal")
    assert c.init == "he_normal"
    assert window.undo_stack.count() == 5
    for _ in range(5):
        window.scene.undo()
    assert fingerprint(net) == original
    assert ins.value_edit.text() == f"{c.weight.value[3, 0]:.6g}" and not ins.frozen_check.isChecked()


def test_a_neuron_shows_its_bias_which_can_be_edited_and_frozen(window, canvas):
    net, ins = window.network, window.inspector
    h1 = canvas.layer("h1")
    canvas.click(canvas.neuron(h1, 2))
    assert ins.pages.currentWidget() is ins.neuron_page and ins.neuron_label.text() == "h1[2]"
    type_into(ins.bias_edit, "-1.5")
    assert net.layer(h1).bias.value[2] == -1.5
    ins.bias_frozen.click()
    assert net.layer(h1).bias.frozen[2]
    canvas.click(canvas.neuron(canvas.layer("in"), 0))
    assert ins.neuron_label.text() == "in[0] (input)" and not ins.bias_edit.isEnabled()


def test_a_value_that_is_not_a_number_changes_nothing(window, canvas, fingerprint):
    before = fingerprint(window.network)
    c = window.network.find_connection(canvas.layer("in"), canvas.layer("h1"))
    canvas.click(canvas.weight(WeightRef(c.id, 1, 1)))
    type_into(window.inspector.value_edit, "abc")
    assert window.inspector.error.text() == "'abc' is not a number"
    assert fingerprint(window.network) == before and window.undo_stack.count() == 0


def test_the_inspector_and_palette_are_read_only_while_training_runs(window, canvas):
    window.workspaces.switch("build")  # where the inspector and the palette are
    ins = window.inspector
    canvas.click(canvas.header(canvas.layer("h1")))
    window.document.set_run_state(RunState.RUNNING)  # what the training controller does when a run starts
    assert not ins.pages.isEnabled() and not window.palette_panel.isEnabled()
    assert ins.lock_note.isVisible() and ins.lock_note.text() == LOCK_REASON
    canvas.key(Qt.Key.Key_Delete)
    assert "h1" in {lay.name for lay in window.network.layers.values()}
    assert canvas.view.message.text() == LOCK_REASON
    window.document.set_run_state(RunState.PAUSED)
    assert ins.pages.isEnabled() and window.palette_panel.isEnabled() and not ins.lock_note.isVisible()


def test_the_network_summary_counts_weights_and_biases_the_way_the_notes_do(window):
    assert "88 weights (2·8 + 8·8 + 8·1), 17 biases (8 + 8 + 1)" in window.inspector.summary.text()
