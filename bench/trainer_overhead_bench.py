"""What each piece of `Trainer.step`'s bookkeeping costs on a small net, where it is a visible share of a step.

    .venv/bin/python bench/trainer_overhead_bench.py [--net 2-8-8-1] [--rounds 25]

The full step against the same step with one piece switched off at a time (the gradient history, the epoch
meter, the finiteness check, the blow-up watch, NumPy's error-state context), with all of them off, and against
engine_bench.py's bare step (forward, loss, backward, SGD): steps/s and the time each saves, as medians of ratios
within interleaved rounds (float64, SGD, batch 32).
"""

from __future__ import annotations

import argparse
import os
import statistics

import numpy as np
from engine_bench import build, data, engine_bare, interleaved_rates, loss_name, paired

import engine.training as training
from engine import Trainer, TrainSettings

PIECES = ("history", "meter", "finiteness check", "blow-up watch", "error state")


def stepper(sizes: tuple[int, ...], batch: int, off: tuple[str, ...] = ()):
    net = build(sizes, np.float64)
    x, y = data(sizes, batch)
    trainer = Trainer(net, x, y, TrainSettings(loss=loss_name(sizes), optimizer="sgd", batch_size=batch,
                                               epochs=10**9))
    if "history" in off:
        trainer.history.record_step = lambda *args: None  # type: ignore[method-assign]
    if "meter" in off:
        trainer._count = lambda *args: None  # type: ignore[method-assign]
    if "finiteness check" in off:
        trainer._all_finite = lambda *args: True  # type: ignore[method-assign]
    if "blow-up watch" in off:
        trainer._watch_blowup = lambda *args: None  # type: ignore[method-assign]
    if "error state" in off:
        unwrapped = training.Trainer.step.__wrapped__  # type: ignore[attr-defined]
        return lambda: unwrapped(trainer)
    return trainer.step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--net", default="2-8-8-1")
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--steps", type=int, default=300, help="per measurement")
    args = parser.parse_args()
    sizes, batch = tuple(int(s) for s in args.net.split("-")), 32
    steppers = {"Trainer.step": stepper(sizes, batch)}
    steppers.update({f"without the {piece}": stepper(sizes, batch, (piece,)) for piece in PIECES})
    steppers["without all five"] = stepper(sizes, batch, PIECES)
    steppers["bare step"] = engine_bare(sizes, batch, np.float64)
    rates = interleaved_rates(steppers, args.steps, args.rounds)
    full = statistics.median(rates["Trainer.step"])
    print(f"{args.net}, batch {batch}, float64, SGD; {args.rounds} interleaved rounds of {args.steps} steps; load "
          f"average {' '.join(f'{v:.1f}' for v in os.getloadavg())}\n")
    print("| variant | steps/s | Trainer time / this time | µs saved per step |")
    print("|---|---:|---:|---:|")
    for name, r in rates.items():
        ratio = paired(rates, name, "Trainer.step")
        print(f"| {name} | {statistics.median(r):,.0f} | {ratio:.3f} | {1e6 * (1 - 1 / ratio) / full:.1f} |")


if __name__ == "__main__":
    main()
