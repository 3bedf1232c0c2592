"""Training with the window open and every live view on, against the engine alone, in the same process.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/training_gui_bench.py [--seconds 4]
        [--memory-steps 100000]

Prints markdown tables: throughput (steps/s with the GUI, headless, ratio), GUI responsiveness (gaps between the
ticks of a 5 ms QTimer while training) and resident memory over a long run. The headless rate is measured before
and after the GUI run and averaged, which cancels most of the drift of a shared machine.
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

from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from engine import History, Network, Trainer, TrainSettings, layered
from engine.project import DataSpec, Project
from gui.main_window import MainWindow
from gui.training.gil import SWITCH_INTERVAL

TICK_MS = 5


@dataclass
class Case:
    name: str
    sizes: tuple[int, ...]
    loss: str
    out_activation: str
    data: DataSpec


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


def headless_rate(case: Case, seconds: float) -> float:
    p = project(case)
    train, val, _ = p.data.load()
    trainer = Trainer(p.network, train.X, train.y, p.settings, val.X, val.y, p.history)
    for _ in range(20):
        trainer.step()
    start, steps = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        trainer.step()
        steps += 1
    return steps / (time.perf_counter() - start)


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
        self.ui.controller.watch([(("W", first.id), (0, j)) for j in range(4)])
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

    def train_for(self, seconds: float) -> tuple[float, np.ndarray]:
        """(steps per second, gaps between 5 ms timer ticks in ms) over `seconds` of training."""
        seen = []
        self.controller.snapshot_ready.connect(seen.append)
        self.controller.train()
        self.wait(lambda: len(seen) > 2, 30)
        ticks: list[int] = []
        clock = QElapsedTimer()
        clock.start()
        timer = QTimer(timerType=Qt.TimerType.PreciseTimer, interval=TICK_MS)
        timer.timeout.connect(lambda: ticks.append(clock.nsecsElapsed()))
        start_step, start = seen[-1].step, time.perf_counter()
        timer.start()
        deadline = start + seconds
        self.wait(lambda: time.perf_counter() > deadline, seconds + 1)
        timer.stop()
        end_step, end = seen[-1].step, time.perf_counter()
        self.controller.pause()
        self.wait(lambda: self.controller.state != "running", 30)
        self.controller.snapshot_ready.disconnect(seen.append)
        return (end_step - start_step) / (end - start), np.diff(np.array(ticks)) / 1e6

    def close(self) -> None:
        self.window.project.history.clear()
        self.window.mark_saved()  # a benchmark has nothing to save: no prompt
        self.window.close()


def bench_case(app: QApplication, case: Case, seconds: float, folder: Path) -> dict:
    before = headless_rate(case, seconds)
    run = GuiRun(app, case, folder)
    gui_rate, gaps = run.train_for(seconds)
    run.close()
    after = headless_rate(case, seconds)
    headless = (before + after) / 2
    return {"case": case.name, "gui": gui_rate, "headless": headless, "ratio": gui_rate / headless,
            "p50": np.percentile(gaps, 50), "p99": np.percentile(gaps, 99), "max": gaps.max()}


def bench_memory(app: QApplication, case: Case, steps: int, folder: Path) -> dict:
    run = GuiRun(app, case, folder)
    shown = [0, 0]  # snapshots seen, the last one's step (keeping the snapshots themselves would be the leak)

    def count(snapshot) -> None:
        shown[:] = [shown[0] + 1, snapshot.step]

    run.controller.snapshot_ready.connect(count)
    run.controller.train()
    run.wait(lambda: shown[0] > 2, 30)
    start_rss, start, first = rss_mb(), time.perf_counter(), shown[1]
    samples = [start_rss]
    while shown[1] < first + steps:
        run.wait(lambda: False, 1.0)
        samples.append(rss_mb())
    seconds = time.perf_counter() - start
    run.controller.pause()
    run.wait(lambda: run.controller.state != "running", 30)
    run.close()
    half = samples[len(samples) // 2]
    return {"case": case.name, "steps": shown[1] - first, "seconds": seconds, "start": start_rss, "half": half,
            "end": samples[-1], "max": max(samples)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--memory-steps", type=int, default=100_000)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small = Case("2-16-16-1 (circles, 800 samples)", (2, 16, 16, 1), "bce", "sigmoid",
                     DataSpec("generator", "circles", {"n_samples": 1000, "seed": 0}))
        big = Case("784-128-10 (random, 1000 samples)", (784, 128, 10), "cross_entropy", "softmax",
                   DataSpec("csv", str(random_csv(folder, 1000, 784, 10)),
                            {"target_column": -1, "task": "classification"}))
        rows = [bench_case(app, case, args.seconds, folder) for case in (small, big)]
        print(f"\nGIL switch interval while training {SWITCH_INTERVAL * 1e3:g} ms (gui/training/gil.py), "
              f"{args.seconds:g} s per measurement\n")
        print("| network | GUI steps/s | headless steps/s | ratio | tick gap p50 ms | p99 ms | max ms |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print(f"| {r['case']} | {r['gui']:,.0f} | {r['headless']:,.0f} | {r['ratio']:.2f} | {r['p50']:.1f} "
                  f"| {r['p99']:.1f} | {r['max']:.1f} |")
        if args.memory_steps:
            m = bench_memory(app, small, args.memory_steps, folder)
            print("\n| run with live views | steps | seconds | RSS start MB | half-way MB | end MB | max MB |")
            print("|---|---:|---:|---:|---:|---:|---:|")
            print(f"| {m['case']} | {m['steps']:,} | {m['seconds']:.0f} | {m['start']:.0f} | {m['half']:.0f} "
                  f"| {m['end']:.0f} | {m['max']:.0f} |")


if __name__ == "__main__":
    main()
