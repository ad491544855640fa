"""Hacohen et al. 2020's training recipes (App. B: SGD, lr / 1.8 every 20 epochs) as ensemble
specs built from a notebook's parameters; other chapters that reuse these networks import them
from here by name."""

from __future__ import annotations

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
    arch_options: tuple = (),
    data_seed: int | None = None,
    **data: object,
) -> EnsembleSpec:
    """A collection of ``n_models`` networks trained with App. B's recipe (plain SGD, the learning
    rate divided by 1.8 every 20 epochs; ``schedule="constant"`` keeps it fixed). The data view is
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
        schedule=schedule,
        seed=seed,
    )
    data_view = DataSpec(dataset, n_train=n_train, n_test=n_test, seed=seed if data_seed is None else data_seed, **data)
    return EnsembleSpec(data_view, train)


_RUN = ("dataset", "arch", "n_models", "epochs", "width", "batch_size", "lr", "seed", "n_train", "n_test")


def natural_spec(params: dict) -> EnsembleSpec:
    """h1's collection on natural data (Sec. 3) from h1's parameter values (``params`` may hold more
    keys): the same spec h1 builds, so other figures read h1's networks from the store."""
    return collection(**{k: params[k] for k in _RUN})


def random_labels_spec(params: dict) -> EnsembleSpec:
    """h8's collection on random labels, without dropout (Sec. 5, App. B), from h8's parameter
    values: the same spec h8 builds, so other figures read h8's networks from the store."""
    classes = tuple(params["classes"]) if params.get("classes") else None
    return collection(**{k: params[k] for k in _RUN}, arch_options=(("dropout", False),), classes=classes, random_labels=True)
