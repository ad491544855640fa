"""Comparisons between two collections of networks (Hacohen et al. 2020, Sec. 4.1-4.2).

Cross-consistency at accuracy-matched epochs, accessibility and its correlation across
collections, and the overlap of the two collections' sets of easy examples per epoch.
"""

from __future__ import annotations

import numpy as np

from .. import metrics
from ..curves import bimodality_by_epoch, consistency_by_epoch
from ..runs import Record


def _check_same_examples(record_a: Record, record_b: Record, split: str) -> None:
    """Raise unless both collections were evaluated on the same examples with the same labels."""
    same_ids = np.array_equal(record_a.ids(split), record_b.ids(split))
    if not (same_ids and np.array_equal(record_a.labels(split), record_b.labels(split))):
        raise ValueError(f"the two collections were not evaluated on the same {split} examples")


def mean_accuracy(record: Record, split: str) -> np.ndarray:
    """(n_epochs + 1,) accuracy averaged over the collection's networks after every epoch."""
    return record.accuracy(split).mean(axis=0)


def matched_epochs(acc_a: np.ndarray, acc_b: np.ndarray, tol: float = 0.01, first_epoch: int = 0) -> tuple[list[tuple[int, int]], bool]:
    """Epoch pairs (from ``first_epoch`` on in both runs) of equal mean accuracy within ``tol``
    (Sec. 4.1, footnote 4: +-1%) and True; when no pair is that close, each epoch of a with the
    closest epoch of b, and False."""
    a, b = np.asarray(acc_a)[first_epoch:], np.asarray(acc_b)[first_epoch:]
    pairs = metrics.match_epochs_by_accuracy(a, b, tol)
    within = bool(pairs)
    if not within:
        pairs = metrics.match_epochs_by_accuracy(a, b, np.inf)
    return [(i + first_epoch, j + first_epoch) for i, j in pairs], within


def pairs_near(pairs: list[tuple[int, int]], acc_a: np.ndarray, targets: list[float]) -> list[tuple[int, int]]:
    """For each target accuracy, the pair whose epoch of a has the closest mean accuracy
    (Fig. 6a,b and 23 show a few pairs across learning); repeats dropped, order kept."""
    if not pairs:
        return []
    acc = np.asarray([acc_a[a] for a, _ in pairs])
    chosen = [pairs[int(np.abs(acc - t).argmin())] for t in targets]
    return list(dict.fromkeys(chosen))


def cross_consistency(preds_a: np.ndarray, preds_b: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(n,) consistency of the merged collection: the fraction of the networks of both
    collections that classify each example correctly (Sec. 4.1)."""
    return metrics.consistency(np.concatenate([preds_a, preds_b]), labels)


def cross_consistency_at(record_a: Record, record_b: Record, pairs: list[tuple[int, int]], split: str) -> np.ndarray:
    """(len(pairs), n) cross-consistency of the two collections at each matched epoch pair."""
    _check_same_examples(record_a, record_b, split)
    pa, pb, labels = record_a.preds(split), record_b.preds(split), record_a.labels(split)
    return np.stack([cross_consistency(pa[:, a], pb[:, b], labels) for a, b in pairs])


def matched_cross_bimodality(record_a: Record, record_b: Record, split: str, tol: float = 0.01, first_epoch: int = 1) -> float:
    """Mean bimodality of the cross-consistency on ``split`` over the epoch pairs matched by mean test
    accuracy (:func:`matched_epochs` from ``first_epoch``; the closest epochs when none is within ``tol``);
    pairs with no measure (a constant cross-consistency) are skipped."""
    pairs, _ = matched_epochs(mean_accuracy(record_a, "test"), mean_accuracy(record_b, "test"), tol, first_epoch)
    b = bimodality_by_epoch(cross_consistency_at(record_a, record_b, pairs, split))
    return float(b[~np.isnan(b)].mean()) if (~np.isnan(b)).any() else float("nan")


def independent_cross_consistency_at(
    record_a: Record, record_b: Record, pairs: list[tuple[int, int]], split: str, seed: int = 0
) -> np.ndarray:
    """The same for independent models with the accuracy of every network of the merged
    collection at the pair's epochs (the baseline of Fig. 1c for a merged collection)."""
    _check_same_examples(record_a, record_b, split)
    rng = np.random.default_rng(seed)
    acc_a, acc_b, labels = record_a.accuracy(split), record_b.accuracy(split), record_a.labels(split)
    rows = []
    for a, b in pairs:
        acc = np.concatenate([acc_a[:, a], acc_b[:, b]])
        rows.append(metrics.consistency(metrics.independent_predictions(acc, labels, record_a.n_classes, rng), labels))
    return np.stack(rows)


def accessibility(record: Record, split: str, first_epoch: int = 1) -> np.ndarray:
    """(n,) accessibility: each example's consistency averaged over the epochs from
    ``first_epoch`` on (Sec. 4.1; epoch 0, the untrained networks, carries no order)."""
    return metrics.accessibility(consistency_by_epoch(record, split)[first_epoch:])


def easy_overlap(consistency_a: np.ndarray, consistency_b: np.ndarray, threshold: float = 0.9) -> np.ndarray:
    """(n_epochs, 3) sizes |A & B|, |A - B|, |B - A| of the easy sets (consistency > threshold)
    of two collections at each epoch (Sec. 4.2, Fig. 7b: A non-linear, B linear)."""
    easy_a = np.asarray(consistency_a) > threshold
    easy_b = np.asarray(consistency_b) > threshold
    if easy_a.shape != easy_b.shape:
        raise ValueError(f"consistency arrays differ in shape: {easy_a.shape} vs {easy_b.shape}")
    return np.stack([(easy_a & easy_b).sum(-1), (easy_a & ~easy_b).sum(-1), (easy_b & ~easy_a).sum(-1)], axis=-1)


def exclusive_share(overlap: np.ndarray) -> np.ndarray:
    """Per epoch |B - A| / |B| from ``easy_overlap`` counts: the share of B's easy set that is not
    easy for A (Sec. 4.2: "always rather small" for B linear); 0 where B's easy set is empty."""
    overlap = np.asarray(overlap)
    size_b = overlap[..., 0] + overlap[..., 2]
    return np.divide(overlap[..., 2], size_b, out=np.zeros(size_b.shape), where=size_b > 0)


def lowest_epoch(curve: np.ndarray, checked: np.ndarray | list[int]) -> int:
    """The checked epoch at which a per-epoch curve is smallest, epochs without a value (nan)
    skipped; -1 if none is left. Says where a claim's minimum over epochs (Sec. 5) lies."""
    checked = np.asarray(checked, dtype=np.int64)
    values = np.asarray(curve, dtype=np.float64)[checked]
    keep = ~np.isnan(values)
    return int(checked[keep][np.argmin(values[keep])]) if keep.any() else -1


def independent_all_wrong(accuracy: np.ndarray) -> np.ndarray:
    """(n_epochs + 1,) expected share of examples that every one of N independent models with these
    accuracies (n_models, n_epochs + 1) gets wrong, the product of their error rates: the height of
    the consistency-0 bar that independence predicts (Fig. 1c)."""
    return np.prod(1 - np.asarray(accuracy, dtype=np.float64), axis=0)


def independent_bimodality(accuracy: np.ndarray) -> np.ndarray:
    """(n_epochs + 1,) the bimodality measure of the consistency of N independent models with these
    accuracies (n_models, n_epochs + 1), exactly, as the number of examples grows (Fig. 1c baseline):
    the count of right models is Poisson-binomial, whose cumulants add over models (k2 = sum pq,
    k3 = sum pq(1 - 2p), k4 = sum pq(1 - 6pq)), and kurtosis - skewness^2 - 1 = 2 + k4/k2^2 - k3^2/k2^3
    (2 - 2/N when all accuracies are equal). Replaces one noisy draw of independent predictions;
    nan where every accuracy is 0 or 1 (a constant consistency)."""
    p = np.asarray(accuracy, dtype=np.float64)
    pq = p * (1 - p)
    k2, k3, k4 = pq.sum(0), (pq * (1 - 2 * p)).sum(0), (pq * (1 - 6 * pq)).sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(k2 > 0, 2 + k4 / k2**2 - k3**2 / k2**3, np.nan)


MIDDLE = (0.1, 0.9)
"""Accessibility bounds of the middle examples: strictly between them in both collections, an
example is neither learned by (almost) every network from the first epochs nor missed by (almost)
all of them to the last, the two clusters at (0, 0) and (1, 1) that inflate Pearson's r."""


def middle(access_a: np.ndarray, access_b: np.ndarray, bounds: tuple[float, float] = MIDDLE) -> np.ndarray:
    """(n,) True where an example's accessibility lies strictly between ``bounds`` in both
    collections: the examples left once the clusters at (0, 0) and (1, 1) are set aside (Sec. 4.1)."""
    low, high = bounds
    a, b = np.asarray(access_a), np.asarray(access_b)
    return (a > low) & (a < high) & (b > low) & (b < high)


def matched_bimodality_gap(
    record: Record, natural: Record, split: str, epochs: np.ndarray, tol: float = 0.01
) -> tuple[float, list[tuple[int, int]]]:
    """The median, over ``record``'s ``epochs`` that have a natural-data epoch (from 1 on) of equal mean
    ``split`` accuracy within ``tol`` (Sec. 4.1, footnote 4), of record's bimodality minus natural's
    at the matched epochs, and those pairs: two collections compared at one stage of learning rather
    than one epoch number. nan (and no pairs) when no epoch matches or none has a measure."""
    epochs = np.asarray(epochs, dtype=np.int64)
    acc, acc_nat = mean_accuracy(record, split), mean_accuracy(natural, split)
    matched = metrics.match_epochs_by_accuracy(acc[epochs], acc_nat[1:], tol)
    pairs = [(int(epochs[i]), j + 1) for i, j in matched]
    b, b_nat = (bimodality_by_epoch(consistency_by_epoch(r, split)) for r in (record, natural))
    gaps = np.array([b[e] - b_nat[n] for e, n in pairs], dtype=np.float64)
    gaps = gaps[np.isfinite(gaps)]
    return (float(np.median(gaps)) if gaps.size else float("nan")), pairs
