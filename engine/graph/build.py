"""Networks built in one call, for the examples, the tests, the benchmarks and scripts.

The editor builds networks edit by edit; everything else mostly wants the classic layered shape, and this is the
one place that knows how to make it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..errors import GraphError
from .model import Network

LAYER_SPACING = 220.0  # canvas distance between consecutive layers


def layered(sizes: Sequence[int], hidden: str = "tanh", output: str = "identity", *, seed: int = 0,
            dtype: npt.DTypeLike = np.float64, spacing: float = LAYER_SPACING) -> Network:
    """Input, hidden layers and output in a row on the canvas, each densely connected to the next.

    Each layer is followed at once by its connection from the previous one, so a shape gets the same ids (and,
    through the seeded initialisers, the same weights) whoever builds it; the example projects are built this way.
    """
    if len(sizes) < 2:
        raise GraphError(f"a layered network needs at least an input and an output size, not {list(sizes)}")
    net = Network(seed=seed, dtype=dtype)
    kinds = ["input", *["hidden"] * (len(sizes) - 2), "output"]
    activations = {"input": None, "hidden": hidden, "output": output}
    previous = None
    for k, (size, kind) in enumerate(zip(sizes, kinds, strict=True)):
        layer = net.add_layer(size, kind, activations[kind], position=(k * spacing, 0.0))
        if previous is not None:
            net.connect(previous.id, layer.id)
        previous = layer
    return net
