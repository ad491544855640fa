"""The engine's per-epoch margins, label probabilities and EL2N norms (TrainConfig.keep_margins, issue 15)."""

import shutil
from dataclasses import replace

import numpy as np
import pytest
import torch

from replicate import runs
from replicate.store import Store
from replicate.train import OUTPUTS, TrainConfig, train_ensemble

MLP = dict(arch="mlp", arch_options=(("depth", 2), ("hidden", 16)), batch_size=50, lr=0.05, momentum=0.9)
CPU = torch.device("cpu")


def random_data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1, (n, 1, 6, 6)).astype(np.float32), rng.integers(0, 3, n)


def test_keep_margins_left_off_keeps_every_existing_key():
    """Keys computed before the field existed (it is left out of a key at its default)."""
    assert runs.EnsembleSpec(runs.DataSpec(), TrainConfig("mlp", 2, 1)).key(CPU) == "4dbb47d98093a3407bbe"
    cfg = TrainConfig("small_stvgg", 10, 30, batch_size=50, lr=0.02, momentum=0.9, keep_logits=True)
    spec = runs.EnsembleSpec(runs.DataSpec(n_train=2000, split="holdout"), cfg)
    assert spec.key(CPU) == "7dd1ccf1753c7d54591d"
    assert replace(spec, train=replace(cfg, keep_margins=True)).key(CPU) != spec.key(CPU)


@pytest.mark.parametrize("engine", ["loop", "batched"])
def test_margins_leave_predictions_bit_identical_and_match_the_logits(engine):
    x, y = random_data()
    evals = {"train": x, "test": x[:30]}
    labels = {"train": y, "test": np.where(np.arange(30) < 5, -1, y[:30])}  # five unlabelled test points
    plain = train_ensemble(TrainConfig(n_models=2, epochs=2, engine=engine, **MLP), x, y, evals, progress=False)
    cfg = TrainConfig(n_models=2, epochs=2, engine=engine, keep_margins=True, keep_logits=True, **MLP)
    kept = train_ensemble(cfg, x, y, evals, progress=False, eval_labels=labels)
    assert not plain.outputs
    for split in evals:
        np.testing.assert_array_equal(kept.preds[split], plain.preds[split])
        for name, fn in OUTPUTS.items():
            a = kept.outputs[f"{name}/{split}"]
            assert a.dtype == np.float32 and a.shape == kept.preds[split].shape
            np.testing.assert_allclose(a[:, -1], fn(kept.extra["logits"][split], labels[split]), rtol=1e-6, atol=1e-6)
    m, p, e = (kept.outputs[f"{name}/train"] for name in ("margins", "probs", "el2n"))
    right = kept.preds["train"] == y
    assert ((m > 0) == right).all()  # the label's margin is positive exactly where the label is predicted
    assert ((p > 0) & (p < 1)).all() and ((e > 0) & (e < np.sqrt(2))).all()
    assert np.isnan(kept.outputs["margins/test"][:, :, :5]).all() and np.isfinite(kept.outputs["margins/test"][:, :, 5:]).all()


def test_keep_margins_needs_labels_and_a_state_that_kept_them():
    x, y = random_data(60)
    cfg = TrainConfig(n_models=1, epochs=2, keep_margins=True, **MLP)
    with pytest.raises(ValueError, match="eval_labels for every split; missing: \\['test'\\]"):
        train_ensemble(cfg, x, y, {"train": x, "test": x}, progress=False, eval_labels={"train": y})
    plain = train_ensemble(replace(cfg, keep_margins=False, epochs=1), x, y, {"train": x}, progress=False)
    plain.preds["train"] = np.concatenate([plain.preds["train"], plain.preds["train"][:, :1]], axis=1)
    plain.loss = np.zeros((1, 2), np.float32)
    with pytest.raises(ValueError, match="trained without keep_margins"):
        train_ensemble(cfg, x, y, {"train": x}, state=plain, progress=False, eval_labels={"train": y})


def kept_spec(n_models=2, epochs=1):
    cfg = TrainConfig(n_models=n_models, epochs=epochs, keep_margins=True, **MLP)
    return runs.EnsembleSpec(runs.DataSpec("gaussians", n_train=200, n_test=50, split="holdout", ood=("noise",)), cfg)


def assert_same_arrays(a: runs.Record, b: runs.Record) -> None:
    assert sorted(a.arrays) == sorted(b.arrays)
    for name, value in b.arrays.items():
        np.testing.assert_array_equal(a.arrays[name], value, err_msg=name)


def test_a_record_keeps_margins_through_growing_and_extending(tmp_path, capsys):
    """Grown (2 -> 3 members) and extended (1 -> 2 epochs) entries with margins equal fresh runs."""
    store = Store(tmp_path / "store")
    two = runs.ensemble(kept_spec(), store, progress=False)
    assert two.margins("train").shape == (2, 2, 200) and two.probs("test").shape == (2, 2, 50)
    assert two.el2n("noise").shape == (2, 2, 50) and np.isnan(two.el2n("noise")).all()  # noise images have no label
    grown = runs.ensemble(kept_spec(n_models=3), store, progress=False)
    longer = runs.ensemble(kept_spec(epochs=2), store, progress=False)
    out = capsys.readouterr().out
    assert "growing 2 stored networks to 3" in out and "extending the stored 1-epoch run to 2 epochs" in out
    assert_same_arrays(grown, runs.ensemble(kept_spec(n_models=3), Store(tmp_path / "fresh"), progress=False))
    assert_same_arrays(longer, runs.ensemble(kept_spec(epochs=2), Store(tmp_path / "fresh"), progress=False))
    assert "margins/train" in longer.arrays and np.isfinite(longer.margins("train")).all()


def test_a_record_without_margins_says_how_to_get_them(tmp_path):
    spec = kept_spec()
    rec = runs.ensemble(replace(spec, train=replace(spec.train, keep_margins=False)), Store(tmp_path), progress=False)
    assert not any(name.startswith(tuple(OUTPUTS)) for name in rec.arrays)
    with pytest.raises(KeyError, match="keep_margins=True"):
        rec.margins("train")


def test_entries_written_before_a_new_field_are_still_extended(tmp_path, capsys):
    """An entry whose recorded spec lacks keep_margins (written before the field existed) reads it as
    its default, so a longer run of the same spec extends it instead of training from scratch."""
    spec = kept_spec()
    spec = replace(spec, train=replace(spec.train, keep_margins=False))
    store = Store(tmp_path)
    rec = runs.ensemble(spec, store, progress=False)
    meta = dict(rec.meta, spec={**rec.meta["spec"], "train": {k: v for k, v in rec.meta["spec"]["train"].items() if k != "keep_margins"}})
    shutil.rmtree(store.path("ensemble", rec.key))
    store.save("ensemble", rec.key, rec.arrays, meta)
    capsys.readouterr()
    runs.ensemble(replace(spec, train=replace(spec.train, epochs=2)), store, progress=False)
    assert "extending the stored 1-epoch run to 2 epochs" in capsys.readouterr().out
