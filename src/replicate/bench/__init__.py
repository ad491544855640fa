"""Benchmarks that print ratios measured in one run: ours against a baseline on the same
inputs, with the one-line summary last. ``replicate bench <what>`` runs ``bench.<what>.main``.
"""

from __future__ import annotations

import pkgutil
import time

import torch

BENCHES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__)))


def matmul_peak(seconds: float = 2.0) -> float:
    """Best float32 matmul rate (FLOP/s) over a few square sizes on this machine."""
    best = 0.0
    for n in (1024, 2048, 3072):
        a, b = torch.randn(n, n), torch.randn(n, n)
        a @ b
        reps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 3:
            a @ b
            reps += 1
        best = max(best, 2 * n**3 * reps / (time.perf_counter() - start))
    return best
