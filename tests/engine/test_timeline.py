"""The timeline: recorded steps reproduce the run exactly, continue-from-here trains on bit-identically, and the
recording stays within its memory budget, dense early and thinned later."""

from __future__ import annotations

import numpy as np
import pytest

from engine import TrainingError, compiled, layered
from engine.project import DataSpec, Project
from engine.recording import keeps
from engine.studio import Document, RunState
from engine.training import TrainSettings


def project(optimizer: str = "adam", epochs: int = 50, seed: int = 3) -> Project:
    net = layered([2, 6, 1], output="sigmoid", seed=1)
    params = {"lr": 0.05, **({"momentum": 0.9} if optimizer == "sgd" else {})}
    settings = TrainSettings(loss="bce", optimizer=optimizer, optimizer_params=params, batch_size=16, epochs=epochs,
                             seed=seed)
    return Project(net, settings, DataSpec("generator", "circles", {"n_samples": 72}))


def train(document: Document, steps: int) -> None:
    """`steps` steps as the GUI's controller runs them: RUNNING, the trainer's steps, then PAUSED."""
    document.set_run_state(RunState.RUNNING)
    trainer = document.session.trainer()
    for _ in range(steps):
        trainer.step()
    document.take_over(trainer)
    document.set_run_state(RunState.PAUSED)


def buffers(document: Document) -> np.ndarray:
    return compiled(document.network).buffers.copy()


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_continue_from_a_step_trains_on_bit_identically_to_the_uninterrupted_run(optimizer):
    k, later, more = 7, 23, 15  # step 7 is mid-epoch (72 samples, batches of 16): the position in it matters
    reference = Document(project(optimizer))
    train(reference, k + more)
    doc = Document(project(optimizer))
    train(doc, later)
    doc.continue_from(k)
    assert doc.session.trainer().step_count == k
    train(doc, more)
    assert np.array_equal(buffers(doc), buffers(reference))
    moments = compiled(doc.network).state
    assert moments is not None or optimizer == "sgd"
    for name, arr in (compiled(reference.network).state or {}).items():
        assert np.array_equal(arr, compiled(doc.network).state[name])


def test_viewing_a_step_shows_its_recorded_weights_and_gradients_and_live_comes_back_exactly():
    doc = Document(project())
    train(doc, 5)
    recorded = compiled(doc.network).buffers.copy()
    train(doc, 10)
    live = buffers(doc)
    seen = []
    doc.events.time_changed.connect(seen.append)
    assert doc.view_step(5) == 5 and doc.viewing == 5
    c = compiled(doc.network)
    assert np.array_equal(c.buffers, recorded)  # weights, this step's gradients and updates
    snap = doc.snapshot
    assert snap is not None and snap.past and snap.step == 5
    conn = next(iter(doc.network.connections.values()))
    assert np.array_equal(snap.weights[conn.id], conn.weight.value)
    assert np.array_equal(snap.grads[conn.id], conn.weight.grad)
    with pytest.raises(TrainingError, match="press End"):
        doc.edit_settings(batch_size=8)
    with pytest.raises(TrainingError, match="press End"):
        doc.session.trainer()  # training refuses while a past step is shown
    doc.view_live()
    assert np.array_equal(buffers(doc), live) and doc.viewing is None
    assert seen == [5, None]


def test_the_recording_keeps_every_early_step_then_thins_geometrically():
    assert [s for s in range(40) if keeps(s, 8)] == [*range(16), *range(16, 32, 2), *range(32, 40, 4)]


def test_undo_of_continue_from_puts_everything_back():
    doc = Document(project())
    train(doc, 20)
    before = buffers(doc)
    losses = doc.project.history.losses.data()
    steps = doc.recorder.steps()
    checkpoint = doc.continue_from(6)
    assert doc.recorder.steps()[-1] == 6 and len(doc.runs) == 1
    doc.restore(checkpoint)
    assert np.array_equal(buffers(doc), before)
    assert np.array_equal(doc.project.history.losses.data(), losses, equal_nan=True)
    assert doc.recorder.steps() == steps and doc.runs == ()
