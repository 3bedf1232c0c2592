"""The bundled 8×8 digits: the file holds what its generator says, declares its image shape, and the example
project as shipped learns it."""

from __future__ import annotations

import numpy as np
import pytest

from engine.datasets import Dataset, load_bundled, split
from engine.errors import DataError
from engine.project import DataSpec, open_example


def test_digits_are_1797_images_of_8_by_8_whole_pixels_in_ten_classes() -> None:
    digits = load_bundled("digits")
    assert (digits.n_samples, digits.n_features, digits.n_classes) == (1797, 64, 10)
    assert digits.target_names == tuple(str(k) for k in range(10))
    assert digits.image_shape == (8, 8)
    assert digits.feature_names[:2] == ("pixel_0_0", "pixel_0_1") and digits.feature_names[-1] == "pixel_7_7"
    assert (np.round(digits.X) == digits.X).all() and digits.X.min() == 0 and digits.X.max() == 16
    assert np.bincount(digits.y).min() >= 170  # about 180 of each digit


def test_the_image_shape_survives_the_split_and_standardisation() -> None:
    train, val, scaler = DataSpec("bundled", "digits", standardize=True).load()
    assert scaler is not None and train.image_shape == val.image_shape == (8, 8)
    assert load_bundled("iris").image_shape is None


def test_an_image_shape_must_hold_the_inputs_exactly() -> None:
    ok = Dataset("d", np.zeros((2, 6)), np.array([0, 1]), "classification", tuple("abcdef"), ("a", "b"),
                 image_shape=(2, 3))
    assert ok.image_shape == (2, 3) and split(ok, 0.0, 0)[0].image_shape == (2, 3)
    for bad in ((8, 8), (6,), (0, 6), (2.0, 3.0)):
        with pytest.raises(DataError, match="image shape"):
            Dataset("d", np.zeros((2, 6)), np.array([0, 1]), "classification", tuple("abcdef"), ("a", "b"),
                    image_shape=bad)  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_digits_example_reaches_95_percent_validation_accuracy_within_its_epochs() -> None:
    """The example exactly as shipped (network, seed, settings, split); bench/digits_bench.py times it."""
    project = open_example("Digits (8×8)")
    trainer = project.make_trainer(*project.data.load(project.data_dir)[:2])
    first = trainer.evaluate(trainer.x_val, trainer.t_val)[1]
    *_, result = trainer.run()
    assert trainer.stop_reason == f"epoch budget of {project.settings.epochs} reached"
    assert result.epoch_metrics["val_accuracy"] >= 0.95 > first
