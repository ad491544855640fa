"""Hand-derived checks of the atlas's per-example scores in replicate.metrics (issue 15)."""

import math

import numpy as np
import pytest

from replicate import metrics

# One model, checkpoints 0 (initialisation) .. 4, five examples (columns).
ONE = np.array(
    [
        [1, 0, 1, 0, 0],
        [1, 0, 0, 1, 0],
        [0, 0, 0, 1, 1],
        [1, 0, 0, 1, 0],
        [0, 0, 0, 1, 1],
    ],
    bool,
)


def test_forgetting_events_count_correct_to_wrong_from_epoch_one():
    # from epoch 1: [1,0,1,0] -> 2 events; never right -> T = 4 epochs; right only at initialisation ->
    # never learned -> 4; learned at epoch 1 and kept -> 0; [0,1,0,1] -> 1
    np.testing.assert_array_equal(metrics.forgetting_events(ONE), [2, 4, 4, 0, 1])


def test_forgetting_events_average_over_counting_models():
    always = np.ones_like(ONE)
    both = np.stack([ONE, always])
    np.testing.assert_allclose(metrics.forgetting_events(both), [1, 2, 2, 0, 0.5])
    mask = np.array([[False, True, True, True, True], [True, True, False, True, False]])
    np.testing.assert_allclose(metrics.forgetting_events(both, mask), [0, 2, 4, 0, 1])
    none = np.zeros((2, 5), bool)
    assert np.isnan(metrics.forgetting_events(both, none)).all()


def test_aum_averages_margins_over_epochs_then_models():
    margins = np.array([[[100.0, 100.0], [1.0, -2.0], [3.0, 0.0]], [[-100.0, 5.0], [0.0, 4.0], [2.0, 6.0]]])  # 2 models, T = 2
    # model 0: (1 + 3) / 2 = 2, (-2 + 0) / 2 = -1; model 1: 1, 5 (checkpoint 0 never counts)
    np.testing.assert_allclose(metrics.aum(margins[:1]), [2.0, -1.0])
    np.testing.assert_allclose(metrics.aum(margins), [1.5, 2.0])
    np.testing.assert_allclose(metrics.aum(margins, np.array([[True, True], [False, True]])), [2.0, 2.0])


def test_data_map_confidence_and_variability():
    probs = np.array([[[0.9, 0.0], [0.2, 1.0], [0.6, 1.0]], [[0.9, 0.0], [0.5, 0.0], [0.5, 1.0]]])
    # model 0: mean(0.2, 0.6) = 0.4, population std 0.2; model 1: 0.5, 0
    dm = metrics.data_map(probs)
    np.testing.assert_allclose(dm.confidence, [0.45, 0.75])
    np.testing.assert_allclose(dm.variability, [0.1, 0.25])
    dm = metrics.data_map(probs, np.array([[True, False], [False, True]]))
    np.testing.assert_allclose(dm.confidence, [0.4, 0.5])
    np.testing.assert_allclose(dm.variability, [0.2, 0.5])


def test_el2n_is_the_mean_error_norm_at_one_epoch():
    errors = np.array([[[1.0, 1.0], [0.2, 0.4], [0.0, 0.0]], [[1.0, 1.0], [0.6, 1.0], [0.0, 0.0]]])
    np.testing.assert_allclose(metrics.el2n(errors, 1), [0.4, 0.7])
    np.testing.assert_allclose(metrics.el2n(errors, 1, np.array([[True, False], [True, True]])), [0.4, 1.0])


def test_label_margin_probability_and_l2_error():
    logits = np.array([[math.log(2), 0.0, 0.0], [2.0, 1.0, 0.0], [1.0, 1.0, 0.0]])
    labels = np.array([0, 2, 0])
    # margins: ln 2 - 0; 0 - 2; a tie with another class gives 0
    np.testing.assert_allclose(metrics.label_margin(logits, labels), [math.log(2), -2.0, 0.0])
    # softmax of (ln 2, 0, 0) = (1/2, 1/4, 1/4)
    p = metrics.label_probability(logits, labels)
    assert p[0] == pytest.approx(0.5)
    assert p[2] == pytest.approx(math.e / (2 * math.e + 1))
    err = metrics.l2_error(logits, labels)
    assert err[0] == pytest.approx(math.sqrt(0.25 + 1 / 16 + 1 / 16))
    # with label 1 the error vector is (1/2, -3/4, 1/4)
    assert metrics.l2_error(logits[:1], np.array([1]))[0] == pytest.approx(math.sqrt(0.25 + 0.5625 + 0.0625))
    # confident and right -> 0; confident and wrong -> sqrt(2)
    sure = np.array([[50.0, 0.0, 0.0]])
    assert metrics.l2_error(sure, np.array([0]))[0] == pytest.approx(0.0, abs=1e-12)
    assert metrics.l2_error(sure, np.array([1]))[0] == pytest.approx(math.sqrt(2))
    # 1 - p_y = 2e^-40 / (1 + 2e^-40) is below float64's resolution at 1: the norm is still sqrt(6) e^-40 / (1 + 2e^-40)
    tiny = math.exp(-40) / (1 + 2 * math.exp(-40))
    assert metrics.l2_error(np.array([[40.0, 0.0, 0.0]]), np.array([0]))[0] == pytest.approx(math.sqrt(6) * tiny, rel=1e-9)


def test_label_scores_keep_leading_axes_and_give_nan_without_a_label():
    logits = np.array([[[2.0, 1.0, 0.0], [0.0, 3.0, 1.0]], [[0.0, 1.0, 0.0], [5.0, 0.0, 0.0]]])  # 2 models, 2 examples
    labels = np.array([0, -1])
    m = metrics.label_margin(logits, labels)
    assert m.shape == (2, 2)
    np.testing.assert_allclose(m[:, 0], [1.0, -1.0])
    assert np.isnan(m[:, 1]).all()
    assert np.isnan(metrics.label_probability(logits, labels)[:, 1]).all()
    assert np.isnan(metrics.l2_error(logits, labels)[:, 1]).all()


def test_c_score_holdout_uses_only_the_networks_that_did_not_train_on_a_point():
    correct = np.array([[True, True, False], [False, True, True], [True, False, True]])
    trained = np.array([[True, True, False], [False, True, False], [False, True, True]])
    # point 0 held out by models 1 and 2: (0 + 1) / 2; point 1 by none: nan; point 2 by 0 and 1: 1/2
    np.testing.assert_allclose(metrics.c_score_holdout(correct, trained), [0.5, np.nan, 0.5])


def test_first_agreement_epoch():
    m0 = np.array([[0, 0, 1], [1, 0, 1], [1, 0, 1], [1, 0, 1]], bool)
    m1 = np.array([[0, 0, 1], [0, 0, 1], [1, 0, 1], [0, 0, 0]], bool)
    both = np.stack([m0, m1])
    # all right first at 2 (leaving the set later does not matter); never -> 4 checkpoints; at initialisation -> 0
    np.testing.assert_array_equal(metrics.first_agreement_epoch(both), [2, 4, 0])
    np.testing.assert_array_equal(metrics.first_agreement_epoch(m0), [1, 4, 0])
    mask = np.array([[True, False, True], [False, False, True]])
    np.testing.assert_allclose(metrics.first_agreement_epoch(both, mask), [1, np.nan, 0])


def test_scores_reject_a_flat_history():
    with pytest.raises(ValueError, match="n_checkpoints"):
        metrics.aum(np.zeros(3))
