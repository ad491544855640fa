"""``replicate bench scale``: one ensemble trained on a local Ray cluster of one worker against two
workers (one thread each, :mod:`replicate.cluster`), with a check that both entries are identical.

The ensemble: 8 small st-VGGs (width 0.25) on 2,000 Fashion-MNIST images for 2 epochs (``--quick``:
4 networks, 500 images, 1 epoch). Ray starts, and its workers warm up, before the clock starts.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from .. import bench, cluster, runs
from ..store import Store
from ..train import TrainConfig


def _warm() -> None:
    import replicate.runs  # noqa: F401  (torch and the engine, imported once per worker)


def _timed(spec: runs.EnsembleSpec, workers: int, root: Path) -> tuple[float, runs.Record]:
    import ray

    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    try:
        ray.get([ray.remote(num_cpus=1)(_warm).remote() for _ in range(workers)])  # workers up, torch imported
        start = time.perf_counter()
        record = runs.ensemble(spec, Store(root), progress=False)
        return time.perf_counter() - start, record
    finally:
        ray.shutdown()


def main(quick: bool = False) -> dict:
    """Time the ensemble on one worker and on two, print the table and the summary line."""
    n_models, n_train, epochs = (4, 500, 1) if quick else (8, 2000, 2)
    spec = runs.EnsembleSpec(
        runs.DataSpec(n_train=n_train, n_test=500), TrainConfig("small_stvgg", n_models, epochs, width=0.25, batch_size=100)
    )
    before = os.environ.get(cluster.ENV)
    os.environ[cluster.ENV] = "local"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t1, one = _timed(spec, 1, Path(tmp) / "one")
            t2, two = _timed(spec, 2, Path(tmp) / "two")
    finally:
        if before is None:
            os.environ.pop(cluster.ENV, None)
        else:
            os.environ[cluster.ENV] = before
    return bench.compare_entries(
        "scale",
        f"{n_models} x small_stvgg (width 0.25), {n_train} images, {epochs} epoch(s), on a local Ray cluster",
        [("one worker", t1), ("two workers", t2)],
        one,
        two,
        "two_worker_speedup",
        t1 / t2,
    )
