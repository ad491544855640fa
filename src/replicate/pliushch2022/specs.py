"""Pliushch et al. 2022's training recipe (App. A) as an ensemble spec built from a notebook's
parameters."""

from __future__ import annotations

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
