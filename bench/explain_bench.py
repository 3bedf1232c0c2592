"""How long the chain-rule explorer takes to explain one weight of a 784-128-10 network on a batch of 64.

An explanation is the local form, the 50 largest paths, the path count, the exact remainder and the optimiser's
update (Adam, with moments from a few real steps); the central-difference check (two more forward passes) is
timed separately. Target: ≤ 100 ms median. A deeper 784-64-64-64-10 ReLU network, where a first-layer weight has
40,960 paths to the loss, shows the lazy best-first search and the grouped remainder at work; a one-sample
step-through of a small 2-8-8-1 network is timed too.
Run from the repository root: `.venv/bin/python bench/explain_bench.py`.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

from engine import BiasRef, Network, Trainer, TrainSettings, WeightRef, layered
from engine.explain import StepThrough, explain_weight


def build(sizes: tuple[int, ...], hidden: str, output: str) -> tuple[Network, list]:
    net = layered(sizes, hidden, output)
    return net, list(net.connections.values())


def timed_ms(run: Callable[[], object], repeats: int) -> str:
    """Median (and fastest) wall time: on a shared machine the fastest run shows the cost without interference."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(1000 * (time.perf_counter() - start))
    return f"{statistics.median(times):.1f} ({min(times):.1f})"


def rows_for(sizes: tuple[int, ...], hidden: str, repeats: int) -> list[tuple]:
    rng = np.random.default_rng(0)
    net, conns = build(sizes, hidden, "softmax")
    x, y = rng.normal(size=(64, sizes[0])), rng.integers(0, sizes[-1], 64)
    trainer = Trainer(net, x, y, TrainSettings(loss="cross_entropy", optimizer="adam", batch_size=64))
    for _ in range(3):
        trainer.step()
    name = "-".join(map(str, sizes))
    refs = [(f"{name}: W {net.layer(c.source).name} → {net.layer(c.target).name}", WeightRef(c.id, 5, 7))
            for c in conns]
    refs.append((f"{name}: bias of {net.layer(conns[0].target).name}", BiasRef(conns[0].target, 7)))
    rows = []
    for label, ref in refs:
        def explain(check: bool, ref=ref):
            return explain_weight(net, ref, x, y, "cross_entropy", optimizer=trainer.optimizer, check=check)

        e = explain(True)
        rows.append((label, e.paths.count, e.paths.remainder_method if e.paths.remainder_count else "–",
                     timed_ms(lambda: explain(False), repeats), timed_ms(lambda: explain(True), repeats),
                     e.check.rel_error))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    rows = rows_for((784, 128, 10), "tanh", args.repeats) + rows_for((784, 64, 64, 64, 10), "relu", args.repeats)
    small, _ = build((2, 8, 8, 1), "tanh", "identity")
    step_ms = timed_ms(lambda: StepThrough(small, [0.5, -0.5], [1.0], "mse"), args.repeats)
    frames = len(StepThrough(small, [0.5, -0.5], [1.0], "mse").frames)

    print(f"Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}; batch of 64, Adam, "
          f"softmax + cross-entropy; median of {args.repeats} runs\n")
    print("| parameter | paths | remainder | explain ms, median (min) | + check ms, median (min) | check rel. error |")
    print("|---|---|---|---|---|---|")
    for label, count, method, bare, full, err in rows:
        print(f"| {label} | {count:,} | {method} | {bare} | {full} | {err:.1e} |")
    print(f"\nStep-through of one sample, 2-8-8-1 ({frames} frames): {step_ms} ms")


if __name__ == "__main__":
    main()
