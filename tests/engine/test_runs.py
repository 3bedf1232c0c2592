"""Runs: each run from Train to Stop, Reset or continue-from-here is kept with what it was and how it went, in the
document and in the project file."""

from __future__ import annotations

import json

import numpy as np
import pytest
from training_runs import buffers, project, train

from engine import ProjectError, TrainingError, compiled
from engine.cli import main
from engine.project import VERSION, load_project, runs_codec, save_project
from engine.regularization import Penalty
from engine.runs import MAX_POINTS, decimate, differences, legend_labels
from engine.studio import Document, RunState


def stop(document: Document) -> None:
    document.set_run_state(RunState.STOPPED)


def two_runs() -> Document:
    """Run 1 at lr 0.05 (stopped), then a reset and run 2 at lr 0.01 (ended by the reset's twin: Stop)."""
    doc = Document(project("adam"))
    train(doc, 12)
    stop(doc)
    doc.reset_weights()
    doc.edit_settings(lr=0.01)
    train(doc, 9)
    stop(doc)
    return doc


def test_a_run_from_train_to_stop_is_kept_with_its_settings_curves_metrics_and_weights():
    doc = Document(project("adam"))
    seen = []
    doc.events.runs_changed.connect(seen.append)
    train(doc, 10)  # 10 steps of 16 samples: two epochs of 72 and part of a third
    assert doc.runs == ()  # paused: the run goes on
    train(doc, 5)
    stop(doc)
    (run,) = doc.runs
    assert seen == [(run,)]
    assert (run.id, run.name, run.start_step, run.end_step, run.parent) == (1, "Run 1", 0, 15, None)
    assert run.settings["optimizer"] == "adam" and run.settings["optimizer_params"]["lr"] == 0.05
    assert run.seed == 3 and run.network_seed == 1 and run.data["name"] == "circles" and run.architecture == "2-6-1"
    assert np.array_equal(run.losses, doc.project.history.losses.data())
    assert np.array_equal(run.epochs, doc.project.history.epochs.data(), equal_nan=True)
    assert run.final["train_loss"] == doc.project.history.epochs.data()[-1, 2] and "train_accuracy" in run.final
    assert run.duration >= 0
    for key, param in doc.network.parameters():
        assert np.array_equal(run.weights[key], param.value)


def test_reset_and_continue_from_here_end_the_run_and_the_branch_names_its_parent():
    doc = Document(project())
    train(doc, 8)
    doc.reset_weights()  # ends run 1
    train(doc, 20)
    doc.continue_from(4)  # ends run 2 (steps 0-20); the steps after 4 stay in it
    train(doc, 3)
    stop(doc)
    assert [(r.id, r.start_step, r.end_step, r.parent) for r in doc.runs] == [(1, 0, 8, None), (2, 0, 20, None),
                                                                              (3, 4, 7, 2)]


def test_runs_can_be_renamed_deleted_and_put_back():
    doc = two_runs()
    doc.rename_run(2, "  slow  ")
    assert [r.name for r in doc.runs] == ["Run 1", "slow"]
    with pytest.raises(TrainingError, match="cannot be empty"):
        doc.rename_run(2, " ")
    index, run = doc.delete_run(1)
    assert [r.id for r in doc.runs] == [2]
    doc.insert_run(index, run)
    assert [r.id for r in doc.runs] == [1, 2]
    with pytest.raises(TrainingError, match="no run 7"):
        doc.delete_run(7)


def test_restoring_a_runs_weights_trains_on_from_them_and_undo_puts_the_live_state_back():
    doc = two_runs()
    live = buffers(doc)
    checkpoint = doc.restore_run(1)
    for key, param in doc.network.parameters():
        assert np.array_equal(param.value, doc.run(1).weights[key])
    assert doc.session.trainer().step_count == 0 and doc.session.trainer().optimizer.t == 0
    doc.restore(checkpoint)
    assert np.array_equal(buffers(doc), live) and [r.id for r in doc.runs] == [1, 2]


def test_restoring_a_run_of_another_network_is_refused():
    doc = two_runs()
    net = doc.network
    net.resize_layer(net.layers_of_kind("hidden")[0].id, 7)
    with pytest.raises(TrainingError, match="trained another network"):
        doc.restore_run(1)


def test_the_legend_names_what_differs():
    doc = two_runs()
    doc.edit_settings(epochs=500)  # a budget is when a run stops, not how it learns: not named
    doc.edit_settings(batch_size=8)
    train(doc, 3)
    stop(doc)
    a, b, c = doc.runs
    assert differences(b, c) == "batch_size 16 vs 8"
    assert legend_labels([a, b, c]) == ["lr 0.05, batch_size 16", "lr 0.01, batch_size 16", "lr 0.01, batch_size 8"]
    assert differences(a, b) == "lr 0.05 vs 0.01"
    assert legend_labels([a, b]) == ["lr 0.05", "lr 0.01"]
    assert legend_labels([a, a]) == ["Run 1", "Run 1"] and differences(a, a) == "same settings"


def test_the_legend_names_a_change_of_regularisation_readably():
    doc = two_runs()
    doc.edit_settings(penalty=Penalty("l2", 0.01))
    train(doc, 3)
    stop(doc)
    _, b, c = doc.runs
    assert differences(b, c) == "penalty none vs L2 λ = 0.01 (λ/2·Σw²)"


def test_curves_are_decimated_to_a_bounded_number_of_rows_keeping_the_ends():
    rows = np.column_stack([np.arange(5000.0), np.linspace(1, 0, 5000)])
    short = decimate(rows)
    assert len(short) == MAX_POINTS and short[0, 0] == 0 and short[-1, 0] == 4999
    assert np.all(np.diff(short[:, 0]) > 0)


def test_runs_survive_save_and_open(tmp_path):
    doc = two_runs()
    doc.rename_run(1, "fast")
    save_project(doc.project, tmp_path / "p.bps.json")
    again = load_project(tmp_path / "p.bps.json")
    assert again.runs_made == 2
    for saved, loaded in zip(doc.runs, again.runs, strict=True):
        for name in ("id", "name", "started", "settings", "data", "network_seed", "architecture", "start_step",
                     "end_step", "final", "duration", "parent"):
            assert getattr(loaded, name) == getattr(saved, name), name
        assert np.array_equal(loaded.losses, saved.losses) and np.array_equal(loaded.epochs, saved.epochs, True)
        assert saved.weights.keys() == loaded.weights.keys()
        assert all(np.array_equal(saved.weights[k], loaded.weights[k]) for k in saved.weights)


def test_only_the_newest_runs_weights_are_saved_beyond_the_bound(tmp_path, monkeypatch):
    doc = two_runs()
    per_run = sum(p.value.size for _, p in doc.network.parameters())
    monkeypatch.setattr(runs_codec, "MAX_SAVED_WEIGHTS", per_run)
    save_project(doc.project, tmp_path / "p.bps.json")
    again = load_project(tmp_path / "p.bps.json")
    assert again.runs[0].weights is None and again.runs[1].weights is not None


def test_a_version_1_file_opens_with_no_runs_and_saves_in_the_current_version(tmp_path):
    doc = Document(project())
    path = tmp_path / "old.bps.json"
    save_project(doc.project, path)
    old = json.loads(path.read_text())
    del old["runs"], old["runs_made"]
    old["version"] = 1
    path.write_text(json.dumps(old))
    loaded = load_project(path)
    assert loaded.runs == [] and loaded.runs_made == 0
    save_project(loaded, path)
    assert json.loads(path.read_text())["version"] == VERSION == 2


@pytest.mark.parametrize(("mutate", "words"), [
    (lambda doc: doc["runs"][0].update(losses=[[0, 1]] * (MAX_POINTS + 1)), "runs[0].losses: a run's curve has"),
    (lambda doc: doc["runs"][1].update(id=1), "runs: two runs have the same id"),
    (lambda doc: doc.update(runs_made=1), "runs_made: must be ≥ 2"),
    (lambda doc: doc["runs"][0]["settings"].update(optimizer="nope"), "runs[0].settings.optimizer: unknown value"),
    (lambda doc: doc["runs"][0]["weights"][0].update(kind="X"), "runs[0].weights[0].kind: unknown value"),
])
def test_a_bad_run_in_a_file_names_its_field(tmp_path, mutate, words):
    path = tmp_path / "p.bps.json"
    save_project(two_runs().project, path)
    doc = json.loads(path.read_text())
    mutate(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(ProjectError) as info:
        load_project(path)
    assert words in f"{info.value.field}: {info.value}"


def test_info_lists_the_runs(tmp_path, capsys):
    doc = two_runs()
    doc.rename_run(2, "slow one")
    save_project(doc.project, tmp_path / "p.bps.json")
    assert main(["info", str(tmp_path / "p.bps.json")]) == 0
    out = capsys.readouterr().out
    assert "runs: 2 kept" in out
    assert "[1] Run 1: steps 0–12" in out and "[2] slow one: steps 0–9" in out
    assert "adam (lr=0.01)" in out and "final weights kept" in out


def test_viewing_the_past_then_stopping_keeps_the_live_weights_in_the_run():
    doc = Document(project())
    train(doc, 10)
    live = compiled(doc.network).value.copy()
    doc.view_step(3)
    stop(doc)
    assert doc.viewing is None
    flat = np.concatenate([doc.run(1).weights[key].ravel() for key, _ in doc.network.parameters()])
    assert np.array_equal(flat, live)
