"""Hacohen et al. 2020's training recipes (App. B: SGD, lr / 1.8 every 20 epochs) as ensemble
specs built from a notebook's parameters; other chapters that reuse these networks import them
from here by name."""

from __future__ import annotations

from ..runs import DataSpec, EnsembleSpec
from ..train import TrainConfig


def natural_spec(params: dict) -> EnsembleSpec:
    """The spec of h1's st-VGG collection on natural data (Sec. 3) from h1's parameter values
    (``params`` may hold more keys): built exactly as h1 builds it, so it is read from the store."""
    p = params
    train = TrainConfig(
        p["arch"], n_models=p["n_models"], epochs=p["epochs"], width=p["width"], batch_size=p["batch_size"], lr=p["lr"], schedule="hacohen", seed=p["seed"]
    )
    return EnsembleSpec(DataSpec(p["dataset"], n_train=p["n_train"], n_test=p["n_test"], seed=p["seed"]), train)


def random_labels_spec(params: dict) -> EnsembleSpec:
    """The spec of h8's collection on random labels without dropout (Sec. 5, App. B) from h8's
    parameter values, built exactly as h8 builds it so other figures read the same networks."""
    p = params
    classes = tuple(p["classes"]) if p.get("classes") else None
    train = TrainConfig(
        p["arch"],
        n_models=p["n_models"],
        epochs=p["epochs"],
        width=p["width"],
        arch_options=(("dropout", False),),
        batch_size=p["batch_size"],
        lr=p["lr"],
        schedule="hacohen",
        seed=p["seed"],
    )
    return EnsembleSpec(DataSpec(p["dataset"], n_train=p["n_train"], n_test=p["n_test"], classes=classes, random_labels=True, seed=p["seed"]), train)
