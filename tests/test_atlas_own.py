"""a4 (your own model): the hand-written loop records what its networks predict, a recording gives
the atlas's scores by the engine's formulas, and they are matched to the atlas's rows by (split, id)."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from replicate import data, recorder
from replicate.atlas import own, table
from replicate.book import pipeline
from replicate.store import Store

ROOT = Path(__file__).resolve().parents[1]


def params(fig: str, scale: str) -> dict:
    return pipeline.resolved(pipeline.notebooks(ROOT)[fig], scale)


@pytest.mark.parametrize("scale", ["laptop", "smoke", "paper"])
def test_a4_reads_a1s_atlas(scale):
    assert params("atlas/a4", scale)["atlas"] == params("atlas/a1", scale)["atlas"]


def arrays(ids: list[int], labels: list[int], seed: int, split: str) -> data.Arrays:
    x = np.random.default_rng(seed).integers(0, 256, (len(ids), 1, 28, 28), dtype=np.uint8)
    return data.Arrays(x, np.array(labels), np.array(ids), np.array(labels), 3, "tiny", split)


def test_the_loop_records_what_its_networks_predict(tmp_path):
    train = arrays([5, 9, 2, 7, 11, 3, 8, 1], [0, 1, 2, 0, 1, 2, 0, 1], 0, "train")
    test = arrays([4, 0, 6], [2, 1, 0], 1, "test")
    record, networks = own.train_and_record("tiny", train, test, 2, 1, batch_size=4, lr=0.01, momentum=0.9, seed=3, store=Store(tmp_path))
    assert record.preds("train").shape == (2, 2, 8) and record.preds("test").shape == (2, 2, 3)
    assert record.margins("train").shape == record.probs("test").shape[:2] + (8,)
    assert record.masks.shape == (2, 8) and record.masks.all()
    assert record.ids("train").tolist() == [5, 9, 2, 7, 11, 3, 8, 1] and record.labels("test").tolist() == [2, 1, 0]
    stored = recorder.load("tiny", Store(tmp_path))
    assert all(np.array_equal(stored.arrays[k], v) for k, v in record.arrays.items())
    for member, net in enumerate(networks):
        assert not net.training
        with torch.no_grad():
            final = {s: net(own.images(a)).argmax(1).numpy() for s, a in (("train", train), ("test", test))}
        assert np.array_equal(record.preds("train")[member, -1], final["train"])
        assert np.array_equal(record.preds("test")[member, -1], final["test"])
        torch.manual_seed(1000 * 3 + member)  # epoch 0 is the member's untrained network
        fresh = own.resnet18(3).eval()
        with torch.no_grad():
            assert np.array_equal(record.preds("train")[member, 0], fresh(own.images(train)).argmax(1).numpy())
    assert not torch.equal(networks[0].conv1.weight, networks[1].conv1.weight)


# A recording by hand: 2 members, 2 epochs, 3 classes. Each logit vector is d * onehot(prediction)
# with d = epoch + 1, so the label's margin is +d when right and -d when wrong.
TRAIN_PREDS = np.array([[[1, 1, 2], [0, 1, 0], [0, 0, 0]], [[0, 0, 2], [0, 1, 2], [0, 1, 2]]])  # member, epoch, example
TEST_PREDS = np.array([[[1, 0]] * 3, [[1, 2]] * 3])


def hand_recording(tmp_path) -> recorder.Recorder:
    splits = {"train": ([10, 11, 12], [0, 1, 2]), "test": ([3, 4], [1, 2])}
    rec = recorder.Recorder("hand", 3, splits, n_models=2, epochs=2, store=Store(tmp_path))
    for split, preds in (("train", TRAIN_PREDS), ("test", TEST_PREDS)):
        for member in range(2):
            for epoch in range(3):
                rec.log(split, member, epoch, splits[split][0], (epoch + 1) * np.eye(3)[preds[member, epoch]])
    return rec


def test_scores_of_a_recording_follow_the_engines_formulas(tmp_path):
    record = hand_recording(tmp_path).save()
    depths = {"train": np.array([2, -1, 0]), "test": np.array([1, 3])}
    s = own.scores(record, depths, input_margins={"train": np.array([1.0, 2.0, 3.0]), "test": np.array([0.5, 0.25])})
    assert s["split"].tolist() == ["train"] * 3 + ["test"] * 2 and s["id"].tolist() == [10, 11, 12, 3, 4]
    tr, te = s.iloc[:3], s.iloc[3:]
    # right (label 0, 1, 2) per member and epoch: member 0 ex 10 F T T, 11 T T F, 12 T F F; member 1 ex 10 T T T,
    # 11 F T T, 12 T T T
    assert tr["consistency"].tolist() == [1.0, 0.5, 0.5]
    assert tr["accessibility"].tolist() == [1.0, 0.75, 0.5]  # epochs 1 and 2: (1, 1), (1, 0.5), (0.5, 0.5)
    assert tr["consensus"].tolist() == [1.0, 0.5, 0.5]  # final votes (0, 0), (0, 1), (0, 2)
    assert tr["iteration_learned"].tolist() == [0.5, 1.5, 0.5]  # member 0: 1, 2, 1; member 1: 0, 1, 0
    assert tr["forgetting_events"].tolist() == [0.0, 0.5, 1.0]  # member 0 forgets 11 once, never learns 12: 2 epochs
    assert tr["first_agreement_epoch"].tolist() == [1.0, 1.0, 0.0]
    assert tr["aum"].tolist() == [2.5, 1.0, 0.0]  # margins at epochs 1, 2: +-2, +-3
    # the label's probability d * onehot: e^d / (e^d + 2) when right, 1 / (e^d + 2) when wrong
    right, wrong = (lambda d: math.exp(d) / (math.exp(d) + 2)), (lambda d: 1 / (math.exp(d) + 2))
    assert tr["confidence"].iloc[2] == pytest.approx(((wrong(2) + wrong(3)) / 2 + (right(2) + right(3)) / 2) / 2)
    # EL2N at epoch max(1, round(0.1 * 2)) = 1, where everyone is right except member 0 on example 12
    assert table.el2n_epoch(2) == 1
    el2n_right, el2n_wrong = math.sqrt(6) / (math.exp(2) + 2), math.sqrt((math.exp(2) + 1) ** 2 + math.exp(4) + 1) / (math.exp(2) + 2)
    assert tr["el2n"].tolist() == pytest.approx([el2n_right, el2n_right, (el2n_wrong + el2n_right) / 2])
    assert tr[["c_score", "consensus_consistency", "margin", "pd_heldout", "input_margin"]].isna().all().all()  # none held out
    assert tr["pd_train"].tolist()[::2] == [2.0, 0.0] and math.isnan(tr["pd_train"].iloc[1])
    # test: final votes (1, 1) and (0, 2) on labels 1, 2; the tie goes to the label
    assert te["c_score"].tolist() == [1.0, 0.5] and te["consensus_consistency"].tolist() == [1.0, 0.5]
    assert te["margin"].tolist() == [3.0, 0.0]
    assert te["pd_heldout"].tolist() == [1.0, 3.0] and te["pd_train"].isna().all()
    assert te["input_margin"].tolist() == [0.5, 0.25]
    assert te[["accessibility", "consistency", "aum", "forgetting_events"]].isna().all().all()


def test_scores_refuse_depths_of_another_size(tmp_path):
    record = hand_recording(tmp_path).save()
    with pytest.raises(ValueError, match="2 depths of split 'train'; the record has 3 examples"):
        own.scores(record, {"train": np.array([0, 1])})
    with pytest.raises(ValueError, match="1 input margins of split 'test'; the record has 2 examples"):
        own.scores(record, input_margins={"test": np.array([0.5])})
    assert own.scores(record)["input_margin"].isna().all()


def test_the_atlas_rows_are_matched_by_split_and_id():
    atlas = pd.DataFrame({"id": [3, 10, 3, 12], "split": ["train", "train", "test", "train"], "aum": [1.0, 2.0, 3.0, 4.0]})
    mine = pd.DataFrame({"id": [12, 3, 3], "split": ["train", "test", "train"]})
    assert own.aligned(mine, atlas)["aum"].tolist() == [4.0, 3.0, 1.0]
    with pytest.raises(ValueError, match=r"no row of 1 example\(s\), e.g. \[\('test', 10\)\]"):
        own.aligned(pd.DataFrame({"id": [10], "split": ["test"]}), atlas)


def test_spearman_by_hand():
    # ranks (1, 2.5, 2.5, 4) against (1, 2, 3, 4): covariance 4.5, variances 4.5 and 5, so sqrt(0.9)
    assert own.spearman(np.array([1, 2, 2, 3]), np.array([1, 2, 3, 4])) == pytest.approx(math.sqrt(0.9))
    assert own.spearman(np.array([1, 2, np.nan, 3]), np.array([10, 30, 0, 20])) == pytest.approx(0.5)
    assert math.isnan(own.spearman(np.array([1, 2, np.nan]), np.array([1, 2, 3])))  # two pairs
    assert math.isnan(own.spearman(np.array([1, 1, 1]), np.array([1, 2, 3])))  # constant


def test_agreement_compares_every_shared_score():
    mine = pd.DataFrame({"id": [1, 2, 3, 4], "split": ["train"] * 4, "aum": [1, 2, 3, 4], "el2n": [4, 3, 2, 1], "mine": [0, 0, 0, 0]})
    mine["c_score"] = np.nan
    atlas = pd.DataFrame({"id": [1, 2, 3, 4], "split": ["train"] * 4, "aum": [1, 2, 3, 5], "el2n": [1, 2, 3, np.nan], "c_score": 1.0})
    found = own.agreement(mine, atlas)
    assert found.index.tolist() == ["aum", "el2n"]  # c_score: no example has both; "mine": not in the atlas
    assert found["spearman"].tolist() == pytest.approx([1.0, -1.0]) and found["examples"].tolist() == [4, 3]


def test_draw_is_a_seeded_stratified_subset_among_the_given_ids():
    among = np.arange(100, 400)
    a = own.draw("fashion_mnist", "train", 30, 0, among=among)
    assert len(a) == 30 and np.isin(a.ids, among).all() and np.all(np.diff(a.ids) > 0)
    assert np.array_equal(a.ids, own.draw("fashion_mnist", "train", 30, 0, among=among).ids)
    assert not np.array_equal(a.ids, own.draw("fashion_mnist", "train", 30, 1, among=among).ids)
    everything = data.load("fashion_mnist", "train")
    assert np.array_equal(a.x, everything.x[a.ids]) and np.array_equal(a.y, everything.y[a.ids])
