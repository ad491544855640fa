"""Pliushch et al. 2022's training recipe (App. A) as an ensemble spec built from a notebook's
parameters."""

from __future__ import annotations

from collections.abc import Callable

from ..hacohen2020.specs import random_labels_spec
from ..runs import DataSpec, EnsembleSpec
from ..train import TrainConfig


def spec(params: dict) -> EnsembleSpec:
    """The App. A recipe (SGD, momentum 0.9, weight decay 5e-4, cosine annealing, batch 128 by default)
    for ``n_repeats`` groups of ``n_models`` networks from a notebook's parameter values. Members are
    independent (seeded by their index), so group r is members r K .. (r + 1) K - 1 and the first group
    is the same networks whether one group or five are trained."""
    p = params
    train = TrainConfig(
        p["arch"],
        n_models=p["n_models"] * p.get("n_repeats", 1),
        epochs=p["epochs"],
        width=p["width"],
        batch_size=p["batch_size"],
        lr=p["lr"],
        momentum=0.9,
        weight_decay=5e-4,
        schedule="cosine",
        seed=p["seed"],
    )
    data = DataSpec(p["dataset"], n_train=p["n_train"], n_test=p["n_test"], random_labels=p.get("random_labels", False), seed=p["seed"])
    return EnsembleSpec(data, train)


def _architectures(p: dict) -> dict[str, EnsembleSpec]:
    """p3's ensembles: one per architecture, then one per batch size of ``batch_arch``."""
    base = {k: p[k] for k in ("dataset", "n_models", "n_train", "n_test", "epochs", "batch_size", "lr", "seed")}
    out = {a: spec({**base, "arch": a, "width": w}) for a, w in p["archs"].items()}
    width = p["archs"].get(p["batch_arch"], 1.0)
    return out | {f"batch {b}": spec({**base, "arch": p["batch_arch"], "width": width, "batch_size": b}) for b in p["batch_sizes"]}


PLANNED: dict[str, Callable[[dict], dict[str, EnsembleSpec]]] = {
    "p1": lambda p: {"repeats": spec(p)},
    "p2": lambda p: {"random labels": random_labels_spec(p["h8"])},
    "p3": _architectures,
    "p4": lambda p: {"repeats": spec(p)},
    "p5": lambda p: {"repeats": spec(p)},
    "p6": lambda p: {},
    "p7": lambda p: {"repeats": spec(p)},
}
"""The ensembles each figure trains or reads, by label, from its parameter values: what
``replicate plan`` prices (p6 trains none: it computes image statistics only)."""
