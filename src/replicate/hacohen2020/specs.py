"""Hacohen et al. 2020's training recipes (App. B: SGD, lr / 1.8 every 20 epochs) as ensemble
specs built from a notebook's parameters; other chapters that reuse these networks import them
from here by name."""

from __future__ import annotations

from collections.abc import Callable

from ..runs import DataSpec, EnsembleSpec
from ..train import TrainConfig


def collection(
    dataset: str,
    arch: str,
    n_models: int,
    epochs: int,
    width: float,
    batch_size: int,
    lr: float,
    seed: int,
    n_train: int | None = None,
    n_test: int | None = None,
    schedule: str = "hacohen",
    momentum: float = 0.0,
    arch_options: tuple = (),
    data_seed: int | None = None,
    **data: object,
) -> EnsembleSpec:
    """A collection of ``n_models`` networks trained with App. B's recipe (SGD, the learning rate
    divided by 1.8 every 20 epochs; ``schedule="constant"`` keeps it fixed; App. B's SGD is plain,
    ``momentum`` > 0 is the laptop's shortcut to fitting the training set). The data view is
    seeded by ``data_seed`` (default: ``seed``), so two collections can differ in their networks'
    seed only; ``data`` holds any other :class:`DataSpec` field (``classes``, ``split``, ``ood``,
    ``random_labels``, ...)."""
    train = TrainConfig(
        arch,
        n_models=n_models,
        epochs=epochs,
        width=width,
        arch_options=arch_options,
        batch_size=batch_size,
        lr=lr,
        momentum=momentum,
        schedule=schedule,
        seed=seed,
    )
    data_view = DataSpec(dataset, n_train=n_train, n_test=n_test, seed=seed if data_seed is None else data_seed, **data)
    return EnsembleSpec(data_view, train)


_RUN = ("dataset", "arch", "n_models", "epochs", "width", "batch_size", "lr", "momentum", "seed", "n_train", "n_test")


def natural_spec(params: dict) -> EnsembleSpec:
    """h1's collection on natural data (Sec. 3) from h1's parameter values (``params`` may hold more
    keys): the same spec h1 builds, so other figures read h1's networks from the store."""
    return collection(**{k: params[k] for k in _RUN})


def random_labels_spec(params: dict) -> EnsembleSpec:
    """h8's collection on random labels, without dropout (Sec. 5, App. B), from h8's parameter
    values: the same spec h8 builds, so other figures read h8's networks from the store."""
    classes = tuple(params["classes"]) if params.get("classes") else None
    return collection(**{k: params[k] for k in _RUN}, arch_options=(("dropout", False),), classes=classes, random_labels=True)


def _run(p: dict, **changes: object) -> EnsembleSpec:
    """The collection of a figure's own run parameters, with ``changes`` to its arguments."""
    return collection(**{**{k: p[k] for k in _RUN if k not in changes}, **changes})


PLANNED: dict[str, Callable[[dict], dict[str, EnsembleSpec]]] = {
    "h1": lambda p: {"collection": natural_spec(p)},
    "h2": lambda p: {"collection": natural_spec(p)},
    "h3": lambda p: {
        "partitioned": _run(p, n_train=p["n_models"] * p["part_size"], split="partition", eval_train=False),
    },
    "h4": lambda p: {"five classes": _run(p, classes=tuple(p["classes"]), ood=("noise", "unseen"), eval_train=False)},
    "h5": lambda p: {
        "A": natural_spec(p),
        "A, other seed": _run(p, seed=p["seed_a2"], data_seed=p["seed"]),
        "B": _run(p, arch=p["arch_b"], n_models=p["n_models_b"], width=p["width_b"], lr=p["lr_b"]),
    },
    "h6": lambda p: {
        "non-linear": natural_spec(p),
        "linear": _run(p, arch_options=(("linear", True),)),
        "reference": _run(p, seed=p["seed_reference"], data_seed=p["seed"]),
    },
    "h7": lambda p: {"gabor": natural_spec(p), "natural": natural_spec(p["natural"])},
    "h8": lambda p: {"random labels": random_labels_spec(p), "natural": natural_spec(p["natural"])},
    "h9": lambda p: {"gaussians": _run(p, schedule="constant"), "natural": natural_spec(p["natural"])},
    "h10": lambda p: {"collection": natural_spec(p)},
    "h11": lambda p: {"collection": natural_spec(p)},
}
"""The ensembles each figure trains or reads, by label, from its parameter values: what
``replicate plan`` prices (and what the smoke run must have stored, checked by scripts/test.sh)."""
