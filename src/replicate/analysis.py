"""Per-epoch analyses of a trained ensemble (Hacohen et al. 2020, Sec. 2-3), built on ``metrics``."""

from __future__ import annotations

import numpy as np

from . import metrics
from .runs import DataSpec, EnsembleSpec, Record
from .train import TrainConfig


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


def majority_label(record: Record, split: str) -> np.ndarray:
    """(n,) each example's most frequent predicted label over all models and all epochs after
    initialisation (Hacohen App. E, Fig. 27); ties go to the true label, else the lowest."""
    preds = record.preds(split)[:, 1:]
    return metrics.consensus_class(preds.reshape(-1, preds.shape[-1]), record.labels(split), record.n_classes)


def class_learned_epoch(consistency: np.ndarray, labels: np.ndarray, n_classes: int, fraction: float = 0.5) -> np.ndarray:
    """(n_classes,) first epoch at which at least ``fraction`` of a class's examples have
    consistency 1 (every model right); one past the last epoch for a class that never does."""
    full = consistency == 1
    share = np.stack([full[:, labels == c].mean(1) for c in range(n_classes)], axis=1)
    reached = share >= fraction
    return np.where(reached.any(0), reached.argmax(0), len(consistency))


def labels_in_use(preds: np.ndarray, labels: np.ndarray, n_classes: int, min_share: float = 0.02) -> int:
    """How many classes are the collection's majority vote for at least ``min_share`` of the
    examples, for one checkpoint's (n_models, n) predictions (App. E: fewer labels early on)."""
    majority = metrics.consensus_class(preds, labels, n_classes)
    return int((np.bincount(majority, minlength=n_classes) >= min_share * len(labels)).sum())


def trajectory_examples(consistency: np.ndarray) -> dict[str, int]:
    """One example of each learning pattern of App. E, Fig. 29, from (n_epochs + 1, n) consistency:
    learned at once, learned late, dipped to 0 then learned, forgotten, never learned."""
    after = consistency[1:]
    final = after[-1]
    learned_from = metrics.iteration_learned((after == 1).astype(np.int64), np.ones(after.shape[1], np.int64))
    learned = np.flatnonzero(learned_from >= 0)
    picks = {
        "learned at once": learned[np.argmin(learned_from[learned])] if len(learned) else None,
        "learned late": learned[np.argmax(learned_from[learned])] if len(learned) else None,
        "dipped, then learned": _first(np.flatnonzero((final == 1) & (after.min(0) == 0) & (after[0] > 0))),
        "forgotten": _argmax_where(after.max(0) - final, final == 0),
        "never learned": _argmax_where(-after.sum(0), final == 0),
    }
    return {k: int(v) for k, v in picks.items() if v is not None}


def _first(index: np.ndarray) -> int | None:
    return int(index[0]) if len(index) else None


def _argmax_where(score: np.ndarray, mask: np.ndarray) -> int | None:
    return int(np.flatnonzero(mask)[np.argmax(score[mask])]) if mask.any() else None


NON_BIMODAL_MARGIN = (1.07 - 0.22) / 2
"""Half the distance between the paper's bimodal collections (bimodality at most 0.22, Sec. 4.2)
and its non-bimodal ones (at least 1.07, Sec. 5): how far above the natural-data run a
bimodality measure must sit to count as not bimodal (Sec. 5 figures)."""


def natural_spec(params: dict) -> EnsembleSpec:
    """The spec of h1's st-VGG collection on natural data (Sec. 3) from h1's parameter values
    (``params`` may hold more keys): built exactly as h1 builds it, so it is read from the store."""
    p = params
    train = TrainConfig(
        p["arch"], n_models=p["n_models"], epochs=p["epochs"], width=p["width"], batch_size=p["batch_size"], lr=p["lr"], schedule="hacohen", seed=p["seed"]
    )
    return EnsembleSpec(DataSpec(p["dataset"], n_train=p["n_train"], n_test=p["n_test"], seed=p["seed"]), train)


def random_labels_spec(params: dict) -> EnsembleSpec:
    """The spec of h8's collection on random labels without dropout (Sec. 5, App. B) from h8's
    parameter values, built exactly as h8 builds it so other figures read the same networks."""
    p = params
    classes = tuple(p["classes"]) if p.get("classes") else None
    train = TrainConfig(
        p["arch"],
        n_models=p["n_models"],
        epochs=p["epochs"],
        width=p["width"],
        arch_options=(("dropout", False),),
        batch_size=p["batch_size"],
        lr=p["lr"],
        schedule="hacohen",
        seed=p["seed"],
    )
    return EnsembleSpec(DataSpec(p["dataset"], n_train=p["n_train"], n_test=p["n_test"], classes=classes, random_labels=True, seed=p["seed"]), train)


def learning_epochs(accuracy: np.ndarray, n_classes: int, first_epoch: int, fraction: float = 0.9) -> np.ndarray:
    """Epochs >= ``first_epoch`` at which learning is still under way (Sec. 5, Gabor): the mean
    accuracy of ``accuracy`` (n_models, n_epochs + 1) has covered less than ``fraction`` of its
    rise from chance, 1/K, to its value after the last epoch."""
    mean = np.asarray(accuracy, dtype=np.float64).mean(0)
    progress = (mean - 1 / n_classes) / (mean[-1] - 1 / n_classes)
    epochs = np.arange(len(mean))
    return epochs[(epochs >= first_epoch) & (progress < fraction)]


def bimodality_summary(bimodality: np.ndarray, checked: int | np.ndarray, stat: str = "median") -> float:
    """The median (or ``min`` / ``max``) of a per-epoch bimodality curve over the checked epochs: every
    epoch from ``checked`` when it is an int, else the epochs it lists. Epochs whose consistency is
    constant (nan, no measure) are skipped; nan if none is left (Sec. 5)."""
    fns = {"median": np.median, "min": np.min, "max": np.max}
    if stat not in fns:
        raise ValueError(f"stat={stat!r} is not allowed; choose one of: {', '.join(fns)}")
    values = np.asarray(bimodality, dtype=np.float64)
    values = values[checked:] if isinstance(checked, (int, np.integer)) else values[np.asarray(checked, dtype=np.int64)]
    values = values[~np.isnan(values)]
    return float(fns[stat](values)) if values.size else float("nan")


def non_bimodal_line(natural_bimodality: np.ndarray, checked: int | np.ndarray, margin: float = NON_BIMODAL_MARGIN) -> float:
    """The bimodality above which a histogram counts as not bimodal (Sec. 5): the natural-data run's
    median over its checked epochs plus ``margin`` (by default half the paper's bimodal/non-bimodal gap)."""
    return bimodality_summary(natural_bimodality, checked) + margin


def independence_ratio(
    bimodality: np.ndarray,
    independent: np.ndarray,
    natural: np.ndarray,
    natural_independent: np.ndarray,
    checked: int | np.ndarray,
    natural_checked: int | np.ndarray,
) -> float:
    """How far a run's bimodality is from its matched-independent baseline, relative to the natural-data
    run's distance from its own (Sec. 5, Fig. 10 vs Fig. 1c): the median over checked epochs of
    |ours - independent| divided by the same median for the natural run; 0 = independent, 1 = natural."""
    ours = bimodality_summary(np.abs(np.asarray(bimodality) - np.asarray(independent)), checked)
    ref = bimodality_summary(np.abs(np.asarray(natural) - np.asarray(natural_independent)), natural_checked)
    return ours / ref
