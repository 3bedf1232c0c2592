"""What the GUI thread was doing during its longest pauses while training: the tool behind docs/benchmarks.md.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/training_gui_probe.py [--net small|big] [--seconds 6]

Trains in the real main window (as bench/training_gui_bench.py does) with timers wrapped around each view's update,
pyqtgraph's paint methods and the worker's snapshot and GUI-turn wait; records the ticks of a 5 ms timer; then
prints what each part cost in all and every span that overlaps the longest gaps between ticks, marking whether the
worker was waiting (a GUI turn: the GUI has the GIL to itself) or running (the GUI fights it for the GIL).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pyqtgraph as pg
from training_gui_bench import Case, GuiRun, cases, random_csv

import gui.training.install as install
import gui.training.worker as worker
from engine.project import DataSpec
from gui.app import create_app

spans: list[tuple[str, float, float]] = []  # (what, start, end), perf_counter seconds, from both threads
WAIT = "[worker waits: GUI turn]"


def timed(owner, name: str, label: str | None = None) -> None:
    original = getattr(owner, name)
    label = label or f"{owner.__name__}.{name}"

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spans.append((label, start, time.perf_counter()))

    setattr(owner, name, wrapper)


def instrument() -> None:
    for name in ("show_snapshot", "_show_loss", "_show_gradients", "_show_boundary", "_show_edges"):
        timed(install.TrainingFeature, name)
    timed(pg.GraphicsView, "paintEvent")
    for item in (pg.AxisItem, pg.ImageItem, pg.PlotCurveItem, pg.ScatterPlotItem):
        timed(item, "paint")
    timed(worker, "take_snapshot", "take_snapshot (worker)")
    loop = worker.TrainingWorker._loop

    def waits_timed(self, cmd, start):
        event = self._delivered
        if not hasattr(event, "untimed_wait"):
            event.untimed_wait = event.wait

            def wait(timeout=None):
                t0 = time.perf_counter()
                try:
                    return event.untimed_wait(timeout)
                finally:
                    spans.append((WAIT, t0, time.perf_counter()))

            event.wait = wait
        return loop(self, cmd, start)

    worker.TrainingWorker._loop = waits_timed


def report(ticks: np.ndarray, t0: float, t1: float, worst: int) -> None:
    window = [(what, a, b) for what, a, b in spans if t0 <= a <= t1]
    waited = sum(b - a for what, a, b in window if what == WAIT)
    print(f"worker waiting for GUI turns: {waited / (t1 - t0):.1%} of {t1 - t0:.1f} s")
    costs = defaultdict(list)
    for what, a, b in window:
        costs[what].append(1e3 * (b - a))
    print("\n| part | calls | total ms | median ms | max ms |\n|---|---:|---:|---:|---:|")
    for what, ms in sorted(costs.items(), key=lambda kv: -sum(kv[1])):
        print(f"| {what} | {len(ms)} | {sum(ms):.0f} | {np.median(ms):.1f} | {max(ms):.1f} |")
    gaps = np.diff(ticks) * 1e3
    print(f"\ntick gaps: p50 {np.percentile(gaps, 50):.1f} ms, p99 {np.percentile(gaps, 99):.1f}, max {gaps.max():.1f}")
    for i in np.argsort(gaps)[::-1][:worst]:
        a, b = ticks[i], ticks[i + 1]
        print(f"\ngap of {gaps[i]:.1f} ms at {a - t0:.2f} s (ms from the gap's start):")
        for what, s, e in sorted(window, key=lambda span: span[1]):
            if e > a and s < b and (e - s > 0.002 or what == WAIT):
                print(f"  {what:40s} {1e3 * (s - a):7.1f} .. {1e3 * (e - a):7.1f}")


def huge_case(folder: Path) -> Case:
    """scaling_bench.py's 1M-weight network (860,260 weights) on 1,000 random samples."""
    sizes = (784, 640, 400, 250, 10)
    data = DataSpec("csv", str(random_csv(folder, 1000, sizes[0], sizes[-1])),
                    {"target_column": -1, "task": "classification"})
    return Case("784-640-400-250-10 (random, 1000 samples)", sizes, "cross_entropy", "softmax", data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--net", choices=("small", "big", "1M"), default="small")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--worst", type=int, default=5, help="how many of the longest gaps to take apart")
    args = parser.parse_args()
    instrument()
    app = create_app(sys.argv)
    with tempfile.TemporaryDirectory() as tmp:
        small, big = cases(Path(tmp))
        huge = huge_case(Path(tmp))
        run = GuiRun(app, {"small": small, "big": big, "1M": huge}[args.net], Path(tmp))
        run.train_for(1.0, ticks=False)  # warm-up: first paints, the views' first ranges
        spans.clear()
        _, ticks = run.train_for(args.seconds, ticks=True)
        run.close()
    report(ticks, ticks[0], ticks[-1], args.worst)


if __name__ == "__main__":
    main()
