"""Hand-checked pieces of issue 12 (h5, h7, h8, p2): the one window and threshold of every "not bimodal"
check, comparison at matched accuracy, the middle of the accessibility scatter, the paper's values
scaled to N networks."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from replicate import curves, metrics, runs
from replicate.book import pipeline
from replicate.hacohen2020 import compare, plots

ROOT = Path(__file__).resolve().parents[1]
K = 4
# consistency of 4 networks on 8 examples, chosen by hand; mean accuracy is the mean of each row
C0 = [1, 1, 0, 0, 0, 0, 0, 0]  # 0.25: chance
C1 = [1, 1, 0.25, 0.25, 0, 0, 0, 0]  # 0.3125: 1/12 of the rise, below its first 10%
C2 = [1, 1, 1, 0.5, 0.5, 0, 0, 0]  # 0.5: a third of the rise
C3 = [1, 1, 1, 1, 1, 0.5, 0.5, 0]  # 0.75: two thirds of the rise
C4 = [1] * 8  # 1.0: the end of the rise
C_TWO = [1, 1, 1, 1, 1, 1, 0, 0]  # 0.75, two points


def record(split: str, rows: list[list[float]]) -> runs.Record:
    """A record of 4 networks whose consistency on ``split`` after epoch e is ``rows[e]``: the first
    4c networks predict the label, the others the next class."""
    labels = np.arange(8) % K
    right = np.array(rows)[None] * 4 > np.arange(4)[:, None, None]  # (model, epoch, example)
    preds = np.where(right, labels, (labels + 1) % K)
    arrays = {f"preds/{split}": preds, f"labels/{split}": labels, f"ids/{split}": np.arange(8), "masks": np.ones((4, 1), bool)}
    return runs.Record(spec=None, key="k", arrays=arrays, meta={"n_classes": K})


def test_record_has_the_consistency_it_was_built_with():
    np.testing.assert_allclose(curves.consistency_by_epoch(record("train", [C2, C3]), "train"), [C2, C3])


def test_window_opens_at_ten_and_closes_at_ninety_percent_of_the_rise():
    # K = 4: mean accuracy .25, .3125, .5, .75, 1 -> progress 0, 1/12, 1/3, 2/3, 1
    acc = record("train", [C0, C1, C2, C3, C4]).accuracy("train")
    assert curves.not_bimodal_epochs(acc, K).tolist() == [2, 3]
    # epoch 0 never counts, even when it is past 10% of the rise
    assert curves.not_bimodal_epochs(np.array([[0.9, 0.6, 0.7, 1.0]]), K).tolist() == [1, 2]
    # two classes: chance 0.5, final 0.9 -> progress 0, 0.05, 0.25, 0.875, 1
    assert curves.not_bimodal_epochs(np.array([[0.5, 0.52, 0.6, 0.85, 0.9]]), 2).tolist() == [2, 3]


def test_window_bimodality_and_the_line_read_only_the_window():
    rec = record("train", [C0, C1, C2, C3, C4])
    b2, b3 = metrics.bimodality(np.array(C2)), metrics.bimodality(np.array(C3))
    assert b2 > 0 and b3 > 0  # epoch 1 is below 10% of the rise and must not count
    assert curves.window_bimodality(rec, "train", "min") == pytest.approx(min(b2, b3))
    assert curves.window_bimodality(rec, "train") == pytest.approx((b2 + b3) / 2)
    assert curves.not_bimodal_line(rec, "train") == pytest.approx((b2 + b3) / 2 + 0.425)


def test_paper_values_scale_with_the_independent_level():
    assert curves.scaled_to_models(1.07, 10) == pytest.approx(1.07 * 1.8 / 1.98)
    assert curves.scaled_to_models(1.35, 100) == pytest.approx(1.35)


def test_middle_is_strictly_inside_the_bounds_in_both_collections():
    a = np.array([0.0, 0.05, 0.5, 0.95, 0.5, 0.1])
    b = np.array([0.0, 0.5, 0.5, 0.5, 0.95, 0.5])
    assert compare.middle(a, b).tolist() == [False, False, True, False, False, False]
    assert compare.middle(a, b, (0.0, 1.0)).tolist() == [False, True, True, True, True, True]


def test_matched_gap_pairs_equal_accuracies_from_natural_epoch_one():
    run = record("test", [C0, C2, C3])  # mean accuracy .25, .5, .75
    natural = record("test", [C0, C_TWO, C4])  # .25, .75, 1
    b2, b3 = metrics.bimodality(np.array(C2)), metrics.bimodality(np.array(C3))
    gap, pairs = compare.matched_bimodality_gap(run, natural, "test", np.array([1, 2]))
    assert pairs == [(2, 1)] and gap == pytest.approx(b3 - 0.0)
    gap, pairs = compare.matched_bimodality_gap(run, natural, "test", np.array([1, 2]), tol=0.3)
    assert pairs == [(1, 1), (2, 1)] and gap == pytest.approx((b2 + b3) / 2)
    # natural epoch 0 has the same accuracy as run epoch 0 but is never a partner
    gap, pairs = compare.matched_bimodality_gap(run, natural, "test", np.array([0]))
    assert pairs == [] and np.isnan(gap)


@pytest.mark.parametrize("scale", ["laptop", "smoke", "paper"])
def test_p2_reads_h1s_natural_collection(scale):
    nbs = pipeline.notebooks(ROOT)
    h1 = pipeline.resolved(nbs["hacohen2020/h1"], scale)
    p2 = pipeline.resolved(nbs["pliushch2022/p2"], scale)
    keys = ("dataset", "arch", "width", "n_models", "n_train", "n_test", "epochs", "batch_size", "lr", "momentum", "seed")
    assert {k: p2["natural"][k] for k in keys} == {k: h1[k] for k in keys}


def test_bimodality_by_accuracy_draws_a_panel_per_split_with_matched_lines():
    acc = {"train": np.array([0.1, 0.5, 0.8]), "test": np.array([0.1, 0.4, 0.7])}
    b = {"train": np.array([1.8, 1.2, 0.4]), "test": np.array([1.8, 1.3, 0.5])}
    fig = plots.bimodality_by_accuracy(
        {"ours": (acc, b), "independent": (acc, {s: np.full(3, 1.8) for s in b}), "natural": (acc, b)},
        pairs={"train": [0.5, 0.8]},
    )
    axes = fig.get_axes()
    assert len(axes) == 2
    assert len(axes[0].get_lines()) == 3 + 2 + 1  # three runs, two matched epochs, the zero line
    assert len(axes[1].get_lines()) == 3 + 1
    assert axes[0].get_xlabel() == "mean train accuracy"
    plt.close(fig)
