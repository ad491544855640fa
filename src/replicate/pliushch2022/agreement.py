"""True-positive agreement through training (Pliushch et al. 2022, Sec. 2-3, 5, App. B).

Every function takes ``correct``, bool (n_models, n_checkpoints, n): which network classifies
which example correctly after every epoch (checkpoint 0 = initialisation), as
``Record.correct(split)`` gives it.
"""

from __future__ import annotations

import numpy as np

from .. import bootstrap, metrics, runs
from ..curves import learning_epochs
from ..runs import Record


def group(correct: np.ndarray, n_models: int, repeat: int = 0) -> np.ndarray:
    """The ``repeat``-th group of ``n_models`` networks (see :func:`spec`)."""
    if (repeat + 1) * n_models > correct.shape[0]:
        raise ValueError(f"repeat={repeat} of {n_models} networks needs {(repeat + 1) * n_models} networks, the run has {correct.shape[0]}")
    return correct[repeat * n_models : (repeat + 1) * n_models]


def members(record: Record, idx: np.ndarray) -> Record:
    """``record`` with only its networks ``idx``, in that order (e.g. the first group of :func:`group`
    as a run of its own, so that a bootstrap draw resamples only the networks a statistic uses)."""
    idx = np.asarray(idx, dtype=np.int64)
    n = len(record.masks)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"networks {idx.tolist()} are not all among the run's {n}")
    return bootstrap.Draw({"run": idx}, {}).record("run", record)


def curves(correct: np.ndarray) -> dict[str, np.ndarray]:
    """Per checkpoint: TPa (Eq. 2), its lower bound (Eq. 3), expected random agreement prod(acc) and
    its normalised form prod(acc) / (1 - prod(1 - acc)) (App. B), PABAK (App. B), and the
    accuracy's mean and standard deviation over the networks."""
    acc = correct.mean(-1)
    per_epoch = np.moveaxis(correct, 1, 0)
    out = {
        "tpa": np.array([metrics.true_positive_agreement(c) for c in per_epoch]),
        "lower_bound": np.array([metrics.agreement_lower_bound(a) for a in acc.T]),
        "expected": np.array([metrics.expected_random_agreement(a) for a in acc.T]),
        "expected_normalized": np.array([metrics.expected_random_agreement(a, normalized=True) for a in acc.T]),
        "accuracy": acc.mean(0),
        "accuracy_std": acc.std(0),
    }
    if correct.shape[0] > 1:
        out["pabak"] = np.array([metrics.pabak(c) for c in per_epoch])
    return out


def rising_gap(curve: dict[str, np.ndarray], accuracy: np.ndarray, n_classes: int, fraction: float = 0.9) -> float:
    """The mean TPa - lower bound gap of :func:`curves` ``curve`` over the epochs from 1 while the
    accuracy (n_models, n_checkpoints) has covered less than ``fraction`` of its rise from chance
    (:func:`replicate.curves.learning_epochs`), minus the gap after the last epoch; nan if no epoch rises."""
    rising = learning_epochs(accuracy, n_classes, 1, fraction)
    gap = curve["tpa"] - curve["lower_bound"]
    return float(np.nanmean(gap[rising]) - gap[-1]) if len(rising) else float("nan")


def repeat_curves(correct: np.ndarray, n_models: int) -> dict[str, np.ndarray]:
    """:func:`curves` of every whole group of ``n_models`` networks, stacked: (n_repeats, n_checkpoints)
    per curve (App. Fig. 2: 5 repeats of 5 networks)."""
    groups = [curves(group(correct, n_models, r)) for r in range(correct.shape[0] // n_models)]
    return {name: np.stack([g[name] for g in groups]) for name in groups[0]}


def spread_ratio(repeats: dict[str, np.ndarray], epochs: np.ndarray) -> float:
    """The largest standard deviation of TPa over the repeats of :func:`repeat_curves` at ``epochs``,
    divided by the mean over those epochs of the TPa - lower bound gap averaged over the repeats
    (App. Fig. 2: is the spread small beside the gap?)."""
    e = np.asarray(epochs, dtype=np.int64)
    std = repeats["tpa"].std(0)
    gap = (repeats["tpa"] - repeats["lower_bound"]).mean(0)
    with np.errstate(divide="ignore", invalid="ignore"):  # no gap: the ratio is undefined (nan) or infinite
        return float(np.nanmax(std[e]) / np.nanmean(gap[e]))


def agreed(correct: np.ndarray) -> np.ndarray:
    """bool (n_checkpoints, n): the examples every network classifies correctly (TPa's numerator)."""
    return correct.all(axis=0)


def agreed_means(correct: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per checkpoint, the mean of ``values`` (n,) over the agreed-upon examples (Fig. 4, purple);
    nan where none is agreed upon."""
    mask = agreed(correct)
    count = mask.sum(1)
    total = mask @ np.asarray(values, dtype=np.float64)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def class_agreed(correct: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """(n_checkpoints, n_classes): per class, the fraction of its examples agreed upon, the analogue of
    Fig. 6c's fraction learned per illumination / rotation type."""
    onehot = np.eye(n_classes)[np.asarray(labels)]
    return (agreed(correct) @ onehot) / np.maximum(onehot.sum(0), 1)


def agreed_from(correct: np.ndarray) -> np.ndarray:
    """(n,) the checkpoint from which every network stays right on an example to the end; -1 for
    examples not agreed upon after the last epoch (never learned by all)."""
    mask = agreed(correct)
    return metrics.iteration_learned(mask.astype(np.int8), final=np.ones(mask.shape[1], np.int8))


def across(records: list[Record], split: str, member: int = 0) -> np.ndarray:
    """bool (n_records, n_checkpoints, n): network ``member`` of each run, as one collection of
    different architectures (Fig. 2c); the runs must share examples, labels and epochs."""
    first = records[0]
    for r in records[1:]:
        if not (np.array_equal(r.ids(split), first.ids(split)) and np.array_equal(r.labels(split), first.labels(split))):
            raise ValueError(f"the runs were not evaluated on the same {split} examples")
        if r.preds(split).shape[1] != first.preds(split).shape[1]:
            raise ValueError("the runs have different numbers of epochs")
    return np.stack([r.correct(split)[member] for r in records])


def min_margin(curve: np.ndarray, baseline: np.ndarray, epochs: np.ndarray) -> float:
    """The smallest ``curve - baseline`` over ``epochs`` (nan epochs skipped; nan if none)."""
    return margin_range(curve, baseline, epochs)[0]


def margin_range(curve: np.ndarray, baseline: np.ndarray, epochs: np.ndarray) -> tuple[float, float]:
    """The smallest and largest ``curve - baseline`` over ``epochs`` (nan epochs skipped), (nan, nan)
    if none: how far above its baseline a curve stays, for a page's prose."""
    diff = (np.asarray(curve) - np.asarray(baseline))[np.asarray(epochs, dtype=np.int64)]
    diff = diff[np.isfinite(diff)]
    return (float(diff.min()), float(diff.max())) if diff.size else (float("nan"), float("nan"))


def weakest(records: dict[str, Record], split: str = "train") -> tuple[str, int]:
    """The run and network index of the network with the lowest final ``split`` accuracy among
    ``records``: the one network that drags its collection's TPa down (p3's narrow VGG16)."""
    final = {name: r.accuracy(split)[:, -1] for name, r in records.items()}
    name = min(final, key=lambda k: final[k].min())
    return name, int(final[name].argmin())


def span(epochs: np.ndarray) -> tuple[int, int]:
    """The first and last of ``epochs`` (e.g. :func:`replicate.curves.not_bimodal_epochs`), (-1, -1) if there are none: the
    range of epochs a page's prose quotes, defined also when a small run has none."""
    e = np.asarray(epochs, dtype=np.int64)
    return (int(e.min()), int(e.max())) if e.size else (-1, -1)


def image_statistics(record: Record, split: str = "train", **params) -> dict[str, np.ndarray]:
    """The four image statistics (App. D) of the record's ``split`` images, in the record's order:
    computed on the same stratified view of the data set (cached in the run store) and matched by
    example id."""
    d = record.spec.data
    if d.classes is not None:
        raise ValueError("image statistics of a class subset are not supported; use a run on all classes")
    n = d.n_train if split == "train" else d.n_test
    stats_ = runs.image_stats(d.dataset, split, n=n, seed=d.seed, **params)
    order = np.argsort(stats_["ids"])
    pos = order[np.minimum(np.searchsorted(stats_["ids"], record.ids(split), sorter=order), len(order) - 1)]
    if not np.array_equal(stats_["ids"][pos], record.ids(split)):
        raise ValueError(f"the image statistics do not cover every {split} image of the run")
    return {name: v[pos] for name, v in stats_.items() if name != "ids"}


def examples(first_agreed: np.ndarray, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """``n`` random examples (seeded) agreed upon from epoch 1 on ("easy") and ``n`` never agreed
    upon by the end ("hard"), for Fig. 3's easy and difficult image."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, pool in (("easy", np.flatnonzero(first_agreed == 1)), ("hard", np.flatnonzero(first_agreed < 0))):
        out[name] = np.sort(rng.choice(pool, size=min(n, len(pool)), replace=False))
    return out
