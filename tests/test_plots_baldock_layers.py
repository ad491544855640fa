import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from replicate.baldock2021 import plots as baldock_plots


def test_band_draws_the_mean_of_members_and_skips_empty_members():
    fig, ax = plt.subplots()
    values = np.array([[0.2, 0.4, 0.6], [0.4, 0.6, 0.8], [np.nan, np.nan, np.nan]])
    baldock_plots.band(ax, np.arange(3), values, "red", "x")
    line = ax.lines[0]
    np.testing.assert_allclose(line.get_ydata(), [0.3, 0.5, 0.7])
    assert len(ax.collections) == 1  # the sd band
    baldock_plots.band(ax, np.arange(3), np.array([0.1, 0.2, 0.3]), label="plain")
    assert len(ax.collections) == 1 and len(ax.lines) == 2
    plt.close(fig)


def test_learning_order_has_three_panels_with_one_curve_per_split():
    by_depth = (np.array([0, 1, 3]), np.array([0.1, 0.3, 0.9]), np.array([0.6, 0.3, 0.1]))
    curves = {name: np.random.default_rng(0).random((3, 5)) for name in baldock_plots.SPLIT_COLORS}
    fig = baldock_plots.learning_order(by_depth, curves, curves, np.arange(5), ["input", "a", "b", "c", "softmax"])
    assert len(fig.axes) == 3
    assert len(fig.axes[1].lines) == 4 and len(fig.axes[2].lines) == 4
    assert [t.get_text() for t in fig.axes[2].get_xticklabels()] == ["input", "a", "b", "c", "softmax"]
    fig.canvas.draw()
    for ax in fig.axes[:2]:  # prediction depth and epoch: whole numbers only
        assert all(float(tick).is_integer() for tick in ax.get_xticks())
    plt.close(fig)


def test_depth_vs_margin_drops_nonpositive_and_undefined_margins():
    rng = np.random.default_rng(0)
    depth = rng.integers(0, 8, 200).astype(float)
    margin = 10.0 ** (-depth / 2 + rng.normal(0, 0.1, 200))
    margin[:5] = 0.0
    depth[5:10] = np.nan
    fig, ax = plt.subplots()
    baldock_plots.depth_vs_margin(ax, depth, margin, -0.9, -0.95, ylabel="output margin")
    counts = ax.collections[0].get_array()
    assert np.nansum(counts) == 190
    assert "r = -0.90" in ax.get_title() and "Spearman -0.95" in ax.get_title()
    means = ax.lines[0].get_ydata()
    assert np.all(np.diff(means) < 0)  # the mean log margin falls with depth
    plt.close(fig)


@pytest.mark.parametrize("splits", [("train", "test"), ("train",)])
def test_probe_accuracy_by_config_one_panel_per_split(splits):
    curves = {name: {s: np.full((2, 4), 0.5) for s in splits} for name in ("untrained", "CE, SGD")}
    fig = baldock_plots.probe_accuracy_by_config(curves, list("abcd"), chance=0.5)
    assert len(fig.axes) == len(splits)
    assert all(len(ax.lines) == 3 for ax in fig.axes)  # two configs and the chance line
    plt.close(fig)


def test_difficulty_forms_solid_confidence_dotted_accuracy():
    forms = list(baldock_plots.FORM_COLORS)
    conf = {w: {f: np.linspace(0, 1, 5) for f in forms} for w in ("ground truth", "consensus")}
    fig = baldock_plots.difficulty_forms(conf, conf, list("abcde"))
    ax = fig.axes[0]
    assert len(ax.lines) == 8
    assert [line.get_linestyle() for line in ax.lines[:2]] == ["-", ":"]
    assert ax.get_legend() is None and [t.get_text() for t in fig.legends[0].get_texts()] == forms  # under the panels
    plt.close(fig)


def test_k_sensitivity_and_knn_vs_logistic_draw_every_curve():
    curves = {k: {"train": np.full((2, 3), 0.9), "test": np.full((2, 3), 0.8)} for k in (3, 10, 30)}
    fig = baldock_plots.k_sensitivity(curves, ["input", "c1", "softmax"])
    assert len(fig.axes[0].lines) == 6
    plt.close(fig)
    knn = {"train": np.ones(3), "test": np.ones(3)}
    logistic = {"train": np.ones(3), "test": np.ones(3), "half": np.ones(3)}
    fig = baldock_plots.knn_vs_logistic(knn, logistic, ["input", "c1", "softmax"])
    assert len(fig.axes[0].lines) == 5
    plt.close(fig)
