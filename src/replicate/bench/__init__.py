"""Benchmarks that print ratios measured in one run: ours against a baseline on the same
inputs, with the one-line summary last. ``replicate bench <what>`` runs ``bench.<what>.main``.
"""

from __future__ import annotations

import pkgutil
import time

import torch

BENCHES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__)))


def compare_entries(bench: str, title: str, rows: list[tuple[str, float]], a, b, ratio_name: str, ratio: float) -> dict:
    """Print a timed pair of runs that must give the same run-store entry (``a``, ``b``): the
    title, each row's seconds, whether the entries are identical array for array, and the summary
    line ``bench <bench>: <ratio_name>=<ratio>`` last."""
    import numpy as np

    same = a.arrays.keys() == b.arrays.keys() and all(np.array_equal(a.arrays[k], v) for k, v in b.arrays.items())
    print(title)
    for label, seconds in rows:
        print(f"{label + ':':<30}{seconds:7.1f} s")
    print(f"the two entries are {'identical' if same else 'DIFFERENT'}, array for array")
    print(f"bench {bench}: {ratio_name}={ratio:.2f}")
    return {ratio_name: ratio, "identical": same}


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
