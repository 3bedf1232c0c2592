"""The read-outs: R² and RMSE against their formulas and known values, confusion matrices against counts of the
network's own predictions (one sigmoid output and softmax), the fit curve against the forward pass on its inputs,
and a recorded step's read-outs when the timeline shows it."""

from __future__ import annotations

import numpy as np
import pytest
from training_runs import train

from engine import TrainSettings, WeightRef, compiled, layered
from engine.metrics import confusion_matrix, r2_score, rmse
from engine.project import DataSpec, Project
from engine.studio import Document, SampleSelection
from engine.studio import document as document_module
from engine.studio.readouts import FIT_MARGIN, FIT_POINTS


def make(generator: str, sizes: list[int], output: str, loss: str, val_fraction: float = 0.25, **params) -> Document:
    net = layered(sizes, "tanh", output, seed=2)
    settings = TrainSettings(loss=loss, optimizer_params={"lr": 0.05}, batch_size=16, epochs=50, seed=1)
    data = DataSpec("generator", generator, {"n_samples": 120, "seed": 4, **params}, val_fraction=val_fraction)
    doc = Document(Project(net, settings, data))
    doc.refresh()
    return doc


# ---------------------------------------------------------------------------------------------- the formulas
def test_r2_and_rmse_have_their_known_values():
    t = np.array([[1.0], [2.0], [3.0], [4.0]])
    h = np.array([[1.0], [2.0], [3.0], [5.0]])
    # SS_res = 1, mean 2.5 so SS_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5: R² = 1 - 1/5; RMSE = √(1/4)
    assert r2_score(t, h) == pytest.approx(0.8)
    assert rmse(t, h) == pytest.approx(0.5)
    assert r2_score(t, t) == 1.0 and rmse(t, t) == 0.0
    assert r2_score(t, np.full_like(t, 2.5)) == pytest.approx(0.0)  # predicting the mean explains nothing


def test_r2_averages_the_outputs_that_vary_and_matches_a_least_squares_line():
    # a second output whose target is constant has no variance to explain: it is left out of the mean
    t = np.array([[1.0, 7.0], [2.0, 7.0], [3.0, 7.0], [4.0, 7.0]])
    h = np.array([[1.0, 6.0], [2.0, 7.0], [3.0, 8.0], [5.0, 7.0]])
    assert r2_score(t, h) == pytest.approx(0.8)
    assert rmse(t, h) == pytest.approx(np.sqrt((1 + 1 + 1) / 8))
    assert np.isnan(r2_score(t[:, 1:], h[:, 1:]))
    # for the least-squares line through (x, y), R² is the squared correlation of x and y
    rng = np.random.default_rng(0)
    x = rng.normal(size=50)
    y = 2.0 * x + rng.normal(size=50)
    slope, intercept = np.polyfit(x, y, 1)
    fitted = slope * x + intercept
    assert r2_score(y[:, None], fitted[:, None]) == pytest.approx(np.corrcoef(x, y)[0, 1] ** 2)
    assert rmse(y[:, None], fitted[:, None]) == pytest.approx(np.sqrt(np.mean((y - fitted) ** 2)))


def test_the_confusion_matrix_counts_each_actual_and_predicted_pair():
    actual = np.array([0, 0, 1, 2, 2, 2, 1, 0])
    predicted = np.array([0, 1, 1, 2, 0, 2, 1, 0])
    expected = np.array([[2, 1, 0], [0, 2, 0], [1, 0, 2]])
    np.testing.assert_array_equal(confusion_matrix(actual, predicted, 3), expected)


# ---------------------------------------------------------------------------------------------- a snapshot's
def classes_by_hand(outputs: np.ndarray) -> np.ndarray:
    if outputs.shape[1] == 1:
        return np.array([1 if row[0] > 0.5 else 0 for row in outputs])
    return np.array([int(np.argmax(row)) for row in outputs])


@pytest.mark.parametrize(("generator", "sizes", "output", "loss", "params"), [
    ("circles", [2, 5, 1], "sigmoid", "bce", {}),
    ("blobs", [2, 5, 3], "softmax", "cross_entropy", {"n_classes": 3}),
])
def test_confusion_cells_are_the_counts_of_the_networks_predictions(generator, sizes, output, loss, params):
    doc = make(generator, sizes, output, loss, **params)
    train(doc, 7)
    doc.refresh()
    readouts = doc.readouts()
    assert readouts is not None and not readouts.scores and readouts.fit is None
    train_set, val_set = doc.session.data()
    k = max(sizes[-1], 2)
    for name, data in (("train", train_set), ("validation", val_set)):
        predicted = classes_by_hand(compiled(doc.network).predict(data.X))
        cells = readouts.confusion[name]
        for i in range(k):
            for j in range(k):
                counted = [s for s in range(data.n_samples) if data.y[s] == i and predicted[s] == j]
                assert cells.matrix[i, j] == len(counted)
                assert cells.samples(i, j) == tuple(counted)
        assert cells.matrix.sum() == data.n_samples
    assert len({int(readouts.confusion["train"].matrix[i, j]) for i in range(k) for j in range(k)}) > 1


def test_without_held_out_data_there_is_only_the_training_split():
    doc = make("circles", [2, 3, 1], "sigmoid", "bce", val_fraction=0.0)
    assert set(doc.readouts().confusion) == {"train"}


def test_the_fit_curve_is_the_forward_pass_over_the_inputs_range_and_the_scores_match_the_formulas():
    doc = make("sine", [1, 8, 1], "identity", "mse", noise=0.1)
    train(doc, 20)
    doc.refresh()
    readouts = doc.readouts()
    assert readouts is not None and not readouts.confusion
    fit = readouts.fit
    train_set, val_set = doc.session.data()
    x = np.concatenate([train_set.X[:, 0], val_set.X[:, 0]])
    pad = (x.max() - x.min()) * FIT_MARGIN
    assert fit.x.shape == (FIT_POINTS,)
    assert fit.x[0] == pytest.approx(x.min() - pad) and fit.x[-1] == pytest.approx(x.max() + pad)
    np.testing.assert_array_equal(fit.y, compiled(doc.network).predict(fit.x[:, None]))
    for name, data in (("train", train_set), ("validation", val_set)):
        h = compiled(doc.network).predict(data.X)[:, 0]
        y = data.y[:, 0]
        scores = readouts.scores[name]
        assert scores.r2 == pytest.approx(1 - np.sum((y - h) ** 2) / np.sum((y - y.mean()) ** 2))
        assert scores.rmse == pytest.approx(np.sqrt(np.mean((y - h) ** 2)))
        np.testing.assert_array_equal(scores.prediction[:, 0], h)
        np.testing.assert_array_equal(scores.x, data.X[:, 0])


def test_two_inputs_regression_has_scores_but_no_fit_curve():
    doc = make("plane", [2, 1], "identity", "mse")
    readouts = doc.readouts()
    assert set(readouts.scores) == {"train", "validation"} and readouts.fit is None


def test_a_network_that_does_not_fit_its_data_publishes_no_readouts():
    doc = make("circles", [2, 3, 1], "sigmoid", "bce")
    doc.network.resize_layer(doc.network.output_layer.id, 2)  # two sigmoid outputs for one column of targets
    doc.refresh()
    assert doc.status.blocking and doc.readouts() is None


@pytest.mark.parametrize(("generator", "sizes", "output", "loss"), [
    ("circles", [2, 5, 1], "sigmoid", "bce"),
    ("sine", [1, 8, 1], "identity", "mse"),
])
def test_a_recorded_step_shows_that_steps_readouts(generator, sizes, output, loss):
    doc = make(generator, sizes, output, loss)
    train(doc, 4)
    doc.refresh()
    then = doc.readouts()
    train(doc, 30)
    doc.refresh()
    live = doc.readouts()
    doc.view_step(4)
    past = doc.readouts()
    if loss == "mse":
        assert past.scores["train"].r2 == then.scores["train"].r2 != live.scores["train"].r2
        np.testing.assert_array_equal(past.fit.y, then.fit.y)
    else:
        np.testing.assert_array_equal(past.confusion["validation"].matrix, then.confusion["validation"].matrix)
        np.testing.assert_array_equal(past.confusion["train"].predicted, then.confusion["train"].predicted)
        assert not np.array_equal(past.confusion["train"].predicted, live.confusion["train"].predicted)
    doc.view_live()
    if loss == "mse":
        np.testing.assert_array_equal(doc.readouts().fit.y, live.fit.y)



def test_a_snapshot_taken_while_idle_gets_costly_readouts_when_asked_and_keeps_them_until_an_edit(monkeypatch):
    """A costly forward pass over the data is left out of an idle refresh (35 ms of the turn that opens a
    1M-weight network) and done at the first asking, on the weights of the snapshot; an edit since makes them
    unknown. Cheap ones come with the snapshot."""
    doc = make("circles", [2, 5, 1], "sigmoid", "bce")
    train(doc, 5)
    doc.refresh()
    assert doc.snapshot.readouts is not None
    monkeypatch.setattr(document_module, "READ_OUT_AT_ONCE", 2 * 5 + 5 * 1 - 1)  # one row costs more
    doc.refresh()
    snapshot = doc.snapshot
    assert snapshot.readouts is None
    readouts = doc.readouts()
    assert readouts is not None and doc.readouts() is readouts and doc.snapshot.readouts is readouts
    assert doc.snapshot.step == snapshot.step
    train_set, _ = doc.session.data()
    np.testing.assert_array_equal(readouts.confusion["train"].predicted,
                                  classes_by_hand(compiled(doc.network).predict(train_set.X)))
    doc.refresh()
    c = next(iter(doc.network.connections.values()))
    doc.network.set_value(WeightRef(c.id, 0, 0), 5.0)
    assert doc.readouts() is None  # the edited weights are not the snapshot's
    doc.refresh()
    assert doc.readouts() is not None

# ---------------------------------------------------------------------------------------------- selected samples
def test_the_document_owns_the_sample_selection_and_a_data_change_clears_it():
    doc = make("circles", [2, 3, 1], "sigmoid", "bce")
    seen = []
    doc.events.sample_selection_changed.connect(seen.append)
    picked = SampleSelection("validation", (1, 4), "actual 1, predicted 0")
    doc.select_samples(picked)
    doc.select_samples(picked)  # the same selection again: no event
    assert doc.sample_selection == picked and seen == [picked]
    assert picked.describe() == "2 validation samples selected: actual 1, predicted 0"
    during_load = []  # a view drawing the new data must not meet indices into the old
    doc.events.data_loaded.connect(lambda _data: during_load.append(doc.sample_selection))
    doc.set_data(DataSpec("generator", "circles", {"n_samples": 80, "seed": 5}))
    assert doc.sample_selection == SampleSelection() and seen[-1] == SampleSelection()
    assert during_load == [SampleSelection()]
    with pytest.raises(ValueError, match="unknown split"):
        SampleSelection("test", (1,))
