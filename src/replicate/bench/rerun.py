"""``replicate bench rerun``: a rerun of h1 with more networks, ``-p n_models 12`` after the book's 10,
grown from the stored 10 (two networks train) against training all 12 from scratch, in one run.

The 10-network ensemble is read from the project's run store when the book has trained it (else
trained first, untimed); both timed runs use throw-away stores, the grown one holding a copy of
the 10-network entry. ``--quick``: h1 at smoke size, 3 networks grown to 4.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from .. import bench, runs
from ..book import pipeline
from ..hacohen2020 import specs
from ..store import Store
from ..train import default_device


def h1_spec(scale: str) -> runs.EnsembleSpec:
    """h1's collection at ``scale`` (its notebook's parameters, with the scale's file laid over)."""
    path = pipeline.find("hacohen2020/h1")
    p = pipeline.resolved(path, scale)
    return specs.collection(
        p["dataset"], p["arch"], p["n_models"], p["epochs"], p["width"], p["batch_size"], p["lr"], p["seed"], p["n_train"], p["n_test"]
    )


def main(quick: bool = False) -> dict:
    """Time growing h1's ensemble by two networks (one with --quick) against training it whole."""
    base = h1_spec("smoke" if quick else "laptop")
    more = replace(base, train=replace(base.train, n_models=base.train.n_models + (1 if quick else 2)))
    dev = default_device()
    with tempfile.TemporaryDirectory() as tmp:
        grown_store, fresh_store = Store(Path(tmp) / "grown"), Store(Path(tmp) / "fresh")
        if quick:
            runs.ensemble(base, grown_store, progress=False)  # untimed
        else:
            runs.ensemble(base, progress=False)  # the book's store: read, or trained once (untimed)
            shutil.copytree(Store().path("ensemble", base.key(dev)), grown_store.path("ensemble", base.key(dev)))
        start = time.perf_counter()
        grown = runs.ensemble(more, grown_store, progress=False)
        t_grow = time.perf_counter() - start
        start = time.perf_counter()
        fresh = runs.ensemble(more, fresh_store, progress=False)
        t_fresh = time.perf_counter() - start
    n0, n1 = base.train.n_models, more.train.n_models
    return bench.compare_entries(
        "rerun",
        f"h1: {n0} stored {base.train.arch}s grown to {n1} vs {n1} trained from scratch ({base.train.epochs} epochs each)",
        [(f"grow ({n1 - n0} networks train)", t_grow), (f"from scratch ({n1} networks)", t_fresh)],
        grown,
        fresh,
        "grow_speedup",
        t_fresh / t_grow,
    )
