"""Checks of replicate.learners on small synthetic data with known answers."""

import numpy as np
import pytest

from replicate.hacohen2020 import learners


def test_groups_split_exactly_into_thirds_by_rank():
    easiness = np.array([0.1, 0.9, 0.5, 0.8, 0.2, 0.6])
    # ranks (easiest first): 1 (0.9), 3 (0.8), 5 (0.6), 2 (0.5), 4 (0.2), 0 (0.1)
    np.testing.assert_array_equal(learners.difficulty_groups(easiness), [2, 0, 1, 0, 2, 1])


def test_groups_break_ties_by_position_and_differ_by_at_most_one():
    groups = learners.difficulty_groups(np.zeros(7))
    np.testing.assert_array_equal(groups, [0, 0, 0, 1, 1, 2, 2])
    assert np.bincount(learners.difficulty_groups(np.random.default_rng(0).random(100))).tolist() == [34, 33, 33]


def test_group_accuracy_per_group_and_per_stage():
    groups = np.array([0, 0, 1, 1, 2, 2])
    correct = np.array([[1, 1, 1, 0, 0, 0], [1, 0, 1, 1, 1, 0]], bool)
    np.testing.assert_allclose(learners.group_accuracy(correct[0], groups), [1.0, 0.5, 0.0])
    np.testing.assert_allclose(learners.group_accuracy(correct, groups), [[1.0, 0.5, 0.0], [0.5, 1.0, 0.5]])


def test_features_standardise_training_statistics():
    rng = np.random.default_rng(0)
    train, test = rng.integers(0, 256, (50, 1, 4, 4)), rng.integers(0, 256, (20, 1, 4, 4))
    tr, te = learners.features(train, test, n_components=3)
    assert tr.shape == (50, 3) and te.shape == (20, 3)
    np.testing.assert_allclose(tr.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(tr.std(0), 1)
    tr_all, _ = learners.features(train, test, n_components=None)
    assert tr_all.shape == (50, 16)


def test_boosting_easiness_is_the_fraction_of_correct_stages():
    staged = np.array([[1, 0, 0], [1, 1, 0], [1, 1, 0], [1, 0, 1]], bool)
    np.testing.assert_allclose(learners.boosting_easiness(staged), [1.0, 0.5, 0.25])


def _separable_easy_group(seed=0, n=60):
    """Two classes along x0: the first n points are far from the boundary, the next n
    straddle it with labels independent of the features."""
    rng = np.random.default_rng(seed)
    y_easy = np.arange(n) % 2
    x_easy = np.c_[np.where(y_easy == 1, 5.0, -5.0) + rng.normal(0, 0.3, n), rng.normal(0, 1, n)]
    x_hard = np.c_[rng.normal(0, 0.3, n), rng.normal(0, 1, n)]
    y_hard = rng.integers(0, 2, n)
    return np.r_[x_easy, x_hard], np.r_[y_easy, y_hard]


def test_a_perfectly_separable_easy_group_gets_accuracy_one():
    x, y = _separable_easy_group()
    groups = np.r_[np.zeros(60, int), np.ones(60, int)]
    res = learners.compare(x, y, {"train": x}, list(learners.LEARNERS), ["linear", "stump"], n_estimators=5, seed=0)
    assert set(res.preds) == {"AdaBoost (linear)", "AdaBoost (stump)", *learners.LEARNERS}
    for name, preds in res.preds.items():
        acc = learners.group_accuracy(preds["train"] == y, groups, n_groups=2)
        assert acc[0] == 1.0, name
    for staged in res.staged.values():
        assert staged["train"].shape == (5, 120)
        np.testing.assert_array_equal(learners.group_accuracy(staged["train"] == y, groups, n_groups=2)[:, 0], 1.0)


def test_staged_predictions_repeat_the_last_vote_after_an_early_stop():
    x, y = _separable_easy_group()
    x, y = x[:60], y[:60]
    model = learners.adaboost("stump", n_estimators=4, seed=0).fit(x, y)
    staged = learners.staged_predictions(model, x, 4)
    assert len(list(model.staged_predict(x))) == 1  # one perfect stump ends boosting
    assert staged.shape == (4, 60)
    np.testing.assert_array_equal(staged, np.repeat(y[None], 4, axis=0))


def test_weighted_logistic_ignores_the_scale_of_the_weights():
    x, y = _separable_easy_group(seed=1)
    w = np.random.default_rng(1).random(len(y))
    a = learners.WeightedLogistic().fit(x, y, sample_weight=w)
    b = learners.WeightedLogistic().fit(x, y, sample_weight=w / w.sum())
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-6)


def test_unknown_names_are_rejected():
    with pytest.raises(ValueError, match="weak"):
        learners.adaboost("cubic", 3, 0)
    with pytest.raises(ValueError, match="learners"):
        learners.compare(np.zeros((2, 1)), np.array([0, 1]), {}, ["oracle"], [], 3, 0)
