"""The timeline: recorded steps reproduce the run exactly, continue-from-here trains on bit-identically, and the
recording stays within its memory budget, dense early and thinned later."""

from __future__ import annotations

import numpy as np
import pytest
from training_runs import buffers, project, train

from engine import TrainingError, WeightRef, compiled
from engine.recording import DEFAULT_DENSE, Capture, dense_for, keeps
from engine.regularization import Penalty
from engine.studio import Document, RunState


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("k", [5, 7])  # 72 samples in batches of 16: step 5 ends an epoch, step 7 is in the middle
def test_continue_from_a_step_trains_on_bit_identically_to_the_uninterrupted_run(optimizer, k):
    later, more = 23, 15
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


def test_the_recording_stays_within_its_budget_dense_early_and_thinned_later():
    doc = Document(project(epochs=10**6))
    trainer = doc.session.trainer()
    frame_bytes = doc.recorder.memory  # step 0, recorded when the trainer was built
    doc.set_recording_budget(60 * frame_bytes)
    for _ in range(3000):
        trainer.step()
        assert doc.recorder.memory <= doc.recording_budget
    steps = doc.recorder.steps()
    gaps = np.diff(steps)
    assert 40 <= len(steps) <= 60 and steps[0] == 0 and steps[-1] >= 3000 - gaps[-1]
    assert gaps[0] == 1 and gaps[-1] > 64 and np.all(np.diff(gaps) >= 0)  # geometric: the gaps only grow
    doc.set_recording_budget(20 * frame_bytes)  # a smaller budget (Preferences) thins what is there at once
    assert doc.recorder.memory <= 20 * frame_bytes and doc.recorder.steps()[0] == 0


def test_a_viewed_step_explains_the_batch_that_step_used():
    reference = Document(project())
    train(reference, 9)
    batch_x, batch_t = reference.trainer().last_batch()
    doc = Document(project())
    train(doc, 20)
    doc.view_step(9)
    x, t = doc.trainer().last_batch()
    assert np.array_equal(x, batch_x) and np.array_equal(t, batch_t)
    doc.view_live()
    live_x, _ = doc.trainer().last_batch()
    assert not np.array_equal(live_x, batch_x)


def test_viewing_snaps_to_the_nearest_recorded_step_and_refuses_while_training():
    doc = Document(project())
    doc.set_recording_budget(10**9)
    doc.recorder.dense = 4  # steps 0-7, then every 2nd to 15, every 4th to 31...
    train(doc, 20)
    assert doc.recorder.steps() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20]
    assert doc.view_step(19) == 20 and doc.view_step(9) == 8
    with pytest.raises(TrainingError, match="not recorded"):
        doc.continue_from(9)
    doc.view_live()
    doc.set_run_state(RunState.RUNNING)
    with pytest.raises(TrainingError, match="pause training"):
        doc.view_step(3)


def test_a_change_of_the_networks_shape_starts_the_timeline_again():
    doc = Document(project())
    train(doc, 6)
    net = doc.network
    net.resize_layer(net.layers_of_kind("hidden")[0].id, 9)
    doc.refresh()
    train(doc, 2)
    assert doc.recorder.steps() == [7, 8]
    assert doc.view_step(7) == 7 and doc.snapshot is not None and doc.snapshot.step == 7


def test_editing_while_viewing_the_past_is_refused_with_a_reason_and_changes_nothing():
    doc = Document(project())
    train(doc, 8)
    doc.view_step(3)
    shown = buffers(doc)
    settings = repr(doc.project.settings)
    assert doc.edit_refusal is not None and doc.edit_refusal.startswith("Showing step 3 of the recorded run")
    for edit in (lambda: doc.edit_settings(lr=0.5), lambda: doc.set_data(doc.project.data)):
        with pytest.raises(TrainingError, match="press End to return to the live state"):
            edit()
    assert np.array_equal(buffers(doc), shown) and repr(doc.project.settings) == settings and doc.viewing == 3
    doc.view_live()
    assert doc.edit_refusal is None


def test_reset_weights_from_a_recorded_step_returns_to_the_live_state_and_keeps_the_run():
    doc = Document(project())
    train(doc, 8)
    doc.view_step(3)
    doc.reset_weights()  # the GUI's Reset, which the controller does not guard
    assert doc.viewing is None and [(r.start_step, r.end_step) for r in doc.runs] == [(0, 8)]
    assert doc.run(1).weights is not None and doc.recorder.steps() == [0]


def test_a_large_network_starts_thinned_so_it_copies_no_more_than_its_budget_keeps():
    budget = 200 * 2**20
    assert dense_for(6_000, budget) == DEFAULT_DENSE  # the 2-8-8-1 starter: every early step
    assert dense_for(26 * 2**20, budget) == 1  # 784-512-512-10 with Adam: powers of two only
    for frame_bytes in (6_000, 180_000, 3_400_000):
        dense = dense_for(frame_bytes, budget)
        kept = sum(1 for s in range(2**16) if keeps(s, dense))  # a run of 65,536 steps
        assert kept * frame_bytes <= budget


def test_a_new_project_starts_a_new_timeline_and_shows_its_runs():
    doc = Document(project())
    train(doc, 6)
    doc.view_step(2)
    seen = []
    doc.events.time_changed.connect(seen.append)
    doc.events.runs_changed.connect(seen.append)
    doc.replace(project(), "Other")
    assert seen == [None, ()] and doc.viewing is None and doc.recorder.steps() == [0]


@pytest.mark.parametrize("edit", ["typed weight", "cut weight"])
@pytest.mark.parametrize("trained", [0, 4])
def test_an_edit_while_idle_is_in_the_frame_training_goes_on_from(edit, trained):
    """The frame of the step training goes on from (step 0 is taken when the trainer is built) follows an edit
    made before training goes on: viewing that step later showed the weight as it was before the edit."""
    doc = Document(project())
    doc.refresh()
    train(doc, trained)
    c = next(iter(doc.network.connections.values()))
    if edit == "typed weight":
        value = c.weight.value.copy()
        value[0, 1] = 0.777
        doc.network.assign({("W", c.id): (value, None, None)})
    else:
        doc.network.set_present(c.id, 0, 1, False)
    edited = buffers(doc)
    train(doc, 3)
    doc.view_step(trained)
    assert np.array_equal(buffers(doc), edited)
    assert c.weight.value[0, 1] == (0.777 if edit == "typed weight" else 0.0)


@pytest.mark.parametrize("edit", ["frozen", "initialiser", "penalty"])
def test_an_edit_that_changes_no_number_leaves_the_frame_training_goes_on_from_as_it_is(edit):
    """Frozen flags, initialisers and penalties are not in a frame: retaking it for them copied every buffer (34 MB
    in the GUI thread on a 1M-weight net), while a cut, which zeroes numbers, must still be retaken (above)."""
    doc = Document(project())
    doc.refresh()
    train(doc, 2)
    frame = doc.recorder.frame(2)
    c = next(iter(doc.network.connections.values()))
    if edit == "frozen":
        doc.network.set_frozen(WeightRef(c.id, 0, 1), True)
    elif edit == "initialiser":
        doc.network.set_init(c.id, "he_normal")
    else:
        doc.network.set_penalty(c.id, Penalty("l2", 0.01))
    assert doc.recorder.frame(2) is frame
    doc.network.set_present(c.id, 0, 1, False)
    assert doc.recorder.frame(2) is not frame  # what the retaken frame holds: the test above


def test_a_structure_edit_leaves_the_recorded_frames_until_a_step_is_recorded_under_it():
    """Only edits of values retake the frame training goes on from, and not after a structure edit: the timeline
    never holds frames of two layouts."""
    doc = Document(project())
    train(doc, 3)
    steps, layout = doc.recorder.steps(), doc.recorder.frame(3).layout
    hidden = next(lay for lay in doc.network.layers.values() if lay.kind == "hidden")
    doc.network.resize_layer(hidden.id, hidden.size + 1)
    doc.network.set_dtype(np.float32)  # a value edit after the structure edit, before training
    assert doc.recorder.steps() == steps
    assert all(doc.recorder.frame(step).layout == layout for step in steps)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("steps", [0, 1, 6])
def test_a_first_frame_that_leaves_its_zeros_untouched_holds_the_same_numbers(optimizer, steps):
    """A timeline's first frame, taken in the GUI thread when a project opens, copies only its sections that are
    not all zeros; the numbers must be those a full copy holds, non-finite ones included."""
    doc = Document(project(optimizer))
    train(doc, steps)
    trainer = doc.session.trainer()
    c = trainer.compiled
    if steps == 6:
        c.buffers[len(c.buffers) // 3] = np.nan  # a gradient that went non-finite is copied, not left as 0
    full, lazy = Capture().take(trainer), Capture().take(trainer, zeros_untouched=True)
    assert full.moment_names == lazy.moment_names
    np.testing.assert_array_equal(lazy.data, full.data)
    assert lazy.data.dtype == full.data.dtype and (steps > 0 or not full.data[len(full.data) // 3:].any())
