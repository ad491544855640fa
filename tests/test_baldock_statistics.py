"""Baldock 2021's claim statistics on bootstrap draws: per-member probe arrays resampled (never
rerun), each member keeping its own 90:10 mask, and the statistics of b2-b8 on small inputs."""

import numpy as np
import pytest

from replicate import bootstrap, metrics, runs
from replicate.baldock2021 import difficulty
from replicate.probes import Probes

MASKS = np.array([[1, 1, 0, 1], [0, 1, 1, 1], [1, 0, 1, 1]], bool)  # 3 members, 4 pool points


def probes3() -> Probes:
    """3 members, 2 probe layers, 4 pool points and 2 test points, every entry telling its member and point."""
    member, point = np.arange(3)[:, None], np.arange(4)[None, :]
    arrays = {
        "depth/train": (10 * member + point).astype(np.int16),
        "depth/test": (10 * member + np.arange(2)[None, :]).astype(np.int16),
        "probe_preds/train": np.stack([10 * member + point, 10 * member + point + 100], 1).astype(np.int16),
        "logits/test": np.arange(3 * 2 * 3, dtype=np.float32).reshape(3, 2, 3),
    }
    return Probes("k", (0, 1, 2), ("input", "softmax"), MASKS, arrays, [])


def record3() -> runs.Record:
    arrays = {
        "masks": MASKS,
        "loss": np.zeros((3, 2)),
        "weights/w": np.ones((3, 5)),
        "preds/train": np.zeros((3, 2, 4), np.int64),
        "labels/train": np.array([0, 1, 2, 3]),
        "relabelled": np.array([0, 0, 1, 1], bool),
        "original_labels/train": np.array([0, 1, 0, 1]),
        "preds/test": np.zeros((3, 2, 2), np.int64),
        "labels/test": np.array([1, 0]),
    }
    return runs.Record(None, "k", arrays, {"n_classes": 4})


def draw(members, train=None, test=None, name="a") -> bootstrap.Draw:
    examples = {s: np.asarray(x) for s, x in (("train", train), ("test", test)) if x is not None}
    return bootstrap.Draw({name: np.asarray(members)}, examples)


def test_drawn_probes_resample_members_examples_and_masks_together():
    p = probes3()
    d = difficulty.drawn(p, draw([2, 2, 0], train=[3, 0, 0, 1], test=[1, 1]), "a")
    assert d.members == (2, 2, 0)
    assert d.depth("train").tolist() == [[23, 20, 20, 21], [23, 20, 20, 21], [3, 0, 0, 1]]
    assert d.depth("test").tolist() == [[21, 21], [21, 21], [1, 1]]
    assert d.probe_preds("train")[:, 1].tolist() == [[123, 120, 120, 121]] * 2 + [[103, 100, 100, 101]]
    np.testing.assert_array_equal(d.logits("test"), p.logits("test")[[2, 2, 0]][:, [1, 1]])  # examples on axis 1
    assert d.masks.tolist() == [[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 1]]  # each member's own mask of the drawn points
    # the mean training depth of a drawn point counts only the drawn members that trained on it
    np.testing.assert_allclose(difficulty.mean_depth(d, "train"), [(23 + 23 + 3) / 3, (20 + 20 + 0) / 3, (20 + 20 + 0) / 3, 1])
    assert difficulty.drawn(p, bootstrap.identity(bootstrap.Frame({"a": 3}, {"train": 4, "test": 2})), "a") is p


def test_drawn_probes_keep_only_the_splits_asked_for():
    d = difficulty.drawn(probes3(), draw([1, 0, 0], train=[0, 1, 2, 3, 3, 3], test=[0, 0]), "a", splits=("test",))
    assert sorted(d.arrays) == ["depth/test", "logits/test"]
    assert d.depth("test").tolist() == [[10, 10], [0, 0], [0, 0]]
    assert d.masks.shape == (3, 4)  # the pool's examples are not this draw's business


def test_drawn_values_and_a_drawn_record():
    values = np.arange(12).reshape(3, 4)
    dr = draw([1, 1, 2], train=[3, 3, 0, 1])
    assert difficulty.drawn_values(values, dr, "a", "train").tolist() == [[7, 7, 4, 5], [7, 7, 4, 5], [11, 11, 8, 9]]
    assert difficulty.drawn_values(values, dr, "a", "other").tolist() == [[4, 5, 6, 7], [4, 5, 6, 7], [8, 9, 10, 11]]
    r = dr.record("a", record3())  # each drawn member keeps its own 90:10 split of the drawn points
    assert r.masks.tolist() == [[1, 1, 0, 1], [1, 1, 0, 1], [1, 1, 1, 0]]
    assert r.labels("train").tolist() == [3, 3, 0, 1] and r.arrays["relabelled"].tolist() == [1, 1, 0, 0]
    assert not any(k.startswith("weights/") for k in r.arrays)
    _, y, counts = difficulty.noisy_splits(r)["relabelled (original label)"]
    assert y.tolist() == [1, 1, 0, 1] and counts.tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0]]


def test_on_split_keeps_one_split_for_the_frame():
    r = difficulty.on_split(record3(), "test")
    assert sorted(r.arrays) == ["labels/test", "loss", "masks", "preds/test", "weights/w"]
    t = difficulty.on_split(record3(), "train")
    assert {"relabelled", "original_labels/train", "labels/train"} <= set(t.arrays) and "labels/test" not in t.arrays
    assert bootstrap.frame({"a": r, "b": t}) == bootstrap.Frame({"a": 3, "b": 3}, {"test": 2, "train": 4})


def test_parity_kept_keeps_the_halves_disjoint():
    ident = bootstrap.identity(bootstrap.Frame({"a": 6, "b": 5}, {}))
    kept = difficulty.parity_kept(ident)
    assert all(kept.networks[n].tolist() == list(range(s)) for n, s in (("a", 6), ("b", 5)))
    for seed in range(20):
        m = np.random.default_rng(seed).integers(0, 6, 6)
        k = difficulty.parity_kept(draw(m)).networks["a"]
        assert (k[0::2] % 2 == 0).all() and (k[1::2] % 2 == 1).all() and (k < 6).all()
    assert difficulty.parity_kept(draw([4, 4, 4, 4, 4], name="b")).networks["b"].tolist() == [4, 3, 4, 3, 4]  # odd ensemble: in range


def test_matrix_checks():
    m = np.array([[0.9, 0.8, 0.6], [0.8, 0.85, 0.7], [0.6, 0.7, 0.95]])  # VGG, ResNet, MLP
    c = difficulty.matrix_checks([m, m - 0.1], ["VGG16", "ResNet18", "MLP"], ("VGG16", "ResNet18"), "MLP")
    assert c["smallest"] == pytest.approx(0.5)
    assert c["same_minus_cross"] == pytest.approx(0.05)  # ResNet18: 0.85 - 0.8
    assert c["conv_minus_mlp"] == pytest.approx(0.1)  # 0.8 - max(0.6, 0.7)


def test_bound_trends():
    depth = np.repeat(np.arange(4.0), 20) + 0.5
    falls = np.repeat([0.9, 0.7, 0.5, 0.3], 20)
    agree = np.tile([True, False], 40)
    consistency = np.where(agree, falls, 1 - falls)  # the mirror rises
    t = difficulty.bound_trends(depth, consistency, agree, np.arange(5.0))
    assert t["lower"] == pytest.approx(-1) and t["mirror"] == pytest.approx(1)


def test_split_agreement():
    pd_train = np.array([0, 1, 2, 3, 4, 5, np.nan, 1.0])
    pd_val = np.array([0, 1, 2, 3, 3, 1, 2, np.nan])
    agree = np.array([1, 1, 1, 1, 0, 0, 1, 1], bool)
    r = difficulty.split_agreement(pd_train, pd_val, agree)
    assert r["consensus = label"] == pytest.approx(1) and np.isnan(r["consensus ≠ label"])  # two points: undefined
    assert r["all"] == pytest.approx(metrics.correlation(pd_train[:6], pd_val[:6], "spearman").r)


def test_one_against_others_leaves_the_one_out_with_its_copies():
    net = np.array([[0, 1, 2, 0], [0, 1, 2, 1], [0, 1, 1, 1], [1, 1, 1, 1]])  # 4 members, 4 test points
    depth = np.array([[0, 1, 2, 3], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    p = Probes("k", (0, 1, 2, 3), ("a", "b"), np.ones((4, 1), bool), {"net_pred/test": net, "depth/test": depth}, [])
    labels = np.array([0, 1, 2, 1])
    others = metrics.consensus_consistency(net[1:], labels, 3)
    assert difficulty.one_against_others(p, labels, 3, 0) == pytest.approx(metrics.correlation(depth[0], others, "spearman").r)
    copy = difficulty.drawn(p, draw([0, 0, 2, 3], name="v"), "v")  # member 0 twice: its copy is not one of the others
    others = metrics.consensus_consistency(net[2:], labels, 3)
    assert difficulty.one_against_others(copy, labels, 3, 0) == pytest.approx(metrics.correlation(depth[0], others, "spearman").r)


def test_depth0_accuracy_gap_and_where_depth_is_defined():
    depth = np.array([[0, 0, 2, -1], [2, 1, 0, 2]])
    correct = np.array([[1, 1, 0, 1], [0, 1, 1, 1]])
    assert difficulty.has_depth(depth).tolist() == [[True, True, True, False], [True, True, True, True]]
    assert difficulty.depth0_accuracy_gap(depth, correct) == pytest.approx(1.0 - 1 / 3)  # depth 0: 3 of 3 right; depth 2: 1 of 3
    undecided = difficulty.depth0_accuracy_gap(np.array([[1, 2]]), np.array([[1, 0]]))
    assert np.isnan(undecided.value) and "depth 0" in undecided.reason
