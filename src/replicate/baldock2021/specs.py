"""Baldock et al. 2021's training recipes: Table 1 per architecture, and Table 3's runs of the
output-margin intervention, as ensemble specs built from a notebook's parameters."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..runs import DataSpec, EnsembleSpec
from ..train import TrainConfig

RECIPES = {
    "resnet18": {"lr": 1e-2, "momentum": 0.95, "steps": (4000, 3000)},
    "vgg16": {"lr": 1e-2, "momentum": 0.95, "steps": (3000, 6000, 1000)},
    "mlp": {"lr": 4e-2, "momentum": 0.5, "steps": (10000, 2500)},
}
"""Table 1 (Fashion-MNIST): SGD learning rate and momentum, and the steps spent at each learning
rate (divided by 5 at every change); we keep the fractions of training, not the step counts."""


_LAPTOP = {"dataset": "fashion_mnist", "width": 0.125, "n_train": 3000, "n_test": 1000, "seed": 0}
_SMOKE = {"dataset": "fashion_mnist", "n_models": 4, "n_train": 300, "n_test": 100, "epochs": 2, "batch_size": 64, "seed": 0}
_PAPER = {"dataset": "fashion_mnist", "width": 1.0, "n_models": 250, "n_train": None, "n_test": None, "batch_size": 256, "seed": 0}

SHARED_RUNS: dict[str, dict[str, dict]] = {
    "laptop": {
        "mlp": {**_LAPTOP, "arch": "mlp", "n_models": 20, "epochs": 15, "batch_size": 128},
        "mlp_noisy": {**_LAPTOP, "arch": "mlp", "n_models": 20, "epochs": 15, "batch_size": 128, "label_noise": 0.4},
        "vgg": {**_LAPTOP, "arch": "vgg16", "n_models": 16, "epochs": 26, "batch_size": 32},
        "vgg_full": {**_LAPTOP, "arch": "vgg16", "n_models": 8, "epochs": 26, "batch_size": 32, "split": "same"},
        "resnet": {**_LAPTOP, "arch": "resnet18", "n_models": 8, "epochs": 12, "batch_size": 128},
    },
    "smoke": {
        "mlp": {**_SMOKE, "arch": "mlp", "width": 0.125},
        "mlp_noisy": {**_SMOKE, "arch": "mlp", "width": 0.125, "label_noise": 0.4},
        "vgg": {**_SMOKE, "arch": "mlp", "width": 0.0625},
        "vgg_full": {**_SMOKE, "arch": "mlp", "width": 0.0625, "n_models": 2, "split": "same"},
        "resnet": {**_SMOKE, "arch": "lenet5", "width": 0.5},
    },
    "paper": {
        "mlp": {**_PAPER, "arch": "mlp", "epochs": 59},
        "mlp_noisy": {**_PAPER, "arch": "mlp", "epochs": 59, "label_noise": 0.4},
        "vgg": {**_PAPER, "arch": "vgg16", "epochs": 47},
        "vgg_full": {**_PAPER, "arch": "vgg16", "n_models": 25, "epochs": 43, "split": "same"},
        "resnet": {**_PAPER, "arch": "resnet18", "epochs": 33},
    },
}
"""The chapter's shared ensembles, declared once per scale; figures read them through
:func:`shared`, so two figures naming one run read one store entry.

- laptop: 20 MLPs (with and without 40% noisy labels) and 8 ResNet18s, each on its own random 90%
  of a 3,000-image pool, 16 VGG16s likewise and 8 on the whole pool, all at 1/8 width; VGG16s
  train at batch 32 for 26 epochs (about 2,200 SGD steps, see the chapter page).
- smoke (CI): stand-ins that run in seconds (MLPs for MLP and VGG16, a LeNet5 for ResNet18).
- paper (for a GPU): 250 full-width members on the full Fashion-MNIST (25 VGG16s on all of it),
  Table 1's steps at batch 256 as epochs (MLP 12,500 steps -> 59 epochs, VGG16 10,000 -> 47 on
  54,000 images and 43 on 60,000, ResNet18 7,000 -> 33)."""


KNOBS = (
    *("dataset", "arch", "width", "n_models", "n_train", "n_test", "epochs", "batch_size", "seed"),
    *("lr", "momentum", "phases", "loss", "split", "classes", "label_noise"),
)
"""What :func:`spec` reads from a run's parameters: the keys a shared run's changes may set."""


def shared(name: str, scale: str, changes: dict | None = None) -> dict:
    """The parameters of the shared run ``name`` at ``scale``, with a figure's ``changes`` (e.g.
    ``{"epochs": 30}``) laid over them."""
    if scale not in SHARED_RUNS:
        raise ValueError(f"scale={scale!r} is not allowed; choose one of: {', '.join(SHARED_RUNS)}")
    runs = SHARED_RUNS[scale]
    if name not in runs:
        raise ValueError(f"{name!r} is not a shared run; choose one of: {', '.join(runs)}")
    unknown = sorted(set(changes or {}) - set(KNOBS))
    if unknown:
        raise ValueError(f"{name}.{unknown[0]} is not a knob of a shared run; the knobs: {', '.join(KNOBS)}")
    return {**runs[name], **(changes or {})}


def milestones(steps, epochs: int) -> tuple[float, ...]:
    """Learning-rate drops, as epochs of a run of ``epochs`` epochs, for phases of relative
    lengths ``steps`` (Table 1 / Table 3: steps spent at each learning rate)."""
    steps = np.asarray(steps, dtype=np.float64)
    return tuple(float(round(f * epochs, 2)) for f in np.cumsum(steps)[:-1] / steps.sum())


def spec(params: dict) -> EnsembleSpec:
    """The ensemble of a notebook's parameters: Table 1's recipe for the architecture (``lr``,
    ``momentum`` and ``phases``, the relative lengths of the learning-rate phases, override it;
    ``loss`` too), each member on its own random 90% (``split="holdout"``) unless ``split`` says
    otherwise, weights kept for the probes."""
    p = params
    arch = p["arch"]
    recipe = RECIPES.get(arch, {"lr": 1e-2, "momentum": 0.9, "steps": (1,)})
    options = (("depth", 7), ("hidden", 2048)) if arch == "mlp" else ()
    train = TrainConfig(
        arch,
        n_models=p["n_models"],
        epochs=p["epochs"],
        width=p["width"],
        arch_options=options,
        batch_size=p["batch_size"],
        lr=recipe["lr"] if p.get("lr") is None else p["lr"],
        momentum=recipe["momentum"] if p.get("momentum") is None else p["momentum"],
        schedule="step",
        milestones=milestones(p.get("phases") or recipe["steps"], p["epochs"]),
        loss=p.get("loss", "ce"),
        seed=p["seed"],
        keep_weights=True,
    )
    data = DataSpec(
        p["dataset"],
        n_train=p["n_train"],
        n_test=p["n_test"],
        classes=tuple(p["classes"]) if p.get("classes") else None,
        label_noise=p.get("label_noise", 0.0),
        split=p.get("split", "holdout"),
        seed=p["seed"],
    )
    return EnsembleSpec(data, train)


TABLE3 = {
    "CE, SGD": {"loss": "ce", "batch_size": 256, "lr": 4e-3, "momentum": 0.9, "phases": [3200]},
    "CE, GD": {"loss": "ce", "batch_size": None, "lr": 6.4e-6, "momentum": 0.9, "phases": [1_200_000]},
    "0-Hinge, SGD": {"loss": "hinge0", "batch_size": 256, "lr": 4e-2, "momentum": 0.9, "phases": [5000, 2500]},
    "0-Hinge, GD": {"loss": "hinge0", "batch_size": None, "lr": 6.4e-5, "momentum": 0.95, "phases": [800_000]},
}
"""App. A.7, Table 3 (VGG16, CIFAR-10 horse vs deer, 4,096 images): loss, batch size (None: the
full batch of 4,096), initial learning rate, steps spent at each learning rate (divided by 5 at
every change) and momentum of the four runs of the output-margin intervention."""


def intervention_spec(params: dict) -> EnsembleSpec:
    """One run of the output-margin intervention (Sec. 3.3, App. A.7): every member on the whole
    (two-class) training set, with ``loss``, ``batch_size`` (None: full-batch gradient descent),
    ``lr``, ``momentum``, ``epochs`` (for gradient descent one epoch is one step) and ``phases``,
    Table 3's relative lengths of the learning-rate phases (lr / 5 at each change). ``lr=0``
    leaves the members at their initialisation: the untrained networks of Fig. A.12, identical
    to the first weights of every other run with the same seed and architecture."""
    return spec({**params, "split": "same"})


def _shared_runs(p: dict) -> dict[str, EnsembleSpec]:
    """The chapter's shared runs that a figure names among its parameters, at its scale, with its changes."""
    scale = p.get("scale", "laptop")
    return {name: spec(shared(name, scale, p[name])) for name in SHARED_RUNS[scale] if isinstance(p.get(name), dict)}


def _margins(p: dict) -> dict[str, EnsembleSpec]:
    """b6's ensembles: the shared runs it names and one intervention run per setting (untrained included)."""
    settings = {"untrained": p["untrained"], **p["configs"]}
    return _shared_runs(p) | {name: intervention_spec({**p["intervention"], **c}) for name, c in settings.items()}


PLANNED: dict[str, Callable[[dict], dict[str, EnsembleSpec]]] = {
    **{f"b{i}": _shared_runs for i in (1, 2, 3, 4, 5, 7, 8, 9)},
    "b6": _margins,
}
"""The ensembles each figure trains or reads, by label, from its parameter values: what
``replicate plan`` prices. Every one keeps its weights for the k-NN probes."""
