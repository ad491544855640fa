"""The small helpers that turn a Hacohen run's results into the numbers and words its prose quotes."""

import numpy as np
import pytest

from replicate import prose
from replicate.hacohen2020 import compare


@pytest.mark.parametrize(
    ("epochs", "text"),
    [([], "no epoch"), ([3], "epoch 3"), (np.array([2, 3, 4]), "epochs 2 to 4"), ([5, 2, 3], "epochs 2, 3 and 5")],
)
def test_epoch_span_says_the_picked_epochs(epochs, text):
    assert prose.epoch_span(epochs) == text


@pytest.mark.parametrize(
    ("names", "text"), [([], "none"), (["Coat"], "Coat"), (["Pullover", "Shirt"], "Pullover and Shirt"), (["a", "b", "c"], "a, b and c")]
)
def test_listed_joins_names_as_prose(names, text):
    assert prose.listed(names) == text


def test_lowest_epoch_is_the_checked_minimum_skipping_nan():
    curve = np.array([0.1, 0.9, np.nan, 0.5, 0.7])
    assert compare.lowest_epoch(curve, [1, 2, 3, 4]) == 3
    assert compare.lowest_epoch(curve, [0, 1]) == 0
    assert compare.lowest_epoch(curve, [2]) == -1
    assert compare.lowest_epoch(curve, []) == -1


def test_independent_all_wrong_multiplies_the_error_rates():
    accuracy = np.array([[0.1, 0.5, 1.0], [0.1, 0.8, 0.0]])
    np.testing.assert_allclose(compare.independent_all_wrong(accuracy), [0.81, 0.1, 0.0])
