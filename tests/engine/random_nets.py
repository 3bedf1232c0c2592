"""Hypothesis strategies for random trainable networks: DAGs with skip connections, sparse pairs, cut and frozen
weights, every activation and every loss paired with an output activation it accepts. Shared by the tests that
compare backprop with other computations."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from engine import ACTIVATIONS, LOSSES, Network, WeightRef

# the notes' element-wise functions that overflow on a random deep net (x², eˣ) or are undefined for some inputs
# (1/x at 0, log below 0): they are checked on networks that keep them in range (test_gradients, test_export)
OUT_OF_RANGE = {"square", "exp", "reciprocal", "log"}
HIDDEN_ACTIVATIONS = [name for name, act in ACTIVATIONS.items() if not act.output_only and name not in OUT_OF_RANGE]
# (loss, output activation) pairs the engine accepts
OUTPUT_PAIRS = [("cross_entropy", "softmax"), ("bce", "sigmoid")] + [
    (loss, act) for loss in ("mse", "mae", "huber") for act in HIDDEN_ACTIVATIONS
]
KINKED = {"relu", "leaky_relu", "elu"}  # derivative jumps at 0: finite differences are wrong right next to it


@st.composite
def networks(draw, max_hidden: int = 3, max_size: int = 4):
    """A random valid network with its loss name, a batch x and targets y."""
    net = Network(seed=draw(st.integers(0, 2**16)))
    n_in = draw(st.integers(1, 3))
    loss, out_act = draw(st.sampled_from(OUTPUT_PAIRS))
    n_out = draw(st.integers(2, 3)) if loss == "cross_entropy" else draw(st.integers(1, 2))
    layers = [net.add_layer(n_in, "input")]
    for _ in range(draw(st.integers(0, max_hidden))):
        act = draw(st.sampled_from(HIDDEN_ACTIVATIONS))
        layers.append(net.add_layer(draw(st.integers(1, max_size)), activation=act))
    layers.append(net.add_layer(n_out, "output", activation=out_act))
    # every layer gets a dense input from some earlier layer, so the graph is connected front to back
    for k in range(1, len(layers)):
        src = layers[draw(st.integers(0, k - 1))] if k > 1 else layers[0]
        if k == len(layers) - 1 or draw(st.booleans()):
            src = layers[k - 1]
        net.connect(src.id, layers[k].id)
    # every hidden layer feeds the next one, or the output
    for k in range(1, len(layers) - 1):
        if not net.outgoing(layers[k].id):
            net.connect(layers[k].id, layers[-1].id)
    # extra skip connections, some dense, some sparse single weights
    for _ in range(draw(st.integers(0, 3))):
        a, b = sorted(draw(st.lists(st.integers(0, len(layers) - 1), min_size=2, max_size=2, unique=True)))
        src, dst = layers[a], layers[b]
        if src.kind == "output" or net.find_connection(src.id, dst.id):
            continue
        if draw(st.booleans()):
            net.connect(src.id, dst.id)
        else:
            i, j = draw(st.integers(0, src.size - 1)), draw(st.integers(0, dst.size - 1))
            net.add_weight(src.id, i, dst.id, j)
    # cut and freeze a few weights (never the last one of a connection)
    for c in list(net.connections.values()):
        if c.weight.mask.sum() > 1 and draw(st.booleans()):
            i, j = np.argwhere(c.weight.mask)[0]
            net.set_present(c.id, int(i), int(j), False)
        if draw(st.booleans()):
            i, j = np.argwhere(c.weight.mask)[-1]
            net.set_frozen(WeightRef(c.id, int(i), int(j)), True)
    for layer in net.layers.values():
        if layer.bias is not None:
            layer.bias.value[...] = np.random.default_rng(layer.id).normal(0, 0.3, layer.size)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    n = draw(st.integers(1, 6))
    x = rng.normal(0, 1, (n, n_in))
    if loss == "cross_entropy":
        y = rng.integers(0, n_out, n)
    elif loss == "bce":
        y = rng.integers(0, 2, (n, n_out)).astype(float)
    else:
        y = rng.normal(0, 1, (n, n_out))
    return net, loss, x, y


def near_kink(net: Network, loss: str, x: np.ndarray, y: np.ndarray, margin: float) -> bool:
    """Whether some pre-activation (or MAE residual) sits so close to a kink that finite differences straddle it."""
    from engine import compiled, encode_targets
    from engine.losses import get_loss

    c = compiled(net)
    trace = c.forward(x)
    for plan in c.plans:
        if plan.activation.name in KINKED and (np.abs(trace.a[plan.pos]) < margin).any():
            return True
    if loss in ("mae", "huber"):
        t = encode_targets(get_loss(loss), y, net.output_layer.size)
        resid = np.abs(trace.h[c.output_pos] - t)
        return bool((resid < margin).any() or (loss == "huber" and (np.abs(resid - 1.0) < margin).any()))
    return False


__all__ = ["HIDDEN_ACTIVATIONS", "LOSSES", "OUTPUT_PAIRS", "OUT_OF_RANGE", "near_kink", "networks"]
