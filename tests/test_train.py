import numpy as np
import pytest
import torch

from replicate.train import TrainConfig, batches, loss_fn, lr_at, train_ensemble


def blobs(n=400, seed=0):
    """Two well-separated classes of 1x8x8 'images'."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 1, (n, 1, 8, 8)).astype(np.float32) + 3 * (2 * y[:, None, None, None] - 1)
    return x, y


MLP = dict(arch="mlp", arch_options=(("depth", 2), ("hidden", 32)), batch_size=50, lr=0.05, momentum=0.9)


def test_same_seed_same_predictions_bit_identical():
    x, y = blobs()
    cfg = TrainConfig(n_models=3, epochs=3, **MLP)
    a = train_ensemble(cfg, x, y, {"train": x, "test": x[:50]}, progress=False)
    b = train_ensemble(cfg, x, y, {"train": x, "test": x[:50]}, progress=False)
    for split in ("train", "test"):
        assert np.array_equal(a.preds[split], b.preds[split])
    assert np.array_equal(a.loss, b.loss)
    c = train_ensemble(TrainConfig(n_models=3, epochs=3, **{**MLP, "lr": 0.05}, seed=1), x, y, {"train": x}, progress=False)
    assert not np.array_equal(a.params["stages.fc1.weight"], c.params["stages.fc1.weight"])


@pytest.mark.parametrize("engine", ["loop", "batched"])
def test_ensemble_learns_and_records_every_epoch(engine):
    x, y = blobs()
    cfg = TrainConfig(n_models=4, epochs=3, engine=engine, eval_steps=(2,), **MLP)
    st = train_ensemble(cfg, x, y, {"train": x, "test": x[:100]}, progress=False)
    assert st.preds["train"].shape == (4, 4, 400) and st.preds["test"].shape == (4, 4, 100)
    assert st.step_preds["test"].shape == (4, 1, 100)
    acc = (st.preds["train"] == y).mean(-1)
    assert (acc[:, -1] > 0.95).all()
    # members differ: their own initialisations give different weights
    w = st.params["stages.fc1.weight"]
    assert not torch.equal(w[0], w[1])


def test_engines_agree_without_dropout():
    x, y = blobs()
    states = [
        train_ensemble(TrainConfig(n_models=2, epochs=2, engine=e, **MLP), x, y, {"train": x}, progress=False) for e in ("loop", "batched")
    ]
    assert torch.allclose(states[0].params["stages.out.weight"], states[1].params["stages.out.weight"], atol=1e-4)


def test_cnn_engines_and_dropout_run():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (60, 1, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 3, 60)
    for engine in ("loop", "batched"):
        st = train_ensemble(
            TrainConfig("small_stvgg", n_models=2, epochs=1, width=0.25, batch_size=20, engine=engine, keep_logits=True),
            x,
            y,
            {"test": x[:10]},
            progress=False,
        )
        assert st.extra["logits"]["test"].shape == (2, 10, 3)
        assert np.array_equal(st.extra["logits"]["test"].argmax(-1), st.preds["test"][:, -1])


def test_batches_cover_each_members_mask_once_per_epoch():
    masks = np.array([[1, 1, 1, 0, 0, 1, 1], [0, 0, 1, 1, 1, 1, 0]], bool)
    idx, w = batches(masks, 2, seed=0, epoch=0)
    for m in range(2):
        seen = idx[:, m][w[:, m] > 0]
        assert sorted(seen) == list(np.flatnonzero(masks[m]))
    idx_other_epoch, _ = batches(masks, 2, seed=0, epoch=1)
    assert not np.array_equal(idx, idx_other_epoch)
    full, wf = batches(masks, None, seed=0, epoch=0)
    assert full.shape == (1, 2, 5) and wf.sum() == 9


def test_masks_restrict_training_data():
    x, y = blobs(n=200)
    masks = np.zeros((2, 200), bool)
    masks[0, :100] = True
    masks[1, :] = True
    y_bad = y.copy()
    y_bad[100:] = 1 - y[100:]  # points only member 1 sees carry flipped labels
    st = train_ensemble(TrainConfig(n_models=2, epochs=5, **MLP), x, y_bad, {"train": x}, masks=masks, progress=False)
    final = st.preds["train"][:, -1, 100:]
    assert (final[0] == y[100:]).mean() > 0.9  # member 0 never saw the flipped labels


def test_schedules():
    hac = TrainConfig("mlp", 1, 50, lr=0.05, schedule="hacohen")
    assert lr_at(hac, 19 * 10, 10) == 0.05
    assert lr_at(hac, 20 * 10, 10) == pytest.approx(0.05 / 1.8)
    assert lr_at(hac, 45 * 10, 10) == pytest.approx(0.05 / 1.8**2)
    step = TrainConfig("mlp", 1, 50, lr=1.0, schedule="step", milestones=(2.0, 3.5))
    assert [lr_at(step, s, 10) for s in (0, 19, 20, 34, 35)] == [1.0, 1.0, 0.2, 0.2, pytest.approx(0.04)]
    cos = TrainConfig("mlp", 1, 10, lr=1.0, schedule="cosine")
    assert lr_at(cos, 0, 10) == 1.0 and lr_at(cos, 50, 10) == pytest.approx(0.5)


def test_zero_hinge_loss():
    z = torch.tensor([[2.0, 1.0, 3.0], [0.0, 5.0, 1.0]])
    y = torch.tensor([0, 1])
    # example 0: max(0, 1-2) + max(0, 3-2) = 1; example 1: correct by a margin, loss 0
    assert torch.allclose(loss_fn("hinge0", z, y), torch.tensor([1.0, 0.0]))


def test_bad_config_names_parameter_and_allowed_values():
    with pytest.raises(ValueError, match="engine='gpu'.*auto, loop, batched"):
        TrainConfig("mlp", 2, 1, engine="gpu")
    with pytest.raises(ValueError, match="schedule"):
        TrainConfig("mlp", 2, 1, schedule="linear")
    with pytest.raises(ValueError, match="n_models=0"):
        TrainConfig("mlp", 0, 1)


def test_unequal_member_sets_never_step_on_empty_batches():
    masks = np.zeros((2, 10), bool)
    masks[0, :3] = True
    masks[1, :] = True
    idx, w = batches(masks, 4, seed=0, epoch=0)
    assert w.shape[0] == 3 and (w.sum(-1) > 0).all()
    assert w[:, 1].sum(-1).tolist() == [4, 3, 3]


def test_auto_engine_per_architecture_and_device():
    from replicate.train import resolve_engine

    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert resolve_engine("auto", "mlp", cpu) == "batched"
    assert resolve_engine("auto", "small_stvgg", cpu) == "loop"
    assert resolve_engine("auto", "lenet5", cpu) == "loop"
    assert resolve_engine("auto", "vgg16", cuda) == "batched"
    assert resolve_engine("loop", "mlp", cpu) == "loop"


def test_a_diverging_member_is_reported_in_the_training_output(capsys):
    x, y = blobs()
    cfg = TrainConfig(n_models=2, epochs=3, **{**MLP, "lr": float("nan")})
    state = train_ensemble(cfg, x, y, {"train": x}, progress=False)
    assert not np.isfinite(state.loss).any()
    out = capsys.readouterr().out
    assert "member(s) 0, 1 of 2 x mlp: non-finite loss at epoch 1" in out
    assert out.count("non-finite loss") == 1  # once, when it happens, not every epoch


def test_provenance_flags_non_finite_training():
    from replicate import provenance, runs

    meta = {"engine": "batched", "train_seconds": 1.0, "git": "abc"}
    record = runs.Record(None, "k", {"loss": np.array([[1.0, 0.5], [1.0, np.nan]])}, meta)
    assert "WARNING: member(s) 1 of ensemble/k have a non-finite training loss" in provenance.summary([record], 1.0)
    record.arrays["loss"][1, 1] = 0.4
    assert "WARNING" not in provenance.summary([record], 1.0)


SHARDED = {
    "mlp with dropout": dict(arch="mlp", arch_options=(("depth", 2), ("hidden", 16), ("dropout", 0.3)), batch_size=40, momentum=0.9),
    "conv net with dropout": dict(arch="small_stvgg", width=0.125, batch_size=40),
}


@pytest.mark.parametrize("engine", ["loop", "batched"])
@pytest.mark.parametrize("family", list(SHARDED))
def test_a_member_does_not_depend_on_the_members_beside_it(family, engine):
    """Members {0..5} trained together equal {0..2} and {3..5} trained apart, bit for bit: each
    member's initialisation, batches and dropout masks depend only on (seed, i, epoch). On 90:10
    masks, whose training sets differ per member. The batched engine's convolutions (vmap) sum
    their weight gradients over members x examples in pieces that depend on the number of CPU
    threads and the tensor's size, so it is shard-invariant with one intra-op thread (as in the
    scale-out workers), not with two (differences of 1e-8 after one epoch)."""
    if engine == "batched" and family.startswith("conv"):
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            _check_shards(family, engine)
        finally:
            torch.set_num_threads(threads)
    else:
        _check_shards(family, engine)


def _check_shards(family: str, engine: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (120, 1, 12, 12)).astype(np.uint8)
    y = rng.integers(0, 3, 120)
    masks = rng.random((6, 120)) < 0.9
    cfg = TrainConfig(n_models=6, epochs=2, engine=engine, lr=0.05, **SHARDED[family])

    def train(members=None):
        return train_ensemble(cfg, x, y, {"test": x[:30]}, masks=masks, n_classes=3, progress=False, members=members)

    whole, shards = train(), [train([0, 1, 2]), train([3, 4, 5])]
    assert np.array_equal(whole.preds["test"], np.concatenate([s.preds["test"] for s in shards]))
    assert np.array_equal(whole.loss, np.concatenate([s.loss for s in shards]))
    for k, v in whole.params.items():
        assert torch.equal(v, torch.cat([s.params[k] for s in shards])), k
    assert len({tuple(p.ravel()[:5].tolist()) for p in whole.preds["test"][:, -1]}) > 1  # the members differ


def test_members_must_be_indices_of_the_ensemble():
    x, y = blobs(40)
    with pytest.raises(ValueError, match=r"members=\[2, 2\] must be distinct indices in 0..2"):
        train_ensemble(TrainConfig(n_models=3, epochs=1, **MLP), x, y, {}, progress=False, members=[2, 2])


def test_inside_a_kernel_each_epoch_is_one_line_on_the_terminal_and_none_in_the_notebook(monkeypatch, capfd):
    import io
    import sys

    notebook = io.StringIO()
    monkeypatch.setattr(sys, "stderr", notebook)  # as in a kernel: sys.stderr is the notebook's stream
    x, y = blobs(100)
    train_ensemble(TrainConfig(n_models=2, epochs=2, **MLP), x, y, {"test": x[:10]})
    lines = [line for line in capfd.readouterr().err.splitlines() if "training" in line]
    assert [line.split(",")[0] for line in lines] == ["  training 2 x mlp (batched): epoch 1/2", "  training 2 x mlp (batched): epoch 2/2"]
    assert "epoch" not in notebook.getvalue()
