"""The engine learns: each classic task reaches its bar within a fixed epoch budget and seed."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Trainer, TrainSettings, layered
from engine.datasets import generate, split


def build(sizes, hidden="tanh", out="sigmoid", seed=0):
    return layered(sizes, hidden, out, seed=seed)


def train(net, data, settings, val_fraction=0.25):
    tr, va = split(data, val_fraction, seed=1)
    trainer = Trainer(net, tr.X, tr.y, settings, va.X, va.y)
    for _ in trainer.run():
        pass
    return trainer


def test_xor_to_100_percent():
    net = build([2, 4, 1])
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    trainer = Trainer(net, x, np.array([0, 1, 1, 0]),
                      TrainSettings(loss="bce", optimizer="adam", optimizer_params={"lr": 0.05}, batch_size=4,
                                    epochs=400))
    for _ in trainer.run():
        pass
    assert trainer.evaluate(trainer.x, trainer.t)[1] == 1.0


@pytest.mark.slow
def test_circles_97_percent_validation():
    trainer = train(build([2, 8, 8, 1]), generate("circles", n_samples=600, seed=0),
                    TrainSettings(loss="bce", optimizer="adam", optimizer_params={"lr": 0.02}, batch_size=32,
                                  epochs=150))
    assert trainer.history.epochs.data()[-1, 5] >= 0.97


@pytest.mark.slow
def test_spiral_95_percent_validation():
    trainer = train(build([2, 32, 32, 3], out="softmax"), generate("spiral", n_samples=600, n_classes=3, seed=0),
                    TrainSettings(loss="cross_entropy", optimizer="adam", optimizer_params={"lr": 0.01},
                                  batch_size=32, epochs=300))
    assert trainer.history.epochs.data()[-1, 5] >= 0.95


@pytest.mark.slow
def test_sine_regression_r2_098():
    trainer = train(build([1, 16, 16, 1], out="identity"), generate("sine", n_samples=400, noise=0.05, seed=0),
                    TrainSettings(loss="mse", optimizer="adam", optimizer_params={"lr": 0.01}, batch_size=32,
                                  epochs=200))
    assert trainer.history.epochs.data()[-1, 5] >= 0.98
