"""The recorder of a user's training loop (issue 15, part 5) and prediction depth of any torch model
at named layers, on inputs whose answers are derived by hand."""

import math
import re
from collections import OrderedDict

import numpy as np
import pytest
import torch

from replicate import models, probes, recorder
from replicate.store import Store

SPLITS = {"train": ([7, 3, 11, 5], [2, 0, 1, 2]), "test": ([0, 4], [1, 0])}


def _recorder(tmp_path, name="run", splits=SPLITS, **kw) -> recorder.Recorder:
    return recorder.Recorder(name, 3, splits, n_models=2, epochs=1, store=Store(tmp_path), **kw)


def _fill(rec: recorder.Recorder, logits_of, skip=lambda s, m, e, i: False) -> None:
    """Log every (split, member, epoch) but the examples ``skip`` names, test examples in one batch,
    training examples in two batches in reverse order, alternating numpy and torch inputs."""
    for s, ids in rec.ids.items():
        for m in range(rec.n_models):
            for e in range(rec.epochs + 1):
                order = np.array([i for i in (ids[::-1] if s == "train" else ids) if not skip(s, m, e, i)])
                for part, batch in enumerate(np.array_split(order, 2 if s == "train" else 1)):
                    z = np.array([logits_of(s, m, e, i) for i in batch], np.float32).reshape(-1, rec.n_classes)
                    rec.log(s, m, e, torch.from_numpy(batch) if part else batch, torch.from_numpy(z) if part else z)


def test_a_recording_round_trips_through_the_store_in_the_agreed_layout(tmp_path):
    def logits_of(s, m, e, i):  # the label's logit rises with the epoch for member 0; member 1 always says class 0
        y = dict(zip(*SPLITS[s]))[i]
        return np.eye(3)[y] * (2 * e - 1) if m == 0 else np.array([1.0, 0.0, 0.0])

    rec = _recorder(tmp_path)
    _fill(rec, logits_of)
    saved = rec.save()
    back = recorder.load("run", Store(tmp_path))
    assert back.key == saved.key == rec.key and back.spec == saved.spec and back.n_classes == 3 and back.spec.name == "run"
    assert sorted(back.arrays) == sorted(saved.arrays)
    for k, v in saved.arrays.items():
        np.testing.assert_array_equal(back.arrays[k], v)
    assert back.ids("train").tolist() == [7, 3, 11, 5] and back.labels("train").tolist() == [2, 0, 1, 2]
    assert back.preds("train").dtype == np.int16 and back.preds("train").shape == (2, 2, 4)
    # member 0: epoch 0 logits -e_y (label loses, pred the lowest other class), epoch 1 +e_y
    np.testing.assert_array_equal(back.preds("train")[0], [[0, 1, 0, 0], [2, 0, 1, 2]])
    np.testing.assert_array_equal(back.margins("train")[0], [[-1] * 4, [1] * 4])
    np.testing.assert_allclose(back.probs("test")[0, 1], [math.e / (math.e + 2)] * 2, rtol=1e-6)
    p = np.array([math.e, 1, 1]) / (math.e + 2)  # softmax of (1, 0, 0) with the label first: ||p - e_0||
    np.testing.assert_allclose(back.el2n("test")[0, 1], [np.hypot(1 - p[0], np.hypot(p[1], p[2]))] * 2, rtol=1e-6)
    # member 1 predicts class 0: right on the label-0 examples only; margin +1 there, -1 elsewhere
    np.testing.assert_array_equal(back.preds("test")[1], [[0, 0], [0, 0]])
    np.testing.assert_array_equal(back.margins("test")[1], [[-1, 1], [-1, 1]])
    np.testing.assert_allclose(back.accuracy("test"), [[0, 1], [0.5, 0.5]])
    assert back.masks.shape == (2, 4) and back.masks.all()


def test_an_incomplete_recording_is_refused_naming_what_is_missing(tmp_path):
    rec = _recorder(tmp_path)
    _fill(rec, lambda s, m, e, i: np.zeros(3), skip=lambda s, m, e, i: (s, m, e, i) == ("train", 1, 1, 11) or (s, m, e) == ("test", 0, 0))
    with pytest.raises(ValueError, match=r"split 'train', member 1, epoch 1: 1 examples.*split 'test', member 0, epoch 0: 2 examples"):
        rec.save()
    assert not (tmp_path / recorder.KIND).exists()


def test_log_refuses_unknown_ids_members_epochs_and_shapes(tmp_path):
    rec = _recorder(tmp_path)
    with pytest.raises(KeyError, match=r"split 'train' holds no example with id \[4\]"):
        rec.log("train", 0, 0, [7, 4], np.zeros((2, 3)))
    with pytest.raises(KeyError, match="split 'val' is not recorded"):
        rec.log("val", 0, 0, [7], np.zeros((1, 3)))
    with pytest.raises(IndexError, match="member 2"):
        rec.log("train", 2, 0, [7], np.zeros((1, 3)))
    with pytest.raises(IndexError, match="epoch 2"):
        rec.log("train", 0, 2, [7], np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"expected \(1, 3\)"):
        rec.log("train", 0, 0, [7], np.zeros((1, 4)))
    with pytest.raises(ValueError, match="not unique"):
        _recorder(tmp_path, splits={"train": ([1, 1], [0, 0])})


def test_rows_are_found_alike_for_dense_and_sparse_ids_and_unknown_ids_are_refused_past_either_end(tmp_path):
    # train ids 3..11 span less than 4 times their number (the id table); test ids span 10^12 (binary search)
    sparse = [10**12, 5, 3 * 10**9, -7]
    rec = _recorder(tmp_path, splits={"train": SPLITS["train"], "test": (sparse, [0, 1, 2, 0]), "none": ([], [])})
    assert "train" in rec._table and "test" not in rec._table
    assert rec.rows("train", [11, 3, 5, 7]).tolist() == [2, 1, 3, 0]
    assert rec.rows("test", torch.tensor([5, -7, 10**12, 3 * 10**9])).tolist() == [1, 3, 0, 2]
    unknown = [("train", 2), ("train", 4), ("train", 12), ("test", 6), ("test", -8), ("test", 10**13), ("none", 0)]
    for split, i in unknown:  # below, inside and above each split's ids, beside a known id
        with pytest.raises(KeyError, match=rf"split '{split}' holds no example with id \[{i}\] \(1 unknown ids\)"):
            rec.rows(split, [*rec.ids[split][:1], i])


@pytest.mark.parametrize("flush_rows", [1, 1 << 16])
def test_the_last_logits_logged_win_and_a_reused_buffer_changes_nothing(tmp_path, monkeypatch, flush_rows):
    monkeypatch.setattr(recorder, "FLUSH_ROWS", flush_rows)  # reduced after every log, or all at the end
    rec = _recorder(tmp_path)
    _fill(rec, lambda s, m, e, i: np.zeros(3))
    buffer = np.array([[0.0, 0.0, 5.0], [0.0, 5.0, 0.0]])
    rec.log("test", 1, 1, [4, 0], buffer)  # test example 4 (label 0) said 2, example 0 (label 1) said 1
    buffer[:] = [0.0, 7.0, 0.0]
    rec.log("test", 1, 1, [4], buffer[:1])  # example 4 again: now class 1
    buffer[:] = 0
    preds = rec.save().preds("test")
    np.testing.assert_array_equal(preds[1, 1], [1, 1])
    assert (preds[0] == 0).all() and (preds[1, 0] == 0).all()


def test_trained_on_gives_the_masks_from_ids_or_bools(tmp_path):
    rec = _recorder(tmp_path, trained_on=[[5, 7], np.array([True, False, False, True])])
    np.testing.assert_array_equal(rec.masks, [[True, False, False, True], [True, False, False, True]])
    _fill(rec, lambda s, m, e, i: np.zeros(3))
    rec.save()
    np.testing.assert_array_equal(recorder.load("run", Store(tmp_path)).masks, rec.masks)


def test_the_key_is_the_name_and_a_hash_of_the_examples(tmp_path):
    key = _recorder(tmp_path).key
    assert re.fullmatch(r"run-[0-9a-f]{20}", key) and _recorder(tmp_path).key == key
    relabelled = {**SPLITS, "test": ([0, 4], [1, 1])}
    assert _recorder(tmp_path, splits=relabelled).key != key
    assert _recorder(tmp_path, name="other").key.split("-")[1] == key.split("-")[1]
    with pytest.raises(ValueError, match="name"):
        _recorder(tmp_path, name="../up")


def test_saving_other_values_under_a_saved_key_needs_overwrite(tmp_path):
    first = _recorder(tmp_path)
    _fill(first, lambda s, m, e, i: np.zeros(3))
    first.save()
    first.save()  # the same values again: nothing to do
    second = _recorder(tmp_path)
    _fill(second, lambda s, m, e, i: np.array([0.0, 1.0, 0.0]))
    with pytest.raises(FileExistsError, match="overwrite=True"):
        second.save()
    assert (recorder.load("run", Store(tmp_path)).preds("test") == 0).all()
    second.save(overwrite=True)
    assert (recorder.load("run", Store(tmp_path)).preds("test") == 1).all()


def test_load_names_the_choice_when_several_recordings_share_a_name(tmp_path):
    a, b = _recorder(tmp_path), _recorder(tmp_path, splits={"train": ([1, 2], [0, 1]), "test": ([0], [2])})
    for rec in (a, b):
        _fill(rec, lambda s, m, e, i: np.zeros(3))
        rec.save()
    _fill(other := _recorder(tmp_path, name="run-b"), lambda s, m, e, i: np.zeros(3))
    other.save()  # a name that starts like the first is not one of its recordings
    assert recorder.saved("run", Store(tmp_path)) == sorted([a.key, b.key])
    with pytest.raises(ValueError, match="2 recordings are named 'run'.*key="):
        recorder.load("run", Store(tmp_path))
    assert recorder.load("run", Store(tmp_path), key=b.key).ids("test").tolist() == [0]
    with pytest.raises(FileNotFoundError, match="no recording named 'nothing'"):
        recorder.load("nothing", Store(tmp_path))


def _lin(w) -> torch.nn.Linear:
    layer = torch.nn.Linear(len(w[0]), len(w), bias=False)
    layer.weight.data = torch.tensor(w, dtype=torch.float32)
    return layer


def _dropping_net() -> torch.nn.Sequential:
    """x in R^3: l1 drops x2, l2 keeps only x0, logits (-x0, x0): the model predicts class 1 iff x0 > 0."""
    return torch.nn.Sequential(
        OrderedDict(
            l1=_lin([[1, 0, 0], [0, 1, 0], [0, 0, 0]]), l2=_lin([[1, 0, 0], [0, 0, 0], [0, 0, 0]]), out=_lin([[-1, 0, 0], [1, 0, 0]])
        )
    )


INDEX = np.array([[-3, 0, 0], [3, 0, 0], [-3.1, 5, 0], [3.1, 0, 5]], np.float32)
INDEX_Y = np.array([0, 1, 1, 0])


def test_prediction_depth_of_a_hand_built_model_at_named_layers():
    """With k = 1: q0 sits by A (label 0) everywhere: depth 0. q1's nearest input point is D (label 0,
    far in x2); once x2 is dropped (l1) it is B (label 1, the model's class): depth 1. q2's nearest
    in (x0, x1) is C (label 1); in x0 alone (l2) and the softmax it is A: depth 2. q3 is nearest
    to A until l2, where C (x0 = -3.1) is nearer: the softmax probe says 1, the model 0: depth -1."""
    q = np.array([[-2, 0, 0], [2.5, 0, 4.5], [-2.6, 4.5, 0], [-3.09, 0, 0]], np.float32)
    net = _dropping_net().train()
    d = probes.prediction_depth(net, ["l1", "l2"], INDEX, INDEX_Y, q, k=1)
    assert d.layers == ("input", "l1", "l2", "softmax")
    np.testing.assert_array_equal(d.probe_preds, [[0, 0, 1, 0], [0, 1, 1, 0], [0, 1, 0, 1], [0, 1, 0, 1]])
    np.testing.assert_array_equal(d.net_pred, [0, 1, 0, 0])
    np.testing.assert_array_equal(d.depth, [0, 1, 2, -1])
    assert d.votes.shape == (4, 4, 2) and (d.votes.sum(-1) == 1).all()
    assert net.training and all(not m._forward_hooks for m in net.modules())  # mode and hooks restored


def test_prediction_depth_of_the_index_leaves_each_point_out():
    """A's and B's nearest others at l2 are C and D, of the other label: -1; C and D find A and B: 0."""
    d = probes.prediction_depth(_dropping_net(), ["l1", "l2"], INDEX, INDEX_Y, k=1)
    np.testing.assert_array_equal(d.depth, [-1, -1, 0, 0])
    np.testing.assert_array_equal(d.probe_preds[-1], [1, 0, 0, 1])


def test_module_activations_project_wide_layers_and_match_the_probed_models():
    net = _dropping_net()
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    full, logits = probes.module_activations(net, x, ["l1"], batch=2)
    low, _ = probes.module_activations(net, x, ["l1"], batch=2, probe_dim=2, seed=4)
    np.testing.assert_allclose(logits, np.stack([-x[:, 0], x[:, 0]], 1), atol=1e-6)
    np.testing.assert_allclose(full["l1"], x * [1, 1, 0], atol=1e-6)
    np.testing.assert_allclose(low["input"], x @ probes.projection(3, 2, 4, 0).numpy(), atol=1e-6)
    np.testing.assert_allclose(low["l1"], full["l1"] @ probes.projection(3, 2, 4, 1).numpy(), atol=1e-6)
    np.testing.assert_array_equal(low["softmax"], full["softmax"])  # two classes: not wider than probe_dim

    torch.manual_seed(0)
    mlp = models.build("mlp", (1, 8, 8), 3, depth=2, hidden=8).eval()
    images = torch.randn(7, 1, 8, 8)
    got, _ = probes.module_activations(mlp, images, [f"stages.{n}" for n in mlp.probe_names[1:-1]], batch=3)
    want = probes.activations(mlp, images, batch=3)
    for (name, a), b in zip(got.items(), want.values()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)


def test_module_activations_refuse_unknown_and_repeated_modules():
    net = _dropping_net()
    with pytest.raises(ValueError, match=r"\['l9'\] are not modules"):
        probes.module_activations(net, INDEX, ["l9"])
    shared = _lin([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    twice = torch.nn.Sequential(OrderedDict(a=shared, b=shared, out=_lin([[1, 0, 0], [0, 1, 0]])))
    with pytest.raises(ValueError, match="more than once"):
        probes.module_activations(twice, INDEX, ["a"])
    assert not shared._forward_hooks


def test_bench_recorder_prints_its_summary_line_last(capsys):
    from replicate.bench import recorder as bench_recorder

    threads = torch.get_num_threads()
    res = bench_recorder.main(quick=True)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"bench recorder: overhead=-?[\d.]+%", last)
    assert res["same"] and torch.get_num_threads() == threads  # the one-thread timing leaves the process as it was
