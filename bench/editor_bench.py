"""Canvas benchmark: build the scene, move a layer, recolour + repaint every edge, for 1k to 100k weights.

Run: `QT_QPA_PLATFORM=offscreen .venv/bin/python bench/editor_bench.py [--repeats N]`. Prints a markdown table
of medians in milliseconds. Targets (the issue): recolour + repaint ≤ 16 ms at 5k weights and ≤ 33 ms at 10k;
build ≤ 0.5 s at 100k. "Repaint" renders the whole scene, fitted, into a 1200×800 image, as a window would.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QImage, QPainter, QUndoStack
from PySide6.QtWidgets import QApplication

from engine import Network, TrainSettings, layered
from engine.project import DataSpec, Project
from engine.studio import Document
from gui import commands
from gui.editor import EditorScene
from gui.editor.layout import layered_positions
from gui.editor.painting import draw_lines

NETWORKS = {  # label -> layer sizes (dense, layer to layer)
    "1k": (32, 32),
    "5k": (70, 72),
    "10k": (100, 100),
    "100k (784-128-10)": (784, 128, 10),
}
IMAGE = (1200, 800)


def network(sizes: tuple[int, ...]) -> Network:
    net = layered(sizes)
    for lid, position in layered_positions(net).items():
        net.move_layer(lid, position)
    return net


def median_ms(run, repeats: int) -> float:
    run()  # warm-up: caches, first allocation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def render(scene: EditorScene, image: QImage, source: QRectF) -> None:
    painter = QPainter(image)
    scene.render(painter, QRectF(image.rect()), source)
    painter.end()


def build_ms(document: Document, repeats: int) -> float:
    """Scene construction only: each scene built is let go of (unsubscribed, items removed) outside the timing."""
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        scene = EditorScene(document, QUndoStack())
        times.append(time.perf_counter() - start)
        scene.set_network(Network())
    return 1000 * statistics.median(times[1:])


def measure(sizes: tuple[int, ...], repeats: int) -> dict[str, float | int]:
    net = network(sizes)
    document = Document(Project(net, TrainSettings(), DataSpec("generator", "circles")))  # one, as in the window
    build = build_ms(document, repeats)
    scene = EditorScene(document, QUndoStack())
    image = QImage(*IMAGE, QImage.Format.Format_ARGB32_Premultiplied)
    source = scene.itemsBoundingRect()
    middle = list(net.layers)[len(net.layers) // 2]
    x, y = net.layer(middle).position
    offsets = itertools.cycle([(0.0, 25.0), (0.0, 0.0)])

    def move() -> None:
        dx, dy = next(offsets)
        scene.push(commands.move(net, {middle: (x + dx, y + dy)}, object()))

    rng = np.random.default_rng(0)
    grads = [{c.id: np.abs(rng.normal(size=c.weight.shape)) * 10.0 ** rng.uniform(-6, 0, c.weight.shape)
              for c in net.connections.values()} for _ in range(4)]
    frames = itertools.cycle(grads)

    def recolour_and_repaint() -> None:
        scene.set_edge_values(next(frames), "magnitude")
        render(scene, image, source)

    result = {
        "weights": net.n_weights,
        "build": build,
        "move": median_ms(move, repeats),
        "recolour": median_ms(lambda: scene.set_edge_values(next(frames), "magnitude"), repeats),
        "repaint": median_ms(lambda: render(scene, image, source), repeats),
        "recolour + repaint": median_ms(recolour_and_repaint, repeats),
        "drawn": scene.edge_layer.drawn,
    }
    scene.set_network(Network())
    return result


def draw_lines_ms(n: int, repeats: int) -> tuple[float, float]:
    """The same n lines drawn from a list of QLineF and from the NumPy buffer (what the edge layer does)."""
    rng = np.random.default_rng(0)
    x0, y0, y1 = rng.uniform(0, 300, n), rng.uniform(0, 700, n), rng.uniform(0, 700, n)
    lines = np.ascontiguousarray(np.column_stack([x0, y0, x0 + 50, y0 + (y1 - y0) / 20]))
    image = QImage(*IMAGE, QImage.Format.Format_ARGB32_Premultiplied)

    def paint(draw) -> None:
        painter = QPainter(image)
        for block in np.array_split(lines, 64):  # 64 colour bins, one call each
            draw(painter, np.ascontiguousarray(block))
        painter.end()

    as_list = median_ms(lambda: paint(lambda p, b: p.drawLines([QLineF(*row) for row in b.tolist()])), repeats)
    as_buffer = median_ms(lambda: paint(draw_lines), repeats)
    return as_list, as_buffer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    QApplication.instance() or QApplication([])
    columns = ["weights", "build", "move", "recolour", "repaint", "recolour + repaint", "drawn"]
    print(f"Medians of {args.repeats} runs, ms; image {IMAGE[0]}×{IMAGE[1]}; 'drawn' = edges the last paint drew.\n")
    print("| network | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for label, sizes in NETWORKS.items():
        row = measure(sizes, args.repeats)
        cells = [f"{row[c]:,}" if isinstance(row[c], int) else f"{row[c]:.1f}" for c in columns]
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)
    as_list, as_buffer = draw_lines_ms(10_000, args.repeats)
    print(f"\ndrawLines of 10,000 short lines (~50 px) in 64 calls: QLineF list {as_list:.1f} ms, "
          f"NumPy buffer {as_buffer:.1f} ms")


if __name__ == "__main__":
    main()
