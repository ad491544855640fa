import numpy as np
import pytest

from replicate import metrics, probes, runs
from replicate.baldock2021 import difficulty, layers
from replicate.baldock2021 import specs as baldock_specs
from replicate.probes import Probes

MASKS = np.array([[1, 1, 0, 1], [0, 1, 1, 1], [1, 0, 1, 1]], bool)  # 3 members, 4 pool points


def fake_probes(train_depth, test_depth=None):
    test_depth = np.zeros((3, 2), int) if test_depth is None else np.asarray(test_depth)
    arrays = {"depth/train": np.asarray(train_depth, np.int16), "depth/test": np.asarray(test_depth, np.int16)}
    return Probes("k", (0, 1, 2), ("input", "softmax"), MASKS, arrays, [])


def test_mean_depth_val_train_test():
    p = fake_probes([[1, 2, 3, 0], [4, 5, 6, -1], [7, 8, 9, 2]], [[1, 2], [3, -1], [5, 6]])
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
    np.testing.assert_allclose(layers.layer_accuracy(probe_preds, labels, counts), [2 / 3, 1])
    assert layers.first_layer_reaching(np.array([0.2, 0.5, 0.95, 1.0])) == 2


def test_binned_percentiles():
    x = np.repeat([0.5, 1.5], 20)
    y = np.concatenate([np.linspace(0.9, 1, 20), np.linspace(0, 1, 20)])
    centres, p5 = difficulty.binned(x, y, np.array([0, 1, 2]), 5)
    assert centres.tolist() == [0.5, 1.5] and p5[0] > p5[1]


def test_line_ends_first_last_min_max_and_nan_when_empty():
    assert difficulty.line_ends(np.array([0.9, 0.3, 0.5])) == {"first": 0.9, "last": 0.5, "min": 0.3, "max": 0.9}
    assert all(np.isnan(v) for v in difficulty.line_ends(np.array([])).values())


def test_peak_then_low_stops_at_until():
    curve = np.array([0.1, 0.6, 0.7, 0.5, 0.4, 0.9])
    assert difficulty.peak_then_low(curve, 4) == {"peak": 0.7, "epoch": 2, "low": 0.4}
    assert difficulty.peak_then_low(curve, 5) == {"peak": 0.9, "epoch": 5, "low": 0.9}


def test_spec_follows_table1():
    p = dict(dataset="fashion_mnist", arch="vgg16", width=0.125, n_models=4, n_train=100, n_test=50, epochs=10, batch_size=128, seed=0)
    s = baldock_specs.spec(p)
    assert s.train.lr == 1e-2 and s.train.momentum == 0.95 and s.train.keep_weights and s.data.split == "holdout"
    assert s.train.milestones == (3.0, 9.0)
    assert baldock_specs.spec({**p, "arch": "mlp", "lr": 0.1}).train.lr == 0.1


def test_halves_correlations_diagonal_is_halves_and_symmetric():
    rng = np.random.default_rng(0)
    base = rng.integers(0, 6, 40)
    masks = np.ones((4, 40), bool)

    def ens(noise):
        d = np.clip(base + rng.integers(-noise, noise + 1, (4, 40)), 0, 6)
        return Probes("k", (0, 1, 2, 3), ("a", "b"), masks, {"depth/train": d.astype(np.int16), "depth/test": d.astype(np.int16)}, [])

    a, b = ens(1), ens(3)
    m = difficulty.halves_correlations({"a": a, "b": b}, "train")
    assert m[0, 0] == pytest.approx(metrics.correlation(*difficulty.halves(a, "train"), "spearman").r)
    assert m[0, 1] == pytest.approx(m[1, 0])
    ha, hb = difficulty.halves(a, "train"), difficulty.halves(b, "train")
    assert m[0, 1] == pytest.approx(np.mean([metrics.correlation(x, y, "spearman").r for x in ha for y in hb]))
    assert m[0, 0] > m[1, 1]  # the less noisy ensemble agrees with itself more


# --- b5, b6, b8, b9 helpers ---


class _FakeRecord:
    def __init__(self):
        self.masks = np.array([[1, 1, 1, 0], [0, 1, 1, 1]], bool)
        self.arrays = {"relabelled": np.array([0, 0, 1, 1], bool), "original_labels/train": np.array([0, 1, 0, 1])}
        self._labels = {"train": np.array([0, 1, 2, 2]), "test": np.array([1, 2, 0])}

    def labels(self, split):
        return self._labels[split]


def test_noisy_splits_and_member_accuracy():
    rec = _FakeRecord()
    s = difficulty.noisy_splits(rec)
    assert list(s) == list(difficulty.NOISY_SPLITS)
    split, y, counts = s["relabelled (original label)"]
    assert split == "train" and y.tolist() == [0, 1, 0, 1]
    assert counts.tolist() == [[0, 0, 1, 0], [0, 0, 1, 1]]
    assert s["clean train"][2].tolist() == [[1, 1, 0, 0], [0, 1, 0, 0]]
    assert s["test"][2].shape == (2, 3) and s["test"][2].all()
    preds = np.array([[[0, 0, 2, 2], [0, 1, 0, 2]], [[0, 0, 2, 2], [1, 1, 0, 1]]])  # (M=2, T=2, n=4)
    acc = layers.member_accuracy(preds, s["relabelled (new label)"][1], s["relabelled (new label)"][2])
    np.testing.assert_allclose(acc, [[1, 0], [1, 0]])
    acc = layers.member_accuracy(preds, y, counts)
    np.testing.assert_allclose(acc, [[0, 1], [0, 1 / 2 + 1 / 2]])
    assert np.isnan(layers.member_accuracy(preds, y, np.zeros((2, 4), bool))).all()


def test_peak_above_last_and_margin_correlations():
    assert layers.peak_above_last([0.1, 0.6, 0.4, 0.2]) == pytest.approx(0.4)
    assert layers.peak_above_last([0.9, 0.1, 0.6, 0.2], first=1) == pytest.approx(0.4)
    assert layers.peak_above_last([0.1, 0.2, 0.3]) == pytest.approx(-0.1)
    x = np.arange(10.0)
    margin = 10.0**-x
    c = difficulty.margin_correlations(x, np.r_[margin[:-1], 0.0])
    assert c["pearson_log"] == pytest.approx(-1.0) and c["spearman"] == pytest.approx(-1.0) and c["n"] == 9


def test_intervention_spec_follows_table3_phases():
    p = {
        "dataset": "fashion_mnist",
        "classes": [2, 4],
        "arch": "mlp",
        "width": 0.125,
        "n_models": 3,
        "n_train": 1000,
        "n_test": 500,
        "seed": 0,
        "loss": "hinge0",
        "batch_size": 128,
        "lr": 0.04,
        "momentum": 0.9,
        "epochs": 30,
        "phases": [5000, 2500],
    }
    s = baldock_specs.intervention_spec(p)
    assert s.train.loss == "hinge0" and s.train.milestones == (20.0,) and s.train.schedule == "step"
    assert s.data.classes == (2, 4) and s.data.split == "same" and s.train.keep_weights
    gd = baldock_specs.intervention_spec({**p, "batch_size": None, "lr": 0.0, "phases": [1], "epochs": 1})
    assert gd.train.batch_size is None and gd.train.lr == 0.0 and gd.train.milestones == ()
    assert set(baldock_specs.TABLE3) == {"CE, SGD", "CE, GD", "0-Hinge, SGD", "0-Hinge, GD"}


def test_middle_layers_vote_share_and_spread():
    assert layers.middle_layers(15) == [5, 6, 7, 8, 9]  # VGG16: input, 13 convs, softmax
    assert layers.middle_layers(11) == [4, 5, 6]  # ResNet18: the paper's "layer 4" is among them
    votes = np.array([[[3, 1, 0], [0, 0, 4]], [[2, 2, 0], [1, 1, 2]]])  # (L=2, n=2, C=3)
    np.testing.assert_allclose(probes.vote_share(votes, np.array([0, 2])), [[0.75, 1.0], [0.5, 0.5]])
    assert layers.max_spread([[0.5, 0.7], [0.52, 0.6], [0.49, 0.65]]) == pytest.approx(0.1)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from replicate.store import Store

    spec = baldock_specs.spec(
        {
            "dataset": "gaussians",
            "arch": "mlp",
            "width": 0.01,
            "n_models": 2,
            "n_train": 200,
            "n_test": 60,
            "epochs": 2,
            "batch_size": 50,
            "seed": 0,
        }
    )
    store = Store(tmp_path_factory.mktemp("store"))
    return runs.ensemble(spec, store, device="cpu", progress=False), store


def test_pool_votes_reproduce_the_probes(tiny):
    from replicate import probes

    rec, store = tiny
    pr = probes.probe_ensemble(rec, k=5, store=store, device="cpu", progress=False)
    points = np.array([3, 0, 17, 150])
    votes = layers.pool_votes(rec, points, k=5, store=store, device="cpu")
    assert votes.shape == (2, len(pr.layers), 4, rec.n_classes) and (votes.sum(-1) == 5).all()
    assert np.array_equal(votes.argmax(-1), pr.probe_preds("train")[:, :, points])
    y = rec.labels("train")[points]
    np.testing.assert_allclose(probes.vote_share(votes, y), pr.label_confidence("train")[:, :, points], rtol=1e-6)
    again = layers.pool_votes(rec, points, k=5, store=store, device="cpu")
    assert np.array_equal(again, votes)
    every = layers.pool_votes(rec, k=5, store=store, device="cpu")
    assert np.array_equal(every[:, :, points], votes)
    conf, acc = layers.class_curves(every, pr.probe_preds("train"), rec.labels("train"), ~pr.masks)
    np.testing.assert_allclose(conf, layers.layer_mean(pr.label_confidence("train"), ~pr.masks), rtol=1e-5)
    np.testing.assert_allclose(acc, layers.layer_accuracy(pr.probe_preds("train"), rec.labels("train"), ~pr.masks))


def test_logistic_probes_shapes(tiny):
    rec, _ = tiny
    out = layers.logistic_probes(rec, 0, max_iter=200, device="cpu")
    assert set(out) == {"train", "test", "half"}
    assert all(v.shape == (10,) for v in out.values())  # input, 7 dense layers, logits, softmax
    assert all(((v >= 0) & (v <= 1)).all() for v in out.values())
    widths = layers.probe_widths(rec)
    assert list(widths) == ["input", *[f"fc{i}" for i in range(1, 8)], "out", "softmax"]
    assert widths["input"] == 3 * 32 * 32 and widths["fc1"] == 20 and widths["softmax"] == 2


def test_training_accuracy_counts_only_each_members_own_training_points():
    from replicate.runs import Record

    preds = np.array([[[0, 0, 0, 0], [0, 1, 1, 0]], [[0, 0, 0, 0], [0, 1, 1, 0]]], np.int16)  # (M=2, epochs 0-1, n=4)
    masks = np.array([[True, True, True, False], [False, True, True, True]])
    arrays = {"preds/train": preds, "labels/train": np.array([0, 1, 0, 1]), "masks": masks}
    record = Record(None, "k", arrays, {"n_classes": 2})
    np.testing.assert_allclose(difficulty.training_accuracy(record), [2 / 3, 1 / 3])  # member 1's right answer on point 0 is held out
