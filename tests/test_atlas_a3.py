"""a3 (FIGURES row a3): Hacohen's bimodality and Pliushch's TPa on the same random-label networks."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from replicate import metrics
from replicate.atlas import plots, reconcile
from replicate.book import pipeline
from replicate.hacohen2020 import compare
from replicate.hacohen2020 import specs as hacohen_specs

ROOT = Path(__file__).resolve().parents[1]


def params(fig: str, scale: str) -> dict:
    return pipeline.resolved(pipeline.notebooks(ROOT)[fig], scale)


@pytest.mark.parametrize("scale", ["laptop", "smoke", "paper"])
def test_a3_reads_h8s_and_h1s_networks_like_p2(scale):
    a3, p2 = params("atlas/a3", scale), params("pliushch2022/p2", scale)
    h8, h1 = params("hacohen2020/h8", scale), params("hacohen2020/h1", scale)
    assert (a3["h8"], a3["natural"], a3["n_models"]) == (p2["h8"], p2["natural"], p2["n_models"])
    assert hacohen_specs.random_labels_spec(a3["h8"]) == hacohen_specs.random_labels_spec(h8)
    assert hacohen_specs.natural_spec(a3["natural"]) == hacohen_specs.natural_spec(h1)


def test_independent_histogram_by_hand():
    # two networks: at 0.5 and 0.5, 0 / 1 / 2 right with 1/4, 1/2, 1/4; at 1 and 0 always exactly one
    h = reconcile.independent_histogram(np.array([[0.5, 1.0], [0.5, 0.0]]))
    assert h == pytest.approx(np.array([[0.25, 0.5, 0.25], [0.0, 1.0, 0.0]]))
    # three networks 0.2, 0.5, 0.9: P(none) = 0.8 * 0.5 * 0.1, P(all) = 0.2 * 0.5 * 0.9
    h = reconcile.independent_histogram(np.array([[0.2], [0.5], [0.9]]))[0]
    assert h[0] == pytest.approx(0.04) and h[3] == pytest.approx(0.09) and h.sum() == pytest.approx(1.0)


def test_independent_histogram_has_the_exact_independent_bimodality():
    acc = np.array([[0.2, 0.6], [0.5, 0.7], [0.9, 0.8], [0.4, 0.75]])
    h = reconcile.independent_histogram(acc)
    k = np.arange(acc.shape[0] + 1)
    mean = h @ k
    central = [(h * (k - m) ** r).sum(-1) for r in (2, 3, 4) for m in [mean[:, None]]]
    var, m3, m4 = central
    ours = m4 / var**2 - m3**2 / var**3 - 1
    assert ours == pytest.approx(compare.independent_bimodality(acc))


def test_consistency_histogram_counts_networks_right():
    # 2 networks, 4 examples, one checkpoint: right counts 2, 1, 0, 1
    correct = np.array([[[1, 1, 0, 0]], [[1, 0, 0, 1]]], dtype=bool)
    assert reconcile.consistency_histogram(correct)[0] == pytest.approx([0.25, 0.5, 0.25])


def test_end_bars_are_tpa_and_the_normalised_expected_agreement():
    rng = np.random.default_rng(0)
    correct = rng.random((3, 2, 50)) < np.array([0.3, 0.8])[None, :, None]
    tpa = reconcile.end_bars(reconcile.consistency_histogram(correct))
    assert tpa == pytest.approx([metrics.true_positive_agreement(correct[:, e]) for e in range(2)])
    acc = np.array([[0.2, 0.6], [0.5, 0.7], [0.9, 0.8]])
    expected = reconcile.end_bars(reconcile.independent_histogram(acc))
    assert expected == pytest.approx([metrics.expected_random_agreement(a, normalized=True) for a in acc.T])
    assert np.isnan(reconcile.end_bars(np.array([1.0, 0.0, 0.0])))


def test_class_expected_agreement_by_hand():
    # class 0 (examples 0, 1): both networks right on both, a = (1, 1); class 1 (examples 2, 3):
    # network A right on one, B on none, a = (0.5, 0). All right: 2 * 1 + 2 * 0 = 2; any right:
    # 2 * 1 + 2 * (1 - 0.5 * 1) = 3 -> 2/3, where the plain expectation is 0.375 / 0.875
    correct = np.array([[[1, 1, 1, 0]], [[1, 1, 0, 0]]], dtype=bool)
    labels = np.array([0, 0, 1, 1])
    assert reconcile.class_expected_agreement(correct, labels, 2) == pytest.approx([2 / 3])
    assert metrics.expected_random_agreement([0.75, 0.5], normalized=True) == pytest.approx(0.375 / 0.875)
    # one class: the plain normalised expectation; nobody right: nan
    assert reconcile.class_expected_agreement(correct, np.zeros(4, int), 2) == pytest.approx([0.375 / 0.875])
    assert np.isnan(reconcile.class_expected_agreement(np.zeros((2, 1, 4), bool), labels, 2)).all()


def test_middle_of_the_window():
    assert reconcile.middle(np.array([3, 4, 5, 6]), 10) == 4
    assert reconcile.middle(np.array([7]), 10) == 7
    assert reconcile.middle(np.array([], dtype=int), 10) == 9


def test_both_ways_draws_each_measure_with_its_baselines():
    epochs = np.arange(4)
    agreement = {"TPa": np.array([0, 0.1, 0.2, 0.3]), "expected": np.array([0, 0.05, 0.1, 0.2]), "within class": np.full(4, 0.1)}
    fig = plots.both_ways(epochs, np.array([1.5, 1.6, 1.7, 1.2]), np.full(4, 1.8), 0.9, 10, agreement, np.array([1, 2]))
    left, right = fig.axes
    assert len(left.get_lines()) == 4  # ours, independent, 2 - 2/N, the not-bimodal line
    assert left.get_lines()[2].get_ydata()[0] == pytest.approx(1.8)
    assert len(right.get_lines()) == 3
    assert len(left.patches) == len(right.patches) == 1  # the shaded window
    fig = plots.both_ways(epochs, np.ones(4), np.ones(4), 0.9, 10, agreement, np.array([], dtype=int))
    assert not fig.axes[0].patches


def test_histograms_draw_one_panel_per_entry():
    h = np.array([0.25, 0.5, 0.25])
    fig = plots.histograms({"all": (h, h), "first": (h, h)}, 3)
    assert len(fig.axes) == 2 and len(fig.axes[0].patches) == 3
