"""Baldock et al. 2021's training recipes: Table 1 per architecture, and Table 3's runs of the
output-margin intervention, as ensemble specs built from a notebook's parameters."""

from __future__ import annotations

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
