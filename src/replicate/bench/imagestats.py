"""``replicate bench imagestats``: our local entropy and DCT fraction against straightforward
per-image reimplementations of the authors' approach (a Python loop over windows; adding one
coefficient at a time, recomputing the norm as MATLAB's example does, and with a running sum),
on the same Fashion-MNIST training images, one process each; then ``all_stats`` over the whole
Fashion-MNIST training set on all cores (Pliushch et al. 2022, App. D).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np
from scipy.fft import dctn

from .. import data, imagestats
from ..runs import images


def entropy_loop(img: np.ndarray, window: int = imagestats.WINDOW) -> float:
    """Baseline: mean over every window inside the image of the entropy (bits) of its distinct grey values."""
    g = imagestats.grey(img)
    h, w = g.shape
    entropies = []
    for i in range(h - window + 1):
        for j in range(w - window + 1):
            counts = np.unique(g[i : i + window, j : j + window], return_counts=True)[1]
            p = counts / counts.sum()
            entropies.append(-(p * np.log2(p)).sum())
    return float(np.mean(entropies))


def dct_loop(img: np.ndarray, energy: float = imagestats.ENERGY) -> float:
    """Baseline: the loop of MATLAB's ``dct`` documentation example (R2021a), which uses the same 99.98% on an
    image: take one more of the largest coefficients until the norm of those taken, over the norm of all, reaches `energy`."""
    coef = dctn(imagestats.grey(img).astype(np.float64), norm="ortho").ravel()
    ranked = coef[np.argsort(-np.abs(coef))]
    total = np.linalg.norm(coef)
    c = 1
    while np.linalg.norm(ranked[:c]) / total < energy:
        c += 1
    return c / coef.size


def dct_running_sum(img: np.ndarray, energy: float = imagestats.ENERGY) -> float:
    """A faster baseline: the same loop keeping a running sum of squares instead of recomputing the norm."""
    coef = dctn(imagestats.grey(img).astype(np.float64), norm="ortho").ravel()
    squares = np.sort(coef * coef)[::-1]
    target = energy * np.linalg.norm(coef)
    c, acc = 1, squares[0]
    while np.sqrt(acc) < target:
        acc += squares[c]
        c += 1
    return c / coef.size


def _best(fn: Callable[[], np.ndarray], repeats: int) -> tuple[float, np.ndarray]:
    """Fastest of `repeats` runs (seconds) and the result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), np.asarray(out)


def _compare(x: np.ndarray, repeats: int) -> dict:
    rows = {}
    for name, ours, loop in (
        ("local_entropy", imagestats.local_entropy, entropy_loop),
        ("dct_fraction", imagestats.dct_fraction, dct_loop),
        ("dct_fraction/running_sum", imagestats.dct_fraction, dct_running_sum),
    ):
        t_loop, v_loop = _best(lambda loop=loop: [loop(im) for im in x], repeats)
        t_ours, v_ours = _best(lambda ours=ours: ours(x, workers=1), repeats)
        diff = float(np.abs(v_loop - v_ours).max())
        assert diff < 1e-9, f"{name}: ours and the baseline differ by {diff}"
        rows[name] = {"loop_s": t_loop, "ours_s": t_ours, "speedup": t_loop / t_ours, "max_diff": diff}
    return rows


def main(quick: bool = False) -> dict:
    """Time the comparisons and the whole training set; print a table and the one-line summary, last."""
    train = data.load("fashion_mnist", "train")
    x = images(train)
    n_compare, n_all = (min(n, len(train)) for n in ((100, 6000) if quick else (500, len(train))))
    rows = _compare(x[:n_compare], repeats=1 if quick else 3)
    start = time.perf_counter()
    stats = imagestats.all_stats(x[:n_all])
    seconds = time.perf_counter() - start
    print(f"{n_compare} Fashion-MNIST training images, one process, best of {1 if quick else 3}:")
    print(f"{'statistic/baseline':<26}{'loop s':>10}{'ours s':>10}{'speedup':>10}{'max |diff|':>12}")
    for name, r in rows.items():
        print(f"{name:<26}{r['loop_s']:>10.3f}{r['ours_s']:>10.4f}{r['speedup']:>10.1f}{r['max_diff']:>12.1e}")
    print(
        f"all_stats on {n_all} images ({os.cpu_count()} cores): {seconds:.2f} s, "
        + ", ".join(f"{k} mean {v.mean():.4g}" for k, v in stats.items())
    )
    print(
        f"bench imagestats: entropy_speedup={rows['local_entropy']['speedup']:.2f} "
        f"dct_speedup={rows['dct_fraction']['speedup']:.2f} fmnist_train_seconds={seconds:.2f}"
    )
    return {**rows, "fmnist_train_seconds": seconds, "n_all": n_all}
