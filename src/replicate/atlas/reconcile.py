"""Hacohen's bimodality and Pliushch's true-positive agreement on the same random-label networks
(FIGURES row a3): the pieces that explain how both papers can be right at once.

Every function takes ``correct``, bool (n_models, n_checkpoints, n): which network classifies which
example correctly after every epoch (checkpoint 0 = initialisation), as ``Record.correct(split)``
gives it, or the per-network accuracies derived from it.
"""

from __future__ import annotations

import numpy as np


def independent_histogram(accuracy: np.ndarray) -> np.ndarray:
    """(n_checkpoints, N + 1): the probability that exactly k of N independent networks with these
    accuracies (N, n_checkpoints) classify an example correctly, k = 0..N (the Poisson-binomial
    distribution): the consistency histogram independent networks would give (Hacohen Sec. 2, Fig. 1c),
    whose bimodality is 2 - 2/N at equal accuracies."""
    p = np.asarray(accuracy, dtype=np.float64)
    pmf = np.zeros((p.shape[1], p.shape[0] + 1))
    pmf[:, 0] = 1.0
    for row in p:  # add one network at a time: k right after it = k right before and it wrong, or k - 1 and it right
        pmf[:, 1:] = pmf[:, 1:] * (1 - row[:, None]) + pmf[:, :-1] * row[:, None]
        pmf[:, 0] *= 1 - row
    return pmf


def consistency_histogram(correct: np.ndarray) -> np.ndarray:
    """(n_checkpoints, N + 1): the share of examples that exactly k of the N networks classify
    correctly, k = 0..N (the histogram of Hacohen's consistency, counted rather than binned)."""
    c = np.asarray(correct, dtype=bool)
    right = c.sum(axis=0)
    return np.stack([np.bincount(r, minlength=c.shape[0] + 1) / r.size for r in right])


def class_expected_agreement(correct: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """(n_checkpoints,) the true-positive agreement expected of networks that are independent within
    each class of ``labels`` (n,) but keep their own accuracy on every class: sum_c n_c prod_k a_kc over
    sum_c n_c (1 - prod_k (1 - a_kc)), with a_kc network k's accuracy on class c (Pliushch App. B's
    normalised expected agreement, prod(acc) / (1 - prod(1 - acc)), taken class by class). Shared class
    biases (all networks favouring the same labels) raise it above the plain expectation; TPa above
    it needs examples shared beyond the classes. nan where no network is right on any example."""
    c = np.asarray(correct, dtype=bool)
    onehot = np.eye(n_classes)[np.asarray(labels)]  # (n, K)
    sizes = onehot.sum(0)
    acc = (c.astype(np.float64) @ onehot) / np.maximum(sizes, 1)  # (N, n_checkpoints, K)
    all_right = (sizes * acc.prod(0)).sum(-1)
    any_right = (sizes * (1 - (1 - acc).prod(0))).sum(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(any_right > 0, all_right / any_right, np.nan)


def middle(window: np.ndarray, n_checkpoints: int) -> int:
    """The middle epoch of ``window`` (the lower one of an even count), or the last checkpoint when
    the window is empty: the one epoch a page's histogram shows."""
    w = np.sort(np.asarray(window, dtype=np.int64))
    return int(w[(len(w) - 1) // 2]) if w.size else n_checkpoints - 1


def end_bars(histogram: np.ndarray) -> np.ndarray:
    """(n_checkpoints,) the last bar of a histogram of networks right (k = N) over the share of
    examples some network gets right (1 - the k = 0 bar): true-positive agreement (Pliushch Eq. 2)
    read off :func:`consistency_histogram`, and the normalised expected agreement read off
    :func:`independent_histogram`; nan where no network is right on any example."""
    h = np.asarray(histogram, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(h[..., 0] < 1, h[..., -1] / (1 - h[..., 0]), np.nan)
