"""Per-epoch analyses of a trained ensemble (Hacohen et al. 2020, Sec. 2-3), built on ``metrics``."""

from __future__ import annotations

import numpy as np

from . import metrics
from .runs import Record


def _per_epoch(preds: np.ndarray, fn) -> np.ndarray:
    """(n_epochs + 1, n): ``fn`` of each checkpoint's (n_models, n) predictions."""
    return np.stack([fn(preds[:, e]) for e in range(preds.shape[1])])


def consistency_by_epoch(record: Record, split: str) -> np.ndarray:
    """(n_epochs + 1, n) consistency c^e(x) of every example after every epoch (Sec. 2)."""
    labels = record.labels(split)
    return _per_epoch(record.preds(split), lambda p: metrics.consistency(p, labels))


def consensus_by_epoch(record: Record, split: str) -> np.ndarray:
    """(n_epochs + 1, n) consensus s^e(x): the largest fraction of models agreeing on one label (Sec. 2)."""
    return _per_epoch(record.preds(split), lambda p: metrics.consensus(p, record.n_classes))


def independent_preds(record: Record, split: str, seed: int = 0) -> np.ndarray:
    """(n_models, n_epochs + 1, n) predictions of independent models with each model's accuracy
    at each epoch, errors uniform over the wrong labels (Fig. 1c, 3b): the baseline a
    collection would follow if its members learned independently."""
    rng = np.random.default_rng(seed)
    labels, acc = record.labels(split), record.accuracy(split)
    return np.stack([metrics.independent_predictions(acc[:, e], labels, record.n_classes, rng) for e in range(acc.shape[1])], axis=1)


def independent_consistency_by_epoch(record: Record, split: str, seed: int = 0) -> np.ndarray:
    """Consistency per epoch of the matched independent models of :func:`independent_preds`."""
    labels = record.labels(split)
    return _per_epoch(independent_preds(record, split, seed), lambda p: metrics.consistency(p, labels))


def independent_consensus_by_epoch(record: Record, split: str, seed: int = 0) -> np.ndarray:
    """Consensus per epoch of the matched independent models of :func:`independent_preds`."""
    return _per_epoch(independent_preds(record, split, seed), lambda p: metrics.consensus(p, record.n_classes))


def random_consensus(n_models: int, n_classes: int, n: int, seed: int = 0) -> np.ndarray:
    """(n,) consensus of ``n_models`` classifiers that pick labels uniformly at random (Fig. 5a)."""
    preds = np.random.default_rng(seed).integers(0, n_classes, (n_models, n))
    return metrics.consensus(preds, n_classes)


def bimodality_by_epoch(consistency: np.ndarray) -> np.ndarray:
    """Pearson's bimodality measure (kurtosis - skewness^2 - 1) of each epoch's consistency."""
    return np.array([metrics.bimodality(c) for c in consistency])
