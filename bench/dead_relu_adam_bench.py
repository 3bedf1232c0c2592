"""Adam once ReLU units die: does a step slow down, in the engine and in PyTorch eager, and why.

    .venv/bin/python bench/dead_relu_adam_bench.py [--net 2-64-64-1] [--steps 40000] [--window 500] [--dtype float64]

A dead unit's weights get a gradient of exactly 0, so their first moment shrinks by β₁ = 0.9 a step and passes
through the subnormal floats (below 2.2e-308 in float64, 1.2e-38 in float32) on its way to 0; an operation with a
subnormal result is much slower on many CPUs. The engine (the bare step with Adam: forward, loss, backward, Adam;
and the full `Trainer.step` with Adam, whose finiteness check squares the moments) and PyTorch eager (the same
network, starting from the engine's weights, `torch.optim.Adam` with its defaults, `set_flush_denormal` left off)
train on the same cycle of batches; every `--window` steps each runs a window in turn (interleaved) and the table
gives each one's steps/s and how many of its first moments are subnormal. One BLAS and one PyTorch thread.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from engine_bench import build, engine_step, engine_trainer, torch_stepper
from threadpoolctl import threadpool_limits


def subnormal(a: np.ndarray) -> int:
    """How many entries of `a` are subnormal (non-zero and smaller in size than the smallest normal float)."""
    return int(np.count_nonzero((a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny)))


def engine_adam(sizes, batch, dtype):
    """The bare engine step with Adam at its defaults, and a reader of its first moments."""
    step, c = engine_step(sizes, batch, dtype, "adam")
    return step, lambda: c.state["exp_avg"] if c.state else np.zeros(0, dtype)


def torch_adam(sizes, batch, dtype):
    """PyTorch eager with `torch.optim.Adam`'s defaults, from the engine's initial weights, on the same batches."""
    import torch

    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    net = build(sizes, dtype)
    layers = []
    for conn, layer in zip(net.connections.values(), [lay for lay in net.layers.values() if lay.kind != "input"],
                           strict=True):
        lin = torch.nn.Linear(*conn.weight.shape, dtype=tdtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(conn.weight.value.T.copy()))
            lin.bias.copy_(torch.from_numpy(layer.bias.value.copy()))
        layers += [lin, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    opt = torch.optim.Adam(model.parameters())
    step = torch_stepper(model, opt, sizes, batch, tdtype)

    def moments():
        states = [opt.state[p]["exp_avg"].numpy().ravel() for p in model.parameters() if p in opt.state]
        return np.concatenate(states) if states else np.zeros(0, dtype)

    return step, moments


def trainer_adam(sizes, batch, dtype):
    step = engine_trainer(sizes, batch, dtype, optimizer="adam")
    trainer = step.__self__
    return step, lambda: trainer.compiled.state["exp_avg"] if trainer.compiled.state else np.zeros(0, dtype)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--net", default="2-64-64-1")
    parser.add_argument("--steps", type=int, default=40_000)
    parser.add_argument("--window", type=int, default=500)
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    args = parser.parse_args()
    threadpool_limits(1)
    import torch

    torch.set_num_threads(1)
    sizes, batch, dtype = tuple(int(s) for s in args.net.split("-")), 32, np.dtype(args.dtype).type
    contenders = {"engine bare, Adam": engine_adam(sizes, batch, dtype),
                  "engine Trainer, Adam": trainer_adam(sizes, batch, dtype),
                  "PyTorch, Adam": torch_adam(sizes, batch, dtype)}
    print(f"{args.net}, batch {batch}, {args.dtype}, Adam (defaults), one thread; torch {torch.__version__}, flush "
          f"denormal off; load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}\n")
    names = list(contenders)
    print("| steps | " + " | ".join(f"{n} steps/s | subnormal m" for n in names) + " |")
    print("|---:|" + "---:|---:|" * len(names))
    for step, _ in contenders.values():
        for _ in range(20):  # warm-up (compilation, allocations)
            step()
    first: dict[str, float] = {}
    for start in range(0, args.steps, args.window):
        cells = []
        for name, (step, moments) in contenders.items():
            t0 = time.perf_counter()
            for _ in range(args.window):
                step()
            rate = args.window / (time.perf_counter() - t0)
            first.setdefault(name, rate)
            cells.append(f"{rate:,.0f} ({rate / first[name]:.2f}) | {subnormal(moments()):,}")
        if start % (10 * args.window) == 0 or start + args.window >= args.steps:
            print(f"| {start + args.window:,} | " + " | ".join(cells) + " |", flush=True)
    print("\n(in brackets: the rate over the first window's)")
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
