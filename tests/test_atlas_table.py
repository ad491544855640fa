import numpy as np
import pandas as pd
import pytest
import torch

from replicate import cli, cost, data, imagestats, runs
from replicate.atlas import release, specs, table
from replicate.book import pipeline
from replicate.probes import Probes
from replicate.store import Store
from replicate.train import TrainConfig

# A pooled 90:10 ensemble by hand: 2 members, 2 epochs (3 checkpoints), 3 classes; the pool holds
# training images 5 and 7 and test image 3 (pool id 60003). Member 0 trained on pool rows 0, 1;
# member 1 on rows 0, 2: row 0 has no held-out member, row 1 is held out by member 1, row 2 by member 0.
LABELS = np.array([0, 1, 2])
MASKS = np.array([[True, True, False], [True, False, True]])
PREDS = np.array(
    [
        [[1, 0, 2], [0, 1, 2], [0, 0, 0]],  # member 0: checkpoint x row
        [[0, 1, 2], [1, 1, 0], [0, 1, 1]],  # member 1
    ]
)
MARGINS = np.array([[[0, 0, 0], [1, 2, 1], [3, -1, -2]], [[0, 0, 0], [-1, 4, 1], [1, 6, -3]]], np.float32)
PROBS = np.array([[[0.1, 0.1, 0.1], [0.2, 0.5, 0.9], [0.6, 0.5, 0.9]], [[0.1, 0.1, 0.1], [0.4, 0.9, 0.3], [0.8, 0.9, 0.1]]], np.float32)
EL2N = np.array([[[1, 1, 1], [0.8, 0.9, 0.0], [0.2, 0.1, 0.0]], [[1, 1, 1], [0.6, 0.0, 0.5], [0.3, 0.0, 0.4]]], np.float32)
DEPTH = np.array([[0, 2, 1], [2, -1, 0]])  # probe depth per member and row, -1: none


def pooled_record() -> runs.Record:
    spec = runs.EnsembleSpec(runs.DataSpec("fashion_mnist", split="holdout", pool=True), TrainConfig("mlp", n_models=2, epochs=2))
    arrays = {
        "preds/train": PREDS.astype(np.int16),
        "labels/train": LABELS,
        "ids/train": np.array([5, 7, 60_003]),
        "masks": MASKS,
        "margins/train": MARGINS,
        "probs/train": PROBS,
        "el2n/train": EL2N,
    }
    return runs.Record(spec, "k", arrays, {"n_classes": 3})


def probes_of(record: runs.Record) -> Probes:
    return Probes(record.key, (0, 1), ("input", "fc1", "softmax"), record.masks, {"depth/train": DEPTH.astype(np.int16)}, [])


def stats() -> dict:
    one = {name: np.arange(3.0) + 10 * i for i, name in enumerate(imagestats.STATS)}
    return {"train": {"ids": np.array([7, 9, 5]), **one}, "test": {"ids": np.array([3]), **{k: v[:1] + 100 for k, v in one.items()}}}


@pytest.fixture
def built():
    record = pooled_record()
    return table.build(record, probes_of(record), stats())


def column(t: pd.DataFrame, name: str) -> np.ndarray:
    return t[name].to_numpy()


def test_rows_are_the_pool_mapped_back_to_splits(built):
    t, scores = built
    assert list(t["split"]) == ["train", "train", "test"] and list(t["id"]) == [5, 7, 3]
    assert list(t.columns) == ["id", "split", *(s.name for s in scores)]


def test_held_out_side_scores_by_hand(built):
    t, _ = built
    # row 0: no member held it out; row 1: member 1 (final prediction 1 = label, margin 6, depth -1);
    # row 2: member 0 (final prediction 0, label 2, margin -2, depth 1)
    np.testing.assert_allclose(column(t, "c_score"), [np.nan, 1.0, 0.0])
    np.testing.assert_allclose(column(t, "consensus_consistency"), [np.nan, 1.0, 1.0])
    np.testing.assert_allclose(column(t, "margin"), [np.nan, 6.0, -2.0])
    np.testing.assert_allclose(column(t, "pd_heldout"), [np.nan, np.nan, 1.0])


def test_input_margin_is_the_probed_members_held_out_mean():
    record = pooled_record()
    margins = {"train": np.array([[0.5, 0.7, 0.9], [0.2, 0.4, 0.6]])}  # member x row; row 1 held out by member 1, row 2 by member 0
    t, scores = table.build(record, probes_of(record), stats(), input_margins=margins)
    np.testing.assert_allclose(column(t, "input_margin"), [np.nan, 0.4, 0.9])
    assert {s.name: s.sign for s in scores}["input_margin"] == "lower = harder"
    t, scores = table.build(record, probes_of(record), stats())
    assert "input_margin" not in t and "input_margin" not in {s.name for s in scores}


def test_training_side_scores_by_hand(built):
    t, _ = built
    # row 0: members 0 and 1 (histories 1,0,0 and 0,1,0); row 1: member 0 (0,1,0); row 2: member 1 (2,0,1)
    np.testing.assert_allclose(column(t, "pd_train"), [1.0, 2.0, 0.0])
    np.testing.assert_allclose(column(t, "iteration_learned"), [1.5, 2.0, 2.0])
    np.testing.assert_allclose(column(t, "consistency"), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(column(t, "accessibility"), [0.75, 0.5, 0.0])
    np.testing.assert_allclose(column(t, "consensus"), [1.0, 1.0, 1.0])
    # all training members right: row 0 from epoch 2, row 1 at epoch 1, row 2 at initialisation
    np.testing.assert_allclose(column(t, "first_agreement_epoch"), [2.0, 1.0, 0.0])
    # row 1: right at epoch 1, wrong at 2; row 2: never right from epoch 1 -> 2 epochs
    np.testing.assert_allclose(column(t, "forgetting_events"), [0.0, 1.0, 2.0])
    np.testing.assert_allclose(column(t, "el2n"), [0.7, 0.9, 0.5], rtol=1e-6)  # epoch 1 = 10% of 2, at least 1
    np.testing.assert_allclose(column(t, "aum"), [1.0, 0.5, -1.0])
    np.testing.assert_allclose(column(t, "confidence"), [0.5, 0.5, 0.2], rtol=1e-6)
    np.testing.assert_allclose(column(t, "variability"), [0.2, 0.0, 0.1], rtol=1e-5, atol=1e-7)


def test_image_statistics_are_matched_by_id(built):
    t, _ = built
    np.testing.assert_allclose(column(t, "segment_count"), [2.0, 0.0, 100.0])
    np.testing.assert_allclose(column(t, "dct_fraction"), [32.0, 30.0, 130.0])
    record = pooled_record()
    with pytest.raises(ValueError, match="lack 1 scored id"):
        table.build(record, probes_of(record), {**stats(), "train": {**stats()["train"], "ids": np.array([7, 9, 4])}})


def test_signs_and_splits_are_declared(built):
    _, scores = built
    sign = {s.name: s.sign for s in scores}
    for name in ("pd_heldout", "pd_train", "iteration_learned", "first_agreement_epoch", "forgetting_events", "el2n"):
        assert sign[name] == "higher = harder"
    for name in ("accessibility", "aum", "consistency", "c_score", "margin", "confidence", "consensus_consistency"):
        assert sign[name] == "lower = harder"
    assert all(sign[s] == "no direction" for s in (*imagestats.STATS, "variability"))
    assert all(s.splits == ("train", "test") for s in scores)
    assert "after epoch 1" in {s.name: s for s in scores}["el2n"].definition


def test_el2n_epoch_is_a_tenth_of_training():
    assert [table.el2n_epoch(e) for e in (2, 8, 15, 200)] == [1, 1, 2, 20]


def test_unpooled_test_examples_have_only_a_held_out_side():
    # the same three rows, the third now a test example no member trained on
    rec = pooled_record()
    arrays = {k.replace("/train", "/test"): v[..., 2:] for k, v in rec.arrays.items() if "/" in k}
    arrays |= {k: v[..., :2] for k, v in rec.arrays.items()} | {"ids/test": np.array([3]), "masks": MASKS[:, :2]}
    spec = runs.EnsembleSpec(runs.DataSpec("fashion_mnist", split="holdout"), rec.spec.train)
    record = runs.Record(spec, "k", arrays, {"n_classes": 3})
    p = Probes("k", (0, 1), ("input", "fc1", "softmax"), MASKS[:, :2], {"depth/train": DEPTH[:, :2], "depth/test": DEPTH[:, 2:]}, [])
    t, scores = table.build(record, p, stats())
    assert list(t["split"]) == ["train", "train", "test"]
    # the test row: both members held it out (finals 0 and 1, label 2; depths 1 and 0)
    assert t["c_score"].iloc[2] == 0.0 and t["pd_heldout"].iloc[2] == 0.5 and np.isnan(t["aum"].iloc[2])
    declared = {s.name: s.splits for s in scores}
    assert declared["aum"] == ("train",) and declared["c_score"] == ("train", "test")


def test_pooled_views_keep_split_and_id():
    spec = runs.DataSpec("gaussians", n_train=200, n_test=50, split="holdout", pool=True)
    pool, test, masks = runs.views(spec, 3)
    assert len(pool) == 250 and masks.shape == (3, 250) and (masks.sum(1) == 225).all()
    split, ids = data.pooled_split("gaussians", pool.ids)
    assert list(split).count("test") == 50 and np.array_equal(ids[200:], test.ids)
    np.testing.assert_array_equal(pool.x[200:], test.x)
    assert (pool.ids[200:] == test.ids + data.SIZES["gaussians"]["train"]).all()
    assert cost.sizes(runs.EnsembleSpec(spec, TrainConfig("mlp", 3, 1))) == (250, 0, 225)
    with pytest.raises(ValueError, match="keep eval_train"):
        runs.DataSpec(pool=True, eval_train=False)


def test_pool_option_keeps_existing_keys():
    spec = runs.EnsembleSpec(
        runs.DataSpec("fashion_mnist", n_train=300, n_test=100, split="holdout"),
        TrainConfig("mlp", n_models=3, epochs=2, keep_margins=True),
    )
    assert spec.key(torch.device("cpu")) == "16c02ed170c901d67dc8"  # computed before DataSpec had `pool`
    pooled = runs.EnsembleSpec(runs.DataSpec("fashion_mnist", n_train=300, n_test=100, split="holdout", pool=True), spec.train)
    assert pooled.key(torch.device("cpu")) != spec.key(torch.device("cpu"))


def a1_atlas(scale: str) -> dict:
    path = pipeline.find("atlas/a1")
    return pipeline.resolved(path, scale)["atlas"]


def test_atlas_specs_pool_every_image_at_laptop_scale():
    s = specs.atlas_spec(a1_atlas("laptop"))
    assert s.data.pool and s.data.split == "holdout" and s.data.n_train is None and s.data.n_test is None
    assert s.train.keep_margins and s.train.keep_weights and s.train.arch == "mlp"
    assert s.key(torch.device("cpu")) == "0c80260faad62af6262c"  # the ensemble the first laptop atlas trained (from scale-keyed specs)
    for scale in ("smoke", "paper"):
        p = a1_atlas(scale)
        assert specs.atlas_spec(p).train.n_models == p["n_models"] and p["probe_members"] <= p["n_models"]
    with pytest.raises(ValueError, match="atlas.probe_members=5 must be at most atlas.n_models=4"):
        specs.atlas_spec(a1_atlas("smoke") | {"probe_members": 5})
    with pytest.raises(ValueError, match=r"atlas.epochs=0 must be a whole number >= 1"):
        specs.atlas_spec(a1_atlas("smoke") | {"epochs": 0})


def test_probe_queries_take_every_held_out_row_and_as_many_trained():
    mask = np.array([True] * 8 + [False] * 2)
    rows = table.probe_queries(mask, 0, 1)
    assert len(rows) == 4 and {8, 9} <= set(rows) and mask[rows].sum() == 2 and (np.diff(rows) > 0).all()
    assert np.array_equal(rows, table.probe_queries(mask, 0, 1)) and len(table.probe_queries(~mask, 0, 1)) == 10  # 8 held out, both trained


def test_sampled_probes_equal_the_full_probes_on_their_rows(tmp_path):
    from replicate import probes
    from replicate.store import Store

    store = Store(tmp_path)
    cfg = TrainConfig("mlp", n_models=2, epochs=1, arch_options=(("depth", 2), ("hidden", 16)), keep_weights=True, batch_size=50)
    record = runs.ensemble(runs.EnsembleSpec(runs.DataSpec("gaussians", n_train=200, n_test=50, split="holdout", pool=True), cfg), store)
    assert record.preds("train").shape == (2, 2, 250) and "preds/test" not in record.arrays and list(record.epochs) == [0, 1]
    full = probes.probe_ensemble(record, k=5, probe_dim=8, splits=("train",), store=store, progress=False)
    sampled = table.sampled_probes(record, (0, 1), 5, 8, store=store)
    for m in (0, 1):
        rows = table.probe_queries(record.masks[m], 0, m)
        assert np.array_equal(sampled.depth("train")[m, rows], full.depth("train")[m, rows])
        assert (np.delete(sampled.depth("train")[m], rows) == -1).all()
    assert sampled.layers == full.layers and table.sampled_probes(record, (1,), 5, 8, store=store).meta[0] == sampled.meta[1]


def test_scores_cli_smoke_round_trip(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REPLICATE_STORE", str(tmp_path / "store"))
    out = tmp_path / "atlas"
    assert cli.main(["scores", "fashion_mnist", "--out", str(out), "--scale", "smoke"]) == 0
    assert f"manifest: {out / 'manifest.json'}" in capsys.readouterr().out
    images = {s: data.load("fashion_mnist", s).x for s in data.SPLITS}
    got = release.load(out, verify=True, images=images)
    p = a1_atlas("smoke")
    assert (got.table["split"] == "train").sum() == p["n_train"] and (got.table["split"] == "test").sum() == p["n_test"]
    held_out = got.table["c_score"].dropna()  # examples some member held out
    assert len(held_out) > 0 and held_out.between(0, 1).all()
    # every member is probed at smoke scale: a held-out depth needs a member that held the example out
    has_depth = got.table["pd_heldout"].notna()
    assert has_depth.any() and got.table["c_score"][has_depth].notna().all()
    assert got.table[["pd_heldout", "pd_train"]].stack().dropna().between(0, 9).all()  # 10 probe points
    assert (
        got.manifest["dataset"] == "fashion_mnist"
        and sum(k.startswith("atlas-probes/") for k in got.manifest["runs"]) == p["probe_members"]
    )
    assert sum(k.startswith("input_margin/") for k in got.manifest["runs"]) == p["probe_members"]
    store = Store(tmp_path / "store")
    assert all(store.path(*k.split("/")).exists() for k in got.manifest["runs"])  # every entry named is in the store
    assert cli.main(["scores", "mnist", "--out", str(out)]) == 2
    assert "allowed: fashion_mnist" in capsys.readouterr().err
