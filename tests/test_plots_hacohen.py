import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from replicate.hacohen2020 import plots

RNG = np.random.default_rng(0)
EPOCHS = np.arange(4)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _box(fig, artist):
    """The artist's extent in display pixels, after the figure has been laid out."""
    fig.canvas.draw()
    return artist.get_window_extent(fig.canvas.get_renderer())


def _overlap(fig, a, b) -> bool:
    return _box(fig, a).overlaps(_box(fig, b))


@pytest.mark.parametrize("draw", ["epoch_curves", "bimodality_curves"])
def test_epoch_axes_have_integer_ticks(draw):
    from replicate import plotting

    if draw == "epoch_curves":
        fig = plots.epoch_curves(EPOCHS, {"train": RNG.random(4), "test": RNG.random(4)}, "mean consensus", "t")
    else:
        fig = plotting.bimodality_curves(EPOCHS, {"test": RNG.random(4)}, accuracy={"test": RNG.random((3, 4))})
    fig.canvas.draw()
    for ax in fig.axes:
        ticks = ax.get_xticks()
        assert len(ticks) > 1 and np.allclose(ticks, np.round(ticks))


@pytest.mark.parametrize("draw", ["epoch_curves", "collection_curves"])
def test_curve_legends_sit_beside_the_axes(draw):
    if draw == "epoch_curves":
        fig = plots.epoch_curves(EPOCHS, {"train": RNG.random(4), "test (independent)": RNG.random(4)}, "y", "t")
    else:
        fig = plots.collection_curves(EPOCHS, {"a": {"train": RNG.random(4)}, "b": {"test": RNG.random(4)}}, "y", "t")
    ax = fig.axes[0]
    assert _box(fig, ax.get_legend()).x0 >= _box(fig, ax).x1


def test_histogram_legend_clears_the_title_and_panels():
    panels = {"train": RNG.random((3, 100)), "test": RNG.random((3, 100))}
    fig = plots.consistency_histograms(panels, [0, 1, 2], 10, baseline=panels, suptitle="Consistency of 10 small st-VGGs on Fashion-MNIST")
    legend = fig.legends[0]
    assert not _overlap(fig, legend, fig._suptitle)
    assert not any(_overlap(fig, legend, ax) for ax in fig.axes)


def test_matched_histogram_titles_do_not_collide():
    titles = [f"acc 0.7{i} / 0.7{i}\nA1 epoch {6 + i}, B epoch {i + 1}" for i in range(3)]
    fig = plots.matched_histograms(
        {"test": RNG.random((3, 100))}, titles, 20, baseline={"test": RNG.random((3, 100))}, suptitle="Cross-consistency"
    )
    heads = [ax.title for ax in fig.axes]
    assert not any(_overlap(fig, a, b) for a, b in zip(heads, heads[1:]))
    assert not _overlap(fig, fig.legends[0], fig._suptitle)


def test_long_scatter_labels_wrap_instead_of_colliding():
    x = RNG.random(50)
    label = "boosting easiness (fraction of stages correct)"
    fig = plots.accessibility_scatter({"a": (x, x, 1.0, 0.0), "b": (x, x, 1.0, 0.0)}, xlabel=label, ylabels=["y", "y"])
    left, right = (ax.xaxis.label for ax in fig.axes)
    assert "\n" in left.get_text() and not _overlap(fig, left, right)


def test_trajectory_legend_is_below_the_curves():
    fig = plots.trajectories(np.arange(16), {"learned at once": np.ones(16), "never learned": np.zeros(16)})
    ax = fig.axes[0]
    assert _box(fig, ax.get_legend()).y1 <= _box(fig, ax).y0
