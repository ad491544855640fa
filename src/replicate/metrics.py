"""Per-example learning metrics from Hacohen 2020, Baldock 2021 and Pliushch 2022.

Pure numpy and scipy (faiss, or torch on a GPU, only inside `knn_predict`). `preds` is an int array
(n_models, n_examples) of predicted labels and `labels` is (n_examples,). Where only some
models count for some examples (a 90:10 ensemble's held-out members, say), `mask`, bool like
`preds`, says which; an example no model counts for gets nan.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

_KNN_CHUNK = 4096


def vote_counts(preds: ArrayLike, n_classes: int, mask: ArrayLike | None = None) -> NDArray[np.int64]:
    """(n_examples, n_classes) number of (counting) models voting for each class."""
    preds = np.asarray(preds)
    if preds.size and (preds.min() < 0 or preds.max() >= n_classes):
        raise ValueError(f"predictions must lie in [0, {n_classes})")
    n = preds.shape[1]
    flat = (np.arange(n) * n_classes + preds).ravel()
    if mask is not None:
        flat = flat[np.asarray(mask, dtype=bool).ravel()]
    return np.bincount(flat, minlength=n * n_classes).reshape(n, n_classes)


def _share(count: NDArray, preds: NDArray, mask: ArrayLike | None) -> NDArray[np.float64]:
    """``count`` (..., n) over the number of counting models: all of them, or those ``mask`` selects
    (nan where none does)."""
    if mask is None:
        return count / preds.shape[0]
    n = np.asarray(mask, dtype=bool).sum(axis=0)
    return np.where(n > 0, count / np.maximum(n, 1), np.nan)


def _start_of_final_run(states: ArrayLike, target: ArrayLike) -> NDArray[np.int64]:
    """Smallest t with `states[t:] == target` per column; -1 where `states[-1] != target`."""
    match = np.asarray(states) == np.asarray(target)[None, :]
    tail = np.logical_and.accumulate(match[::-1], axis=0)
    start = match.shape[0] - tail.sum(axis=0)
    return np.where(match[-1], start, -1).astype(np.int64)


def consistency(preds: ArrayLike, labels: ArrayLike, mask: ArrayLike | None = None) -> NDArray[np.float64]:
    """Fraction of models predicting the true label (Hacohen 2020 consistency score; Baldock 2021
    Eq. 1). ``preds`` may carry more axes after the first, e.g. (n_models, n_epochs, n) gives
    (n_epochs, n)."""
    hit = np.asarray(preds) == np.asarray(labels)[None, :]
    if mask is None:
        return hit.mean(axis=0)
    return _share((hit & np.asarray(mask, dtype=bool)).sum(axis=0), hit, mask)


def consensus(preds: ArrayLike, n_classes: int) -> NDArray[np.float64]:
    """Largest fraction of models agreeing on one label, right or wrong (Hacohen 2020 consensus)."""
    preds = np.asarray(preds)
    return vote_counts(preds, n_classes).max(axis=1) / preds.shape[0]


def consensus_class(preds: ArrayLike, labels: ArrayLike, n_classes: int, mask: ArrayLike | None = None) -> NDArray[np.int64]:
    """Majority-vote label (Baldock 2021 A.6.2/A.6.3).

    Ties go to the true label when it is among the tied classes, else to the lowest tied index
    (with no counting model every class is tied: the label).
    """
    labels = np.asarray(labels)
    counts = vote_counts(preds, n_classes, mask)
    label_is_top = counts[np.arange(labels.size), labels] == counts.max(axis=1)
    return np.where(label_is_top, labels, counts.argmax(axis=1)).astype(np.int64)


def consensus_consistency(preds: ArrayLike, labels: ArrayLike, n_classes: int, mask: ArrayLike | None = None) -> NDArray[np.float64]:
    """Fraction of models predicting the consensus class (Baldock 2021 Eq. 2, A.6.3)."""
    return consistency(preds, consensus_class(preds, labels, n_classes, mask), mask)


def prediction_entropy(preds: ArrayLike, n_classes: int, mask: ArrayLike | None = None) -> NDArray[np.float64]:
    """Entropy in nats of the per-example histogram of model votes (Baldock 2021 C.2)."""
    preds = np.asarray(preds)
    p = _share(vote_counts(preds, n_classes, mask), preds, None if mask is None else np.asarray(mask)[..., None])
    return -np.sum(p * np.log(np.where(p > 0, p, 1.0)), axis=1)


def bimodality(values: ArrayLike) -> float:
    """Kurtosis - skewness^2 - 1 with population moments (Hacohen 2020 bimodality).

    It is 0 for any two-point distribution and 2 for a normal one; nan for a constant input.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    if np.ptp(values) == 0:
        return float("nan")
    d = values - values.mean()
    m2 = np.mean(d**2)
    skew = np.mean(d**3) / m2**1.5
    kurt = np.mean(d**4) / m2**2
    return float(kurt - skew**2 - 1.0)


def true_positive_agreement(correct: ArrayLike) -> float:
    """#(examples all models get right) / #(examples any model gets right) (Pliushch 2022).

    nan when no model is correct on any example.
    """
    correct = np.asarray(correct, dtype=bool)
    n_any = int(correct.any(axis=0).sum())
    if n_any == 0:
        return float("nan")
    return int(correct.all(axis=0).sum()) / n_any


def agreement_lower_bound(accuracies: ArrayLike) -> float:
    """Smallest possible true-positive agreement given model accuracies: 1 - min(sum(1 - acc), 1) (Pliushch 2022)."""
    errors = np.sum(1.0 - np.asarray(accuracies, dtype=np.float64))
    return float(1.0 - min(errors, 1.0))


def expected_random_agreement(accuracies: ArrayLike, normalized: bool = False) -> float:
    """Agreement expected if models erred independently: prod(acc) (Pliushch 2022).

    With `normalized`, divide by the chance that at least one model is right,
    1 - prod(1 - acc), to compare with `true_positive_agreement` (nan if all acc are 0).
    """
    acc = np.asarray(accuracies, dtype=np.float64)
    all_right = np.prod(acc)
    if not normalized:
        return float(all_right)
    any_right = 1.0 - np.prod(1.0 - acc)
    return float(all_right / any_right) if any_right > 0 else float("nan")


def pabak(correct: ArrayLike) -> float:
    """Prevalence-adjusted bias-adjusted kappa, 2 p_o - 1, of correct/incorrect, averaged over all pairs
    of models (Pliushch 2022 App. B); p_o is the fraction of examples a pair is both right or both wrong
    on. bool (n_models, n_examples) with n_models >= 2."""
    correct = np.asarray(correct, dtype=bool)
    k = correct.shape[0]
    if k < 2:
        raise ValueError(f"PABAK needs at least 2 models, got {k}")
    c = correct.sum(axis=0).astype(np.float64)
    same = (c * (c - 1) + (k - c) * (k - c - 1)) / (k * (k - 1))
    return float(2.0 * same.mean() - 1.0)


def accessibility(consistency_by_epoch: ArrayLike) -> NDArray[np.float64]:
    """Mean over epochs of an (n_epochs, n) consistency array (Hacohen 2020 accessibility)."""
    return np.asarray(consistency_by_epoch, dtype=np.float64).mean(axis=0)


def iteration_learned(history: ArrayLike, final: ArrayLike | None = None) -> NDArray[np.int64]:
    """First checkpoint from which the prediction always equals `final` (Baldock 2021 Sec 3.2).

    `history` is (n_checkpoints, n) with checkpoint 0 the initialisation, or (n_models,
    n_checkpoints, n) for each model at once; `final` defaults to the last checkpoint. 0 if always
    equal, -1 where the last checkpoint differs from `final`.
    """
    history = np.asarray(history)
    if history.ndim == 3:
        return np.stack([iteration_learned(h, final) for h in history])
    return _start_of_final_run(history, history[-1] if final is None else final)


def prediction_depth(probe_preds: ArrayLike, model_pred: ArrayLike) -> NDArray[np.int64]:
    """Earliest probe from which every k-NN probe agrees with the model (Baldock 2021 A.6.1).

    `probe_preds` is (n_probes, n), input first and softmax last; -1 where the last probe
    disagrees with the model.
    """
    return _start_of_final_run(probe_preds, model_pred)


KNN_BACKENDS = ("faiss", "torch")


def knn_predict(
    index_emb: ArrayLike,
    index_labels: ArrayLike,
    query_emb: ArrayLike,
    k: int = 30,
    n_classes: int | None = None,
    exclude: ArrayLike | None = None,
    backend: str | None = None,
    device: str | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Exact L2 k-NN majority vote, the probe of Baldock 2021 A.6.1.

    Returns (pred, votes): votes (n_query, n_classes) neighbour counts, pred their argmax
    (ties to the lowest class). `exclude[i]` is the index row to drop from query i's
    neighbours (-1: none), e.g. the query itself when it belongs to the index.

    ``backend``: "faiss" (on every GPU faiss sees, else the CPU) or "torch" (chunked matrix products
    and ``topk`` on ``device``); by default faiss, unless faiss sees no GPU and torch sees CUDA, so a
    GPU machine without the GPU build of faiss still searches on the GPU. Both are exact; they agree
    up to exact distance ties.
    """
    index_emb = np.ascontiguousarray(index_emb, dtype=np.float32)
    query_emb = np.ascontiguousarray(query_emb, dtype=np.float32)
    index_labels = np.asarray(index_labels, dtype=np.int64)
    n_classes = int(index_labels.max()) + 1 if n_classes is None else n_classes
    if exclude is not None:
        exclude = np.asarray(exclude, dtype=np.int64)
    n_search = k + (exclude is not None)
    if n_search > index_emb.shape[0]:
        raise ValueError(
            f"k={k} needs at least {n_search} points in the k-NN index (the probe's training points), "
            f"got {index_emb.shape[0]}: lower k or train on more points"
        )
    search = _knn_search(index_emb, n_search, backend, device)

    n_query = query_emb.shape[0]
    votes = np.empty((n_query, n_classes), dtype=np.int64)
    for start in range(0, n_query, _KNN_CHUNK):
        stop = min(start + _KNN_CHUNK, n_query)
        rows = stop - start
        neighbours = search(query_emb[start:stop])
        if exclude is not None:
            excluded = exclude[start:stop, None]
            keep = (neighbours != excluded) | (excluded < 0)
            keep[keep.all(axis=1), k] = False
            neighbours = neighbours[keep].reshape(rows, k)
        flat = np.arange(rows)[:, None] * n_classes + index_labels[neighbours]
        votes[start:stop] = np.bincount(flat.ravel(), minlength=rows * n_classes).reshape(rows, n_classes)
    return votes.argmax(axis=1), votes


def _knn_search(index_emb: np.ndarray, n_search: int, backend: str | None, device: str | None):
    """A function from a query chunk to its ``n_search`` nearest index rows, nearest first."""
    import faiss

    if backend is None:
        import torch

        backend = "torch" if faiss.get_num_gpus() == 0 and torch.cuda.is_available() else "faiss"
    if backend not in KNN_BACKENDS:
        raise ValueError(f"backend={backend!r} is not allowed; choose one of: {', '.join(KNN_BACKENDS)}")
    if backend == "faiss":
        index = faiss.IndexFlatL2(index_emb.shape[1])
        if faiss.get_num_gpus() > 0:
            index = faiss.index_cpu_to_all_gpus(index)
        index.add(index_emb)
        return lambda q: index.search(q, n_search)[1]
    import torch

    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    x = torch.from_numpy(index_emb).to(dev)
    norms = (x * x).sum(1)

    def search(q: np.ndarray) -> np.ndarray:
        d = norms[None, :] - 2 * (torch.from_numpy(q).to(dev) @ x.T)  # |q - x|^2 - |q|^2: the same order
        return d.topk(n_search, dim=1, largest=False, sorted=True).indices.cpu().numpy()

    return search


def output_margin(logits: ArrayLike) -> NDArray[np.float64]:
    """Largest minus second-largest logit per example (Baldock 2021 Sec. 3.3); logits (..., n,
    n_classes) with any leading axes (e.g. one per model)."""
    logits = np.asarray(logits, dtype=np.float64)
    top2 = np.partition(logits, logits.shape[-1] - 2, axis=-1)[..., -2:]
    return top2[..., 1] - top2[..., 0]


class Correlation(NamedTuple):
    r: float
    p: float


def correlation(a: ArrayLike, b: ArrayLike, method: str = "pearson", mask: ArrayLike | None = None) -> Correlation:
    """Pearson or Spearman correlation and its two-sided p-value over the pairs where both values are
    finite (and ``mask`` is True); (nan, nan) with fewer than 3 such pairs or a constant side."""
    fns = {"pearson": stats.pearsonr, "spearman": stats.spearmanr}
    if method not in fns:
        raise ValueError(f"method={method!r} is not allowed; choose one of: {', '.join(fns)}")
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    ok = np.isfinite(a) & np.isfinite(b)
    if mask is not None:
        ok &= np.asarray(mask, dtype=bool).ravel()
    if ok.sum() < 3 or np.ptp(a[ok]) == 0 or np.ptp(b[ok]) == 0:
        return Correlation(float("nan"), float("nan"))
    res = fns[method](a[ok], b[ok])
    return Correlation(float(res.statistic), float(res.pvalue))


def match_epochs_by_accuracy(acc_a: ArrayLike, acc_b: ArrayLike, tol: float = 0.01) -> list[tuple[int, int]]:
    """Pair each epoch of run a with the epoch of run b of closest mean accuracy.

    Lets two training runs be compared at equal accuracy rather than equal epoch; pairs
    with |diff| > tol are dropped; ties go to the earliest epoch of b.
    """
    acc_a = np.asarray(acc_a, dtype=np.float64)
    acc_b = np.asarray(acc_b, dtype=np.float64)
    diff = np.abs(acc_a[:, None] - acc_b[None, :])
    best = diff.argmin(axis=1)
    ok = diff[np.arange(acc_a.size), best] <= tol
    return [(int(a), int(b)) for a, b in zip(np.flatnonzero(ok), best[ok])]


def independent_predictions(accuracies: ArrayLike, labels: ArrayLike, n_classes: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Predictions of independent models with matched accuracy (Hacohen 2020 Fig. 1c, 3b baseline).

    Model i is right on each example with probability accuracies[i], independently;
    when wrong its label is uniform over the n_classes - 1 wrong labels.
    """
    acc = np.asarray(accuracies, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    shape = (acc.size, labels.size)
    correct = rng.random(shape) < acc[:, None]
    wrong = (labels[None, :] + rng.integers(1, n_classes, size=shape)) % n_classes
    return np.where(correct, labels[None, :], wrong)


# --- Per-example difficulty scores of the atlas (issue 15) ---
#
# Score functions take a history (n_models, n_checkpoints, n), checkpoint 0 the initialisation and
# checkpoint t the end of epoch t, or (n_checkpoints, n) for one model. Each is computed per model
# and averaged over the counting models: all of them, or those ``mask`` (n_models, n) selects (the
# members that trained on each training point of a 90:10 ensemble); nan where none counts.


def _history(values: ArrayLike) -> np.ndarray:
    """``values`` as (n_models, n_checkpoints, n): a single model's (n_checkpoints, n) gets a leading axis."""
    values = np.asarray(values)
    if values.ndim == 2:
        values = values[None]
    if values.ndim != 3:
        raise ValueError(f"expected (n_models, n_checkpoints, n) or (n_checkpoints, n); got shape {values.shape}")
    return values


def _member_mean(values: np.ndarray, mask: ArrayLike | None) -> NDArray[np.float64]:
    """Mean over models (axis 0) of (n_models, n) ``values``, counting only the models ``mask`` selects; nan where none."""
    values = np.asarray(values, dtype=np.float64)
    if mask is None:
        return values.mean(axis=0)
    mask = np.broadcast_to(np.asarray(mask, dtype=bool), values.shape)
    n = mask.sum(axis=0)
    return np.where(n > 0, np.where(mask, values, 0.0).sum(axis=0) / np.maximum(n, 1), np.nan)


def _by_label(logits: ArrayLike, labels: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """float64 logits (..., n, C), the labels as an index (..., n, 1) into their last axis, and
    whether each label is a class (n,): unlabelled examples carry y = -1 (indexed as class 0, then masked)."""
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    ok = (y >= 0) & (y < z.shape[-1])
    return z, np.broadcast_to(np.where(ok, y, 0)[:, None], (*z.shape[:-1], 1)), ok


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def label_margin(logits: ArrayLike, labels: ArrayLike) -> NDArray[np.float64]:
    """The margin of Pleiss et al. 2020 (Eq. 1): the label's logit minus the largest other logit.

    logits (..., n, n_classes), labels (n,) -> (..., n). Positive when the network predicts the label,
    negative when it predicts another class (a mislabelled example's margin stays negative); nan
    where the label is not a class (y = -1 on unlabelled out-of-sample sets). Unlike
    :func:`output_margin` (top logit minus runner-up, Baldock Sec. 3.3), its sign says right or wrong.
    """
    z, y, ok = _by_label(logits, labels)
    z_y = np.take_along_axis(z, y, axis=-1)[..., 0]
    others = z.copy()
    np.put_along_axis(others, y, -np.inf, axis=-1)
    return np.where(ok, z_y - others.max(axis=-1), np.nan)


def label_probability(logits: ArrayLike, labels: ArrayLike) -> NDArray[np.float64]:
    """softmax(logits)[label], the probability a network gives the label (Swayamdipta et al. 2020's
    p_theta(y | x)); logits (..., n, n_classes), labels (n,) -> (..., n); nan where the label is not a class."""
    z, y, ok = _by_label(logits, labels)
    return np.where(ok, np.take_along_axis(_softmax(z), y, axis=-1)[..., 0], np.nan)


def l2_error(logits: ArrayLike, labels: ArrayLike) -> NDArray[np.float64]:
    """||softmax(logits) - onehot(label)||_2, one network's term of EL2N (Paul et al. 2021, Def. 2.2);
    logits (..., n, n_classes), labels (n,) -> (..., n), between 0 and sqrt(2); nan where the label is not a class.
    Written as sqrt(sum_{j != y} p_j^2 + (sum_{j != y} p_j)^2), since 1 - p_y rounds to 0 for confident networks."""
    z, y, ok = _by_label(logits, labels)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    others = e.copy()
    np.put_along_axis(others, y, 0.0, axis=-1)
    return np.where(ok, np.sqrt((others**2).sum(axis=-1) + others.sum(axis=-1) ** 2) / e.sum(axis=-1), np.nan)


def forgetting_events(correct_history: ArrayLike, mask: ArrayLike | None = None) -> NDArray[np.float64]:
    """Forgetting events (Toneva et al. 2019, Sec. 3): per model, the number of transitions from
    correct to incorrect between consecutive checkpoints from epoch 1 (the initialisation's chance
    hits are not learning), averaged over the counting models.

    An example a model never gets right at any checkpoint from epoch 1 counts the number of epochs
    T for that model, more than any learned example can reach: Toneva et al. rank never-learned
    examples as the most forgotten (their code, ``sort_examples_by_forgetting``, gives them the
    number of presentations), not as unforgettable. bool (n_models, T + 1, n) -> (n,).
    """
    correct = _history(correct_history).astype(bool)[:, 1:]
    epochs = correct.shape[1]
    forgotten = (correct[:, :-1] & ~correct[:, 1:]).sum(axis=1)
    return _member_mean(np.where(correct.any(axis=1), forgotten, epochs), mask)


def aum(margins: ArrayLike, mask: ArrayLike | None = None) -> NDArray[np.float64]:
    """Area under the margin (Pleiss et al. 2020, Eq. 2): per model the mean over epochs 1..T of
    :func:`label_margin`, averaged over the counting models; low (negative) for mislabelled or hard
    examples. margins (n_models, T + 1, n) -> (n,). Pleiss et al. take each epoch's margin from the
    training pass; the engine's come from the evaluation after each epoch (dropout off)."""
    return _member_mean(_history(margins)[:, 1:].mean(axis=1), mask)


class DataMap(NamedTuple):
    confidence: NDArray[np.float64]
    variability: NDArray[np.float64]


def data_map(probs: ArrayLike, mask: ArrayLike | None = None) -> DataMap:
    """Data-map coordinates (Swayamdipta et al. 2020, Eqs. 1-2): per model, the mean (confidence)
    and population standard deviation (variability) over epochs 1..T of the label's probability
    p(y | x), each averaged over the counting models (the spread between models is not variability).
    probs (n_models, T + 1, n) -> DataMap of (n,) arrays."""
    p = np.asarray(_history(probs)[:, 1:], dtype=np.float64)
    return DataMap(_member_mean(p.mean(axis=1), mask), _member_mean(p.std(axis=1), mask))


def el2n(errors: ArrayLike, epoch: int, mask: ArrayLike | None = None) -> NDArray[np.float64]:
    """EL2N (Paul et al. 2021, Def. 2.2): E_models ||softmax(f(x)) - onehot(y)||_2 at one early
    ``epoch``, from the per-network norms :func:`l2_error` (n_models, T + 1, n) the engine keeps
    (``el2n/{split}``); high for hard examples. -> (n,)."""
    return _member_mean(_history(errors)[:, epoch], mask)


def c_score_holdout(correct_final: ArrayLike, masks: ArrayLike) -> NDArray[np.float64]:
    """Holdout estimate of the C-score (Jiang et al. 2021, Eq. 1, 'holdout' estimator): per training
    point, the accuracy of the final networks that did NOT train on it (the held-out side of the
    90:10 splits); nan where every network trained on it. correct_final and masks bool (n_models, n)."""
    return _member_mean(np.asarray(correct_final, dtype=bool), ~np.asarray(masks, dtype=bool))


def first_agreement_epoch(correct_history: ArrayLike, mask: ArrayLike | None = None) -> NDArray[np.float64]:
    """The first checkpoint (0 = initialisation, t = after epoch t) at which every counting model is
    right on the example: when it enters Pliushch et al. 2022's true-positive agreement set (Sec. 3).
    An example never in it gets n_checkpoints (one past the last), so later means harder; nan where
    no model counts. bool (n_models, n_checkpoints, n) -> (n,)."""
    correct = _history(correct_history).astype(bool)
    n_checkpoints = correct.shape[1]
    counting = np.ones(correct.shape[::2], bool) if mask is None else np.asarray(mask, dtype=bool)
    agreed = np.all(correct | ~counting[:, None, :], axis=0)
    first = np.where(agreed.any(axis=0), agreed.argmax(axis=0), n_checkpoints).astype(np.float64)
    return np.where(counting.any(axis=0), first, np.nan)
