"""Turning an input feature (x1², x1·x2, sin x1, ...) on or off: the data's columns and the input layer's neurons
change together, as one undoable edit.

The feature's column and its input neuron sit at the same place (features come in `FEATURES` order), so turning one
on inserts a neuron there, whose outgoing weights are drawn like any new neuron's (the connection's initialiser,
seeded by the network), and turning it off removes that neuron with its row of weights, which undo puts back as
they were. The other weights are untouched: every other input keeps its meaning and its weights.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from engine import BackpropError, DataError, Network, RemovedNeuron
from engine.datasets import RAW_FEATURES, feature_refusal, feature_set
from engine.project import DataSpec
from engine.studio import Document

from . import ModelCommand
from .edits import Edit, RemoveNeuron


@dataclass
class InsertNeuron:
    """A neuron at `index`: fresh weights the first time, on redo the very ones the undo took."""

    layer_id: int
    index: int
    taken: RemovedNeuron | None = None

    def do(self, net: Network) -> None:
        net.insert_neuron(self.layer_id, self.index, restore=self.taken)

    def undo(self, net: Network) -> None:
        self.taken = net.remove_neuron(self.layer_id, self.index)


@dataclass
class DataAndNeuron:
    """The neuron edit, then the new data recipe (so the document loads data that fits the network); the way
    back in the same order. A recipe the document refuses undoes the neuron edit and raises."""

    document: Document
    neuron: Edit
    new: DataSpec
    old: DataSpec

    def do(self, net: Network) -> None:
        self.neuron.do(net)
        try:
            self.document.set_data(self.new)
        except BackpropError:
            self.neuron.undo(net)
            raise

    def undo(self, net: Network) -> None:
        self.neuron.undo(net)
        self.document.set_data(self.old)


def current_features(document: Document) -> tuple[str, ...]:
    """The network's input columns by feature name (the raw x1, x2 when no feature is on)."""
    return document.project.data.features or RAW_FEATURES


def toggle_feature(document: Document, name: str, on: bool) -> ModelCommand:
    """The edit turning feature `name` on or off; `DataError` when it cannot be done, saying why."""
    spec = document.project.data
    current = current_features(document)
    if not spec.features:
        refusal = feature_refusal(document.session.data()[0].n_features)
        if refusal:
            raise DataError(refusal)
    chosen = set(current) | {name} if on else set(current) - {name}
    if not chosen:
        raise DataError("the network needs at least one input: keep one feature on")
    net = document.network
    layer = net.input_layer
    if layer.size != len(current):
        raise DataError(f"the input layer {layer.name} has {layer.size} neurons for the data's {len(current)} "
                        "columns: make them match before changing the features")
    new = feature_set(chosen)
    index = (new or RAW_FEATURES).index(name) if on else current.index(name)
    neuron = InsertNeuron(layer.id, index) if on else RemoveNeuron(layer.id, index)
    step = DataAndNeuron(document, neuron, replace(spec, features=new), spec)
    return ModelCommand(net, f"{'Add' if on else 'Remove'} the input feature {name}", [step])
