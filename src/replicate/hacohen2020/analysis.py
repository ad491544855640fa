"""Analyses of one collection that only Hacohen et al. 2020 makes (Sec. 2-5, App. E): random
consensus, class order, learning trajectories, and where bimodality stops."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import metrics
from ..bootstrap import Draw
from ..curves import bimodality_summary
from ..runs import Record


def random_consensus(n_models: int, n_classes: int, n: int, seed: int = 0) -> np.ndarray:
    """(n,) consensus of ``n_models`` classifiers that pick labels uniformly at random (Fig. 5a)."""
    preds = np.random.default_rng(seed).integers(0, n_classes, (n_models, n))
    return metrics.consensus(preds, n_classes)


def final_epochs(n_epochs: int, parts: int = 3) -> np.ndarray:
    """The epochs of the last ``parts``-th of training, rounded up (the last third of 15 epochs: 11 to
    15): where the claims of Fig. 5 read the trained collection, so that one epoch's fluctuation
    cannot decide them."""
    return np.arange(n_epochs + 1 - -(-n_epochs // parts), n_epochs + 1)


def renamed(record: Record, **splits: str) -> Record:
    """``record`` with the splits named as keys of ``splits`` renamed to their values (e.g.
    ``train="natural train"``), so that two runs on different images keep apart in one bootstrap
    frame; the relabelled flags, which belong to the training split, follow it."""
    arrays = {}
    for k, a in record.arrays.items():
        head, _, split = ("relabelled/train" if k == "relabelled" else k).partition("/")
        key = f"{head}/{splits[split]}" if split in splits else k
        arrays["relabelled" if key == "relabelled/train" else key] = a
    return replace(record, arrays=arrays)


APART = {"run": {"test": "run test"}, "natural": {"train": "natural train"}}
"""The splits :func:`apart` renames in each run, and the names it gives them."""


def apart(run: Record, natural: Record) -> dict[str, Record]:
    """{"run": run, "natural": natural} ready for one bootstrap frame although their splits hold other
    images (a frame needs a split name to stand for one set of images): the run's test split and the
    natural run's training split are renamed (:data:`APART`); each keeps the split that the
    degenerate-run guard reads (the run's training accuracy, e.g. on random labels, and the natural
    run's test accuracy)."""
    return {"run": renamed(run, **APART["run"]), "natural": renamed(natural, **APART["natural"])}


def together(draw: Draw, records: dict[str, Record]) -> tuple[Record, Record]:
    """The run and the natural run of :func:`apart` ``records`` seen through the bootstrap ``draw``,
    with their own split names back."""
    return tuple(renamed(draw.record(k, records[k]), **{v: s for s, v in APART[k].items()}) for k in ("run", "natural"))


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


def class_spread(consistency: np.ndarray, labels: np.ndarray, n_classes: int, fraction: float = 0.5) -> int:
    """Epochs between the first and the last class to have ``fraction`` of its examples at
    consistency 1 (:func:`class_learned_epoch`; App. E: some classes are learned before others)."""
    learned = class_learned_epoch(consistency, labels, n_classes, fraction)
    return int(learned.max() - learned.min())


def shuffled_class_spread(
    consistency: np.ndarray, labels: np.ndarray, n_classes: int, fraction: float = 0.5, n_shuffles: int = 100, seed: int = 0
) -> float:
    """Mean :func:`class_spread` over ``n_shuffles`` seeded permutations of the labels among the
    examples: the spread when class membership says nothing about when an example is learned (same
    examples, same consistencies, same class sizes), the null of App. E's class order."""
    rng = np.random.default_rng(seed)
    return float(np.mean([class_spread(consistency, rng.permutation(labels), n_classes, fraction) for _ in range(n_shuffles)]))


def _perplexity(shares: np.ndarray) -> np.ndarray:
    """exp of the Shannon entropy of each row of shares (summing to 1 along the last axis)."""
    logs = np.log(shares, where=shares > 0, out=np.zeros_like(shares))
    return np.exp(-(shares * logs).sum(-1))


def effective_labels(preds: np.ndarray, n_classes: int) -> np.ndarray:
    """(n_models,) how many labels each network uses on (n_models, n) predictions, counted
    continuously: exp of the entropy of its predicted-label shares (Hill's number of order 1: K for
    all K labels used equally, 1 for a single label; App. E: fewer labels early)."""
    counts = np.stack([np.bincount(p, minlength=n_classes) for p in np.asarray(preds)])
    return _perplexity(counts / counts.sum(1, keepdims=True))


def independent_effective_labels(accuracy: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """The same, exactly, for independent models with these accuracies whose errors are uniform over
    the wrong labels (Fig. 1c): label c takes a share a pi_c + (1 - a)(1 - pi_c)/(K - 1), pi the class
    shares of ``labels``; K for balanced classes at any accuracy."""
    a = np.asarray(accuracy, dtype=np.float64)[..., None]
    pi = np.bincount(labels, minlength=n_classes) / len(labels)
    return _perplexity(a * pi + (1 - a) * (1 - pi) / (n_classes - 1))


def label_shortfall(preds: np.ndarray, labels: np.ndarray, n_classes: int) -> float:
    """How many fewer labels the networks use than independent models with their accuracies, on one
    checkpoint's (n_models, n) predictions, averaged over the networks (App. E: the networks'
    errors fall on fewer labels than accuracy alone implies)."""
    accuracy = (np.asarray(preds) == labels).mean(-1)
    return float((independent_effective_labels(accuracy, labels, n_classes) - effective_labels(preds, n_classes)).mean())


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
    |ours - independent| divided by the same median for the natural run; 0 = independent, 1 = natural;
    nan when the natural run is no distance from its own baseline."""
    ours = bimodality_summary(np.abs(np.asarray(bimodality) - np.asarray(independent)), checked)
    ref = bimodality_summary(np.abs(np.asarray(natural) - np.asarray(natural_independent)), natural_checked)
    return ours / ref if ref else float("nan")
