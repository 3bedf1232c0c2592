"""Undoable edits of the model: every change a user makes goes through one of these commands.

A command changes the *model* (the `Network`), never the canvas items: the canvas follows the model's events, so
undo needs no knowledge of the view (the Orange canvas's rule). A command is a list of reversible steps
(`edits`); `push` runs it once *before* it enters the undo stack, so an edit the engine refuses (a cycle, a
second input layer) raises its `BackpropError` to the caller and leaves neither the model nor the stack changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtGui import QUndoCommand, QUndoStack

from engine import ACTIVATIONS, BackpropError, Network, ParamRef, WeightRef
from engine.regularization import Penalty

from . import edits
from .edits import Edit

PALETTE_DEFAULTS = {  # kind -> (size, activation) of a layer dropped from the palette
    "input": (2, None),
    "hidden": (4, "tanh"),
    "output": (1, "sigmoid"),
}


class ModelCommand(QUndoCommand):
    # moves are not edits of what trains, so they stay allowed while the structure is locked
    allowed_while_locked = False

    def __init__(self, network: Network, text: str, steps: Iterable[Edit]):
        super().__init__(text)
        self.network = network
        self.steps = list(steps)
        self._applied = False

    def apply(self) -> None:
        """Run every step once; if the engine refuses one, undo those already done and re-raise."""
        done: list[Edit] = []
        try:
            for step in self.steps:
                step.do(self.network)
                done.append(step)
        except BackpropError:
            for step in reversed(done):
                step.undo(self.network)
            raise
        self._applied = True

    def redo(self) -> None:
        if self._applied:  # QUndoStack.push calls redo; `apply` already did the work
            self._applied = False
            return
        for step in self.steps:
            step.do(self.network)

    def undo(self) -> None:
        for step in reversed(self.steps):
            step.undo(self.network)


class MoveCommand(ModelCommand):
    """Layer moves of one mouse drag merge into one command, so one Ctrl+Z undoes the whole drag."""

    allowed_while_locked = True
    MERGE_ID = 1

    def __init__(self, network: Network, moves: dict[int, tuple[tuple[float, float], tuple[float, float]]],
                 gesture: object, text: str = "Move"):
        self.moves = dict(moves)
        self.gesture = gesture
        super().__init__(network, _move_text(network, text, moves), self._steps())

    def _steps(self) -> list[Edit]:
        return [edits.Set("move_layer", (lid,), new, old) for lid, (old, new) in self.moves.items()]

    def id(self) -> int:
        return self.MERGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, MoveCommand) or other.gesture is not self.gesture:
            return False
        for lid, (old, new) in other.moves.items():
            self.moves[lid] = (self.moves.get(lid, (old, new))[0], new)
        self.steps = self._steps()
        self.setObsolete(all(old == new for old, new in self.moves.values()))  # dragged back: no step at all
        return True


def push(stack: QUndoStack, command: ModelCommand) -> None:
    """Apply `command` and record it; raises the engine's error (model and stack unchanged) if it is refused."""
    command.apply()
    stack.push(command)


# ------------------------------------------------------------------------------------------- command builders
def add_layer(net: Network, kind: str, position: tuple[float, float], size: int | None = None) -> ModelCommand:
    default_size, activation = PALETTE_DEFAULTS[kind]
    step = edits.AddLayer(kind, size or default_size, position, activation)
    return ModelCommand(net, f"Add {kind} layer", [step])


def add_neuron(net: Network, layer_id: int) -> ModelCommand:
    layer = net.layer(layer_id)
    return ModelCommand(net, f"Add a neuron to {layer.name}", [edits.Resize(layer_id, layer.size, layer.size + 1)])


def resize(net: Network, layer_id: int, size: int) -> ModelCommand:
    layer = net.layer(layer_id)
    return ModelCommand(net, f"Resize {layer.name} to {size}", [edits.Resize(layer_id, layer.size, size)])


def connect(net: Network, source: int, target: int) -> ModelCommand:
    names = net.layer(source).name, net.layer(target).name
    return ModelCommand(net, f"Connect {names[0]} → {names[1]}", [edits.Connect(source, target)])


def add_weight(net: Network, source: int, i: int, target: int, j: int) -> ModelCommand:
    text = f"Add weight {net.layer(source).name}[{i}] → {net.layer(target).name}[{j}]"
    return ModelCommand(net, text, [edits.AddWeight(source, i, target, j)])


def delete(net: Network, layers: Iterable[int] = (), neurons: Iterable[tuple[int, int]] = (),
           weights: Iterable[WeightRef] = ()) -> ModelCommand:
    """Delete a selection. Weights go first (cut, or their whole connection when all its weights are selected),
    then neurons from the highest index down (so indices stay valid), then layers with their connections."""
    layers = sorted(set(layers))
    gone = set(layers)
    steps: list[Edit] = []
    by_connection: dict[int, set[tuple[int, int]]] = {}
    for ref in weights:
        c = net.connection(ref.conn)
        if c.source not in gone and c.target not in gone:
            by_connection.setdefault(ref.conn, set()).add(ref.index)
    n_weights = 0
    for cid, pairs in sorted(by_connection.items()):
        mask = net.connection(cid).weight.mask
        present = sorted((i, j) for i, j in pairs if mask[i, j])  # selected cut weights need nothing
        n_weights += len(present)
        if len(present) == int(mask.sum()):
            steps.append(edits.RemoveConnection(cid))
        else:
            steps += [edits.Presence(cid, i, j, False) for i, j in present]
    kept = sorted({(lid, j) for lid, j in neurons if lid not in gone}, key=lambda n: (n[0], -n[1]))
    steps += [edits.RemoveNeuron(lid, j) for lid, j in kept]
    steps += [edits.RemoveLayer(lid) for lid in layers]
    parts = [f"{n} {what}{'s' if n > 1 else ''}" for n, what in
             ((len(layers), "layer"), (len(kept), "neuron"), (n_weights, "weight")) if n]
    return ModelCommand(net, "Delete " + ", ".join(parts), steps)


def rename(net: Network, layer_id: int, name: str) -> ModelCommand:
    old = net.layer(layer_id).name
    return ModelCommand(net, f"Rename {old} to {name.strip()}", [edits.Set("rename_layer", (layer_id,), name, old)])


def set_activation(net: Network, layer_id: int, activation: str) -> ModelCommand:
    layer = net.layer(layer_id)
    label = ACTIVATIONS[activation].label if activation in ACTIVATIONS else activation
    text = f"Set {layer.name} activation to {label}"
    return ModelCommand(net, text, [edits.Set("set_activation", (layer_id,), activation, layer.activation)])


def set_init(net: Network, connection_id: int, init: str) -> ModelCommand:
    c = net.connection(connection_id)
    text = f"Set initialiser of {net.layer(c.source).name} → {net.layer(c.target).name} to {init}"
    return ModelCommand(net, text, [edits.Set("set_init", (connection_id,), init, c.init)])


def set_penalty(net: Network, connection_id: int, penalty: Penalty | None) -> ModelCommand:
    """A connection's own L1/L2 penalty, or None: back to the network's."""
    c = net.connection(connection_id)
    shown = "the network's" if penalty is None else "none" if not penalty.active else \
        f"{penalty.kind.upper()} λ = {penalty.rate:g}"
    text = f"Regularisation of {net.layer(c.source).name} → {net.layer(c.target).name}: {shown}"
    return ModelCommand(net, text, [edits.Set("set_penalty", (connection_id,), penalty, c.penalty)])


def set_value(net: Network, ref: ParamRef, value: float) -> ModelCommand:
    old = float(net.param(ref.key).value[ref.index])
    return ModelCommand(net, f"Set {net.ref_name(ref)} = {value:g}", [edits.Set("set_value", (ref,), value, old)])


def set_frozen(net: Network, ref: ParamRef, frozen: bool) -> ModelCommand:
    old = bool(net.param(ref.key).frozen[ref.index])
    text = f"{'Freeze' if frozen else 'Unfreeze'} {net.ref_name(ref)}"
    return ModelCommand(net, text, [edits.Set("set_frozen", (ref,), frozen, old)])


def set_present(net: Network, ref: WeightRef, present: bool) -> ModelCommand:
    text = f"{'Restore' if present else 'Cut'} {net.ref_name(ref)}"
    return ModelCommand(net, text, [edits.Presence(ref.conn, ref.i, ref.j, present)])


def move(net: Network, positions: dict[int, tuple[float, float]], gesture: object,
         text: str = "Move") -> MoveCommand:
    moves = {lid: (net.layer(lid).position, (float(x), float(y))) for lid, (x, y) in positions.items()}
    return MoveCommand(net, moves, gesture, text)


def load_params(net: Network, load: Callable[[Network], Any], text: str) -> ModelCommand:
    """All parameters loaded by `load` (e.g. an NPZ import) when the command is pushed, undoably."""
    return ModelCommand(net, text, [edits.LoadParams(load)])


def _move_text(net: Network, text: str, moves: dict) -> str:
    if text != "Move":
        return text
    return f"Move {net.layer(next(iter(moves))).name}" if len(moves) == 1 else f"Move {len(moves)} layers"
