import numpy as np
import pytest

from replicate import curves, runs
from replicate.hacohen2020 import analysis
from replicate.train import TrainConfig, train_ensemble


def test_views_build_masks_and_label_noise():
    train, test, masks = runs.views(runs.DataSpec("gaussians", n_train=200, n_test=50, split="holdout", label_noise=0.25), 3)
    assert len(train.y) == 200 and len(test.y) == 50
    assert masks.shape == (3, 200) and (masks.sum(1) == 180).all()
    assert train.relabelled.sum() == 50 and (train.y[train.relabelled] != train.original_y[train.relabelled]).all()
    _, _, parts = runs.views(runs.DataSpec("gaussians", n_train=200, split="partition"), 4)
    assert (parts.sum(0) == 1).all()
    with pytest.raises(ValueError, match="split='halves'"):
        runs.DataSpec(split="halves")


def fake_record(preds_train, labels, n_classes=3):
    arrays = {"preds/train": preds_train, "labels/train": labels}
    return runs.Record(spec=None, key="k", arrays=arrays, meta={"n_classes": n_classes})


def test_consistency_by_epoch_and_accuracy():
    labels = np.array([0, 1, 2])
    preds = np.array([[[1, 1, 1], [0, 1, 0]], [[0, 0, 0], [0, 1, 2]]])  # 2 models, 2 checkpoints, 3 examples
    rec = fake_record(preds, labels)
    assert np.allclose(curves.consistency_by_epoch(rec, "train"), [[0.5, 0.5, 0.0], [1.0, 1.0, 0.5]])
    assert np.allclose(rec.accuracy("train"), [[1 / 3, 2 / 3], [1 / 3, 1.0]])


def test_independent_baseline_matches_accuracy_but_not_order():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 4000)
    easy = np.arange(4000) < 2000
    preds = np.where(easy, labels, (labels + 1) % 10)[None, None].repeat(8, 0)  # 8 identical models
    rec = fake_record(preds, labels, 10)
    ours = curves.consistency_by_epoch(rec, "train")
    indep = curves.independent_consistency_by_epoch(rec, "train")
    assert ours.mean() == pytest.approx(indep.mean(), abs=0.02)
    assert curves.bimodality_by_epoch(ours)[0] == pytest.approx(0.0, abs=1e-9)
    # independent models: a binomial, whose measure is 2 - 2/N
    assert curves.bimodality_by_epoch(indep)[0] == pytest.approx(2 - 2 / 8, abs=0.15)


def test_full_batch_gradient_descent_with_zero_hinge_trains():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    x = (rng.normal(0, 1, (200, 1, 4, 4)) + 2 * (2 * y[:, None, None, None] - 1)).astype(np.float32)
    cfg = TrainConfig(
        "mlp", n_models=2, epochs=20, arch_options=(("depth", 1), ("hidden", 16)), batch_size=None, loss="hinge0", lr=0.01, momentum=0.9
    )
    st = train_ensemble(cfg, x, y, {"train": x}, progress=False)
    assert (st.loss[:, -1] <= st.loss[:, 0]).all() and st.loss[:, -1].max() < 0.01
    acc = (st.preds["train"][:, -1] == y).mean(1)
    assert (acc > 0.9).all()


def test_out_of_sample_sets():
    spec = runs.DataSpec("gaussians", n_test=40, classes=(1,), ood=("noise", "unseen"))
    train, test, _ = runs.views(spec, 2)
    sets = runs.ood_sets(spec, test)
    assert sets["noise"].x.shape == test.x.shape and (sets["noise"].y == -1).all()
    assert abs(sets["noise"].x.mean() - test.x.mean()) < 0.05
    assert (sets["unseen"].y == -1).all() and (sets["unseen"].original_y == 0).all()
    with pytest.raises(ValueError, match="needs classes"):
        runs.DataSpec(ood=("unseen",))
    with pytest.raises(ValueError, match="'blur' is not an out-of-sample set"):
        runs.DataSpec(ood=("blur",))


def test_spec_keys_ignore_fields_left_at_their_defaults():
    import torch

    cpu = torch.device("cpu")
    cfg = TrainConfig("mlp", 2, 1)
    a = runs.EnsembleSpec(runs.DataSpec(), cfg)
    assert a.key(cpu) == runs.EnsembleSpec(runs.DataSpec(ood=()), cfg).key(cpu)
    assert a.key(cpu) != runs.EnsembleSpec(runs.DataSpec(ood=("noise",)), cfg).key(cpu)
    assert a.key(cpu) != runs.EnsembleSpec(runs.DataSpec(), TrainConfig("mlp", 2, 1, seed=1)).key(cpu)


def test_only_batched_nets_with_dropout_changed_their_keys_with_per_member_masks():
    """Entries of the nets whose training the per-member dropout masks changed (batched engine with
    dropout) get new keys; every other entry keeps its key."""
    import torch

    from replicate.store import key

    cpu = torch.device("cpu")

    def old_key(cfg: TrainConfig, engine: str) -> str:
        spec = {"data": runs._non_default(runs.DataSpec()), "train": runs._non_default(cfg)}
        return key("ensemble", {**spec, "device": "cpu", "engine": engine}, runs.VERSION)

    for cfg, engine, kept in [
        (TrainConfig("mlp", 2, 1), "batched", True),
        (TrainConfig("small_stvgg", 2, 1), "loop", True),
        (TrainConfig("fc", 2, 1), "batched", False),
        (TrainConfig("mlp", 2, 1, arch_options=(("dropout", 0.2),)), "batched", False),
        (TrainConfig("small_stvgg", 2, 1, engine="batched"), "batched", False),
    ]:
        assert (runs.EnsembleSpec(runs.DataSpec(), cfg).key(cpu) == old_key(cfg, engine)) == kept, cfg


def test_consensus_by_epoch_and_random_baseline():
    labels = np.array([0, 1, 2])
    preds = np.array([[[1, 1, 1], [0, 1, 0]], [[1, 0, 2], [0, 2, 2]], [[1, 2, 0], [0, 1, 2]]])  # 3 models
    rec = fake_record(preds, labels)
    assert np.allclose(curves.consensus_by_epoch(rec, "train"), [[1, 1 / 3, 1 / 3], [1, 2 / 3, 2 / 3]])
    rand = analysis.random_consensus(3, 10, 5000, seed=0)
    # three uniform voters over 10 labels: all differ w.p. 0.72 (consensus 1/3), all agree w.p. 0.01
    assert np.mean(rand == 1 / 3) == pytest.approx(0.72, abs=0.02)
    assert np.mean(rand == 1) == pytest.approx(0.01, abs=0.005)


GROWN = {
    "mlp": TrainConfig("mlp", 2, 2, arch_options=(("depth", 2), ("hidden", 16)), batch_size=50, keep_weights=True),
    "conv net with dropout": TrainConfig("small_stvgg", 2, 1, width=0.125, batch_size=50, keep_logits=True),
}


@pytest.mark.parametrize("family", list(GROWN))
def test_an_ensemble_grows_by_training_only_its_missing_members(family, tmp_path, capsys):
    """2 stored networks grown to 3 train one network and equal a fresh 3-network run; asking for
    1 then reads the first of them (90:10 masks, whose rows depend only on the seed and the row)."""
    from dataclasses import replace

    from replicate.store import Store

    data_spec = runs.DataSpec(n_train=200, n_test=100, split="holdout")
    two = runs.EnsembleSpec(data_spec, GROWN[family])
    three = runs.EnsembleSpec(data_spec, replace(GROWN[family], n_models=3))
    store = Store(tmp_path / "store")
    runs.ensemble(two, store, progress=False)
    capsys.readouterr()
    grown = runs.ensemble(three, store, progress=False)
    assert "growing 2 stored networks to 3: training members 2..2" in capsys.readouterr().out
    assert grown.meta["grown_from"] == 2
    fresh = runs.ensemble(three, Store(tmp_path / "fresh"), progress=False)
    assert sorted(grown.arrays) == sorted(fresh.arrays)
    for name, value in fresh.arrays.items():
        assert np.array_equal(grown.arrays[name], value), name
    one = runs.ensemble(replace(three, train=replace(three.train, n_models=1)), store, progress=False)
    assert "the first 1 of 2 stored networks" in capsys.readouterr().out
    assert np.array_equal(one.arrays["preds/test"], fresh.arrays["preds/test"][:1])


def test_partition_splits_do_not_grow(tmp_path, capsys):
    from dataclasses import replace

    from replicate.store import Store

    cfg = GROWN["mlp"]
    spec = runs.EnsembleSpec(runs.DataSpec(n_train=200, n_test=100, split="partition"), cfg)
    store = Store(tmp_path)
    runs.ensemble(spec, store, progress=False)
    capsys.readouterr()
    grown = runs.ensemble(replace(spec, train=replace(cfg, n_models=3)), store, progress=False)
    assert "growing" not in capsys.readouterr().out and grown.meta["grown_from"] == 0


EXTENDED = {
    "mlp with momentum": TrainConfig(
        "mlp", 2, 2, arch_options=(("depth", 2), ("hidden", 16)), batch_size=50, momentum=0.9, keep_weights=True
    ),
    "conv net with dropout": TrainConfig("small_stvgg", 2, 1, width=0.125, batch_size=50, schedule="hacohen", keep_logits=True),
}


@pytest.mark.parametrize("family", list(EXTENDED))
def test_a_stored_run_is_extended_to_more_epochs(family, tmp_path, capsys):
    """A run extended from its stored epochs to more equals a fresh run of the longer length, with
    momentum, dropout masks and per-epoch predictions; the extension trains only the new epochs."""
    from dataclasses import replace

    from replicate.store import Store

    cfg = EXTENDED[family]
    short = runs.EnsembleSpec(runs.DataSpec(n_train=200, n_test=100, split="holdout"), cfg)
    longer = replace(short, train=replace(cfg, epochs=cfg.epochs + 2))
    store = Store(tmp_path / "store")
    runs.ensemble(short, store, progress=False)
    capsys.readouterr()
    extended = runs.ensemble(longer, store, progress=False)
    assert f"extending the stored {cfg.epochs}-epoch run to {cfg.epochs + 2} epochs" in capsys.readouterr().out
    assert extended.meta["extended_from_epoch"] == cfg.epochs
    fresh = runs.ensemble(longer, Store(tmp_path / "fresh"), progress=False)
    assert fresh.arrays.keys() == extended.arrays.keys()
    for name, a in fresh.arrays.items():
        np.testing.assert_array_equal(extended.arrays[name], a, err_msg=name)


def test_a_cosine_run_is_retrained_for_more_epochs_and_says_why(tmp_path, capsys):
    from dataclasses import replace

    from replicate.store import Store

    spec = runs.EnsembleSpec(runs.DataSpec(n_train=200, n_test=100), replace(GROWN["mlp"], schedule="cosine"))
    store = Store(tmp_path)
    runs.ensemble(spec, store, progress=False)
    capsys.readouterr()
    longer = runs.ensemble(replace(spec, train=replace(spec.train, epochs=3)), store, progress=False)
    out = capsys.readouterr().out
    assert "a stored run of this spec has 2 epochs; it is not extended to 3 (its learning-rate schedule depends on the number" in out
    assert longer.meta["extended_from_epoch"] == 0
