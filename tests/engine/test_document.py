"""The document owns what the window shows and says every change through one typed signal; no Qt needed."""

from __future__ import annotations

import numpy as np
import pytest

from engine import DataError, TrainingError, WeightRef, compiled, gradient_check, layered
from engine.explain import StepThrough, explain_weight
from engine.project import DataSpec, Project, empty_project, open_example
from engine.studio import Document, RunState, Selection
from engine.training import TrainSettings


def recorder(document: Document) -> list[tuple[str, object]]:
    """Every event the document emits, in order, as (signal name, value)."""
    seen: list[tuple[str, object]] = []
    for name, signal in vars(document.events).items():
        signal.connect(lambda value, name=name: seen.append((name, value)))
    return seen


def circles(epochs: int = 3, optimizer: str = "adam") -> Project:
    net = layered([2, 6, 1], output="sigmoid", seed=1)
    settings = TrainSettings(loss="bce", optimizer=optimizer, optimizer_params={"lr": 0.05}, batch_size=16,
                             epochs=epochs)
    return Project(net, settings, DataSpec("generator", "circles", {"n_samples": 80}))


def run(document: Document) -> None:
    trainer = document.trainer()
    for _ in trainer.run():
        pass
    document.take_over(trainer)


def test_replacing_the_project_tells_every_view_and_forgets_the_last_ones_state():
    doc = Document(circles())
    doc.refresh()
    doc.select(Selection(layers=(1,)))
    doc.set_run_state(RunState.PAUSED)
    doc.post("Paused")
    doc.mark_modified()
    seen = recorder(doc)
    other = circles()
    doc.replace(other, "Other")
    names = [name for name, _ in seen]
    assert names[:6] == ["project_replaced", "selection_changed", "run_state_changed", "status_changed",
                         "modified_changed", "watched_changed"]
    assert {"data_loaded", "snapshot_published"} <= set(names[6:])  # the new project's data and weights
    assert doc.project is other and doc.title == "Other"
    assert doc.selection == Selection() and doc.run_state is RunState.STOPPED
    assert doc.status.text == "" and not doc.modified
    assert doc.snapshot is not None and doc.snapshot.step == 0


def test_a_cannot_train_message_is_cleared_by_the_check_that_passes():
    project = circles()
    net = project.network
    hidden = net.layers_of_kind("hidden")[0]
    cut = net.find_connection(hidden.id, net.output_layer.id)
    net.remove_connection(cut.id)
    doc = Document(project)
    doc.refresh()
    assert doc.status.error and doc.status.blocking and "feeds nothing" in doc.status.text
    net.connect(hidden.id, net.output_layer.id)
    doc.refresh()
    assert not doc.status.error and "Ready" in doc.status.text


def test_run_messages_are_not_cleared_by_a_check():
    doc = Document(circles())
    doc.post("Training stopped: epoch budget of 3 reached.")
    doc.refresh()
    assert doc.status.text.startswith("Training stopped")


def test_the_budget_is_extended_only_when_used_up():
    doc = Document(circles(epochs=2))
    assert doc.extend_budget() is None
    run(doc)
    assert doc.trainer().epoch == 2
    assert doc.extend_budget() == 4
    run(doc)
    assert doc.trainer().epoch == 4


def test_only_the_learning_rate_and_batch_size_change_while_running():
    doc = Document(circles())
    seen = recorder(doc)
    doc.set_run_state(RunState.RUNNING)
    doc.edit_settings(lr=0.5, batch_size=8)
    assert doc.project.settings.optimizer_params["lr"] == 0.5 and doc.project.settings.batch_size == 8
    with pytest.raises(TrainingError, match="only when paused"):
        doc.edit_settings(loss="mse")
    with pytest.raises(TrainingError, match="learning rate"):
        doc.edit_settings(lr=0.0)
    with pytest.raises(TrainingError):
        doc.reset_weights()
    assert [name for name, _ in seen].count("settings_changed") == 1


def test_a_watched_weight_that_is_cut_is_no_longer_watched():
    doc = Document(circles())
    c = next(iter(doc.network.connections.values()))
    kept, cut = WeightRef(c.id, 0, 0), WeightRef(c.id, 1, 0)
    doc.set_watched([kept, cut, kept])
    assert doc.watched == (kept, cut)
    seen = recorder(doc)
    doc.network.set_present(c.id, 1, 0, False)
    assert doc.watched == (kept,) and seen == [("watched_changed", (kept,))]


def test_reset_weights_starts_a_new_curve_from_fresh_weights():
    doc = Document(circles())
    run(doc)
    before = compiled(doc.network).value.copy()
    seen = recorder(doc)
    doc.reset_weights()
    names = [name for name, _ in seen]
    assert names.index("run_reset") < names.index("snapshot_published")  # views clear, then show the new start
    assert doc.snapshot.step == 0 and len(doc.snapshot.losses) == 0
    assert not np.array_equal(compiled(doc.network).value, before)
    assert doc.project.optimizer_t == 0 and doc.modified


def test_an_example_finds_its_csv_beside_it_whatever_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project = open_example("Lecture notes 4-3-2-1 (Iris)")
    assert project.path is None and project.data.kind == "csv"
    doc = Document(project)
    doc.refresh()
    assert not doc.status.error, doc.status
    run(doc)
    assert doc.trainer().step_count > 0


def test_new_is_an_empty_network_on_the_starters_data():
    project = empty_project()
    assert project.network.layers == {} and project.data.kind == "generator"
    doc = Document(project)
    doc.refresh()
    assert doc.status.error  # nothing to train yet, and it says so


def test_explanations_and_checks_never_touch_the_buffers_that_train():
    """One owner per array: the trainer's plan. Explaining, checking and previewing run on private copies."""
    doc = Document(circles(optimizer="adam"))
    run(doc)
    trainer = doc.trainer()
    plan = compiled(doc.network)
    buffers, moments = plan.buffers.copy(), {k: v.copy() for k, v in plan.state.items()}
    x, t = trainer.last_batch()
    y = t[:, 0]
    c = next(iter(doc.network.connections.values()))
    ref = WeightRef(c.id, 0, 0)
    explain_weight(doc.network, ref, x, y, "bce", optimizer=trainer.optimizer, check=True)
    StepThrough(doc.network, x[0], y[0], "bce", optimizer=trainer.optimizer)
    gradient_check(doc.network, x, y, "bce")
    assert compiled(doc.network) is plan
    assert np.array_equal(plan.buffers, buffers)  # bit for bit: weights, last gradients, last updates
    assert all(np.array_equal(plan.state[k], v) for k, v in moments.items())
    assert np.shares_memory(c.weight.value, plan.value)  # the network still reads the buffers that train


def test_a_private_copy_is_seen_by_nobody_else():
    net = layered([2, 3, 1], seed=0)
    plan = compiled(net)
    mine = plan.private_copy()
    mine.value[:] = 7.0
    mine.forward(np.ones((2, 2)))
    assert not np.any(plan.value == 7.0)
    assert not any(np.shares_memory(p.value, mine.buffers) for _, p in net.parameters())
    assert np.shares_memory(mine.plans[0].incoming[0][1], mine.buffers)


def test_a_new_data_set_is_loaded_once_and_a_broken_one_changes_nothing(tmp_path):
    doc = Document(circles())
    doc.refresh()
    before, version = doc.project.data, doc.session.data_version
    (tmp_path / "bad.csv").write_text("x1,x2,y\n1,2,0\n3,oops,1\n")
    with pytest.raises(DataError, match="line 3"):
        doc.set_data(DataSpec("csv", str(tmp_path / "bad.csv")))
    assert doc.project.data is before and doc.session.data_version == version
    seen = recorder(doc)
    doc.set_data(DataSpec("generator", "moons", {"n_samples": 60}))
    assert [name for name, _ in seen].count("data_loaded") == 1
    assert doc.session.data_version == version + 1  # the recipe's check was the load the trainer uses
    assert doc.trainer().x.shape[0] + len(doc.session.data()[1].X) == 60
