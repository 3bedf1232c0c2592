"""Training steps per second of the engine against a NumPy floor, PyTorch eager and scikit-learn, in one run.

Run with `make bench` (installs the `bench` extra) or `python bench/engine_bench.py [--quick]`. Prints a markdown
table of medians; the ratio column is engine / PyTorch. Also measures what sparse masks and the gradient history
(watched weights, per-connection norms, snapshots) and the timeline's recording add on top of a bare step.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from engine import History, Network, Trainer, TrainSettings, WeightRef, compiled, layered, make_optimizer
from engine.losses import encode_targets, get_loss
from engine.recording import DEFAULT_DENSE, Recorder

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


def interleaved_rates(steppers: dict[str, object], n_steps: int, rounds: int) -> dict[str, list[float]]:
    """Steps/s of each stepper in every round, the rounds taking turns (A B C, A B C, …).

    This machine's speed drifts by tens of percent within a minute; taking turns exposes every contender to the
    same drift, and a ratio taken within each round (`paired`) cancels most of it.
    """
    for step in steppers.values():
        step()  # warm-up (compilation, allocations)
    rates: dict[str, list[float]] = {name: [] for name in steppers}
    for _ in range(rounds):
        for name, step in steppers.items():
            t0 = time.perf_counter()
            for _ in range(n_steps):
                step()
            rates[name].append(n_steps / (time.perf_counter() - t0))
    return rates


def paired(rates: dict[str, list[float]], a: str, b: str) -> float:
    """Median over rounds of rate a / rate b."""
    return statistics.median(x / y for x, y in zip(rates[a], rates[b], strict=True))


def numpy_floor(sizes, batch, dtype):
    """The floor: a minimal hand-written NumPy MLP step (forward, loss, backward, SGD; nothing else), the same net,
    batch, data and dtype. What the engine adds on top of this is the price of its generality (any DAG, any
    activation and loss, masks, gradients kept for the views)."""
    net = build(sizes, dtype)
    ws = [c.weight.value.copy() for c in net.connections.values()]
    bs = [layer.bias.value.copy() for layer in net.layers.values() if layer.kind != "input"]
    x, y = data(sizes, batch)
    x = x.astype(dtype)
    t = encode_targets(get_loss(loss_name(sizes)), y, sizes[-1], dtype)
    lr = 0.01
    k = [0]

    def step():
        s = (k[0] % 16) * batch
        k[0] += 1
        xb, tb = x[s : s + batch], t[s : s + batch]
        hs = [xb]
        for w, b in zip(ws[:-1], bs[:-1], strict=True):
            hs.append(np.maximum(hs[-1] @ w + b, 0))
        a = hs[-1] @ ws[-1] + bs[-1]
        if sizes[-1] > 1:  # softmax + cross-entropy from the logits
            z = a - a.max(axis=1, keepdims=True)
            e = np.exp(z)
            se = e.sum(axis=1, keepdims=True)
            float(-((z - np.log(se)) * tb).sum() / batch)
            d = (e / se - tb) / batch
        else:  # sigmoid + binary cross-entropy from the logits
            float(np.mean(np.maximum(a, 0) - a * tb + np.log1p(np.exp(-np.abs(a)))))
            d = (1 / (1 + np.exp(-a)) - tb) / batch
        for j in range(len(ws) - 1, -1, -1):
            gw = hs[j].T @ d
            gb = d.sum(axis=0)
            if j:
                d = (d @ ws[j].T) * (hs[j] > 0)
            ws[j] -= lr * gw
            bs[j] -= lr * gb

    return step


def matmul_flops(sizes, batch) -> int:
    """Floating-point operations of one step's matmuls: forward h @ W, backward h.T @ δ and δ @ W.T (not into
    the input layer), 2·m·n·k each."""
    flops = 0
    for k, (a, b) in enumerate(itertools.pairwise(sizes)):
        flops += 2 * batch * a * b * (2 if k == 0 else 3)
    return flops


def matmuls_only(sizes, batch, dtype):
    """Just one step's matmuls at their shapes, into kept outputs: the machine's np.matmul peak for this step."""
    rng = np.random.default_rng(0)
    ws = [rng.normal(size=(a, b)).astype(dtype) for a, b in itertools.pairwise(sizes)]
    hs = [rng.normal(size=(batch, a)).astype(dtype) for a in sizes]
    zs = [np.empty((batch, b), dtype) for b in sizes[1:]]
    gs = [np.empty_like(w) for w in ws]
    backs = [np.empty((batch, a), dtype) for a in sizes[:-1]]

    def step():
        for w, h, z in zip(ws, hs, zs, strict=False):
            np.matmul(h, w, out=z)
        for j in range(len(ws) - 1, -1, -1):
            np.matmul(hs[j].T, zs[j], out=gs[j])
            if j:
                np.matmul(zs[j], ws[j].T, out=backs[j])

    return step


def engine_bare(sizes, batch, dtype):
    """Forward, backward and SGD update only: the floor the trainer's extras are measured against."""
    return engine_step(sizes, batch, dtype)[0]


def engine_step(sizes, batch, dtype, optimizer="sgd"):
    """The bare step with `optimizer` (SGD at lr 0.01, or another at its defaults), and its compiled plan."""
    net = build(sizes, dtype)
    x, y = data(sizes, batch)
    loss = get_loss(loss_name(sizes))
    t = encode_targets(loss, y, sizes[-1], dtype)
    x = x.astype(dtype)
    c = compiled(net)
    opt = make_optimizer(optimizer, lr=0.01) if optimizer == "sgd" else make_optimizer(optimizer)
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

    return step, c


def engine_trainer(sizes, batch, dtype, sparse=False, watched=0, history=True, optimizer="sgd", recording=None):
    """The full `Trainer.step` (shuffled batches, metrics, divergence check, history), optionally with 10 % of the
    weights cut and `watched` weights watched, or with the history's recording switched off (to price it), or
    with the timeline recording (`recording`: the recorder's `dense`, every step kept up to it)."""
    net = build(sizes, dtype)
    if sparse:
        rng = np.random.default_rng(1)
        for c in net.connections.values():
            for i, j in zip(*np.nonzero(rng.random(c.weight.shape) < 0.1), strict=True):
                net.set_present(c.id, int(i), int(j), False)
    x, y = data(sizes, batch)
    trainer = Trainer(net, x, y, TrainSettings(loss=loss_name(sizes), optimizer=optimizer, batch_size=batch,
                                               epochs=10**9), history=History())
    conn = next(iter(net.connections.values()))
    for i, j in list(zip(*np.nonzero(conn.weight.mask), strict=True))[:watched]:
        trainer.watch(WeightRef(conn.id, int(i), int(j)))
    if not history:
        trainer.history.record_step = lambda *args: None
    if recording is not None:
        trainer.recorder = Recorder(dense=recording)
        trainer.recorder.begin(trainer)
    return trainer.step


def torch_step(sizes, batch, dtype):
    import torch

    torch.manual_seed(0)
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    mods = []
    for a, b in itertools.pairwise(sizes):
        mods += [torch.nn.Linear(a, b, dtype=tdtype), torch.nn.ReLU()]
    model = torch.nn.Sequential(*mods[:-1])
    return torch_stepper(model, torch.optim.SGD(model.parameters(), lr=0.01), sizes, batch, tdtype)


def torch_stepper(model, opt, sizes, batch, tdtype):
    """One PyTorch eager step of `model` with `opt` on the bench's batches (16 of them, in turn)."""
    import torch

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
    parser.add_argument("--threads", type=int, help="BLAS and PyTorch threads (default: the libraries' own, every "
                        "core); on a machine shared with other work, threads waiting for a busy core dominate")
    parser.add_argument("--nets", nargs="+", metavar="NET", help="only these networks, e.g. 2-8-8-1 2-64-64-1")
    args = parser.parse_args()
    configs = [(sizes, batch) for sizes, batch in CONFIGS
               if args.nets is None or "-".join(map(str, sizes)) in args.nets]
    if args.threads:
        threadpool_limits(args.threads)  # kept for the whole run: the limit is process-wide
        try:
            import torch

            torch.set_num_threads(args.threads)
        except ImportError:
            pass
    scale = 0.2 if args.quick else 1.0
    repeats = 3 if args.quick else 11
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = "not installed"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy "
          f"{np.__version__}, torch {torch_version}, threads {args.threads or 'default'}, load average "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}\n")
    print("| network | batch | dtype | NumPy floor steps/s | engine bare steps/s | engine Trainer steps/s | "
          "PyTorch steps/s | scikit-learn steps/s | bare time / floor time | Trainer time / bare time | "
          "Trainer / PyTorch |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    overhead_rows, peak_rows = [], []
    for sizes, batch in configs:
        big = sizes[0] >= 64
        n = max(5, int((25 if sizes[0] == 784 else 150 if big else 500) * scale))
        name = "-".join(map(str, sizes))
        for dtype in (np.float32, np.float64):
            steppers = {"floor": numpy_floor(sizes, batch, dtype), "bare": engine_bare(sizes, batch, dtype),
                        "trainer": engine_trainer(sizes, batch, dtype)}
            torch = optional(torch_step, sizes, batch, dtype)
            if torch is not None:
                steppers["torch"] = torch
            if big:
                steppers["matmuls"] = matmuls_only(sizes, batch, dtype)
            if dtype == np.float64:
                steppers["no history"] = engine_trainer(sizes, batch, dtype, history=False)
                steppers["sparse"] = engine_trainer(sizes, batch, dtype, sparse=True, watched=8)
                steppers["adam"] = engine_trainer(sizes, batch, dtype, optimizer="adam")
                steppers["recording"] = engine_trainer(sizes, batch, dtype, recording=DEFAULT_DENSE)
                steppers["recording all"] = engine_trainer(sizes, batch, dtype, recording=10**9)
            # small nets: short steps, large relative noise; many short paired rounds pin a few percent down
            rounds = interleaved_rates(steppers, n, repeats if big else 3 * repeats)
            r = {name: statistics.median(v) for name, v in rounds.items()}
            skl = optional(sklearn_rate, sizes, batch, dtype, max(1, n // 16))
            fmt = lambda v: "–" if v is None else f"{v:,.0f}"  # noqa: E731
            ratio = f"{paired(rounds, 'trainer', 'torch'):.2f}×" if "torch" in r else "–"
            print(f"| {name} | {batch} | {np.dtype(dtype).name} | {fmt(r['floor'])} | {fmt(r['bare'])} | "
                  f"{fmt(r['trainer'])} | {fmt(r.get('torch'))} | {fmt(skl)} | "
                  f"{paired(rounds, 'floor', 'bare'):.2f} | {paired(rounds, 'bare', 'trainer'):.2f} | {ratio} |",
                  flush=True)
            if big:
                flops = matmul_flops(sizes, batch)
                peak_rows.append((name, np.dtype(dtype).name, flops, flops * r["bare"] / 1e9,
                                  flops * r["matmuls"] / 1e9, paired(rounds, "bare", "matmuls")))
            if dtype == np.float64:
                overhead_rows.append((name, r["bare"], r["no history"], r["trainer"], r["sparse"], r["adam"],
                                      paired(rounds, "no history", "trainer"), paired(rounds, "trainer", "sparse"),
                                      paired(rounds, "trainer", "recording"),
                                      paired(rounds, "trainer", "recording all")))
    print(f"\nMedians of {repeats} interleaved rounds ({3 * repeats} for the two small nets); ratios and costs are "
          "medians of the ratios within each round.")
    print("\nShare of the matmul peak (large nets): the step's matmul GFLOP/s in the bare engine step, against the "
          "same matmuls alone (np.matmul at the same shapes, into kept outputs), in the same rounds.\n")
    print("| network | dtype | matmul GFLOP per step | engine bare GFLOP/s | np.matmul GFLOP/s | share of peak |")
    print("|---|---|---:|---:|---:|---:|")
    for name, dt, flops, engine, peak, share in peak_rows:
        print(f"| {name} | {dt} | {flops / 1e9:.3f} | {engine:.1f} | {peak:.1f} | {share:.0%} |")
    print("\nCost of the extras (float64, same interleaved rounds). bare = forward, loss, backward, SGD; Trainer "
          "adds shuffled batches, metrics and the divergence check; history = loss, per-connection gradient "
          "norms, snapshots every 500 steps; sparse + watched = 10 % of weights cut and 8 weights watched; Adam = the "
          "Trainer with Adam instead of SGD; recording = the timeline (engine.recording) as the app records it "
          "(every step kept up to `dense`, then thinned); recording every step = a recorder that keeps every step "
          "while its 200 MiB budget allows (the cost of the dense start of a run).\n")
    print("| network | bare | Trainer, history off | Trainer | + sparse + watched | Trainer, Adam | history cost | "
          "sparse + watch cost | recording cost | recording every step |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, bare, quiet, full, sparse, adam, history_cost, sparse_cost, rec_cost, rec_all in overhead_rows:
        print(f"| {name} | {bare:,.0f} | {quiet:,.0f} | {full:,.0f} | {sparse:,.0f} | {adam:,.0f} | "
              f"{history_cost - 1:+.1%} | {sparse_cost - 1:+.1%} | {rec_cost - 1:+.1%} | {rec_all - 1:+.1%} |")
    print(f"\nload average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
