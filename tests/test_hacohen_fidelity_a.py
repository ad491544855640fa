"""Hand-derived answers for the statistics behind h3, h4 and h11's claims: the exact bimodality of
independent models, the window of the trained collection, the class-order null and the labels in use."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from replicate import metrics
from replicate.hacohen2020 import analysis, compare, plots


@pytest.mark.parametrize("n_models", [2, 5, 10])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.93])
def test_independent_bimodality_of_equal_accuracies_is_two_minus_two_over_n(n_models, p):
    # Binomial(N, p): excess kurtosis (1 - 6pq)/(Npq), skewness^2 (1 - 2p)^2/(Npq) = (1 - 4pq)/(Npq),
    # so kurtosis - skewness^2 - 1 = 2 - 2pq/(Npq) = 2 - 2/N whatever p.
    accuracy = np.full((n_models, 1), p)
    assert compare.independent_bimodality(accuracy) == pytest.approx([2 - 2 / n_models])


def test_independent_bimodality_matches_the_exact_distribution_of_unequal_accuracies():
    # p = (0.5, 0.25): P(0 right) = 0.375, P(1) = 0.5, P(2) = 0.125, i.e. exactly the 8 values below
    exact = np.array([0, 0, 0, 1, 1, 1, 1, 2]) / 2
    assert compare.independent_bimodality(np.array([[0.5], [0.25]])) == pytest.approx([metrics.bimodality(exact)])


def test_a_model_that_is_always_right_only_shifts_the_consistency():
    # (1, 0.5, 0.5): one sure model plus Binomial(2, 0.5), whose measure is 2 - 2/2 = 1, not 2 - 2/3
    # (1, 0.5): two points, measure 0; (1, 0): constant, no measure
    assert compare.independent_bimodality(np.array([[1.0], [0.5], [0.5]])) == pytest.approx([1.0])
    two_point, constant = compare.independent_bimodality(np.array([[1.0, 1.0], [0.5, 0.0]]))
    assert two_point == pytest.approx(0.0) and np.isnan(constant)


def test_independent_bimodality_is_per_epoch_and_close_to_a_large_draw():
    rng = np.random.default_rng(0)
    accuracy = np.array([[0.3, 0.9], [0.6, 0.95], [0.8, 0.7], [0.5, 0.99]])
    exact = compare.independent_bimodality(accuracy)
    drawn = [metrics.bimodality((rng.random((4, 400_000)) < accuracy[:, e, None]).mean(0)) for e in range(2)]
    assert exact == pytest.approx(drawn, abs=0.02)


@pytest.mark.parametrize(("n_epochs", "window"), [(15, [11, 12, 13, 14, 15]), (2, [2]), (1, [1]), (25, list(range(17, 26)))])
def test_final_epochs_are_the_last_third_rounded_up(n_epochs, window):
    assert analysis.final_epochs(n_epochs).tolist() == window


def test_class_spread_against_shuffled_labels():
    # epochs 0..2, 3 classes of 300 images: class 0 all right from epoch 1, classes 1 and 2 from epoch 2
    labels = np.repeat([0, 1, 2], 300)
    consistency = np.zeros((3, 900))
    consistency[1, labels == 0] = 1
    consistency[2] = 1
    assert analysis.class_learned_epoch(consistency, labels, 3).tolist() == [1, 2, 2]
    assert analysis.class_spread(consistency, labels, 3) == 1
    # shuffled, each class holds about a third of class 0's images at epoch 1 (far below half): no spread
    assert analysis.shuffled_class_spread(consistency, labels, 3, n_shuffles=20) == 0.0
    # when every class is learned alike, the spread is no larger than the shuffled one
    alike = np.repeat([[0.0], [0.0], [1.0]], 900, axis=1)
    assert analysis.class_spread(alike, labels, 3) == 0 == analysis.shuffled_class_spread(alike, labels, 3, n_shuffles=5)


def test_effective_labels_count_the_labels_a_network_uses():
    preds = np.array([[0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 1, 2], [1, 1, 1, 1, 1, 1]])
    assert analysis.effective_labels(preds, 3) == pytest.approx([2, 3, 1])


def test_independent_effective_labels():
    balanced = np.repeat(np.arange(10), 4)
    assert analysis.independent_effective_labels(np.array([0.1, 0.3, 0.9, 1.0]), balanced, 10) == pytest.approx([10] * 4)
    # classes 0, 0, 0, 1: right always -> shares (3/4, 1/4); half right -> (1/2, 1/2)
    h = -(0.75 * np.log(0.75) + 0.25 * np.log(0.25))
    got = analysis.independent_effective_labels(np.array([1.0, 0.5, 0.0]), np.array([0, 0, 0, 1]), 2)
    assert got == pytest.approx([np.exp(h), 2, np.exp(h)])


def test_label_shortfall():
    labels = np.array([0, 1, 0, 1])
    # right on everything: as many labels as independent models use; all called 0: half right, one label of two
    assert analysis.label_shortfall(np.array([[0, 1, 0, 1]]), labels, 2) == pytest.approx(0.0)
    assert analysis.label_shortfall(np.array([[0, 0, 0, 0], [0, 1, 0, 1]]), labels, 2) == pytest.approx(0.5)


def test_epoch_curves_shade_the_window_the_claims_average():
    fig = plots.epoch_curves(np.arange(6), {"noise": np.linspace(0.5, 0.7, 6)}, "mean consensus", "t", window=np.array([4, 5]))
    (span,) = fig.axes[0].patches
    x = span.get_path().transformed(span.get_patch_transform()).vertices[:, 0]
    assert (x.min(), x.max()) == pytest.approx((3.5, 5.5))
    assert not plots.epoch_curves(np.arange(6), {"noise": np.zeros(6)}, "y", "t").axes[0].patches
