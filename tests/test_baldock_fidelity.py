"""The fidelity checks of Baldock 2021's b3 and b8 on hand-built inputs: Fig. 3's mirror bound
tested as a reflected line, and Sec. 4's middle-layer probe cross-fitted over members."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from replicate.baldock2021 import difficulty, plots
from replicate.probes import Probes
from replicate.verdicts import Undecided


def bins_of(lower: list[float], upper: list[float], n_upper: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Depth bins [b, b + 1): 20 consensus = label points at consistency ``lower[b]`` and
    ``n_upper[b]`` consensus != label points at ``upper[b]`` (constant, so every percentile is it)."""
    depth, consistency, agree = [], [], []
    for b, (lo, up, n) in enumerate(zip(lower, upper, n_upper)):
        depth += [b + 0.5] * (20 + n)
        consistency += [lo] * 20 + [up] * n
        agree += [True] * 20 + [False] * n
    return np.array(depth), np.array(consistency), np.array(agree)


def test_mirror_gaps_compare_the_upper_line_with_the_reflected_lower_one_at_low_depth():
    # bin 0: L = 1, U = 0 (on the line); bin 1: L = 0.75, U = 0.375 (0.125 above 1 - L = 0.25);
    # bin 2: L = 0.625 but only 5 disagreeing points (no U); bin 3: L = 0.25 (1 - L above 1/2: not tested)
    depth, consistency, agree = bins_of([1.0, 0.75, 0.625, 0.25], [0.0, 0.375, 0.49, 0.49], [12, 12, 5, 12])
    centres, gaps = difficulty.mirror_gaps(depth, consistency, agree, np.arange(5.0))
    assert centres.tolist() == [0.5, 1.5]
    np.testing.assert_allclose(gaps, [0.0, 0.125])
    assert difficulty.mirror_excess(depth, consistency, agree, np.arange(5.0)) == pytest.approx(0.125)


def test_mirror_excess_is_negative_under_the_line_and_undecided_without_a_low_depth_bin():
    depth, consistency, agree = bins_of([0.9, 0.8], [0.0, 0.1], [10, 10])  # U under 1 - L by 0.1 in both bins
    assert difficulty.mirror_excess(depth, consistency, agree, np.arange(3.0)) == pytest.approx(-0.1)
    depth, consistency, agree = bins_of([0.5, 0.3], [0.0, 0.1], [10, 10])  # L never above 1/2
    out = difficulty.mirror_excess(depth, consistency, agree, np.arange(3.0))
    assert isinstance(out, Undecided) and np.isnan(out.value)


def cross_fit_probes() -> Probes:
    """4 members, 8 pool points, 4 probes (input, two middle, softmax), every label 0. Each point is
    held out by one even and one odd member. The even members put points 0, 1 in the "ambiguous
    unless labelled" corner (training depth 0, validation depth 3), the odd members points 2, 3."""
    held = np.zeros((4, 8), bool)
    held[0, :4] = held[2, 4:] = True
    held[1, [0, 1, 4, 5]] = held[3, [2, 3, 6, 7]] = True
    depth = np.array(
        [
            [3, 3, 2, 2, 2, 2, 2, 2],  # member 0: holds out 0-3
            [1, 1, 0, 0, 1, 1, 2, 2],  # member 1: holds out 0, 1, 4, 5
            [0, 0, 1, 1, 1, 1, 1, 1],  # member 2: holds out 4-7
            [2, 2, 3, 3, 2, 2, 1, 1],  # member 3: holds out 2, 3, 6, 7
        ]
    )
    preds = np.ones((4, 4, 8), np.int64)  # wrong unless set to 0 below
    preds[0, 2, [0, 1]] = 0  # the even half's held-out pairs of its group favour layer 2 ...
    preds[3, 1, [2, 3]] = 0  # ... the odd half's favour layer 1
    preds[1, 2, 0] = 0  # scored: member 1 on points 0, 1 at layer 2, right once
    preds[0, 1, [2, 3]] = 0  # scored: member 0 on points 2, 3 at layer 1, right twice
    preds[1, 0, [0, 1]] = preds[0, 0, [2, 3]] = 0  # the input probe is right on every scored pair
    net = np.ones((4, 8), np.int64)
    net[0, 2] = 0  # the network is right on one scored pair
    net[3, [2, 3]] = 0  # and on pairs of the fitting half, which must not count
    arrays = {"depth/train": depth, "probe_preds/train": preds, "net_pred/train": net}
    return Probes("k", (0, 1, 2, 3), ("input", "a", "b", "softmax"), ~held, arrays, [])


def test_member_cross_fit_chooses_on_one_half_and_scores_on_the_other():
    out = difficulty.member_cross_fit(cross_fit_probes(), np.zeros(8, np.int64), 2, [1, 2])
    assert out["layers"] == [2, 1]  # even half chose layer 2, odd half layer 1
    assert out["pairs"] == 4  # member 1 on points 0, 1 and member 0 on points 2, 3
    assert out["probe"] == pytest.approx(3 / 4)
    assert out["network"] == pytest.approx(1 / 4)
    assert out["input"] == pytest.approx(1.0)
    np.testing.assert_allclose(out["per_layer"], [1.0, 0.5, 0.25, 0.0])
    assert out["gain"] == pytest.approx(0.5)


def test_member_cross_fit_without_a_scored_pair_has_no_gain():
    p = cross_fit_probes()
    p.masks[1, [0, 1]] = p.masks[0, [2, 3]] = True  # the scoring members now train on both groups
    out = difficulty.member_cross_fit(p, np.zeros(8, np.int64), 2, [1, 2])
    assert out["pairs"] == 0 and np.isnan(out["gain"]) and np.isnan(out["input"]) and np.isnan(out["per_layer"]).all()


def test_cross_fit_accuracy_draws_the_probes_the_network_and_the_input_control():
    per_layer = np.array([0.9, 0.7, 0.6, 0.5, 0.2])
    fig = plots.cross_fit_accuracy(per_layer, 0.4, ["input", "a", "b", "c", "softmax"], [1, 2, 3], [2, 2])
    ax = fig.axes[0]
    curve, ringed, network, control = ax.lines
    np.testing.assert_allclose(curve.get_ydata(), per_layer)
    assert list(ringed.get_xdata()) == [2] and list(ringed.get_ydata()) == [0.6]  # one ring for a layer chosen twice
    assert list(network.get_ydata()) == [0.4, 0.4] and list(control.get_ydata()) == [0.9, 0.9]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["input", "a", "b", "c", "softmax"]
    plt.close(fig)
