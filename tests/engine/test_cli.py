"""The command line, run through `engine.cli.main(argv)` (and once as a real process for the exit status)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from engine import BiasRef, WeightRef, compiled
from engine.activations import ACTIVATIONS
from engine.cli import main
from engine.project import EXAMPLES, load_project, save_project
from engine.surface import loss_surface

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def xor(tmp_path) -> Path:
    path = tmp_path / "xor.bps.json"
    shutil.copy(EXAMPLES["XOR"], path)
    return path


def _numbers(line: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.\d+(?:e[-+]\d+)?|nan", line)]


def _bce_and_accuracy(path: Path, which: str) -> tuple[float, float]:
    """Loss and accuracy computed here, independently of the trainer's meters."""
    project = load_project(path)
    train, val, _ = project.data.load(project.base_dir)
    data = train if which == "train" else val
    h = compiled(project.network).predict(data.X)[:, 0]
    t = data.y.astype(float)
    loss = -np.mean(t * np.log(h) + (1 - t) * np.log(1 - h))
    return float(loss), float(np.mean((h > 0.5) == (t > 0.5)))


def test_train_improves_the_loss_and_saves_to_out(xor, tmp_path, capsys):
    out = tmp_path / "trained.bps.json"
    before = _bce_and_accuracy(xor, "train")
    original = xor.read_bytes()
    assert main(["train", str(xor), "--epochs", "40", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "epoch 40/40" in captured.err and "[####" in captured.err  # the progress bar
    assert xor.read_bytes() == original  # --out leaves the original alone
    after = _bce_and_accuracy(out, "train")
    assert after[0] < before[0] / 5 and after[1] == 1.0
    trained = load_project(out)
    assert trained.optimizer_t == 400 and len(trained.history.epochs.data()) == 40
    assert f"saved {out}" in captured.out
    reported = _numbers(next(line for line in captured.out.splitlines() if line.startswith("train ")))
    assert reported == pytest.approx(after, rel=1e-5)


def test_train_in_place_continues_the_run_bit_identically(xor, tmp_path, capsys):
    straight = tmp_path / "straight.bps.json"
    shutil.copy(xor, straight)
    assert main(["train", str(xor), "--epochs", "5"]) == 0
    assert main(["train", str(xor), "--epochs", "3"]) == 0
    assert "(epoch 8, step 80 of the whole run)" in capsys.readouterr().out
    assert main(["train", str(straight), "--epochs", "8"]) == 0
    project, reference = load_project(xor), load_project(straight)
    assert project.history.epochs.data()[:, 0].tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert np.array_equal(project.history.losses.data(), reference.history.losses.data())
    for (key, p), (_, q) in zip(project.network.parameters(), reference.network.parameters(), strict=True):
        assert p.value.tobytes() == q.value.tobytes(), key
    assert project.optimizer_t == 80
    assert project.settings.epochs == 100  # the saved budget is not overwritten by --epochs


def test_train_without_epochs_uses_the_project_budget(xor, capsys):
    assert main(["train", str(xor)]) == 0
    assert len(load_project(xor).history.epochs.data()) == 100
    assert "trained 100 epochs" in capsys.readouterr().out


def test_train_stops_early_on_the_target_loss(xor, capsys):
    project = load_project(xor)
    project.settings = replace(project.settings, target_loss=0.3)
    save_project(project, xor)
    assert main(["train", str(xor), "--epochs", "100"]) == 0
    out = capsys.readouterr().out
    assert "stopped early: target loss 0.3 reached" in out
    assert len(load_project(xor).history.epochs.data()) < 100


def test_train_warns_when_the_loss_blows_up_and_pauses_if_asked(xor, capsys):
    project = load_project(xor)
    project.settings = replace(project.settings, optimizer="sgd", optimizer_params={"lr": 1e6})
    save_project(project, xor)
    assert main(["train", str(xor), "--epochs", "5"]) == 0
    captured = capsys.readouterr()
    assert "\nwarning: the loss blew up" in captured.err and "trained 5 epochs" in captured.out
    project.settings = replace(project.settings, pause_on_blowup=True)
    save_project(project, xor)
    assert main(["train", str(xor), "--epochs", "5"]) == 0
    assert "stopped early: the loss blew up" in capsys.readouterr().out


def test_evaluate_matches_an_independent_computation(xor, capsys):
    assert main(["train", str(xor), "--epochs", "10"]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(xor)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["loss", "accuracy"]
    rows = {line.split()[0]: _numbers(line) for line in lines[1:]}
    assert rows["train"] == pytest.approx(_bce_and_accuracy(xor, "train"), rel=1e-5)
    assert rows["validation"] == pytest.approx(_bce_and_accuracy(xor, "validation"), rel=1e-5)


def test_evaluate_a_regression_reports_r2(tmp_path, capsys):
    path = tmp_path / "sine.bps.json"
    shutil.copy(EXAMPLES["Sine regression"], path)
    assert main(["evaluate", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[0].split() == ["loss", "r2"]


@pytest.mark.parametrize("fmt", ["npz", "json"])
def test_export_writes_the_network(xor, tmp_path, capsys, fmt):
    out = tmp_path / f"model.{fmt}"
    assert main(["export", str(xor), "--format", fmt, "--out", str(out)]) == 0
    assert f"exported {fmt} to {out}" in capsys.readouterr().out
    weights = load_project(xor).network.connection(3).weight.value
    if fmt == "npz":
        with np.load(out) as archive:
            assert any(np.array_equal(archive[k], weights) for k in archive.files)
    else:
        assert json.loads(out.read_text())


def test_gradcheck_passes_on_a_correct_network(xor, capsys):
    assert main(["gradcheck", str(xor), "--samples", "8"]) == 0
    out = capsys.readouterr().out
    assert "checked 17 of 17 parameters on 8 samples" in out
    assert out.splitlines()[-1].startswith("PASS: all 17 gradients agree within 1e-05")


def test_gradcheck_catches_a_wrong_derivative(xor, capsys, monkeypatch):
    tanh = ACTIVATIONS["tanh"]
    monkeypatch.setitem(ACTIVATIONS, "tanh", replace(tanh, derivative=lambda a, h: 1.0 - h))  # should be 1 − h²
    assert main(["gradcheck", str(xor)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"FAIL: \d+ of 17 gradients differ", out)
    worst = out.splitlines()[2]
    assert "h1[" in worst  # the parameters into the tanh layer are the ones whose gradient passes through it


def test_gradcheck_runs_a_float32_project_in_float64(tmp_path, capsys):
    project = load_project(EXAMPLES["Circles"])
    project.network.set_dtype(np.float32)
    save_project(project, tmp_path / "f32.bps.json")
    assert main(["gradcheck", str(tmp_path / "f32.bps.json"), "--limit", "10"]) == 0
    out = capsys.readouterr().out
    assert "checking it in float64" in out and "checked 10 of 105 parameters" in out
    assert load_project(tmp_path / "f32.bps.json").network.dtype == np.float32  # the file is untouched


def test_info_describes_network_data_settings_and_history(xor, capsys):
    assert main(["info", str(xor)]) == 0
    out = capsys.readouterr().out
    for expected in ("12 weights (2·4 + 4·1), 5 biases (4 + 1) = 17 parameters", "[2] h1", "tanh",
                     "in → h1: 8 of 8 weights",
                     "data: generator xor", "160 training / 40 validation samples, 2 features, 2 classes",
                     "loss bce, optimiser adam (lr=0.05)", "0 steps and 0 epochs recorded"):
        assert expected in out


def test_info_names_the_regularisation_of_the_network_and_of_a_connection(xor, capsys):
    doc = json.loads(xor.read_text())
    doc["settings"]["penalty"] = {"kind": "l2", "rate": 0.01}
    doc["connections"][1]["penalty"] = {"kind": "l1", "rate": 0.5}
    xor.write_text(json.dumps(doc))
    assert main(["info", str(xor)]) == 0
    out = capsys.readouterr().out
    assert "regularisation L2 λ = 0.01 (λ/2·Σw²)" in out
    assert "h1 → out: 4 of 4 weights (dense, glorot_uniform, own regularisation L1 λ = 0.5 (λ·Σ|w|))" in out


def test_info_shows_the_standardiser_and_survives_missing_data(tmp_path, capsys):
    path = tmp_path / "iris.bps.json"
    save_project(load_project(EXAMPLES["Lecture notes 4-3-2-1 (Iris)"]), path)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "standardiser mean" in out
    assert "20 weights (4·3 + 3·2 + 2·1), 6 biases (3 + 2 + 1)" in out  # counted the way the notes count them
    (tmp_path / "deeper").mkdir()
    shutil.move(tmp_path / "iris.bps.json", tmp_path / "deeper")  # its relative CSV path now leads nowhere
    assert main(["info", str(tmp_path / "deeper" / "iris.bps.json")]) == 0
    assert "cannot load the data" in capsys.readouterr().out


def test_info_prints_text_from_the_file_without_escape_sequences(xor, capsys):
    doc = json.loads(xor.read_text())
    doc["data"] = {**doc["data"], "kind": "csv", "name": "\x1b[2J\x1b]0;owned\x07data\ud800.csv", "params": {}}
    xor.write_text(json.dumps(doc))
    assert main(["info", str(xor)]) == 0
    out = capsys.readouterr().out
    assert r"data: csv \x1b[2J\x1b]0;owned\x07data\ud800.csv" in out
    assert all(ch.isprintable() for ch in out.replace("\n", ""))


@pytest.mark.parametrize(("argv", "words"), [
    (["info", "{dir}/missing.bps.json"], "cannot read"),
    (["train", "{dir}/broken.bps.json"], "not valid JSON at line 1"),
    (["evaluate", "{dir}/wrong_data.bps.json"], "the data has 1 input columns but the input layer 'in' has 2"),
    (["export", "{dir}/xor.bps.json", "--format", "npz", "--out", "{dir}/no/such/dir/m.npz"], "cannot write"),
])
def test_user_errors_print_one_line_and_exit_2(xor, tmp_path, capsys, argv, words):
    (tmp_path / "broken.bps.json").write_text("{")
    project = load_project(xor)
    project.data = replace(project.data, name="sine", params={})
    save_project(project, tmp_path / "wrong_data.bps.json")
    assert main([a.format(dir=tmp_path) for a in argv]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0]


def test_a_real_process_exits_with_status_2_and_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "engine", "train", str(tmp_path / "nope.bps.json")],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: cannot read")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("argv", "words"), [
    (["gradcheck", "{xor}", "--eps", "0"], "argument --eps: must be a finite number > 0, not 0"),
    (["gradcheck", "{xor}", "--eps", "nan"], "argument --eps: must be a finite number > 0, not nan"),
    (["gradcheck", "{xor}", "--tol", "nan"], "argument --tol: must be a finite number > 0, not nan"),
    (["gradcheck", "{xor}", "--tol", "-1"], "argument --tol: must be a finite number > 0, not -1"),
    (["gradcheck", "{xor}", "--eps", "tiny"], "argument --eps: must be a number, not 'tiny'"),
    (["export", "{xor}", "--format", "npz", "--out", ""], "argument --out: must name a file"),
    (["train", "{xor}", "--out", ""], "argument --out: must name a file"),
])
def test_bad_arguments_are_refused_before_any_work(xor, capsys, argv, words):
    with pytest.raises(SystemExit) as info:
        main([a.format(xor=xor) for a in argv])
    captured = capsys.readouterr()
    assert info.value.code == 2 and words in captured.err and "Traceback" not in captured.err
    assert captured.out == ""


@pytest.mark.parametrize("out", ["missing/p.bps.json", "a_file/p.bps.json"])
def test_train_refuses_a_folder_it_cannot_save_in_before_training(xor, tmp_path, capsys, out):
    (tmp_path / "a_file").write_text("not a folder")
    before = xor.read_bytes()
    assert main(["train", str(xor), "--epochs", "1000", "--out", str(tmp_path / out)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: cannot write in") and captured.err.count("\n") == 1
    assert "trained" not in captured.out and xor.read_bytes() == before


def test_usage_errors_exit_2_through_argparse(xor, capsys):
    with pytest.raises(SystemExit) as info:
        main(["export", str(xor), "--format", "pdf", "--out", "x"])
    assert info.value.code == 2
    assert "invalid choice: 'pdf'" in capsys.readouterr().err


def test_surface_writes_the_grid_the_engine_computes(xor, tmp_path, capsys):
    out = tmp_path / "surface.npz"
    assert main(["surface", str(xor), "--weights", "in[0]->h1[2]", "b h1[3]", "--out", str(out),
                 "--points", "7", "--span", "0.5", "--samples", "50"]) == 0
    project = load_project(xor)
    train, _, _ = project.data.load(project.base_dir)
    net = project.network
    conn = net.find_connection(*(lay.id for lay in net.layers.values() if lay.name in ("in", "h1")))
    h1 = next(lay for lay in net.layers.values() if lay.name == "h1")
    refs = [WeightRef(conn.id, 0, 2), BiasRef(h1.id, 3)]
    expected = loss_surface(net, train.X[:50], train.y[:50], project.settings.loss, refs, 7, 0.5)
    saved = np.load(out)
    assert np.array_equal(saved["loss"], expected.loss) and saved["loss"].shape == (7, 7)
    assert np.array_equal(saved["axis0"], expected.axes[0]) and np.array_equal(saved["axis1"], expected.axes[1])
    assert saved["center"].tolist() == [net.connection(conn.id).weight.value[0, 2], h1.bias.value[3]]
    assert float(saved["center_loss"]) == expected.center_loss
    assert saved["names"].tolist() == ["in[0] → h1[2]", "b h1[3]"]
    assert "saved" in capsys.readouterr().out


def test_surface_of_one_weight_adds_its_gradient_slice(xor, tmp_path):
    out = tmp_path / "s.npz"
    assert main(["surface", str(xor), "--weights", "h1[1] → out[0]", "--out", str(out), "--points", "5"]) == 0
    saved = np.load(out)
    assert saved["loss"].shape == (5,) and saved["slice_t"].shape == saved["slice_loss"].shape
    t0 = int(np.flatnonzero(saved["slice_t"] == 0)[0])
    assert saved["slice_loss"][t0] == pytest.approx(float(saved["center_loss"]), rel=1e-12)


@pytest.mark.parametrize(("weights", "words"), [
    (["in[0]->h1[9]"], "layer 'h1' has 4 neurons"),
    (["h1[0]->in[1]"], "no connection runs from 'h1' to 'in'"),
    (["nope[0]"], "names no weight or bias"),
    (["b hidden[0]"], "no layer is named 'hidden'"),
    (["b h1[0]", "b h1[1]", "b h1[2]"], "one or two weights, not 3"),
    (["b h1[0]", "b h1[0]"], "two different weights"),
])
def test_surface_refuses_bad_weights_in_one_line(xor, tmp_path, capsys, weights, words):
    assert main(["surface", str(xor), "--weights", *weights, "--out", str(tmp_path / "s.npz")]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0]
    assert not (tmp_path / "s.npz").exists()
