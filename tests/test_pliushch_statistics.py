"""The statistics behind Pliushch's claims, on small inputs with known answers."""

import numpy as np
import pytest

from replicate import bootstrap, runs
from replicate.pliushch2022 import agreement

# 3 networks, 3 checkpoints, 4 examples (as in test_agreement)
CORRECT = np.array(
    [
        [[0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0]],
        [[0, 0, 0, 0], [1, 0, 1, 0], [1, 1, 1, 1]],
        [[0, 0, 0, 1], [1, 1, 0, 0], [1, 1, 1, 0]],
    ],
    dtype=bool,
)


def _record() -> runs.Record:
    labels = np.array([0, 1, 0, 1])
    preds = np.where(CORRECT, labels, 1 - labels)
    arrays = {
        "preds/train": preds,
        "labels/train": labels,
        "ids/train": np.arange(4),
        "masks": np.ones((3, 4), bool),
        "loss": np.ones((3, 2)),
    }
    return runs.Record(None, "k", arrays, {"n_classes": 2})


def test_members_keeps_the_chosen_networks_and_every_example():
    r = agreement.members(_record(), np.array([2, 0]))
    np.testing.assert_array_equal(r.correct("train"), CORRECT[[2, 0]])
    assert r.masks.shape == (2, 4) and r.arrays["loss"].shape == (2, 2)
    np.testing.assert_array_equal(r.labels("train"), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="not all among"):
        agreement.members(_record(), np.array([3]))


def test_a_draw_of_members_resamples_only_them():
    first = agreement.members(_record(), np.arange(2))
    draw = bootstrap.Draw({"run": np.array([1, 1])}, {})
    np.testing.assert_array_equal(draw.record("run", first).correct("train"), CORRECT[[1, 1]])


def test_rising_gap_by_hand():
    # mean accuracy [1/12, 1/2, 5/6], chance 1/2: only epoch 1 has covered less than 90% of the rise;
    # TPa [0, 1/3, 3/4], lower bound [0, 0, 1/2]: gap 1/3 at epoch 1, 1/4 after the last
    c = agreement.curves(CORRECT)
    assert agreement.rising_gap(c, CORRECT.mean(-1), 2) == pytest.approx(1 / 3 - 1 / 4)
    # with 3 classes (chance 1/3) epoch 1 has covered (1/2 - 1/3) / (5/6 - 1/3) = 1/3: still rising
    assert agreement.rising_gap(c, CORRECT.mean(-1), 3) == pytest.approx(1 / 12)
    # no epoch rises when the fraction is 0
    assert np.isnan(agreement.rising_gap(c, CORRECT.mean(-1), 2, fraction=0.0))


def test_spread_ratio_by_hand():
    rep = {"tpa": np.array([[0.5, 0.6, 0.9], [0.7, 0.8, 0.9]]), "lower_bound": np.zeros((2, 3))}
    # std over the two repeats: 0.1, 0.1, 0; mean gap 0.6, 0.7, 0.9
    assert agreement.spread_ratio(rep, np.array([0, 1])) == pytest.approx(0.1 / 0.65)
    assert agreement.spread_ratio(rep, np.array([2])) == pytest.approx(0.0)
