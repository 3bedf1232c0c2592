"""Project files: exact round trips, atomic saves, examples, and a precise error for every kind of bad file."""

from __future__ import annotations

import filecmp
import importlib.util
import json
import math
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import BiasRef, History, Network, ProjectError, TrainSettings, WeightRef, layered, validate
from engine.datasets import generate, split
from engine.project import EXAMPLES, FORMAT, SUFFIX, DataSpec, Project, load_project, new_project, save_project
from engine.project import files as project_files
from engine.project import migrate as project_migrate
from engine.project.fields import Field

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------------------------- fixtures
def rich_project(dtype=np.float64, optimizer: str = "adam", val_fraction: float = 0.25, steps: int = 70) -> Project:
    """A trained project using every feature the format stores: a skip connection, a sparse pair connection,
    a cut weight, frozen weights and biases, an id gap, optimiser moments, a wrapped history ring, GUI state."""
    net = Network(seed=7, dtype=dtype)
    inp = net.add_layer(2, "input", position=(0.0, 0.0))
    h1 = net.add_layer(5, activation="relu", name="hidden A", position=(200.0, -50.25))
    h2 = net.add_layer(3, activation="gelu", position=(400.0, 50.0))
    out = net.add_layer(3, "output", activation="softmax", position=(600.0, 0.5))
    first = net.connect(inp.id, h1.id, init="he_normal")
    net.connect(h1.id, h2.id)
    net.connect(h2.id, out.id)
    net.connect(inp.id, out.id)  # skip
    net.add_weight(h1.id, 4, out.id, 2)  # a connection of one drawn neuron pair
    net.set_present(first.id, 0, 1, False)
    net.set_frozen(WeightRef(first.id, 1, 2), True)
    net.set_frozen(BiasRef(h2.id, 0), True)
    net.remove_layer(net.add_layer(2).id)  # leaves a gap in the ids
    params = {"lr": 0.01, "weight_decay": 1e-4} if optimizer == "adam" else {"lr": 0.05, "momentum": 0.9}
    settings = TrainSettings(loss="cross_entropy", optimizer=optimizer, optimizer_params=params, batch_size=8,
                             epochs=5, target_loss=1e-3, patience=10, min_delta=1e-5, seed=3)
    data = DataSpec("generator", "spiral", {"n_samples": 60, "n_classes": 3, "noise": 0.05},
                    val_fraction=val_fraction, split_seed=1, standardize=True)
    ui = {"watched": [[["W", first.id], [0, 0]]], "zoom": 1.5, "note": "héllo → ✓"}
    project = Project(net, settings, data, History(capacity=50, snapshot_every=10, snapshots_kept=2), ui=ui)
    train(project, steps)
    return project


def train(project: Project, steps: int) -> None:
    trainer = project.make_trainer(*project.data.load(project.base_dir)[:2])
    for _ in range(steps):
        trainer.step()
    project.update_from(trainer)


def assert_same_network(a: Network, b: Network) -> None:
    assert (a.seed, a.dtype, a._next_id, a._draws) == (b.seed, b.dtype, b._next_id, b._draws)
    assert list(a.layers) == list(b.layers) and list(a.connections) == list(b.connections)
    for la, lb in zip(a.layers.values(), b.layers.values(), strict=True):
        assert (la.id, la.name, la.kind, la.size, la.activation, la.position) == \
               (lb.id, lb.name, lb.kind, lb.size, lb.activation, lb.position)
        assert (la.bias is None) == (lb.bias is None)
    for ca, cb in zip(a.connections.values(), b.connections.values(), strict=True):
        assert (ca.id, ca.source, ca.target, ca.init, ca.dense) == (cb.id, cb.source, cb.target, cb.init, cb.dense)
    for (ka, pa), (kb, pb) in zip(a.parameters(), b.parameters(), strict=True):
        assert ka == kb
        arrays_a, arrays_b = pa.arrays(), pb.arrays()
        for name in ("value", "mask", "frozen", *(k for k in arrays_a if k.startswith("state:"))):
            x, y = arrays_a[name], arrays_b[name]
            assert x.dtype == y.dtype and x.shape == y.shape, (ka, name)
            assert x.tobytes() == y.tobytes(), f"{ka} {name} differs"  # bit for bit, signs of zeros included
        assert set(arrays_a) == set(arrays_b)


def assert_same_project(a: Project, b: Project) -> None:
    assert_same_network(a.network, b.network)
    assert a.settings == b.settings
    assert (a.data.kind, a.data.params, a.data.val_fraction, a.data.split_seed, a.data.standardize) == \
           (b.data.kind, b.data.params, b.data.val_fraction, b.data.split_seed, b.data.standardize)
    if a.data.kind == "csv":
        assert a.data.csv_path(a.base_dir).resolve() == b.data.csv_path(b.base_dir).resolve()
    else:
        assert a.data.name == b.data.name
    for ha, hb in ((a.history, b.history),):
        assert (ha.capacity, ha.snapshot_every, ha.snapshots.maxlen) == (hb.capacity, hb.snapshot_every,
                                                                         hb.snapshots.maxlen)
        for ring in ("losses", "epochs"):
            x, y = getattr(ha, ring).data(), getattr(hb, ring).data()
            assert x.shape == y.shape and np.array_equal(x, y, equal_nan=True), ring
    assert a.optimizer_t == b.optimizer_t
    assert a.ui == b.ui


def reloaded(project: Project, path: Path) -> Project:
    save_project(project, path)
    return load_project(path)


# ---------------------------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_example_round_trips_exactly(name, tmp_path):
    original = load_project(EXAMPLES[name])
    again = reloaded(load_project(EXAMPLES[name]), tmp_path / "copy.bps.json")
    assert_same_project(original, again)
    # saving what was loaded writes the same document, in the current version (only a CSV path may be re-based)
    first = project_migrate.migrate(Field(json.loads(EXAMPLES[name].read_text()))).value
    second = json.loads((tmp_path / "copy.bps.json").read_text())
    first["data"]["name"] = second["data"]["name"] = None
    assert first == second


@pytest.mark.parametrize(("dtype", "optimizer", "val_fraction"),
                         [(np.float64, "adam", 0.25), (np.float32, "sgd", 0.0), (np.float32, "adam", 0.25)])
def test_trained_project_round_trips_bit_for_bit(tmp_path, dtype, optimizer, val_fraction):
    project = rich_project(dtype, optimizer, val_fraction)
    assert project.optimizer_t == 70
    assert project.history.losses.count > project.history.capacity  # the ring has wrapped
    names = {"adam": {"exp_avg", "exp_avg_sq"}, "sgd": {"momentum_buffer"}}[optimizer]
    assert set(project.network.connection(5).weight.state) == names
    assert np.any(project.network.connection(5).weight.state[sorted(names)[0]] != 0)
    if val_fraction == 0:
        assert np.isnan(project.history.epochs.data()[:, 4]).all()  # no validation set: written as null
    again = reloaded(project, tmp_path / "trained.bps.json")
    assert_same_project(project, again)
    assert again.path == tmp_path / "trained.bps.json"


def test_training_resumes_bit_identically_after_a_reload(tmp_path):
    """Optimiser moments, step counts, shuffling and the half-done epoch are restored: a save and a load in
    the middle of an epoch change nothing about where training goes."""
    project = rich_project()  # 70 steps of 6 per epoch: stopped in the middle of an epoch
    assert project.progress["cursor"] > 0 and project.progress["meter"] is not None
    again = reloaded(project, tmp_path / "p.bps.json")
    train(again, 25)
    straight = rich_project(steps=95)
    assert_same_network(again.network, straight.network)
    assert again.optimizer_t == straight.optimizer_t == 95
    for ring in ("losses", "epochs"):
        assert np.array_equal(getattr(again.history, ring).data(), getattr(straight.history, ring).data())


def test_a_reset_run_does_not_resume_the_old_one():
    project = rich_project()
    project.history.clear()  # what "Reset weights" does, besides new weights
    project.optimizer_t = 0
    trainer = project.make_trainer(*project.data.load(None)[:2])
    assert (trainer.step_count, trainer.epoch, trainer.optimizer.t) == (0, 0, 0)


def test_saving_twice_writes_identical_text(tmp_path):
    project = rich_project(np.float32)
    save_project(project, tmp_path / "a.bps.json")
    save_project(load_project(tmp_path / "a.bps.json"), tmp_path / "b.bps.json")
    assert (tmp_path / "a.bps.json").read_bytes() == (tmp_path / "b.bps.json").read_bytes()


def test_float32_values_are_written_exactly(tmp_path):
    project = rich_project(np.float32, steps=0)
    save_project(project, tmp_path / "p.bps.json")
    doc = json.loads((tmp_path / "p.bps.json").read_text())
    written = np.array(doc["connections"][0]["weights"]["value"], np.float64)
    assert np.array_equal(written, project.network.connection(5).weight.value.astype(np.float64))
    assert doc["network"] == {"seed": 7, "dtype": "float32", "next_id": 11, "draws": 1}


def test_numpy_scalars_from_the_gui_are_saved_as_plain_numbers(tmp_path):
    project = load_project(EXAMPLES["XOR"])
    project.settings.optimizer_params = {"lr": np.float32(0.5), "beta1": np.float64(0.8)}
    project.settings.batch_size = np.int64(8)
    project.data.params["n_samples"] = np.int64(100)
    project.ui = {"zoom": np.float32(2.0), "grid": np.bool_(True)}
    again = reloaded(project, tmp_path / "p.bps.json")
    assert again.settings.optimizer_params == {"lr": 0.5, "beta1": 0.8}
    assert type(again.settings.batch_size) is int and again.settings.batch_size == 8
    assert again.data.params["n_samples"] == 100 and again.ui == {"zoom": 2.0, "grid": True}


# ---------------------------------------------------------------------------------------------- atomic saves
def test_a_save_failing_halfway_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "p.bps.json"
    save_project(load_project(EXAMPLES["XOR"]), path)
    before = path.read_bytes()
    real_chunks = project_files.json_chunks
    written = []

    def failing_chunks(value):
        for k, chunk in enumerate(real_chunks(value)):
            if k == 40:
                raise RuntimeError("the serialiser broke down")
            written.append(chunk)
            yield chunk

    monkeypatch.setattr(project_files, "json_chunks", failing_chunks)
    with pytest.raises(RuntimeError, match="broke down"):
        save_project(rich_project(steps=5), path)
    assert len(written) == 40  # it did fail halfway, with part of the file written
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["p.bps.json"]  # no temporary file left behind


def test_a_disk_error_becomes_a_project_error_and_keeps_the_file(tmp_path, monkeypatch):
    path = tmp_path / "p.bps.json"
    save_project(load_project(EXAMPLES["XOR"]), path)
    before = path.read_bytes()

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(project_files.os, "fsync", full_disk)
    with pytest.raises(ProjectError, match="No space left on device"):
        save_project(rich_project(steps=5), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["p.bps.json"]


def test_a_save_removes_what_a_save_killed_midway_left_behind(tmp_path):
    path = tmp_path / "p.bps.json"
    script = f"""
import sys, time
from engine.project import files, load_project, save_project
real = files.json_chunks
def slow(value):
    for k, chunk in enumerate(real(value)):
        if k == 50:
            print("writing", flush=True)
            time.sleep(60)
        yield chunk
files.json_chunks = slow
save_project(load_project({str(EXAMPLES["Circles"])!r}), {str(path)!r})
"""
    for _ in range(2):
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert proc.stdout.readline() == "writing\n"
        proc.kill()
        proc.wait()
        proc.stdout.close()
    other = tmp_path / ".q.bps.json.abc.tmp"  # another project's: not ours to remove
    other.write_text("x")
    assert len(list(tmp_path.glob(".p.bps.json.*.tmp"))) == 1  # the second save removed the first one's
    save_project(load_project(EXAMPLES["XOR"]), path)
    assert sorted(os.listdir(tmp_path)) == [other.name, "p.bps.json"]


def test_a_running_save_s_temporary_file_is_left_alone(tmp_path):
    path = tmp_path / "p.bps.json"
    running = tmp_path / ".p.bps.json.xyz.tmp"
    running.write_text("being written")
    with project_files._locked(str(running)):
        save_project(load_project(EXAMPLES["XOR"]), path)
        assert running.exists()
    save_project(load_project(EXAMPLES["XOR"]), path)
    assert not running.exists()


def test_a_save_flushes_the_folder_after_the_rename(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode) and (tmp_path / "p.bps.json").exists())
        real_fsync(fd)

    monkeypatch.setattr(project_files.os, "fsync", fsync)
    save_project(load_project(EXAMPLES["XOR"]), tmp_path / "p.bps.json")
    assert synced == [False, True]  # the file's data, then the folder holding its new name


def test_a_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "p.bps.json"
    path.write_text("{}")
    path.chmod(0o640)
    save_project(load_project(EXAMPLES["XOR"]), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_unsaveable_things_are_refused_without_writing_anything(tmp_path):
    project = load_project(EXAMPLES["XOR"])
    project.ui = {"watched": {1, 2}}
    with pytest.raises(ProjectError) as info:
        save_project(project, tmp_path / "p.bps.json")
    assert info.value.field == "ui"
    project.ui = {}
    project.settings.target_loss = math.inf
    with pytest.raises(ProjectError, match="Out of range float values"):
        save_project(project, tmp_path / "p.bps.json")
    with pytest.raises(ProjectError, match="cannot write in"):
        save_project(load_project(EXAMPLES["XOR"]), tmp_path / "missing" / "p.bps.json")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------------------------- bad files
def _set(path: str, value):
    """A mutation setting the value at a dotted path (integers index lists)."""
    def mutate(doc):
        *parents, last = [int(p) if p.lstrip("-").isdigit() else p for p in path.split(".")]
        node = doc
        for key in parents:
            node = node[key]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value(node[last]) if callable(value) else value
    return mutate


_DELETE = object()


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def _cycle(doc):
    # hidden A (id 2) → h1 (id 3) exists; h1 → hidden A closes a loop
    doc["connections"].append({"id": 11, "source": 3, "target": 2, "init": "glorot_uniform", "dense": True,
                               "weights": {"value": [[0.0] * 5] * 3}})
    doc["network"]["next_id"] = 12


def _pop_row(doc):
    doc["connections"][1]["weights"]["value"].pop()


BAD_FILES = [
    # (what is wrong, mutation, field named, words in the message)
    ("missing key", _set("layers.2.size", _DELETE), "layers[2].size", "missing"),
    ("missing section", _set("settings", _DELETE), "settings", "missing"),
    ("wrong type", _set("layers.1.size", "5"), "layers[1].size", "whole number"),
    ("bool for a number", _set("settings.batch_size", True), "settings.batch_size", "whole number"),
    ("size disagrees with the biases", _set("layers.1.size", 6), "layers[1].bias.value", "expected 6 entries"),
    ("a weight row missing", _pop_row, "connections[1].weights.value", "expected 5 entries"),
    ("a weight column missing", _set("connections.1.weights.value.0", lambda row: row[:-1]),
     "connections[1].weights.value[0]", "expected 3 entries"),
    ("NaN weight", _set("connections.0.weights.value.0.0", math.nan), "connections[0].weights.value[0][0]", "finite"),
    ("infinite moment", _set("layers.1.bias.state.exp_avg.0", -math.inf), "layers[1].bias.state.exp_avg[0]",
     "finite"),
    ("string in an array", _set("layers.2.bias.value.1", "0.5"), "layers[2].bias.value[1]", "expected a number"),
    ("cycle", _cycle, "connections[5].target", "cycle"),
    ("unknown layer", _set("connections.0.source", 99), "connections[0].source", "no layer with id 99"),
    ("id used twice", _set("connections.0.id", 2), "connections[0].id", "used twice"),
    ("name used twice", _set("layers.2.name", "hidden A"), "layers[2].name", "hidden A"),
    ("lone surrogate in a name", _set("layers.1.name", "h\ud800"), "layers[1].name", r"'\ud800'"),
    ("NUL in a name", _set("layers.1.name", "a\x00b"), "layers[1].name", r"'\x00'"),
    ("terminal escape in a name", _set("layers.1.name", "\x1b]0;pwned\x07"), "layers[1].name", r"'\x1b'"),
    ("unknown activation", _set("layers.1.activation", "swishy"), "layers[1].activation", "swishy"),
    ("softmax in a hidden layer", _set("layers.1.activation", "softmax"), "layers[1].activation", "output layer"),
    ("second output layer", _set("layers.1.kind", "output"), "layers[3]", "already has an output layer"),
    ("input layer with biases", _set("layers.0.bias", {"value": [0.0, 0.0]}), "layers[0].bias", "no biases"),
    ("unknown initialiser", _set("connections.2.init", "zeros"), "connections[2].init", "zeros"),
    ("mask flag out of range", _set("connections.0.weights.mask.0.0", 2), "connections[0].weights.mask[0][0]",
     "0 or 1"),
    ("cut weight with a value", _set("connections.0.weights.value.0.1", 0.5), "connections[0].weights.value[0][1]",
     "cut weight"),
    ("next id already used", _set("network.next_id", 9), "network.next_id", "≥ 10"),
    ("unknown dtype", _set("network.dtype", "float16"), "network.dtype", "float16"),
    ("negative seed", _set("network.seed", -1), "network.seed", "≥ 0"),
    ("unknown loss", _set("settings.loss", "hinge"), "settings.loss", "hinge"),
    ("unknown optimiser", _set("settings.optimizer", "lbfgs"), "settings.optimizer", "lbfgs"),
    ("setting of another optimiser", _set("settings.optimizer_params.momentum", 0.9),
     "settings.optimizer_params.momentum", "no setting"),
    ("negative learning rate", _set("settings.optimizer_params.lr", -0.1), "settings.optimizer_params", "> 0"),
    ("target loss as text", _set("settings.target_loss", "low"), "settings.target_loss", "number"),
    ("blow-up factor below 1", _set("settings.blowup_factor", 0.5), "settings.blowup_factor", "≥ 1.0"),
    ("pause on blow-up not a flag", _set("settings.pause_on_blowup", 1), "settings.pause_on_blowup", "true or false"),
    ("unknown data kind", _set("data.kind", "sql"), "data.kind", "sql"),
    ("unknown generator parameter", _set("data.params.radius", 2), "data.params.radius", "no parameter"),
    ("validation fraction of 1", _set("data.val_fraction", 1.0), "data.val_fraction", "< 1.0"),
    ("bad CSV setting", lambda d: d.update(data={**d["data"], "kind": "csv", "name": "x.csv",
                                                 "params": {"delimiter": ";;"}}), "data.params.delimiter", ";;"),
    ("history row too short", _set("history.losses.0", [1]), "history.losses[0]", "expected 2 entries"),
    ("history over capacity", _set("history.capacity", 3), "history.losses", "capacity"),
    ("GUI state not an object", _set("ui", [1, 2]), "ui", "object"),
    ("unknown shuffling generator", _set("progress.shuffle.bit_generator", "MT19937"),
     "progress.shuffle.bit_generator", "MT19937"),
    ("shuffling order outside the data", _set("progress.order.0", -1), "progress.order[0]", "≥ 0"),
    ("epoch sums of different lengths", _set("progress.meter.t_sq", [0.0, 1.0]), "progress.meter.t_sq",
     "expected 1 entries"),
    ("negative optimiser step count", _set("optimizer_t", -1), "optimizer_t", "≥ 0"),
    ("optimiser step count beyond any run", _set("optimizer_t", 10**400), "optimizer_t", "≤ 9007199254740992"),
    ("epoch count beyond any run", _set("progress.epoch", 10**30), "progress.epoch", "≤ 9007199254740992"),
    ("epoch budget beyond any run", _set("settings.epochs", 10**30), "settings.epochs", "≤ 9007199254740992"),
    ("GUI state nested 65 deep", _set("ui", {"a": _nested(64)}), "ui", "more than 64 levels"),
    ("position of three numbers", _set("layers.0.position", [1, 2, 3]), "layers[0].position", "2 entries"),
    ("newer version", _set("version", project_migrate.VERSION + 1), "version", "newer Backprop Studio"),
    ("version zero", _set("version", 0), "version", "≥ 1"),
    ("not a project", _set("format", "something-else"), None, "not a Backprop Studio project"),
]


def test_a_file_from_before_the_blowup_settings_gets_their_defaults(rich_doc, tmp_path):
    doc = json.loads(json.dumps(rich_doc))
    doc["settings"]["blowup_factor"], doc["settings"]["pause_on_blowup"] = None, True
    assert load_project_from(doc, tmp_path).settings.blowup_factor is None
    del doc["settings"]["blowup_factor"], doc["settings"]["pause_on_blowup"]
    settings = load_project_from(doc, tmp_path).settings
    assert (settings.blowup_factor, settings.pause_on_blowup) == (1e3, False)


def test_a_gui_state_nested_985_deep_is_refused_by_name(rich_doc, tmp_path):
    """Deep enough for every recursive reader (json.dumps, the saver) to hit RecursionError; json.loads copes."""
    doc = json.loads(json.dumps(rich_doc))
    doc["ui"] = {"a": "DEEP"}
    path = tmp_path / "deep.bps.json"
    path.write_text(json.dumps(doc).replace('"DEEP"', "[" * 984 + "]" * 984))
    result = subprocess.run([sys.executable, "-m", "engine", "info", str(path)], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 2 and result.stderr == "error: ui: the GUI state nests more than 64 levels deep\n"
    doc["ui"] = {"a": _nested(63)}  # as deep as allowed: loads and saves
    save_project(load_project_from(doc, tmp_path), path)


@pytest.fixture(scope="module")
def rich_doc(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("rich") / "rich.bps.json"
    save_project(rich_project(), path)
    return json.loads(path.read_text())


@pytest.mark.parametrize(("mutate", "field", "words"), [case[1:] for case in BAD_FILES],
                         ids=[case[0] for case in BAD_FILES])
def test_each_kind_of_bad_file_names_its_field(rich_doc, tmp_path, mutate, field, words):
    doc = json.loads(json.dumps(rich_doc))
    assert load_project_from(doc, tmp_path)  # the unmutated document is fine
    mutate(doc)
    with pytest.raises(ProjectError) as info:
        load_project_from(doc, tmp_path)
    assert info.value.field == field
    assert words in str(info.value)
    if field:
        assert str(info.value).startswith(f"{field}: ")


def test_float32_overflow_is_refused(rich_doc, tmp_path):
    doc = json.loads(json.dumps(rich_doc))
    doc["network"]["dtype"] = "float32"
    doc["connections"][0]["weights"]["value"][1][0] = 1e39  # finite in float64, not in float32
    with pytest.raises(ProjectError, match="finite number in float32") as info:
        load_project_from(doc, tmp_path)
    assert info.value.field == "connections[0].weights.value[1][0]"


def load_project_from(doc, tmp_path: Path) -> Project:
    path = tmp_path / "doc.bps.json"
    path.write_text(json.dumps(doc))
    return load_project(path)


@pytest.mark.parametrize(("text", "words"), [
    ('{"format": "backprop-studio-project", "version": 1, "layers": [', "not valid JSON at line 1, column 64"),
    ("[1, 2]", "expected an object"),
    ("", "not valid JSON"),
    ("[" * 100_000, "nested too deeply"),
])
def test_text_that_is_not_a_project_is_refused(tmp_path, text, words):
    path = tmp_path / "p.bps.json"
    path.write_text(text)
    with pytest.raises(ProjectError, match=words):
        load_project(path)


def test_unreadable_files_are_project_errors(tmp_path):
    with pytest.raises(ProjectError, match=r"cannot read .*No such file"):
        load_project(tmp_path / "missing.bps.json")
    (tmp_path / "binary.bps.json").write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ProjectError, match="not a text file"):
        load_project(tmp_path / "binary.bps.json")


# ---------------------------------------------------------------------------------------------- migrations
def test_an_old_version_is_migrated_step_by_step(rich_doc, tmp_path, monkeypatch):
    def next_version(doc):
        return {**doc, "ui": {**doc["ui"], "migrated": True}}

    current = project_migrate.VERSION
    monkeypatch.setattr(project_migrate, "VERSION", current + 1)
    monkeypatch.setattr(project_migrate, "MIGRATIONS", {**project_migrate.MIGRATIONS, current: next_version})
    project = load_project_from(rich_doc, tmp_path)
    assert project.ui["migrated"] is True and project.ui["zoom"] == 1.5

    monkeypatch.setattr(project_migrate, "VERSION", current + 2)
    with pytest.raises(ProjectError, match=f"format version {current + 1} cannot be upgraded"):
        load_project_from(rich_doc, tmp_path)


def test_every_older_version_has_a_migration():
    assert project_migrate.VERSION == 2 and set(project_migrate.MIGRATIONS) == {1}
    assert project_migrate.FORMAT == FORMAT == "backprop-studio-project"


# ---------------------------------------------------------------------------------------------- data
def test_csv_paths_are_stored_relative_to_the_project_file(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    rows = generate("circles", n_samples=40)
    lines = ["x1,x2,label", *(f"{float(a)!r},{float(b)!r},{y}" for (a, b), y in zip(rows.X, rows.y, strict=True))]
    (data_dir / "points.csv").write_text("\n".join(lines) + "\n")
    project = load_project(EXAMPLES["Circles"])
    project.data = DataSpec("csv", str(data_dir / "points.csv"), {"target_column": "label", "header": True})

    save_project(project, data_dir / "p.bps.json")
    assert json.loads((data_dir / "p.bps.json").read_text())["data"]["name"] == "points.csv"
    assert project.data.name == "points.csv" and project.path == data_dir / "p.bps.json"

    elsewhere = tmp_path / "projects" / "mine"
    elsewhere.mkdir(parents=True)
    moved = reloaded(load_project(data_dir / "p.bps.json"), elsewhere / "p.bps.json")
    assert moved.data.name == "../../data/points.csv"
    train, val, _ = moved.data.load(moved.base_dir)
    assert train.n_samples + val.n_samples == 40
    assert np.array_equal(np.sort(np.concatenate([train.X[:, 0], val.X[:, 0]])), np.sort(rows.X[:, 0]))


def test_a_multi_label_csv_with_two_target_columns_saves_loads_and_trains(tmp_path):
    rows = generate("circles", n_samples=60)
    inside = (np.hypot(*rows.X.T) < 0.5).astype(int)
    right = (rows.X[:, 0] > 0).astype(int)
    lines = ["x1,x2,inside,right", *(f"{a!r},{b!r},{i},{r}" for (a, b), i, r in
                                     zip(rows.X.tolist(), inside, right, strict=True))]
    (tmp_path / "labels.csv").write_text("\n".join(lines) + "\n")
    net = layered([2, 8, 2], output="sigmoid", seed=0)
    project = Project(net, TrainSettings(loss="bce", optimizer="adam", optimizer_params={"lr": 0.05}, epochs=40),
                      DataSpec("csv", str(tmp_path / "labels.csv"), {"target_columns": ["inside", "right"]}))
    save_project(project, tmp_path / f"labels{SUFFIX}")
    again = load_project(tmp_path / f"labels{SUFFIX}")
    assert again.data.params == {"target_columns": ["inside", "right"]}
    train, val, _ = again.data.load(again.base_dir)
    assert train.y.shape[1] == 2 and train.target_names == ("inside", "right")
    trainer = again.make_trainer(train, val)
    first = trainer.evaluate(trainer.x, trainer.t)[0]
    for _ in trainer.run():
        pass
    assert trainer.evaluate(trainer.x, trainer.t)[0] < 0.5 * first  # both labels learned through one network


def test_standardisation_uses_the_training_split_statistics_only():
    spec = DataSpec("generator", "sine", {"n_samples": 50}, val_fraction=0.3, split_seed=4, standardize=True)
    train, val, scaler = spec.load(None)
    raw_train, raw_val = split(generate("sine", n_samples=50), 0.3, 4)
    mean, std = raw_train.X.mean(axis=0), raw_train.X.std(axis=0)
    assert np.allclose(scaler.mean, mean) and np.allclose(scaler.std, std)
    assert np.allclose(train.X, (raw_train.X - mean) / std)
    assert np.allclose(val.X, (raw_val.X - mean) / std)
    assert np.array_equal(val.y, raw_val.y)
    plain_train, _, none = DataSpec("generator", "sine", {"n_samples": 50}, 0.3, 4).load(None)
    assert none is None and np.array_equal(plain_train.X, raw_train.X)


# ---------------------------------------------------------------------------------------------- examples
def _make_examples_module():
    spec = importlib.util.spec_from_file_location("make_examples", ROOT / "resources/examples/make_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_examples_are_what_the_script_builds(tmp_path):
    module = _make_examples_module()
    assert list(module.BUILDERS) == list(EXAMPLES)
    module.main(tmp_path)
    for path in [*EXAMPLES.values(), *(EXAMPLES["XOR"].with_name(csv) for csv in (module.IRIS_TWO_CLASSES,
                                                                                   module.SCALAR_CHAIN))]:
        assert filecmp.cmp(tmp_path / path.name, path, shallow=False), f"{path.name} is out of date"


def test_the_examples_have_the_promised_shapes():
    sizes = {name: [lay.size for lay in load_project(path).network.layers.values()] for name, path in EXAMPLES.items()}
    assert sizes == {"XOR": [2, 4, 1], "Circles": [2, 8, 8, 1], "Spiral (3 arms)": [2, 16, 16, 3],
                     "Sine regression": [1, 16, 16, 1], "Skip connection": [2, 8, 8, 1],
                     "Lecture notes 4-3-2-1 (Iris)": [4, 3, 2, 1], "Scalar chain (notes)": [1, 1, 1, 1],
                     "Two paths (notes)": [2, 2, 2, 1], "Deep sigmoid chain": [2, 6, 6, 6, 6, 6, 6, 1],
                     "Deep ReLU chain": [2, 6, 6, 6, 6, 6, 6, 1], "Skip chain": [1, 1, 1, 1],
                     "Digits (8×8)": [64, 32, 10]}
    lecture = load_project(EXAMPLES["Lecture notes 4-3-2-1 (Iris)"]).network
    assert (lecture.n_weights, lecture.n_biases) == (20, 6)
    skip = load_project(EXAMPLES["Skip connection"]).network
    assert skip.find_connection(skip.input_layer.id, skip.output_layer.id) is not None


def test_xor_trains_to_full_accuracy_with_its_saved_settings():
    project = load_project(EXAMPLES["XOR"])
    trainer = project.make_trainer(*project.data.load(project.base_dir)[:2])
    *_, result = trainer.run()
    assert trainer.stop_reason == "epoch budget of 100 reached"
    assert result.epoch_metrics["train_accuracy"] == 1.0
    assert result.epoch_metrics["val_accuracy"] == 1.0


@pytest.mark.parametrize(("name", "metric", "at_least"), [
    ("Circles", "val_accuracy", 0.97), ("Spiral (3 arms)", "val_accuracy", 0.95), ("Sine regression", "val_r2", 0.95),
    ("Skip connection", "val_accuracy", 0.97), ("Lecture notes 4-3-2-1 (Iris)", "val_accuracy", 0.9),
])
def test_every_example_trains_well_with_its_saved_settings(name, metric, at_least):
    project = load_project(EXAMPLES[name])
    train_set, val_set, _ = project.data.load(project.base_dir)
    validate(project.network, project.settings.loss, n_features=train_set.n_features)
    trainer = project.make_trainer(train_set, val_set)
    first = trainer.evaluate(trainer.x_val, trainer.t_val)[1]
    *_, result = trainer.run()
    assert result.epoch_metrics[metric] >= at_least > first


def test_new_project_is_the_circles_example_detached_from_its_file():
    project = new_project()
    assert project.path is None
    assert (project.data.kind, project.data.name) == ("generator", "circles")
    assert_same_network(project.network, load_project(EXAMPLES["Circles"]).network)
