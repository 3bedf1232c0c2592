"""Training with the window open and every live view on, against the engine alone, in the same process.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/training_gui_bench.py [--rounds 60] [--seconds 0.5]
        [--net small|big|both] [--memory-steps 100000] [--switch-interval MS] [--automatic-gc]

Prints markdown tables: throughput (steps/s with the GUI, headless, ratio), GUI responsiveness (gaps between the
ticks of a 5 ms QTimer while training) and resident memory over a long run. This machine's speed drifts by tens of
percent within seconds, so the window trains and the bare engine steps in alternating short measurements (the
window paused while the engine steps): each ratio compares a GUI measurement with the engine's just before and
after it, and the table gives their median, and the best GUI rate against the best engine rate besides. The
process starts as the app does (`create_app`: BLAS on every core but one); the last column says what that limit
costs the bare engine, from interleaved measurements with BLAS on every core.

`--switch-interval` and `--automatic-gc` take back the app's two process-wide settings while the worker lives
(gui/training/gil.py, gui/training/gc_guard.py), to measure what each is still worth (docs/training.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication
from threadpoolctl import threadpool_limits

from engine import History, Network, Trainer, TrainSettings, WeightRef, layered
from engine.project import DataSpec, Project
from gui.app import blas_threads, create_app
from gui.main_window import MainWindow
from gui.training import gc_guard, gil

TICK_MS = 5
DRIFT = 0.1  # the bare engine's speed may change this much between two measurements for a side to count
MIN_KEPT = 5  # fewer measurements kept than this, and the machine was too noisy to give a ratio at all


@dataclass
class Case:
    name: str
    sizes: tuple[int, ...]
    loss: str
    out_activation: str
    data: DataSpec


def cases(folder: Path) -> tuple[Case, Case]:
    """The small net (Python-bound steps of ~70 µs) and the large one (BLAS-bound, ~1.5 ms)."""
    small = Case("2-16-16-1 (circles, 800 samples)", (2, 16, 16, 1), "bce", "sigmoid",
                 DataSpec("generator", "circles", {"n_samples": 1000, "seed": 0}))
    big = Case("784-128-10 (random, 1000 samples)", (784, 128, 10), "cross_entropy", "softmax",
               DataSpec("csv", str(random_csv(folder, 1000, 784, 10)), {"target_column": -1, "task": "classification"}))
    return small, big


def network(sizes: tuple[int, ...], out_activation: str) -> Network:
    return layered(sizes, "tanh", out_activation, spacing=260.0)


def random_csv(folder: Path, rows: int, features: int, classes: int) -> Path:
    """Random inputs with random class labels: the network's size, not the data, is what this case measures."""
    rng = np.random.default_rng(0)
    table = np.column_stack([rng.normal(size=(rows, features)), rng.integers(0, classes, rows)])
    path = folder / "random.csv"
    np.savetxt(path, table, delimiter=",", fmt=["%.4f"] * features + ["%d"])
    return path


def project(case: Case) -> Project:
    settings = TrainSettings(loss=case.loss, optimizer="adam", optimizer_params={"lr": 0.01}, batch_size=32,
                             epochs=10**9, seed=0)
    return Project(network(case.sizes, case.out_activation), settings, case.data, History())


def headless_trainer(case: Case) -> Trainer:
    p = project(case)
    train, val, _ = p.data.load()
    trainer = Trainer(p.network, train.X, train.y, p.settings, val.X, val.y, p.history)
    for _ in range(20):
        trainer.step()
    return trainer


def headless_rate(trainer: Trainer, seconds: float) -> float:
    start, steps = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        trainer.step()
        steps += 1
    return steps / (time.perf_counter() - start)


def all_cores_gain(case: Case, pairs: int, seconds: float) -> float:
    """How much faster the bare engine steps with BLAS on every core than on the app's `blas_threads()`: the median
    over interleaved pairs, each side first in every other pair. Run before the case's window exists, so no other
    thread is inside BLAS meanwhile."""
    trainer = headless_trainer(case)

    def on_all_cores() -> float:
        with threadpool_limits(limits=len(os.sched_getaffinity(0)), user_api="blas"):
            return headless_rate(trainer, seconds)

    gains = []
    for k in range(pairs):
        if k % 2:
            full = on_all_cores()
            gains.append(full / headless_rate(trainer, seconds))
        else:
            limited = headless_rate(trainer, seconds)
            gains.append(on_all_cores() / limited)
    return float(np.median(gains))


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
    return kb / 1024


class GuiRun:
    """The real main window with the training docks, four watched weights, training for a while."""

    def __init__(self, app: QApplication, case: Case, settings_dir: Path):
        self.app = app
        self.window = MainWindow(project(case), settings=QSettings(str(settings_dir / "s.ini"),
                                                                    QSettings.Format.IniFormat))
        self.window.resize(1600, 1000)
        self.ui = self.window.training
        self.window.show()
        net = self.window.project.network
        first = next(iter(net.connections.values()))
        self.document = self.window.document
        self.document.set_watched([WeightRef(first.id, 0, j) for j in range(4)])
        self.controller = self.ui.controller

    @staticmethod
    def wait(condition, timeout: float) -> None:
        """Run the event loop as the app does (blocking in the OS between events) until `condition()` holds."""
        loop = QEventLoop()
        QTimer.singleShot(int(timeout * 1000), loop.quit)
        poll = QTimer(interval=20)
        poll.timeout.connect(lambda: condition() and loop.quit())
        poll.start()
        if not condition():
            loop.exec()
        poll.stop()

    @staticmethod
    def idle(seconds: float) -> None:
        """Run the event loop for `seconds` with nothing of the benchmark's own waking the GUI thread."""
        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()

    def train_for(self, seconds: float, ticks: bool) -> tuple[float, np.ndarray]:
        """Resume the run for `seconds`: (steps per second, perf_counter times of a 5 ms timer's ticks if `ticks`).

        The rate is the trainer's step count read at both ends of the window, which opens once the first live
        snapshot has arrived (the loop is past its start). The tick timer is a probe with a cost of its own (its
        slot needs the GIL 200 times a second), so the throughput is measured both with and without it.
        """
        seen: list[int] = []

        def note(snapshot) -> None:
            if not snapshot.final:
                seen.append(snapshot.step)

        self.document.events.snapshot_published.connect(note)
        self.controller.train()
        self.wait(lambda: len(seen) > 0, 30)
        trainer = self.document.session.trainer_or_none
        stamps: list[float] = []
        timer = QTimer(timerType=Qt.TimerType.PreciseTimer, interval=TICK_MS)
        timer.timeout.connect(lambda: stamps.append(time.perf_counter()))
        if ticks:
            timer.start()
        t0, s0 = time.perf_counter(), trainer.step_count
        self.idle(seconds)
        t1, s1 = time.perf_counter(), trainer.step_count
        timer.stop()
        self.controller.pause()
        self.wait(lambda: self.document.idle, 30)
        self.document.events.snapshot_published.disconnect(note)
        return (s1 - s0) / (t1 - t0), np.array(stamps)

    def close(self) -> None:
        self.window.project.history.clear()
        self.window.mark_saved()  # a benchmark has nothing to save: no prompt
        self.window.close()


def bench_case(app: QApplication, case: Case, rounds: int, seconds: float, folder: Path) -> dict:
    """Measurements in a chain, engine, GUI, engine, GUI with the tick probe, engine, …

    Each GUI measurement is divided by the mean of the bare engine just before and just after it. The median of
    all those ratios is one result; the median of the *steady* ones, whose two engine neighbours differ by at most
    `DRIFT` (the machine's speed did not change under them), is the other. Besides, the best GUI rate against the
    best engine rate: this machine's noise only ever slows a measurement down, so the best of many is each side's
    undisturbed speed (timeit's reasoning), whatever share of them was disturbed.
    """
    gain = all_cores_gain(case, rounds // 2, seconds)
    trainer = headless_trainer(case)
    run = GuiRun(app, case, folder)
    run.train_for(seconds, ticks=True)  # warm-up: first paints, the views' first ranges
    engine = [headless_rate(trainer, seconds)]
    sides = ("gui", "probed")
    rates: dict[str, list[float]] = {side: [] for side in sides}
    ratios: dict[str, list[float]] = {side: [] for side in sides}
    steady: dict[str, list[float]] = {side: [] for side in sides}
    gaps = []
    for _ in range(rounds):
        for side in sides:
            rate, side_ticks = run.train_for(seconds, ticks=side == "probed")
            engine.append(headless_rate(trainer, seconds))
            before, after = engine[-2:]
            gaps.append(np.diff(side_ticks) * 1e3)
            rates[side].append(rate)
            ratios[side].append(rate / ((before + after) / 2))
            if abs(after / before - 1) <= DRIFT:
                steady[side].append(ratios[side][-1])
    run.close()
    ticks = np.concatenate(gaps)
    return {"case": case.name, "gui": np.median(rates["gui"]), "headless": np.median(engine), "gain": gain,
            **{f"all_{side}": quartiles(ratios[side]) for side in sides},
            **{f"steady_{side}": summary(steady[side], rounds) for side in sides},
            **{f"best_{side}": max(r) / max(engine) for side, r in rates.items()},
            "p50": np.percentile(ticks, 50), "p99": np.percentile(ticks, 99), "max": ticks.max()}


def quartiles(ratios: list[float]) -> str:
    q1, median, q3 = np.percentile(ratios, [25, 50, 75])
    return f"{median:.2f} ({q1:.2f}–{q3:.2f})"


def summary(ratios: list[float], of: int) -> str:
    """"median (min–max), k of n", or why there is none: a median of two noisy ratios reads as a result and is not
    one."""
    if len(ratios) < MIN_KEPT:
        return f"too noisy ({len(ratios)} of {of})"
    return f"{np.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f}), {len(ratios)} of {of}"


def bench_memory(app: QApplication, case: Case, steps: int, folder: Path) -> dict:
    run = GuiRun(app, case, folder)
    shown = [0, 0]  # snapshots seen, the last one's step (keeping the snapshots themselves would be the leak)

    def count(snapshot) -> None:
        shown[:] = [shown[0] + 1, snapshot.step]

    run.document.events.snapshot_published.connect(count)
    run.controller.train()
    run.wait(lambda: shown[0] > 2, 30)
    start_rss, start, first = rss_mb(), time.perf_counter(), shown[1]
    samples = [start_rss]
    while shown[1] < first + steps:
        run.idle(1.0)
        samples.append(rss_mb())
    seconds = time.perf_counter() - start
    run.controller.pause()
    run.wait(lambda: run.document.idle, 30)
    run.close()
    half = samples[len(samples) // 2]
    return {"case": case.name, "steps": shown[1] - first, "seconds": seconds, "start": start_rss, "half": half,
            "end": samples[-1], "max": max(samples)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=0.5, help="per measurement")
    parser.add_argument("--net", choices=("small", "big", "both"), default="both")
    parser.add_argument("--memory-steps", type=int, default=100_000)
    parser.add_argument("--switch-interval", type=float, help="ms; the GIL switch interval while training "
                        f"(the app's: {gil.SWITCH_INTERVAL * 1e3:g}; Python's default: 5)")
    parser.add_argument("--automatic-gc", action="store_true",
                        help="leave Python's cyclic collector automatic while training (the app collects from a "
                             "GUI-thread timer instead)")
    args = parser.parse_args()
    if args.switch_interval is not None:
        gil.SWITCH_INTERVAL = args.switch_interval / 1e3
    if args.automatic_gc:
        gc_guard.GuiThreadCollector.start = lambda self: None  # type: ignore[method-assign]
    app = create_app(sys.argv)  # as the app starts: BLAS on every core but one
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small, big = cases(folder)
        chosen = {"small": (small,), "big": (big,), "both": (small, big)}[args.net]
        rows = [bench_case(app, case, args.rounds, args.seconds, folder) for case in chosen]
        collector = "automatic" if args.automatic_gc else "from a GUI-thread timer"
        print(f"\nGIL switch interval while training {gil.SWITCH_INTERVAL * 1e3:g} ms (gui/training/gil.py), "
              f"cyclic garbage collection {collector} (gui/training/gc_guard.py), BLAS on "
              f"{blas_threads()} of {len(os.sched_getaffinity(0))} cores (gui/app.py), {args.rounds} rounds of "
              f"{args.seconds:g} s measurements; ratios are medians\n")
        print("| network | GUI steps/s | headless steps/s | ratio, steady (range), kept | ratio, all (IQR) "
              "| with the probe: steady | all | best / best | with the probe | tick gap p50 ms | p99 ms | max ms "
              "| headless on all cores / on the app's |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print(f"| {r['case']} | {r['gui']:,.0f} | {r['headless']:,.0f} | {r['steady_gui']} | {r['all_gui']} "
                  f"| {r['steady_probed']} | {r['all_probed']} | {r['best_gui']:.2f} | {r['best_probed']:.2f} "
                  f"| {r['p50']:.1f} | {r['p99']:.1f} | {r['max']:.1f} | {r['gain']:.2f} |")
        if args.memory_steps:
            m = bench_memory(app, small, args.memory_steps, folder)
            print("\n| run with live views | steps | seconds | RSS start MB | half-way MB | end MB | max MB |")
            print("|---|---:|---:|---:|---:|---:|---:|")
            print(f"| {m['case']} | {m['steps']:,} | {m['seconds']:.0f} | {m['start']:.0f} | {m['half']:.0f} "
                  f"| {m['end']:.0f} | {m['max']:.0f} |")


if __name__ == "__main__":
    main()
