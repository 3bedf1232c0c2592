"""Seconds to evaluate a 64 × 64 loss surface (and an 81-point gradient slice) on a 784-128-10 network.

Run with `make bench` or `python bench/surface_bench.py`. The target (issue 14) is ≤ 1 s for the grid. Which two
weights are picked matters: two weights into the hidden layer move two hidden neurons only, a weight into the
output layer moves the output for every point, so each pair is timed. Prints a markdown table of medians.
"""

from __future__ import annotations

import platform
import statistics
import time

import numpy as np

from engine import BiasRef, WeightRef, layered
from engine.surface import gradient_slice, loss_surface

ROUNDS = 5


def main() -> None:
    net = layered([784, 128, 10], "relu", "softmax")
    first, second = (c.id for c in net.connections.values())
    pairs = {
        "two weights into the hidden layer": [WeightRef(first, 300, 5), WeightRef(first, 400, 77)],
        "one into the hidden layer, one into the output": [WeightRef(first, 300, 5), WeightRef(second, 5, 3)],
        "two weights into the output layer": [WeightRef(second, 5, 3), WeightRef(second, 77, 9)],
        "a hidden bias and an output bias": [BiasRef(list(net.layers)[1], 5),
                                             BiasRef(net.output_layer.id, 3)],
    }
    rng = np.random.default_rng(0)
    print(f"{platform.processor() or platform.machine()}, numpy {np.__version__}, float64, 64 × 64 grid, "
          f"median of {ROUNDS}")
    print("| samples | weights | seconds |")
    print("|---:|---|---:|")
    for n in (256, 1024):
        x = rng.normal(size=(n, 784))
        y = rng.integers(0, 10, n)
        for what, refs in pairs.items():
            times = []
            for _ in range(ROUNDS):
                t0 = time.perf_counter()
                loss_surface(net, x, y, "cross_entropy", refs, points=64)
                times.append(time.perf_counter() - t0)
            print(f"| {n} | {what} | {statistics.median(times):.3f} |")
        times = []
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            gradient_slice(net, x, y, "cross_entropy", 0.1)
            times.append(time.perf_counter() - t0)
        print(f"| {n} | gradient slice, 81 points (every weight moves) | {statistics.median(times):.3f} |")


if __name__ == "__main__":
    main()
