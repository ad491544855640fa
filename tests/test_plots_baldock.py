import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from replicate.baldock2021 import plots as baldock_plots


def test_nearest_points_skips_nan_and_keeps_index_order_on_ties():
    values = np.array([0.0, 0.0, 2.0, np.nan, 1.1, 0.9, 0.0])
    got = baldock_plots.nearest_points(values, [0, 1, 5], 2)
    assert got[0].tolist() == [0, 1]
    assert sorted(got[1].tolist()) == [4, 5]
    assert got[5].tolist() == [2, 4] or got[5].tolist() == [2, 5]  # 2.0 first, then 1.1
    assert 3 not in np.concatenate(list(got.values()))
    assert len(baldock_plots.nearest_points(np.array([np.nan, 1.0]), [0], 5)[0]) == 1


def test_depth_distributions_drop_missing_depths_and_normalise():
    d = np.array([[0, 0, 1, -1], [2, 0, -1, -1]])
    fig = baldock_plots.depth_distributions({"mlp": {"clean": d, "noisy": np.array([3.0, np.nan, 1.0])}}, {"mlp": 4})
    ax = fig.axes[0]
    heights = ax.patches[0].get_data()[0] if hasattr(ax.patches[0], "get_data") else None
    if heights is not None:
        np.testing.assert_allclose(heights, [3 / 5, 1 / 5, 1 / 5, 0])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["clean (mean 0.60)", "noisy (mean 2.00)"]
    fig.canvas.draw()
    legend, bars = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert legend.y1 < bars.y0  # under the panel, off the bars
    plt.close(fig)


def test_hist2d_panels_counts_finite_pairs_only():
    x = np.array([0.1, 0.2, np.nan, 0.9])
    y = np.array([0.5, 0.5, 0.1, np.nan])
    fig = baldock_plots.hist2d_panels(
        {
            "a": {
                "x": x,
                "y": y,
                "xbins": np.linspace(0, 1, 5),
                "ybins": np.linspace(0, 1, 5),
                "xlabel": "x",
                "ylabel": "y",
                "note": "rho",
                "diagonal": True,
                "lines": {"p5": (np.array([0.2]), np.array([0.4]))},
            }
        },
    )
    text = [t.get_text() for t in fig.axes[0].texts]
    assert "rho, n = 2" in text
    colourbar = fig.axes[1]
    assert colourbar.get_ylabel() == "fraction of points"
    assert all(t.get_size() >= 9 for t in colourbar.get_yticklabels())
    plt.close(fig)


def test_image_rows_grow_with_two_line_captions():
    imgs = np.zeros((2, 1, 8, 8), np.uint8)
    one = baldock_plots.image_rows({"r": imgs}, {"r": ["a", "b"]})
    two = baldock_plots.image_rows({"r": imgs}, {"r": ["a\nwas b", "b"]})
    assert two.get_figheight() > one.get_figheight()
    plt.close(one)
    plt.close(two)


def test_other_figures_draw():
    f1 = baldock_plots.depth_markers({"t": {"a": (np.array([0, 1]), np.array([0.9, 0.5]), np.array([0.8, 0.2]))}}, {"t": "accuracy"})
    f2 = baldock_plots.spearman_matrices(["a", "b"], {"train": np.array([[1.0, 0.5], [0.5, np.nan]])})
    imgs = np.zeros((3, 1, 8, 8), np.uint8)
    f3 = baldock_plots.image_rows({"row 1": imgs, "row 2": imgs[:1]}, {"row 1": ["x", "y", "z"]})
    assert len(f3.axes) == 6
    for f in (f1, f2, f3):
        plt.close(f)


def test_fraction_edges_centre_each_fraction_in_its_own_bin():
    e = baldock_plots.fraction_edges(4)
    counts = np.histogram(np.arange(5) / 4, bins=e)[0]
    assert counts.tolist() == [1, 1, 1, 1, 1]
    assert e[0] < 0 < e[1] and e[-2] < 1 < e[-1]


def test_titles_name_data_sets_and_architectures_as_readers_know_them():
    from replicate import plotting

    assert f"{plotting.name('small_stvgg', plural=True)} on {plotting.name('fashion_mnist')}" == "small st-VGGs on Fashion-MNIST"
    assert plotting.name("some_new_net") == "some new net"
