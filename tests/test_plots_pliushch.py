import matplotlib

matplotlib.use("Agg")
import numpy as np

from replicate import plotting
from replicate.pliushch2022 import agreement
from replicate.pliushch2022 import plots as pliushch_plots

CORRECT = np.random.default_rng(0).random((4, 3, 50)) < np.array([0.1, 0.6, 0.9])[None, :, None]


def test_agreement_curves_one_panel_per_entry_and_shared_legend():
    c = agreement.curves(CORRECT)
    fig = pliushch_plots.agreement_curves({"a": (np.arange(3), c), "b": (np.arange(3), c), "c": (np.arange(3), c)}, ncols=2)
    assert sum(ax.get_visible() for ax in fig.axes) == 3
    assert len(fig.legends) == 1


def test_repeat_bands_and_pabak():
    rep = agreement.repeat_curves(CORRECT, 2)
    fig = pliushch_plots.repeat_bands(np.arange(3), {"train": rep, "test": rep})
    assert len(fig.axes) == 2 and "2 repeats" in fig.axes[0].get_title()
    fig = pliushch_plots.pabak_curves(np.arange(3), {"train": agreement.curves(CORRECT)}, plotting.COLORS)
    assert len(fig.axes[0].lines) == 3  # PABAK, TPa and the zero line


def test_agreement_vs_statistics_brackets_weak_correlations():
    fig = pliushch_plots.agreement_vs_statistics(np.arange(5), np.linspace(0, 1, 5), {"s": np.arange(5.0)}, {"s": (0.5, 0.01)}, 1)
    assert "[0.50]" in fig.axes[0].get_title()


def _integer_ticks(ax) -> bool:
    """Whether every tick on ``ax``'s x axis (epochs) is a whole number."""
    return all(float(t).is_integer() for t in ax.get_xticks())


def test_epoch_axes_have_integer_ticks():
    c = agreement.curves(CORRECT)
    fig = pliushch_plots.agreement_curves({"a": (np.arange(3), c)})
    assert _integer_ticks(fig.axes[0])
    fig = pliushch_plots.agreement_vs_statistics(np.arange(11), np.linspace(0, 1, 11), {"s": np.arange(11.0)}, {"s": (0.5, 0.01)}, 2)
    assert _integer_ticks(fig.axes[0]) and fig.axes[-1].get_ylabel() == "mean of agreed images"  # the twin axis
    rep = agreement.repeat_curves(CORRECT, 2)
    assert _integer_ticks(pliushch_plots.repeat_bands(np.arange(3), {"train": rep}).axes[0])
    assert _integer_ticks(pliushch_plots.pabak_curves(np.arange(3), {"train": c}, plotting.COLORS).axes[0])


def test_class_legend_sits_beside_the_curves():
    fig = pliushch_plots.class_fractions(np.arange(3), np.full((3, 2), 0.5), ["a", "b"], "t")
    fig.canvas.draw()
    legend = fig.axes[0].get_legend().get_window_extent()
    assert legend.x0 >= fig.axes[0].get_window_extent().x1


def test_histogram_labels_wrap_and_counts_get_one_bar_per_value():
    fig = pliushch_plots.statistic_histograms(
        {"a statistic with a rather long name indeed": np.array([4.0, 5.0, 5.0, 7.0]), "b": np.linspace(0, 1, 50)}
    )
    assert "\n" in fig.axes[0].get_xlabel()
    assert len(fig.axes[0].patches) == 4  # bars for 4, 5, 6 and 7
