"""Hand-computed checks of replicate.metrics."""

import math

import numpy as np
import pytest

from replicate import metrics

# 4 models x 7 examples, 3 classes; per-column vote counts are noted below.
PREDS = np.array(
    [
        [0, 1, 2, 0, 1, 1, 2],
        [0, 1, 1, 1, 2, 2, 2],
        [1, 1, 2, 0, 0, 1, 2],
        [0, 2, 2, 1, 2, 2, 2],
    ]
)
LABELS = np.array([0, 2, 2, 1, 0, 0, 2])
# counts: [3,1,0] [0,3,1] [0,1,3] [2,2,0] [1,1,2] [0,2,2] [0,0,4]
H_3_1 = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))


def test_consistency():
    expected = [0.75, 0.25, 0.75, 0.5, 0.25, 0.0, 1.0]
    np.testing.assert_allclose(metrics.consistency(PREDS, LABELS), expected)


def test_consensus():
    expected = [0.75, 0.75, 0.75, 0.5, 0.5, 0.5, 1.0]
    np.testing.assert_allclose(metrics.consensus(PREDS, 3), expected)


def test_consensus_class_and_tie_rules():
    # column 3: tie {0, 1} includes the true label 1 -> 1 (not the lower 0)
    # column 5: tie {1, 2} excludes the true label 0 -> lowest tied index 1
    expected = [0, 1, 2, 1, 2, 1, 2]
    np.testing.assert_array_equal(metrics.consensus_class(PREDS, LABELS, 3), expected)


def test_consensus_consistency():
    expected = [0.75, 0.75, 0.75, 0.5, 0.5, 0.5, 1.0]
    np.testing.assert_allclose(metrics.consensus_consistency(PREDS, LABELS, 3), expected)


def test_vote_counts_reject_out_of_range_predictions():
    with pytest.raises(ValueError):
        metrics.consensus(np.array([[0, 3]]), 3)


def test_prediction_entropy():
    expected = [H_3_1, H_3_1, H_3_1, math.log(2), 1.5 * math.log(2), math.log(2), 0.0]
    np.testing.assert_allclose(metrics.prediction_entropy(PREDS, 3), expected, atol=1e-12)


@pytest.mark.parametrize("values", [[0, 0, 1, 1], [0, 1, 1, 1], [3.0, 3.0, 3.0, 7.0, 7.0]])
def test_bimodality_two_point_is_zero(values):
    assert metrics.bimodality(values) == pytest.approx(0.0, abs=1e-12)


def test_bimodality_three_point():
    # [-1, 0, 1]: m2 = 2/3, m3 = 0, m4 = 2/3 -> kurtosis 1.5, skewness 0 -> 0.5
    assert metrics.bimodality([-1.0, 0.0, 1.0]) == pytest.approx(0.5)


def test_bimodality_normal_sample():
    sample = np.random.default_rng(0).normal(size=200_000)
    assert metrics.bimodality(sample) == pytest.approx(2.0, abs=0.05)


@pytest.mark.parametrize("values", [[0.1] * 10, [5, 5]])
def test_bimodality_constant_is_nan(values):
    assert math.isnan(metrics.bimodality(values))


def test_true_positive_agreement():
    correct = np.array([[1, 1, 0, 0], [1, 0, 1, 0]], dtype=bool)
    assert metrics.true_positive_agreement(correct) == pytest.approx(1 / 3)


def test_true_positive_agreement_nan_when_none_correct():
    assert math.isnan(metrics.true_positive_agreement(np.zeros((3, 5), dtype=bool)))


def test_agreement_lower_bound():
    assert metrics.agreement_lower_bound([0.9, 0.8]) == pytest.approx(0.7)
    assert metrics.agreement_lower_bound([0.5, 0.4]) == 0.0


def test_expected_random_agreement():
    assert metrics.expected_random_agreement([0.9, 0.8]) == pytest.approx(0.72)
    assert metrics.expected_random_agreement([0.9, 0.8], normalized=True) == pytest.approx(0.72 / 0.98)
    assert math.isnan(metrics.expected_random_agreement([0.0, 0.0], normalized=True))


def test_accessibility():
    by_epoch = np.array([[0.0, 0.5], [1.0, 0.5], [0.5, 1.0]])
    np.testing.assert_allclose(metrics.accessibility(by_epoch), [0.5, 2 / 3])


# checkpoints x examples
HISTORY = np.array(
    [
        [3, 0, 1, 2, 0],
        [3, 1, 0, 2, 1],
        [3, 1, 1, 0, 1],
        [3, 1, 0, 2, 1],
        [3, 1, 1, 2, 1],
    ]
)


def test_iteration_learned_default_final():
    expected = [0, 1, 4, 3, 1]
    result = metrics.iteration_learned(HISTORY)
    np.testing.assert_array_equal(result, expected)
    assert np.issubdtype(result.dtype, np.integer)


def test_iteration_learned_explicit_final():
    # column 2 ends on 1 but final is 0 -> -1; column 4 is never 2 -> -1
    final = np.array([3, 1, 0, 2, 2])
    np.testing.assert_array_equal(metrics.iteration_learned(HISTORY, final), [0, 1, -1, 3, -1])


def test_prediction_depth():
    probe_preds = np.array(
        [
            [4, 4, 7, 1],
            [4, 4, 5, 1],
            [4, 4, 7, 1],
            [4, 3, 7, 2],
        ]
    )
    model_pred = np.array([4, 4, 7, 2])
    np.testing.assert_array_equal(metrics.prediction_depth(probe_preds, model_pred), [0, -1, 2, 3])


def _brute_force_knn(index_emb, index_labels, query_emb, k, n_classes, exclude=None):
    dist = ((query_emb[:, None, :] - index_emb[None, :, :]) ** 2).sum(-1)
    if exclude is not None:
        rows = np.flatnonzero(exclude >= 0)
        dist[rows, exclude[rows]] = np.inf
    nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]
    votes = np.stack([np.bincount(index_labels[row], minlength=n_classes) for row in nearest])
    return votes.argmax(axis=1), votes


@pytest.mark.parametrize("backend", metrics.KNN_BACKENDS)
@pytest.mark.parametrize("chunk", [4096, 7])
def test_knn_predict_matches_brute_force(monkeypatch, chunk, backend):
    monkeypatch.setattr(metrics, "_KNN_CHUNK", chunk)
    rng = np.random.default_rng(1)
    index_emb = rng.normal(size=(300, 8))
    index_labels = rng.integers(0, 4, size=300)
    query_emb = rng.normal(size=(50, 8))
    pred, votes = metrics.knn_predict(index_emb, index_labels, query_emb, k=15, n_classes=5, backend=backend, device="cpu")
    ref_pred, ref_votes = _brute_force_knn(index_emb, index_labels, query_emb, 15, 5)
    assert votes.shape == (50, 5)
    np.testing.assert_array_equal(votes, ref_votes)
    np.testing.assert_array_equal(pred, ref_pred)
    np.testing.assert_array_equal(votes.sum(axis=1), 15)
    np.testing.assert_array_equal(votes[:, 4], 0)


@pytest.mark.parametrize("backend", metrics.KNN_BACKENDS)
@pytest.mark.parametrize("chunk", [4096, 7])
def test_knn_predict_exclude_matches_brute_force(monkeypatch, chunk, backend):
    monkeypatch.setattr(metrics, "_KNN_CHUNK", chunk)
    rng = np.random.default_rng(2)
    index_emb = rng.normal(size=(200, 6))
    index_labels = rng.integers(0, 3, size=200)
    query_emb = index_emb[:60]
    exclude = np.arange(60)
    exclude[::5] = -1
    pred, votes = metrics.knn_predict(index_emb, index_labels, query_emb, k=9, exclude=exclude, backend=backend, device="cpu")
    ref_pred, ref_votes = _brute_force_knn(index_emb, index_labels, query_emb, 9, 3, exclude)
    np.testing.assert_array_equal(votes, ref_votes)
    np.testing.assert_array_equal(pred, ref_pred)
    np.testing.assert_array_equal(votes.sum(axis=1), 9)


@pytest.mark.parametrize("backend", metrics.KNN_BACKENDS)
def test_knn_predict_exclude_self_changes_answer(backend):
    # 1-D index at 0, 0.1, 0.2, 0.3, 10 with labels 0, 0, 1, 1, 0; all queries sit at 0.
    # k=3 counting itself: rows 0, 1, 2 -> votes [2, 1]; without itself: rows 1, 2, 3 -> [1, 2].
    # Excluding the far row 4 removes nothing among the neighbours, so the answer is unchanged.
    index_emb = np.array([[0.0], [0.1], [0.2], [0.3], [10.0]])
    index_labels = np.array([0, 0, 1, 1, 0])
    query_emb = np.zeros((3, 1))
    pred, votes = metrics.knn_predict(index_emb, index_labels, query_emb, k=3, exclude=np.array([0, -1, 4]), backend=backend, device="cpu")
    np.testing.assert_array_equal(votes, [[1, 2], [2, 1], [2, 1]])
    np.testing.assert_array_equal(pred, [1, 0, 0])


def test_the_torch_search_equals_faiss_on_probe_sized_embeddings():
    """The GPU path (torch), run here on the CPU, against faiss on class-structured embeddings."""
    from replicate.bench.knn import embeddings

    x_index, y_index, x_query, _ = embeddings(3000, 500, 64, 10)
    faiss_pred, faiss_votes = metrics.knn_predict(x_index, y_index, x_query, 30, 10, backend="faiss")
    torch_pred, torch_votes = metrics.knn_predict(x_index, y_index, x_query, 30, 10, backend="torch", device="cpu")
    np.testing.assert_array_equal(torch_votes, faiss_votes)
    np.testing.assert_array_equal(torch_pred, faiss_pred)
    with pytest.raises(ValueError, match="backend='cuml' is not allowed; choose one of: faiss, torch"):
        metrics.knn_predict(x_index, y_index, x_query, backend="cuml")


def test_knn_predict_ties_go_to_lowest_class():
    index_emb = np.array([[-1.0], [1.0], [5.0]])
    index_labels = np.array([2, 1, 0])
    pred, votes = metrics.knn_predict(index_emb, index_labels, np.zeros((1, 1)), k=2)
    np.testing.assert_array_equal(votes, [[0, 1, 1]])
    np.testing.assert_array_equal(pred, [1])


def test_knn_predict_too_few_index_rows():
    with pytest.raises(ValueError):
        metrics.knn_predict(np.zeros((3, 2)), np.zeros(3, dtype=int), np.zeros((1, 2)), k=3, exclude=np.array([0]))


def test_output_margin():
    logits = np.array([[1.0, 3.0, 2.0], [5.0, 5.0, 0.0], [-1.0, -4.0, -2.0]])
    np.testing.assert_allclose(metrics.output_margin(logits), [1.0, 0.0, 1.0])


def test_match_epochs_by_accuracy():
    acc_a = [0.10, 0.50, 0.80, 0.95]
    acc_b = [0.105, 0.30, 0.795, 0.90]
    pairs = metrics.match_epochs_by_accuracy(acc_a, acc_b, tol=0.01)
    assert pairs == [(0, 0), (2, 2)]
    assert all(type(a) is int and type(b) is int for a, b in pairs)
    assert metrics.match_epochs_by_accuracy(acc_a, acc_b, tol=0.1) == [(0, 0), (2, 2), (3, 3)]


def test_match_epochs_by_accuracy_picks_closest_then_earliest():
    assert metrics.match_epochs_by_accuracy([0.5], [0.495, 0.5]) == [(0, 1)]
    assert metrics.match_epochs_by_accuracy([0.5], [0.6, 0.5, 0.5]) == [(0, 1)]


def test_independent_predictions():
    n_classes, n = 5, 200_000
    labels = np.random.default_rng(3).integers(0, n_classes, size=n)
    accuracies = np.array([0.9, 0.5, 0.0, 1.0])
    preds = metrics.independent_predictions(accuracies, labels, n_classes, np.random.default_rng(4))
    assert preds.shape == (4, n)
    assert np.issubdtype(preds.dtype, np.integer)
    assert preds.min() >= 0 and preds.max() < n_classes
    correct = preds == labels
    np.testing.assert_allclose(correct.mean(axis=1), accuracies, atol=0.005)
    assert not correct[2].any()
    assert correct[3].all()
    # wrong answers are uniform over the 4 wrong labels: offsets 1..4 mod 5 each ~1/4
    wrong = ~correct[:2]
    offsets = ((preds[:2] - labels) % n_classes)[wrong]
    shares = np.bincount(offsets, minlength=n_classes) / offsets.size
    np.testing.assert_allclose(shares, [0, 0.25, 0.25, 0.25, 0.25], atol=0.01)


def test_independent_predictions_reproducible():
    labels = np.arange(10) % 3
    a = metrics.independent_predictions([0.7, 0.2], labels, 3, np.random.default_rng(5))
    b = metrics.independent_predictions([0.7, 0.2], labels, 3, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


def test_correlation_r_and_p():
    assert metrics.correlation([1, 2, 3], [2, 4, 6]).r == pytest.approx(1.0)
    # r = 4 / 5; t = r sqrt(2) / sqrt(1 - r^2) and for 2 degrees of freedom p = 1 - t / sqrt(2 + t^2) = 0.2
    r, p = metrics.correlation([1, 2, 3, 4], [1, 3, 2, 4])
    assert r == pytest.approx(0.8) and p == pytest.approx(0.2)


def test_correlation_skips_non_finite_and_masked_pairs():
    assert metrics.correlation([1, 2, 3, np.nan], [3, 2, 1, 0], "spearman").r == pytest.approx(-1)
    depth = np.array([[0, 1, -1], [2, 3, 4]])
    values = np.array([[0.0, 0.1, 9.0], [0.3, 0.5, 0.6]])
    assert metrics.correlation(depth, values, "spearman", mask=depth >= 0).r == pytest.approx(1.0)  # 9.0 is left out
    assert metrics.correlation(depth, values, "spearman").r < 1
    assert all(np.isnan(metrics.correlation([1.0, np.nan, 2.0], [2.0, 3.0, 1.0])))  # two pairs left
    assert np.isnan(metrics.correlation([1, 1, 1, 1], [1, 2, 3, 4]).r)  # a constant side
    with pytest.raises(ValueError, match="method='kendall'"):
        metrics.correlation([1, 2, 3], [1, 2, 3], "kendall")


def test_masked_consensus_counts_only_the_selected_models():
    preds = np.array([[0, 1, 2], [1, 1, 2], [1, 0, 2]])
    labels = np.array([0, 1, 0])
    mask = np.array([[True, True, False], [True, False, False], [False, True, False]])
    np.testing.assert_allclose(metrics.consistency(preds, labels, mask), [0.5, 0.5, np.nan])
    np.testing.assert_array_equal(metrics.consensus_class(preds, labels, 3, mask), [0, 1, 0])  # ties: the label
    np.testing.assert_allclose(metrics.consensus_consistency(preds, labels, 3, mask), [0.5, 0.5, np.nan])
    np.testing.assert_allclose(metrics.prediction_entropy(preds, 3, mask), [np.log(2), np.log(2), np.nan])
    everyone = np.ones_like(mask)
    np.testing.assert_allclose(metrics.consistency(preds, labels, everyone), metrics.consistency(preds, labels))
    np.testing.assert_allclose(metrics.prediction_entropy(preds, 3, everyone), metrics.prediction_entropy(preds, 3))


def test_consistency_and_iteration_learned_take_a_models_axis():
    preds = np.array([[[0, 1], [1, 1]], [[1, 1], [1, 0]]])  # (models, checkpoints, n)
    np.testing.assert_allclose(metrics.consistency(preds, np.array([1, 1])), [[0.5, 1.0], [1.0, 0.5]])
    np.testing.assert_array_equal(metrics.iteration_learned(preds), [[1, 0], [0, 1]])


def test_output_margin_over_leading_axes():
    logits = np.array([[[3.0, 1.0, 2.0], [0.0, 0.0, 5.0]]])  # (models, n, C)
    np.testing.assert_allclose(metrics.output_margin(logits), [[1.0, 5.0]])


def test_knn_names_k_when_the_index_is_too_small():
    index = np.zeros((5, 2), np.float32)
    with pytest.raises(ValueError, match=r"k=5 needs at least 6 points in the k-NN index .* got 5: lower k"):
        metrics.knn_predict(index, np.zeros(5, int), index, k=5, exclude=np.arange(5))
