"""How long the chain-rule explorer takes in the real window: a click on the canvas until the dock shows the numbers.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/explorer_gui_bench.py [--repeats 30]

A 784-128-10 network (softmax + cross-entropy, Adam with moments from three real steps, batches of 64) in the
main window with every dock. Each measurement clicks a weight (or a neuron, for its bias) on the canvas with the
mouse and stops when the panel's text has been set ("to text"), then when the event loop is idle again, the
canvas and the dock repainted ("to idle"). The Check button and the "Highlight all paths" toggle are timed the
same way. Target: ≤ 100 ms median from the click to the text. Prints a markdown table of medians (fastest run in
parentheses: the cost without interference on a shared machine).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QPointF, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine import BiasRef, History, Network, TrainSettings, WeightRef
from engine.project import DataSpec, Project
from engine.studio import RunState
from gui.explorer import ExplorerFeature
from gui.main_window import MainWindow


def network(sizes: tuple[int, ...]) -> Network:
    net = Network(seed=0)
    layers = [net.add_layer(sizes[0], "input", position=(0.0, 0.0))]
    layers += [net.add_layer(n, "hidden", "relu", position=(260.0 * (k + 1), 0.0)) for k, n in enumerate(sizes[1:-1])]
    layers.append(net.add_layer(sizes[-1], "output", "softmax", position=(260.0 * (len(sizes) - 1), 0.0)))
    for src, dst in itertools.pairwise(layers):
        net.connect(src.id, dst.id)
    return net


def project(sizes: tuple[int, ...], folder: Path) -> Project:
    """Random inputs and labels: the network's size, not the data, is what this measures."""
    rng = np.random.default_rng(0)
    path = folder / "random.csv"
    np.savetxt(path, np.column_stack([rng.normal(size=(256, sizes[0])), rng.integers(0, sizes[-1], 256)]),
               delimiter=",", fmt="%.6g")
    data = DataSpec("csv", str(path), {"target_column": -1, "task": "classification"}, val_fraction=0.0)
    settings = TrainSettings(loss="cross_entropy", optimizer="adam", optimizer_params={"lr": 0.001}, batch_size=64)
    return Project(network(sizes), settings, data, History())


def wait_until(app: QApplication, condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the explorer did not answer")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)


class Clock:
    """Times from an action to the panel's text being set (the panel's own method returning) and to idle."""

    def __init__(self, app: QApplication, ui: ExplorerFeature):
        self.app, self.ui = app, ui
        self.set_at: float | None = None
        panel = ui.panel
        for name in ("show_explanation", "show_check"):
            original = getattr(panel, name)

            def timed(*args, _original=original, **kwargs):
                _original(*args, **kwargs)
                self.set_at = time.perf_counter()

            setattr(panel, name, timed)

    def time(self, action: Callable[[], None], done: Callable[[], bool]) -> tuple[float, float]:
        self.app.processEvents()
        self.set_at = None
        start = time.perf_counter()
        action()
        wait_until(self.app, lambda: self.set_at is not None and done() and not self.ui.pending)
        text = self.set_at - start
        self.app.processEvents()  # the repaints the new text and highlights asked for
        return 1000 * text, 1000 * (time.perf_counter() - start)


def click(window: MainWindow, p: QPointF) -> None:
    view = window.view
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     view.mapFromScene(p))


def along(window: MainWindow, ref, t: float = 0.3) -> QPointF:
    scene = window.scene
    x1, y1, x2, y2 = scene.edge_layer.edges.lines[scene.edge_row(ref)]
    return QPointF(x1 + t * (x2 - x1), y1 + t * (y2 - y1))


def summary(times: list[float]) -> str:
    return f"{statistics.median(times):.1f} ({min(times):.1f})"


def bench(app: QApplication, sizes: tuple[int, ...], repeats: int, folder: Path) -> list[tuple[str, str, str]]:
    window = MainWindow(project(sizes, folder), settings=QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat))
    window.resize(1280, 800)
    window.show()
    ui = window.explorer
    ui.dock.raise_()
    controller = window.training.controller
    for _ in range(3):  # Adam's moments and a last batch, as after real training
        controller.step()
        wait_until(app, lambda: window.document.run_state is RunState.PAUSED)
    window.view.fit()
    net = window.network
    first, last = net.connections.values()
    h1 = first.target
    rng = np.random.default_rng(1)
    targets = {
        f"W in → h1 ({first.weight.value.size:,} weights)": [WeightRef(first.id, int(i), int(j)) for i, j in
                                                       zip(rng.integers(0, sizes[0], repeats),
                                                           rng.integers(0, sizes[1], repeats), strict=True)],
        f"W h1 → out ({last.weight.value.size:,} weights)": [WeightRef(last.id, int(i), int(j)) for i, j in
                                                       zip(rng.integers(0, sizes[1], repeats),
                                                           rng.integers(0, sizes[-1], repeats), strict=True)],
        "bias of h1 (a click on a neuron)": [BiasRef(h1, int(j)) for j in rng.integers(0, sizes[1], repeats)],
    }
    clock = Clock(app, ui)
    rows = []
    name = "-".join(map(str, sizes))
    for label, refs in targets.items():
        text, idle = [], []
        for ref in refs:  # from one weight to the next, as a user clicks around
            if isinstance(ref, BiasRef):
                point = window.scene.layer_item(h1).neurons[ref.j].scenePos()
            else:
                point = along(window, ref)

            def shown() -> bool:
                e, chosen = ui.panel.explanation, window.scene.selection()
                picked = chosen[2][:1] or [BiasRef(lid, j) for lid, j in chosen[1][:1]]
                return e is not None and bool(picked) and e.ref == picked[0]

            a, b = clock.time(lambda p=point: click(window, p), shown)
            text.append(a)
            idle.append(b)
        rows.append((f"{name}: click {label} → explanation", summary(text), summary(idle)))
    ref = targets[next(iter(targets))][0]
    window.scene.clear_selection()
    window.scene.select_weights([ref])
    wait_until(app, lambda: ui.panel.explanation is not None and not ui.pending)
    panel = ui.panel
    for label, action in (("Check", panel.check_button.click), ("Highlight all paths", panel.highlight_all.click)):
        text, idle = [], []
        for _ in range(repeats):
            if label == "Check":
                a, b = clock.time(action, lambda: ui.panel.check_result is not None)
                ui.panel.show_check(None)
            else:
                start = time.perf_counter()
                action()
                a = 1000 * (time.perf_counter() - start)
                app.processEvents()
                b = 1000 * (time.perf_counter() - start)
            text.append(a)
            idle.append(b)
        rows.append((f"{name}: {label} (W in → h1)", summary(text), summary(idle)))
    window.mark_saved()
    window.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as tmp:
        rows = bench(app, (784, 128, 10), args.repeats, Path(tmp))
    print(f"\n{args.repeats} runs each; milliseconds, median (fastest)\n")
    print("| action | to text | to idle (repainted) |")
    print("|---|---:|---:|")
    for label, text, idle in rows:
        print(f"| {label} | {text} | {idle} |")


if __name__ == "__main__":
    main()
