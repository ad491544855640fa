import numpy as np
import pytest

from replicate import metrics, runs
from replicate.pliushch2022 import agreement
from replicate.pliushch2022 import specs as pliushch_specs

# 3 networks, 3 checkpoints, 4 examples
CORRECT = np.array(
    [
        [[0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0]],
        [[0, 0, 0, 0], [1, 0, 1, 0], [1, 1, 1, 1]],
        [[0, 0, 0, 1], [1, 1, 0, 0], [1, 1, 1, 0]],
    ],
    dtype=bool,
)


def test_curves_by_hand():
    c = agreement.curves(CORRECT)
    # checkpoint 1: example 0 agreed; examples 0, 1, 2 have some network right -> 1/3
    assert c["tpa"][1] == pytest.approx(1 / 3)
    assert c["tpa"][2] == pytest.approx(3 / 4)
    assert c["accuracy"][1] == pytest.approx(0.5)
    # checkpoint 2: errors 0.25 + 0 + 0.25 = 0.5 -> lower bound 0.5; at 1 errors sum to 1.5 -> 0
    assert c["lower_bound"].tolist() == pytest.approx([0, 0, 0.5])
    assert c["expected"][2] == pytest.approx(0.75 * 1 * 0.75)
    assert c["expected_normalized"][2] == pytest.approx(0.5625 / 1.0)
    assert c["accuracy_std"][1] == pytest.approx(0.0)


def test_pabak_by_hand():
    # two networks: both right on 2 of 4, both wrong on 1, disagree on 1 -> p_o = 3/4 -> 0.5
    assert metrics.pabak(np.array([[1, 1, 0, 1], [1, 1, 0, 0]], bool)) == pytest.approx(0.5)
    # three networks: average over the three pairs
    c = np.array([[1, 0], [1, 1], [0, 1]], bool)
    pairs = [(0, 1), (0, 2), (1, 2)]
    by_pairs = np.mean([2 * np.mean(c[i] == c[j]) - 1 for i, j in pairs])
    assert metrics.pabak(c) == pytest.approx(by_pairs)
    with pytest.raises(ValueError, match="at least 2"):
        metrics.pabak(c[:1])


def test_agreed_means_and_class_fractions():
    values = np.array([1.0, 3.0, 5.0, 7.0])
    means = agreement.agreed_means(CORRECT, values)
    assert np.isnan(means[0]) and means[1] == 1.0 and means[2] == pytest.approx(3.0)
    frac = agreement.class_agreed(CORRECT, np.array([0, 0, 1, 1]), 2)
    assert frac.tolist() == [[0, 0], [0.5, 0], [1, 0.5]]


def test_agreed_from():
    assert agreement.agreed_from(CORRECT).tolist() == [1, 2, 2, -1]


def test_groups_are_consecutive_members():
    correct = np.concatenate([CORRECT, CORRECT[::-1], CORRECT])
    rep = agreement.repeat_curves(correct, 3)
    assert rep["tpa"].shape == (3, 3)
    np.testing.assert_allclose(rep["tpa"][0], rep["tpa"][1])
    with pytest.raises(ValueError, match="needs 12 networks"):
        agreement.group(correct, 3, repeat=3)


def test_min_margin():
    assert agreement.min_margin(np.array([0.5, 0.6, 0.9]), np.array([0.0, 0.2, 1.0]), np.array([1, 2])) == pytest.approx(-0.1)


def test_margin_range():
    assert agreement.margin_range(np.array([0.5, 0.9, np.nan, 0.3]), np.array([0.1, 0.1, 0.1, 0.2]), [1, 2, 3]) == pytest.approx((0.1, 0.8))
    assert np.isnan(agreement.margin_range(np.ones(3), np.zeros(3), np.array([], dtype=int))).all()


def test_weakest_is_the_network_with_the_lowest_final_accuracy():
    class Run:
        def __init__(self, acc):
            self.acc = np.array(acc)

        def accuracy(self, split):
            return self.acc

    runs_ = {"a": Run([[0.1, 0.8], [0.2, 0.7]]), "b": Run([[0.3, 0.9], [0.4, 0.2], [0.1, 0.6]])}
    assert agreement.weakest(runs_) == ("b", 1)


def test_span():
    assert agreement.span(np.array([9, 10, 12, 30])) == (9, 30)
    assert agreement.span(np.array([], dtype=int)) == (-1, -1)


def test_across_checks_examples():
    def rec(ids):
        return runs.Record(
            None,
            "k",
            {"preds/test": np.zeros((2, 3, 2), int), "labels/test": np.zeros(2, int), "ids/test": np.array(ids)},
            {"n_classes": 2},
        )

    assert agreement.across([rec([0, 1]), rec([0, 1])], "test").shape == (2, 3, 2)
    with pytest.raises(ValueError, match="same test examples"):
        agreement.across([rec([0, 1]), rec([1, 2])], "test")


def test_spec_first_group_is_shared():
    params = dict(
        dataset="fashion_mnist", arch="lenet5", width=1.0, n_models=5, n_train=100, n_test=50, epochs=2, batch_size=128, lr=0.01, seed=0
    )
    s = pliushch_specs.spec({**params, "n_repeats": 5})
    assert s.train.n_models == 25 and s.train.schedule == "cosine" and s.train.momentum == 0.9
    assert pliushch_specs.spec(params).train.n_models == 5


def test_examples_are_easy_and_hard():
    first = np.array([1, 1, -1, 2, -1, 1, 0])
    ex = agreement.examples(first, 2, seed=0)
    assert set(ex["easy"]) <= {0, 1, 5} and len(ex["easy"]) == 2
    assert sorted(ex["hard"]) == [2, 4]


def test_image_statistics_follow_the_records_order(monkeypatch):
    ids = np.array([5, 3, 9])
    monkeypatch.setattr(
        agreement.runs,
        "image_stats",
        lambda dataset, split, n, seed, **p: {"ids": np.array([3, 5, 9, 7]), "local_entropy": np.array([30.0, 50.0, 90.0, 70.0])},
    )
    spec = pliushch_specs.spec(
        dict(dataset="fashion_mnist", arch="lenet5", width=1.0, n_models=2, n_train=4, n_test=4, epochs=1, batch_size=2, lr=0.1, seed=0)
    )
    rec = runs.Record(spec, "k", {"ids/train": ids}, {})
    assert agreement.image_statistics(rec)["local_entropy"].tolist() == [50.0, 30.0, 90.0]
    rec = runs.Record(spec, "k", {"ids/train": np.array([5, 4, 11])}, {})
    with pytest.raises(ValueError, match="do not cover"):
        agreement.image_statistics(rec)
