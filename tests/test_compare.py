"""Hand-computed checks of replicate.hacohen2020.compare on tiny made-up collections."""

import numpy as np
import pytest

from replicate import runs
from replicate.hacohen2020 import compare

LABELS = np.array([0, 1, 2, 0])
# Collection A: 2 models x 3 checkpoints x 4 test examples; correct marks per model and epoch noted.
PREDS_A = np.array(
    [
        [[1, 0, 0, 1], [0, 1, 0, 1], [0, 1, 2, 1]],  # m0: none; ex0, ex1; ex0-ex2   -> acc 0, .5, .75
        [[0, 0, 0, 2], [0, 0, 0, 0], [0, 1, 2, 0]],  # m1: ex0; ex0, ex3; all        -> acc .25, .5, 1
    ]
)
# Collection B: 2 models x 2 checkpoints.
PREDS_B = np.array(
    [
        [[1, 1, 1, 1], [0, 1, 2, 2]],  # m0: ex1; ex0-ex2 -> acc .25, .75
        [[2, 2, 2, 2], [0, 1, 1, 0]],  # m1: ex2; ex0, ex1, ex3 -> acc .25, .75
    ]
)


def record(preds, labels=LABELS, ids=None):
    ids = np.arange(len(labels)) if ids is None else ids
    arrays = {"preds/test": preds, "labels/test": labels, "ids/test": ids}
    return runs.Record(spec=None, key="k", arrays=arrays, meta={"n_classes": 3})


A, B = record(PREDS_A), record(PREDS_B)


def test_mean_accuracy():
    np.testing.assert_allclose(compare.mean_accuracy(A, "test"), [0.125, 0.5, 0.875])
    np.testing.assert_allclose(compare.mean_accuracy(B, "test"), [0.25, 0.75])


def test_matched_epochs_within_tolerance_and_fallback():
    acc_a, acc_b = compare.mean_accuracy(A, "test"), compare.mean_accuracy(B, "test")
    # differences to the closest epoch of b: 0.125, 0.25 (tie between b0 and b1 -> b0), 0.125
    assert compare.matched_epochs(acc_a, acc_b, tol=0.13) == ([(0, 0), (2, 1)], True)
    assert compare.matched_epochs(acc_a, acc_b, tol=0.01) == ([(0, 0), (1, 0), (2, 1)], False)
    # from epoch 1 on: a1 (0.5) and a2 (0.875) against b1 (0.75)
    assert compare.matched_epochs(acc_a, acc_b, tol=0.13, first_epoch=1) == ([(2, 1)], True)
    assert compare.matched_epochs(acc_a, acc_b, tol=0.01, first_epoch=1) == ([(1, 1), (2, 1)], False)


def test_pairs_near_picks_closest_accuracy_without_repeats():
    pairs, acc_a = [(0, 0), (1, 0), (2, 1)], np.array([0.125, 0.5, 0.875])
    assert compare.pairs_near(pairs, acc_a, [0.6, 0.9, 0.45, 0.1]) == [(1, 0), (2, 1), (0, 0)]
    assert compare.pairs_near([], acc_a, [0.5]) == []


def test_cross_consistency_merges_both_collections():
    cross = compare.cross_consistency_at(A, B, [(2, 1), (0, 0)], "test")
    # (2, 1): correct counts over the 4 merged models 4, 4, 3, 2; (0, 0): 1, 1, 1, 0
    np.testing.assert_allclose(cross, [[1, 1, 0.75, 0.5], [0.25, 0.25, 0.25, 0]])


def test_comparisons_need_the_same_examples():
    with pytest.raises(ValueError, match="same test examples"):
        compare.cross_consistency_at(A, record(PREDS_B, labels=np.array([0, 1, 2, 1])), [(0, 0)], "test")
    with pytest.raises(ValueError, match="same test examples"):
        compare.cross_consistency_at(A, record(PREDS_B, ids=np.array([0, 1, 2, 5])), [(0, 0)], "test")


def test_independent_cross_consistency_follows_the_accuracies():
    # every model wrong at epoch 0 and right at epoch 1 -> independent models with accuracy 0 / 1
    perfect = record(np.stack([np.stack([(LABELS + 1) % 3, LABELS])] * 2))
    indep = compare.independent_cross_consistency_at(perfect, perfect, [(1, 1), (0, 0)], "test")
    np.testing.assert_array_equal(indep, [[1, 1, 1, 1], [0, 0, 0, 0]])


def test_accessibility_averages_consistency_from_first_epoch():
    # consistency of A per epoch: [.5, 0, 0, 0], [1, .5, 0, .5], [1, 1, 1, .5]
    np.testing.assert_allclose(compare.accessibility(A, "test"), [1, 0.75, 0.5, 0.5])
    np.testing.assert_allclose(compare.accessibility(A, "test", first_epoch=0), [2.5 / 3, 1.5 / 3, 1 / 3, 1 / 3])


def test_easy_overlap_counts_shared_and_exclusive_easy_sets():
    a = np.array([[1.0, 0.95, 0.5, 0.9], [1.0, 1.0, 1.0, 1.0]])
    b = np.array([[1.0, 0.2, 0.95, 0.91], [0.0, 0.0, 0.0, 0.0]])
    # epoch 0: easy a = {0, 1} (0.9 is not above 0.9), easy b = {0, 2, 3}
    np.testing.assert_array_equal(compare.easy_overlap(a, b), [[1, 1, 2], [0, 4, 0]])
    np.testing.assert_array_equal(compare.easy_overlap(a[0], b[0], threshold=0.5), [2, 1, 1])
    with pytest.raises(ValueError, match="differ in shape"):
        compare.easy_overlap(a, b[:1])


def test_exclusive_share_is_zero_for_an_empty_set():
    # B's easy sets: 1 + 2 = 3 (2 only in B), 0 + 0 = 0, 4 + 1 = 5 (1 only in B)
    np.testing.assert_allclose(compare.exclusive_share([[1, 1, 2], [0, 4, 0], [4, 0, 1]]), [2 / 3, 0, 0.2])
