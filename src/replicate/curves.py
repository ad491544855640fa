"""Per-checkpoint views of any trained ensemble: consistency and consensus after every epoch, their
bimodality, the matched-independent baseline, and when learning is under way (Hacohen et al. 2020,
Sec. 2-5; Pliushch et al. 2022 reads the same curves beside its agreement)."""

from __future__ import annotations

import numpy as np

from . import metrics
from .runs import Record


def _per_epoch(preds: np.ndarray, fn) -> np.ndarray:
    """(n_epochs + 1, n): ``fn`` of each checkpoint's (n_models, n) predictions."""
    return np.stack([fn(preds[:, e]) for e in range(preds.shape[1])])


def consistency_by_epoch(record: Record, split: str) -> np.ndarray:
    """(n_epochs + 1, n) consistency c^e(x) of every example after every epoch (Hacohen Sec. 2)."""
    return metrics.consistency(record.preds(split), record.labels(split))


def consensus_by_epoch(record: Record, split: str) -> np.ndarray:
    """(n_epochs + 1, n) consensus s^e(x): the largest fraction of models agreeing on one label (Hacohen Sec. 2)."""
    return _per_epoch(record.preds(split), lambda p: metrics.consensus(p, record.n_classes))


def independent_preds(record: Record, split: str, seed: int = 0) -> np.ndarray:
    """(n_models, n_epochs + 1, n) predictions of independent models with each model's accuracy
    at each epoch, errors uniform over the wrong labels (Hacohen Fig. 1c, 3b): the baseline a
    collection would follow if its members learned independently."""
    rng = np.random.default_rng(seed)
    labels, acc = record.labels(split), record.accuracy(split)
    return np.stack([metrics.independent_predictions(acc[:, e], labels, record.n_classes, rng) for e in range(acc.shape[1])], axis=1)


def independent_consistency_by_epoch(record: Record, split: str, seed: int = 0) -> np.ndarray:
    """Consistency per epoch of the matched independent models of :func:`independent_preds`."""
    return metrics.consistency(independent_preds(record, split, seed), record.labels(split))


def independent_consensus_by_epoch(record: Record, split: str, seed: int = 0) -> np.ndarray:
    """Consensus per epoch of the matched independent models of :func:`independent_preds`."""
    return _per_epoch(independent_preds(record, split, seed), lambda p: metrics.consensus(p, record.n_classes))


def bimodality_by_epoch(consistency: np.ndarray) -> np.ndarray:
    """Pearson's bimodality measure (kurtosis - skewness^2 - 1) of each epoch's consistency."""
    return np.array([metrics.bimodality(c) for c in consistency])


BIMODAL_LINE = (0.22 + 1.07) / 2
"""0.645, the midpoint of Hacohen's bimodal collections (bimodality at most 0.22, Sec. 4.2) and its
non-bimodal ones (at least 1.07, Sec. 5): a consistency histogram whose measure is below it counts
as bimodal."""

BIMODAL_SOURCE = "0.645, the midpoint of the paper's bimodal (at most 0.22, Sec. 4.2) and non-bimodal (at least 1.07, Sec. 5) values"
"""Where :data:`BIMODAL_LINE` comes from, for the claims that test against it."""

NON_BIMODAL_MARGIN = (1.07 - 0.22) / 2
"""Half the distance between the paper's bimodal collections (bimodality at most 0.22, Sec. 4.2)
and its non-bimodal ones (at least 1.07, Sec. 5): how far above the natural-data run a
bimodality measure must sit to count as not bimodal (Sec. 5 figures)."""


def learning_epochs(accuracy: np.ndarray, n_classes: int, first_epoch: int, fraction: float = 0.9) -> np.ndarray:
    """Epochs >= ``first_epoch`` at which learning is still under way (Hacohen Sec. 5, Gabor): the mean
    accuracy of ``accuracy`` (n_models, n_epochs + 1) has covered less than ``fraction`` of its
    rise from chance, 1/K, to its value after the last epoch."""
    mean = np.asarray(accuracy, dtype=np.float64).mean(0)
    progress = (mean - 1 / n_classes) / (mean[-1] - 1 / n_classes)
    epochs = np.arange(len(mean))
    return epochs[(epochs >= first_epoch) & (progress < fraction)]


def bimodality_summary(bimodality: np.ndarray, checked: int | np.ndarray, stat: str = "median") -> float:
    """The median (or ``min`` / ``max``) of a per-epoch bimodality curve over the checked epochs: every
    epoch from ``checked`` when it is an int, else the epochs it lists. Epochs whose consistency is
    constant (nan, no measure) are skipped; nan if none is left (Hacohen Sec. 5)."""
    fns = {"median": np.median, "min": np.min, "max": np.max}
    if stat not in fns:
        raise ValueError(f"stat={stat!r} is not allowed; choose one of: {', '.join(fns)}")
    values = np.asarray(bimodality, dtype=np.float64)
    values = values[checked:] if isinstance(checked, (int, np.integer)) else values[np.asarray(checked, dtype=np.int64)]
    values = values[~np.isnan(values)]
    return float(fns[stat](values)) if values.size else float("nan")


NOT_BIMODAL_FLOOR = 0.1
"""The window of :func:`not_bimodal_epochs` opens once the mean training accuracy has covered this
fraction of its rise from chance to its final value."""

NOT_BIMODAL_FRACTION = 0.9
"""The window of :func:`not_bimodal_epochs` closes once the mean training accuracy has covered this
fraction of its rise from chance to its final value."""


def not_bimodal_epochs(accuracy: np.ndarray, n_classes: int) -> np.ndarray:
    """The one window of every "not bimodal" check (Hacohen Sec. 5: Gabor h7, random labels h8,
    Gaussians h9; Pliushch Fig. 2b, p2; FIGURES row a3), for a collection's training accuracy
    (n_models, n_epochs + 1) and for the natural-data run it is compared with: the epochs from 1 on
    at which the mean training accuracy has covered at least 10% and less than 90% of its rise from
    chance (1/K) to its value after the last epoch. Before 10% the networks have hardly moved from
    their initialisation, so the histogram shows the class biases they start with (untrained
    networks that all favour one class make it two-peaked) rather than an order of learning; past
    90% the training set saturates, the consistency piles up at 1 and the measure falls towards 0
    for independent models too. Fractions of the rise, not multiples of chance, so that the rule
    means the same for two classes (h9) as for ten."""
    learning = learning_epochs(accuracy, n_classes, 1, NOT_BIMODAL_FRACTION)
    mean = np.asarray(accuracy, dtype=np.float64).mean(0)
    progress = (mean - 1 / n_classes) / (mean[-1] - 1 / n_classes)
    return learning[progress[learning] >= NOT_BIMODAL_FLOOR]


def window_bimodality(record: Record, split: str, stat: str = "median") -> float:
    """The median (or ``min`` / ``max``) bimodality of ``record``'s consistency on ``split`` over its
    :func:`not_bimodal_epochs` (Hacohen Sec. 5)."""
    window = not_bimodal_epochs(record.accuracy("train"), record.n_classes)
    return bimodality_summary(bimodality_by_epoch(consistency_by_epoch(record, split)), window, stat)


def not_bimodal_line(natural: Record, split: str) -> float:
    """The one threshold of every "not bimodal" check (see :func:`not_bimodal_epochs` for where it
    is used): the natural-data run's median bimodality on ``split`` over its own
    :func:`not_bimodal_epochs`, plus :data:`NON_BIMODAL_MARGIN`, half the gap between the paper's
    bimodal (at most 0.22, Sec. 4.2) and non-bimodal (at least 1.07, Sec. 5) collections. The
    paper's absolute levels do not carry over to our 10 small networks (independent models sit at
    2 - 2/N = 1.8 rather than 1.98), so the bimodal level is measured on our own natural-data run."""
    return window_bimodality(natural, split) + NON_BIMODAL_MARGIN


NOT_BIMODAL_SOURCE = (
    "line: the natural-data (h1) run's median bimodality over its own window (curves.not_bimodal_epochs: "
    "epochs from 1 at which the mean training accuracy has covered 10% to 90% of its rise from chance) plus 0.425, half "
    "the gap between the paper's bimodal (at most 0.22) and non-bimodal (at least 1.07) collections (Sec. 5)"
)
"""Where :func:`not_bimodal_line` comes from, for the claims that test against it."""


def scaled_to_models(value: float, n_models: int, paper_models: int = 100) -> float:
    """A bimodality value of the paper's ``paper_models`` networks moved to ``n_models`` networks in
    proportion to the independent models' level 2 - 2/N (Sec. 2): a rough reference for reading our
    measures beside the paper's, not a threshold."""
    return value * (2 - 2 / n_models) / (2 - 2 / paper_models)
