"""Sec. 5 of Hacohen et al. 2020 (h7, h8, h9): bimodality of a run against the natural-data run."""

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from replicate import curves, runs
from replicate.book import pipeline
from replicate.hacohen2020 import analysis
from replicate.hacohen2020 import plots as hacohen_plots
from replicate.hacohen2020 import specs as hacohen_specs
from replicate.train import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
NATURAL_KEYS = (
    "dataset",
    "arch",
    "width",
    "n_models",
    "n_train",
    "n_test",
    "epochs",
    "batch_size",
    "lr",
    "momentum",
    "seed",
    "first_checked_epoch",
)


def test_margin_is_half_the_papers_gap():
    assert curves.NON_BIMODAL_MARGIN == pytest.approx(0.425)


def test_bimodality_summary_skips_early_epochs_and_nan():
    curve = np.array([5.0, 1.0, np.nan, 3.0, 2.0])
    assert curves.bimodality_summary(curve, 1) == 2.0
    assert curves.bimodality_summary(curve, 1, "min") == 1.0
    assert curves.bimodality_summary(curve, 0, "max") == 5.0
    assert math.isnan(curves.bimodality_summary(np.array([1.0, np.nan]), 1))
    with pytest.raises(ValueError, match="stat='mean'"):
        curves.bimodality_summary(curve, 1, "mean")


def test_bimodality_summary_over_listed_epochs():
    curve = np.array([5.0, 1.0, np.nan, 3.0, 2.0])
    assert curves.bimodality_summary(curve, np.array([0, 2, 3])) == 4.0
    assert curves.bimodality_summary(curve, np.array([1, 4]), "max") == 2.0
    assert math.isnan(curves.bimodality_summary(curve, np.array([], dtype=int)))


def test_learning_epochs_stop_at_ninety_percent_of_the_rise():
    # K = 4: chance 0.25; mean accuracy 0.25, 0.45, 0.65, 0.85, 0.95, 0.95 -> progress 0, 2/7, 4/7, 6/7, 1, 1
    acc = np.array([[0.2, 0.4, 0.6, 0.8, 0.9, 0.9], [0.3, 0.5, 0.7, 0.9, 1.0, 1.0]])
    assert curves.learning_epochs(acc, 4, 1).tolist() == [1, 2, 3]
    assert curves.learning_epochs(acc, 4, 1, fraction=0.5).tolist() == [1]
    assert curves.learning_epochs(acc, 4, 2, fraction=0.5).tolist() == []


def test_independence_ratio():
    ours, indep = np.array([0.0, 1.5, 1.7]), np.array([0.0, 1.8, 1.8])  # |diff| 0.3, 0.1 -> median 0.2
    natural, natural_indep = np.array([0.0, 0.4, 0.5, 0.3]), np.array([0.0, 1.8, 1.8, 1.8])  # 1.4, 1.3, 1.5 -> 1.4
    assert analysis.independence_ratio(ours, indep, natural, natural_indep, 1, 1) == pytest.approx(0.2 / 1.4)
    assert analysis.independence_ratio(natural, natural_indep, natural, natural_indep, 1, 1) == pytest.approx(1.0)


def test_natural_spec_is_h1s_spec():
    p = {
        "dataset": "fashion_mnist",
        "arch": "mlp",
        "width": 0.5,
        "n_models": 3,
        "n_train": 300,
        "n_test": 200,
        "epochs": 2,
        "batch_size": 50,
        "lr": 0.05,
        "momentum": 0.9,
        "seed": 1,
        "extra": 0,
    }
    expected = runs.EnsembleSpec(
        runs.DataSpec("fashion_mnist", n_train=300, n_test=200, seed=1),
        TrainConfig("mlp", n_models=3, epochs=2, width=0.5, batch_size=50, lr=0.05, momentum=0.9, schedule="hacohen", seed=1),
    )
    assert hacohen_specs.natural_spec(p) == expected


@pytest.mark.parametrize("fig", ["h7", "h8", "h9"])
@pytest.mark.parametrize("scale", ["laptop", "smoke", "paper"])
def test_natural_parameters_follow_h1_at_every_scale(fig, scale):
    """Each Sec. 5 notebook reads h1's collection back from the store: same values as h1's."""
    nbs = pipeline.notebooks(ROOT)
    h1 = pipeline.resolved(nbs["hacohen2020/h1"], scale)
    ours = pipeline.resolved(nbs[f"hacohen2020/{fig}"], scale)
    assert {k: ours["natural"][k] for k in NATURAL_KEYS} == {k: h1[k] for k in NATURAL_KEYS}


def test_bimodality_comparison_draws_a_panel_per_split_and_accuracy():
    epochs = np.arange(4)
    curves = {
        "ours": (epochs, {"train": np.array([1.8, 1.5, 1.4, 1.3]), "test": np.array([1.8, 1.6, 1.5, 1.5])}),
        "natural data": (np.arange(3), {"train": np.array([1.6, 0.4, 0.3]), "test": np.array([1.6, 0.4, 0.3])}),
        "ours (independent)": (epochs, {"test": np.full(4, 1.8)}),
    }
    acc = {"train": np.array([[0.1, 0.5, 0.7, 0.9], [0.1, 0.4, 0.6, 0.8]])}
    fig = hacohen_plots.bimodality_comparison(curves, lines={"test": {"not bimodal above": 0.8}}, accuracy=acc, title="t")
    axes = fig.get_axes()
    assert len(axes) == 3
    assert len(axes[0].get_lines()) == 3  # ours, natural, the zero line
    assert len(axes[1].get_lines()) == 5  # ours, natural, independent, threshold, zero line
    matplotlib.pyplot.close(fig)
    fig = hacohen_plots.bimodality_comparison(curves, ylim=(0, 4))
    assert [ax.get_ylim() for ax in fig.get_axes()] == [(0, 4), (0, 4)]
    matplotlib.pyplot.close(fig)
