"""Hand-checked statistics that Hacohen's claims recompute on every bootstrap draw: runs kept apart in
one frame, bimodality while learning, matched cross-consistency, group steps."""

import numpy as np
import pytest

from replicate import bootstrap, metrics, runs
from replicate.hacohen2020 import analysis, compare, learners


def record(preds, labels, split="test", n_classes=3, **more):
    preds = np.asarray(preds)
    arrays = {f"preds/{split}": preds, f"labels/{split}": np.asarray(labels), f"ids/{split}": np.arange(len(labels))}
    arrays["masks"] = np.ones((len(preds), 1), bool)
    for s, (p, y) in more.items():
        arrays |= {f"preds/{s}": np.asarray(p), f"labels/{s}": np.asarray(y)}
    return runs.Record(spec=None, key="k", arrays=arrays, meta={"n_classes": n_classes})


def test_apart_renames_only_clashing_splits_and_together_names_them_back():
    run = record(np.zeros((2, 3, 4), int), np.zeros(4, int), train=(np.zeros((2, 3, 6), int), np.zeros(6, int)))
    natural = record(np.ones((3, 3, 5), int), np.ones(5, int), train=(np.ones((3, 3, 7), int), np.ones(7, int)))
    run.arrays["relabelled"], natural.arrays["relabelled"] = np.zeros(6, bool), np.zeros(7, bool)
    apart = analysis.apart(run, natural)
    assert {k for k in apart["run"].arrays if k.startswith("preds/")} == {"preds/train", "preds/run test"}
    assert {k for k in apart["natural"].arrays if k.startswith("preds/")} == {"preds/test", "preds/natural train"}
    assert "relabelled" in apart["run"].arrays and "relabelled/natural train" in apart["natural"].arrays
    frame = bootstrap.frame(apart)
    assert dict(frame.examples) == {"train": 6, "run test": 4, "test": 5, "natural train": 7}
    draw = bootstrap.Draw({"run": np.array([1, 1]), "natural": np.array([0, 2, 2])}, {k: np.arange(n) for k, n in frame.examples.items()})
    r, n = analysis.together(draw, apart)
    assert r.preds("test").shape == (2, 3, 4) and r.preds("train").shape == (2, 3, 6)
    assert n.preds("test").shape == (3, 3, 5) and n.preds("train").shape == (3, 3, 7)
    assert set(n.arrays) == set(natural.arrays) and n.arrays["relabelled"].shape == (7,)
    # a draw of examples too: each run's splits are drawn apart, the relabelled flags with their split
    draw = next(bootstrap.draws(frame, "both"))
    r, n = analysis.together(draw, apart)
    np.testing.assert_array_equal(n.arrays["relabelled"], natural.arrays["relabelled"][draw.examples["natural train"]])
    np.testing.assert_array_equal(r.labels("test"), run.labels("test")[draw.examples["run test"]])


def test_independence_ratio_is_undefined_when_the_natural_run_is_no_distance_from_its_baseline():
    b = np.array([1.0, 2.0, 3.0])
    assert analysis.independence_ratio(b, b + 0.5, b, b + 1.0, 0, 0) == pytest.approx(0.5)
    assert np.isnan(analysis.independence_ratio(b, b + 0.5, b, b, 0, 0))


def test_matched_cross_bimodality_averages_over_the_matched_pairs():
    labels = np.array([0, 1, 2, 0])
    a = record([[[1, 0, 0, 1], [0, 1, 0, 1], [0, 1, 2, 1]], [[0, 0, 0, 2], [0, 0, 0, 0], [0, 1, 2, 0]]], labels)
    b = record([[[1, 1, 1, 1], [0, 1, 2, 2]], [[2, 2, 2, 2], [0, 1, 1, 0]]], labels)
    # mean test accuracies: a .125, .5, .875; b .25, .75; from epoch 1 within .13 only (2, 1)
    expected = metrics.bimodality(compare.cross_consistency(a.preds()[:, 2], b.preds()[:, 1], labels))
    assert compare.matched_cross_bimodality(a, b, "test", tol=0.13) == pytest.approx(expected)
    # no pair within .01: each epoch of a from 1 on with its closest of b, (1, 1) and (2, 1)
    both = [metrics.bimodality(compare.cross_consistency(a.preds()[:, e], b.preds()[:, 1], labels)) for e in (1, 2)]
    assert compare.matched_cross_bimodality(a, b, "test", tol=0.01) == pytest.approx(np.mean(both))


def test_smallest_step_is_the_least_drop_between_neighbouring_groups_over_learners():
    groups = np.array([0, 0, 1, 1, 2, 2])
    ordered = np.array([1, 1, 1, 0, 0, 0], bool)  # 1, .5, 0
    flat = np.array([1, 0, 1, 0, 1, 0], bool)  # .5, .5, .5
    assert learners.smallest_step({"a": ordered}, groups) == pytest.approx(0.5)
    assert learners.smallest_step({"a": ordered, "b": flat}, groups) == pytest.approx(0.0)
    assert learners.smallest_step({"a": ordered, "c": ~ordered}, groups) == pytest.approx(-0.5)
