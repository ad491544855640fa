"""Per-epoch analyses of a trained ensemble (Hacohen et al. 2020, Sec. 2-3), built on ``metrics``."""

from __future__ import annotations

import numpy as np

from . import metrics
from .runs import Record


def consistency_by_epoch(record: Record, split: str) -> np.ndarray:
    """(n_epochs + 1, n) consistency c^e(x) of every example after every epoch (Sec. 2)."""
    preds, labels = record.preds(split), record.labels(split)
    return np.stack([metrics.consistency(preds[:, e], labels) for e in range(preds.shape[1])])


def independent_consistency_by_epoch(record: Record, split: str, seed: int = 0) -> np.ndarray:
    """The same for independent models with each model's accuracy at each epoch (Fig. 1c):
    the baseline a collection would follow if its members learned independently."""
    rng = np.random.default_rng(seed)
    labels, acc = record.labels(split), record.accuracy(split)
    return np.stack(
        [metrics.consistency(metrics.independent_predictions(acc[:, e], labels, record.n_classes, rng), labels) for e in range(acc.shape[1])]
    )


def bimodality_by_epoch(consistency: np.ndarray) -> np.ndarray:
    """Pearson's bimodality measure (kurtosis - skewness^2 - 1) of each epoch's consistency."""
    return np.array([metrics.bimodality(c) for c in consistency])
