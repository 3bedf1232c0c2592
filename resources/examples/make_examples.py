"""Builds the example projects with the engine API and saves them here:
`python resources/examples/make_examples.py`.

The examples are committed, so the app and the tests never depend on running this; a test checks that running it
reproduces the committed files byte for byte, so the files cannot drift from the code that documents them.
Weights are untrained (freshly initialised from each network's seed); the saved settings train each one well.
"""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Callable
from pathlib import Path

from engine import BiasRef, Network, TrainSettings, WeightRef, layered
from engine.graph.build import LAYER_SPACING
from engine.project import EXAMPLES, DataSpec, Project, save_project
from engine.resources import resource_path

HERE = Path(__file__).resolve().parent
IRIS_TWO_CLASSES = "iris-versicolor-virginica.csv"
SCALAR_CHAIN = "scalar-chain.csv"
Y_STEP = 160.0  # between layers sharing a column
LECTURE_LR = 0.5  # plain SGD on a sigmoid chain needs a larger step than Adam to learn within its 200 epochs


def _adam(loss: str, lr: float, epochs: int, batch_size: int = 16) -> TrainSettings:
    return TrainSettings(loss=loss, optimizer="adam", optimizer_params={"lr": lr}, batch_size=batch_size,
                         epochs=epochs)


def xor() -> Project:
    """The problem no single neuron solves: four hidden tanh units bend the boundary twice."""
    net = layered([2, 4, 1], "tanh", "sigmoid", seed=1)
    data = DataSpec("generator", "xor", {"n_samples": 200, "noise": 0.0, "seed": 0})
    return Project(net, _adam("bce", 0.05, 100), data)


def circles() -> Project:
    net = layered([2, 8, 8, 1], "tanh", "sigmoid", seed=2)
    data = DataSpec("generator", "circles", {"n_samples": 300, "noise": 0.05, "seed": 0})
    return Project(net, _adam("bce", 0.02, 100), data)


def spiral() -> Project:
    net = layered([2, 16, 16, 3], "tanh", "softmax", seed=3)
    data = DataSpec("generator", "spiral", {"n_samples": 600, "noise": 0.03, "n_classes": 3, "seed": 0})
    return Project(net, _adam("cross_entropy", 0.01, 300), data)


def sine() -> Project:
    net = layered([1, 16, 16, 1], "tanh", "identity", seed=4)
    data = DataSpec("generator", "sine", {"n_samples": 200, "noise": 0.05, "seed": 0})
    return Project(net, _adam("mse", 0.01, 200), data)


def skip() -> Project:
    """Two paths into the output neuron: through the hidden layers, and straight from the inputs (drawn below
    the chain), so the gradient of an input weight is a sum over both paths."""
    net = layered([2, 8, 8, 1], "tanh", "sigmoid", seed=5)
    inp, out = net.input_layer.id, net.output_layer.id
    net.move_layer(out, (3 * LAYER_SPACING, Y_STEP / 2))
    net.connect(inp, out)
    data = DataSpec("generator", "moons", {"n_samples": 300, "noise": 0.1, "seed": 0})
    return Project(net, _adam("bce", 0.02, 150), data)


def lecture_4321() -> Project:
    """The 4-3-2-1 network of the lecture notes: 4·3 + 3·2 + 2·1 = 20 weights and 3 + 2 + 1 = 6 biases, on the
    four Iris measurements, telling versicolor from virginica. Plain SGD, as in the notes: every update is
    w' = w − α·∂L/∂w."""
    net = layered([4, 3, 2, 1], "sigmoid", "sigmoid", seed=6)
    data = DataSpec("csv", IRIS_TWO_CLASSES, {"target_column": "species"}, standardize=True)
    sgd = TrainSettings(loss="bce", optimizer="sgd", optimizer_params={"lr": LECTURE_LR}, batch_size=16, epochs=200)
    return Project(net, sgd, data)


def scalar_chain() -> Project:
    """The notes' first example, x → h1 = x² → h2 = e^h1 → y = 1/h2, one neuron per layer. Each layer passes its
    input on through a frozen weight of exactly 1 and a frozen bias of 0, so its activation alone is the notes'
    function; nothing trains. Its data are y = e^(−x²) itself, and the explorer explains dy/dx ("explain y
    itself") as (−1/h2²) · e^h1 · 2x."""
    net = Network(seed=7)
    previous = None
    for k, (name, kind, activation) in enumerate((("x", "input", None), ("h1", "hidden", "square"),
                                                   ("h2", "hidden", "exp"), ("y", "output", "reciprocal"))):
        layer = net.add_layer(1, kind, activation, name, position=(k * LAYER_SPACING, 0.0))
        if previous is not None:
            conn = net.connect(previous.id, layer.id)
            for ref, value in ((WeightRef(conn.id, 0, 0), 1.0), (BiasRef(layer.id, 0), 0.0)):
                net.set_value(ref, value)
                net.set_frozen(ref, True)
        previous = layer
    data = DataSpec("csv", SCALAR_CHAIN, {"target_column": "y"})
    sgd = TrainSettings(loss="mse", optimizer="sgd", optimizer_params={"lr": 0.1}, batch_size=9, epochs=1)
    return Project(net, sgd, data)


def two_paths() -> Project:
    """The notes' branched example: a weight of layer 1 (input → hidden1) reaches the output through both
    neurons of layer 2, so its gradient is the sum of two chain products, one per path."""
    net = layered([2, 2, 2, 1], "sigmoid", "sigmoid", seed=8)
    data = DataSpec("generator", "xor", {"n_samples": 200, "noise": 0.0, "seed": 0})
    sgd = TrainSettings(loss="bce", optimizer="sgd", optimizer_params={"lr": LECTURE_LR}, batch_size=16,
                        epochs=200)
    # opened with the notes' weight selected and explained: in[0] → h1[0], whose two paths run through h2[0], h2[1]
    first = net.find_connection(net.input_layer.id, net.layer_by_name("h1").id)
    assert first is not None
    return Project(net, sgd, data, ui={"selection": {"weights": [[first.id, 0, 0]]}})


def _deep_chain(activation: str, init: str) -> Project:
    """Six hidden layers of six neurons on the moons: one network for the vanishing-gradients lesson, built twice
    with the same seed so only the activation (and its matching initialiser) differs."""
    net = layered([2, 6, 6, 6, 6, 6, 6, 1], activation, "sigmoid", seed=9)
    for cid in net.connections:
        net.set_init(cid, init)
    net.reinitialize()
    data = DataSpec("generator", "moons", {"n_samples": 300, "noise": 0.1, "seed": 0})
    sgd = TrainSettings(loss="bce", optimizer="sgd", optimizer_params={"lr": 0.1}, batch_size=16, epochs=100)
    return Project(net, sgd, data)


def deep_sigmoid() -> Project:
    """Every sigmoid's slope is at most 1/4, so the gradient of an early weight, a product of one slope per layer,
    shrinks layer by layer: the per-connection norm plot shows the first layers' ‖dL/dW‖ far below the last's."""
    return _deep_chain("sigmoid", "glorot_uniform")


def deep_relu() -> Project:
    """The same chain with ReLU (slope 1 where active) and He initialisation: the norms stay of one size."""
    return _deep_chain("relu", "he_uniform")


def skip_chain() -> Project:
    """One neuron per layer, in → h1 → h2 → out, plus a skip h1 → out: the weight in → h1 now reaches the output
    two ways, through h2 and straight, and its gradient is the sum of the two chain products."""
    net = layered([1, 1, 1, 1], "sigmoid", "identity", seed=10)
    h1, out = net.layer_by_name("h1").id, net.output_layer.id
    net.move_layer(out, (3 * LAYER_SPACING, Y_STEP / 2))
    net.connect(h1, out)
    data = DataSpec("generator", "sine", {"n_samples": 100, "noise": 0.05, "seed": 0})
    return Project(net, _adam("mse", 0.02, 100), data)


def digits() -> Project:
    """Real images: the 8×8 handwritten digits (64 pixels in, one softmax unit per digit out). One hidden layer of
    32 is enough for about 97 % of the validation images; the Weight images tab shows each hidden neuron's 64
    incoming weights as the 8×8 picture it responds to."""
    net = layered([64, 32, 10], "tanh", "softmax", seed=11)
    data = DataSpec("bundled", "digits", standardize=True)
    return Project(net, _adam("cross_entropy", 0.01, 30, batch_size=32), data)


def write_scalar_chain(path: Path) -> None:
    """x from −2 to 2 and the chain's own y = 1/e^(x²), so the mean squared error is 0 and nothing needs to train."""
    with open(path, "w", newline="") as f:
        rows = [("x", "y")] + [(f"{x:g}", f"{math.exp(-x * x):.17g}") for x in (k / 2 for k in range(-4, 5))]
        csv.writer(f, lineterminator="\n").writerows(rows)


def write_iris_two_classes(path: Path) -> None:
    """The bundled Iris set without setosa (the one class a straight line separates from the others)."""
    with open(resource_path("datasets", "iris.csv"), newline="") as f:
        rows = [row for row in csv.reader(f) if row[-1] != "setosa"]
    with open(path, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


BUILDERS: dict[str, Callable[[], Project]] = {
    "XOR": xor, "Circles": circles, "Spiral (3 arms)": spiral, "Sine regression": sine,
    "Skip connection": skip, "Lecture notes 4-3-2-1 (Iris)": lecture_4321, "Scalar chain (notes)": scalar_chain,
    "Two paths (notes)": two_paths, "Deep sigmoid chain": deep_sigmoid, "Deep ReLU chain": deep_relu,
    "Skip chain": skip_chain, "Digits (8×8)": digits,
}


def main(out_dir: Path = HERE) -> None:
    """Write every example (and the CSV the Iris example reads) into `out_dir`."""
    write_iris_two_classes(out_dir / IRIS_TWO_CLASSES)
    write_scalar_chain(out_dir / SCALAR_CHAIN)
    for name, build in BUILDERS.items():
        project = build()
        project.path = out_dir / EXAMPLES[name].name  # a relative CSV path means: beside the project file
        save_project(project, project.path)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
