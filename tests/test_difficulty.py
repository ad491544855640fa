import numpy as np
import pytest

from replicate import difficulty
from replicate.probes import Probes

MASKS = np.array([[1, 1, 0, 1], [0, 1, 1, 1], [1, 0, 1, 1]], bool)  # 3 members, 4 pool points


def probes(train_depth, test_depth=None):
    test_depth = np.zeros((3, 2), int) if test_depth is None else np.asarray(test_depth)
    arrays = {"depth/train": np.asarray(train_depth, np.int16), "depth/test": np.asarray(test_depth, np.int16)}
    return Probes("k", (0, 1, 2), ("input", "softmax"), MASKS, arrays, [])


def test_mean_depth_val_train_test():
    p = probes([[1, 2, 3, 0], [4, 5, 6, -1], [7, 8, 9, 2]], [[1, 2], [3, -1], [5, 6]])
    # val: member 1 holds out point 0 (4), member 2 point 1 (8), member 0 point 2 (3); nobody point 3
    np.testing.assert_allclose(difficulty.mean_depth(p, "val")[:3], [4, 8, 3])
    assert np.isnan(difficulty.mean_depth(p, "val")[3])
    # train: point 3 trained by all, depth -1 of member 1 does not count -> (0 + 2) / 2
    np.testing.assert_allclose(difficulty.mean_depth(p, "train"), [4, 3.5, 7.5, 1])
    np.testing.assert_allclose(difficulty.mean_depth(p, "test"), [3, 4])
    with pytest.raises(ValueError, match="where='validation'"):
        difficulty.mean_depth(p, "validation")


def test_consensus_ties_go_to_the_label():
    preds = np.array([[0, 1, 2], [1, 1, 2], [2, 0, 2], [2, 0, 1]])
    counts = np.array([[1, 1, 1], [1, 1, 1], [1, 1, 1], [0, 1, 1]], bool)
    labels = np.array([1, 2, 2])
    c = difficulty.consensus(preds, labels, counts, 3)
    # point 0: votes 0, 1, 2 (one each) -> label 1 is tied -> 1; point 1: 1, 1, 0, 0 -> tie 0/1, label 2 not tied -> 0
    assert c["consensus_class"].tolist() == [1, 0, 2]
    np.testing.assert_allclose(c["consistency"], [1 / 3, 0, 3 / 4])
    np.testing.assert_allclose(c["consensus_consistency"], [1 / 3, 1 / 2, 3 / 4])
    assert c["entropy"][0] == pytest.approx(np.log(3))
    assert c["n_members"].tolist() == [3, 4, 4]


def test_by_depth_pools_pairs():
    depth = np.array([[0, 0, 2, -1], [0, 2, 2, 1]])
    correct = np.array([[1, 1, 0, 1], [0, 1, 0, 1]])
    levels, mean, frac = difficulty.by_depth(depth, correct)
    assert levels.tolist() == [0, 1, 2]
    np.testing.assert_allclose(mean, [2 / 3, 1, 1 / 3])
    np.testing.assert_allclose(frac, [3 / 7, 1 / 7, 3 / 7])


def test_corners_pick_nearest_points():
    pd_train = np.array([0, 9, 0, 9, 5, np.nan])
    pd_val = np.array([0, 0, 9, 9, 5, 0])
    c = difficulty.corners(pd_train, pd_val, 1, 9)
    assert {k: v.tolist() for k, v in c.items()} == {
        "easy": [0],
        "looks like another class": [1],
        "ambiguous unless labelled": [2],
        "ambiguous": [3],
    }


def test_layer_accuracy_and_first_layer():
    probe_preds = np.array([[[0, 0], [1, 0]], [[1, 1], [1, 0]]])  # 2 members, 2 layers, 2 points
    labels = np.array([1, 0])
    counts = np.array([[1, 1], [1, 0]], bool)
    # layer 0: member 0 -> [F, T], member 1 point 0 -> T: 2/3; layer 1: [T, T], T: 1
    np.testing.assert_allclose(difficulty.layer_accuracy(probe_preds, labels, counts), [2 / 3, 1])
    assert difficulty.first_layer_reaching(np.array([0.2, 0.5, 0.95, 1.0])) == 2


def test_binned_percentiles_and_spearman():
    x = np.repeat([0.5, 1.5], 20)
    y = np.concatenate([np.linspace(0.9, 1, 20), np.linspace(0, 1, 20)])
    centres, p5 = difficulty.binned(x, y, np.array([0, 1, 2]), 5)
    assert centres.tolist() == [0.5, 1.5] and p5[0] > p5[1]
    assert difficulty.spearman([1, 2, 3, np.nan], [3, 2, 1, 0]) == pytest.approx(-1)


def test_spec_follows_table1():
    p = dict(dataset="fashion_mnist", arch="vgg16", width=0.125, n_models=4, n_train=100, n_test=50, epochs=10, batch_size=128, seed=0)
    s = difficulty.spec(p)
    assert s.train.lr == 1e-2 and s.train.momentum == 0.95 and s.train.keep_weights and s.data.split == "holdout"
    assert s.train.milestones == (3.0, 9.0)
    assert difficulty.spec({**p, "arch": "mlp", "lr": 0.1}).train.lr == 0.1


def test_halves_correlations_diagonal_is_halves_and_symmetric():
    rng = np.random.default_rng(0)
    base = rng.integers(0, 6, 40)
    masks = np.ones((4, 40), bool)

    def ens(noise):
        d = np.clip(base + rng.integers(-noise, noise + 1, (4, 40)), 0, 6)
        return Probes("k", (0, 1, 2, 3), ("a", "b"), masks, {"depth/train": d.astype(np.int16), "depth/test": d.astype(np.int16)}, [])

    a, b = ens(1), ens(3)
    m = difficulty.halves_correlations({"a": a, "b": b}, "train")
    assert m[0, 0] == pytest.approx(difficulty.spearman(*difficulty.halves(a, "train")))
    assert m[0, 1] == pytest.approx(m[1, 0])
    ha, hb = difficulty.halves(a, "train"), difficulty.halves(b, "train")
    assert m[0, 1] == pytest.approx(np.mean([difficulty.spearman(x, y) for x in ha for y in hb]))
    assert m[0, 0] > m[1, 1]  # the less noisy ensemble agrees with itself more
