"""Training steps per second of the engine against PyTorch eager and scikit-learn, measured in the same run.

Run with `make bench` (installs the `bench` extra) or `python bench/engine_bench.py [--quick]`. Prints a markdown
table of medians; the ratio column is engine / PyTorch. Also measures what sparse masks and the gradient history
(watched weights, per-connection norms, snapshots) add on top of a bare step.
"""

from __future__ import annotations

import argparse
import itertools
import platform
import statistics
import time
import warnings

import numpy as np

from engine import History, Network, Trainer, TrainSettings, compiled, layered, make_optimizer
from engine.losses import encode_targets, get_loss

CONFIGS = [((2, 8, 8, 1), 32), ((2, 64, 64, 1), 32), ((64, 256, 256, 10), 256), ((784, 512, 512, 10), 256)]


def build(sizes, dtype) -> Network:
    return layered(sizes, "relu", "softmax" if sizes[-1] > 1 else "sigmoid", dtype=dtype)


def data(sizes, batch, n_batches=16):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch * n_batches, sizes[0]))
    y = rng.integers(0, max(sizes[-1], 2), len(x))
    return x, y


def loss_name(sizes):
    return "cross_entropy" if sizes[-1] > 1 else "bce"


def steps_per_second(step, n_steps: int, repeats: int) -> float:
    step()  # warm-up (compilation, allocations)
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n_steps):
            step()
        rates.append(n_steps / (time.perf_counter() - t0))
    return statistics.median(rates)


def engine_bare(sizes, batch, dtype):
    """Forward, backward and SGD update only: the floor the trainer's extras are measured against."""
    net = build(sizes, dtype)
    x, y = data(sizes, batch)
    loss = get_loss(loss_name(sizes))
    t = encode_targets(loss, y, sizes[-1], dtype)
    x = x.astype(dtype)
    c = compiled(net)
    opt = make_optimizer("sgd", lr=0.01)
    k = [0]

    def step():
        s = (k[0] % 16) * batch
        k[0] += 1
        xb, tb = x[s : s + batch], t[s : s + batch]
        trace = c.forward(xb)
        c.loss(trace, tb, loss)
        c.backward(trace, tb, loss)
        opt.compute(c)
        opt.apply(c)

    return step


def engine_trainer(sizes, batch, dtype, sparse=False, watched=0):
    """The full `Trainer.step` (shuffled batches, metrics, history), optionally with cut weights and watches."""
    net = build(sizes, dtype)
    if sparse:
        rng = np.random.default_rng(1)
        for c in net.connections.values():
            for i, j in zip(*np.nonzero(rng.random(c.weight.shape) < 0.1), strict=True):
                net.set_present(c.id, int(i), int(j), False)
    x, y = data(sizes, batch)
    trainer = Trainer(net, x, y, TrainSettings(loss=loss_name(sizes), optimizer="sgd", batch_size=batch,
                                               epochs=10**9), history=History())
    conn = next(iter(net.connections.values()))
    for i, j in list(zip(*np.nonzero(conn.weight.mask), strict=True))[:watched]:
        trainer.watch((("W", conn.id), (int(i), int(j))))
    return trainer.step


def torch_step(sizes, batch, dtype):
    import torch

    torch.manual_seed(0)
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    mods = []
    for a, b in itertools.pairwise(sizes):
        mods += [torch.nn.Linear(a, b, dtype=tdtype), torch.nn.ReLU()]
    model = torch.nn.Sequential(*mods[:-1])
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    lossfn = torch.nn.CrossEntropyLoss() if sizes[-1] > 1 else torch.nn.BCEWithLogitsLoss()
    x, y = data(sizes, batch)
    xt = torch.tensor(x, dtype=tdtype)
    yt = torch.tensor(y) if sizes[-1] > 1 else torch.tensor(y[:, None], dtype=tdtype)
    k = [0]

    def step():
        s = (k[0] % 16) * batch
        k[0] += 1
        opt.zero_grad()
        loss = lossfn(model(xt[s : s + batch]), yt[s : s + batch])
        loss.backward()
        opt.step()

    return step


def sklearn_rate(sizes, batch, dtype, epochs: int) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    x, y = data(sizes, batch)
    clf = MLPClassifier(hidden_layer_sizes=sizes[1:-1], solver="sgd", batch_size=batch, max_iter=epochs,
                        learning_rate_init=0.01, momentum=0.0, shuffle=True, tol=0.0, n_iter_no_change=10**9,
                        random_state=0)
    x = x.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        clf.fit(x, y)
        elapsed = time.perf_counter() - t0
    return epochs * int(np.ceil(len(x) / batch)) / elapsed


def optional(fn, *args):
    try:
        return fn(*args)
    except ImportError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer steps (a smoke run, noisier numbers)")
    args = parser.parse_args()
    scale = 0.2 if args.quick else 1.0
    repeats = 3 if args.quick else 5
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = "not installed"
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python {platform.python_version()}, "
          f"numpy {np.__version__}, torch {torch_version}\n")
    print("| network | batch | dtype | engine bare steps/s | engine Trainer steps/s | PyTorch steps/s | "
          "scikit-learn steps/s | Trainer / PyTorch |")
    print("|---|---|---|---|---|---|---|---|")
    overhead_rows = []
    for sizes, batch in CONFIGS:
        big = sizes[0] >= 64
        n = max(5, int((40 if sizes[0] == 784 else 300 if big else 3000) * scale))
        for dtype in (np.float32, np.float64):
            bare = steps_per_second(engine_bare(sizes, batch, dtype), n, repeats)
            full = steps_per_second(engine_trainer(sizes, batch, dtype), n, repeats)
            ref = optional(lambda: steps_per_second(torch_step(sizes, batch, dtype), n, repeats))  # noqa: B023
            skl = optional(sklearn_rate, sizes, batch, dtype, max(1, n // 16))
            name = "-".join(map(str, sizes))
            fmt = lambda v: "–" if v is None else f"{v:,.0f}"  # noqa: E731
            ratio = "–" if ref is None else f"{full / ref:.2f}×"
            print(f"| {name} | {batch} | {np.dtype(dtype).name} | {fmt(bare)} | {fmt(full)} | {fmt(ref)} | "
                  f"{fmt(skl)} | {ratio} |")
            if dtype == np.float64:
                sparse = steps_per_second(engine_trainer(sizes, batch, dtype, sparse=True, watched=8), n, repeats)
                overhead_rows.append((name, bare, full, sparse))
    print("\nCost of the extras (float64): Trainer = shuffled batches + metrics + history (loss, per-connection "
          "norms, snapshots); + sparse = 10 % of weights cut and 8 watched weights.\n")
    print("| network | bare | Trainer | Trainer + sparse + watched | history cost | sparse+watch cost |")
    print("|---|---|---|---|---|---|")
    for name, bare, full, sparse in overhead_rows:
        print(f"| {name} | {bare:,.0f} | {full:,.0f} | {sparse:,.0f} | {bare / full - 1:+.1%} | "
              f"{full / sparse - 1:+.1%} |")


if __name__ == "__main__":
    main()
