"""The runs the atlas chapter's figures read, as ensemble specs built from a notebook's parameters:
a1 trains the atlas ensemble; a3 reads h8's random-label networks and h1's natural-data collection
back from the run store."""

from __future__ import annotations

from collections.abc import Callable

from ..baldock2021.specs import RECIPES, milestones
from ..data import HOLDOUT
from ..hacohen2020.specs import natural_spec, random_labels_spec
from ..runs import DataSpec, EnsembleSpec
from ..train import TrainConfig

PLANNED: dict[str, Callable[[dict], dict[str, EnsembleSpec]]] = {
    "a1": lambda p: {"atlas": atlas_spec(p["atlas"])},
    "a4": lambda p: {"atlas": atlas_spec(p["atlas"])},
    "a3": lambda p: {"random labels": random_labels_spec(p["h8"]), "natural": natural_spec(p["natural"])},
}
"""The ensembles each figure trains or reads, by label, from its parameter values: what
``replicate plan`` prices (both of a3's are h8's and h1's, a4's atlas is a1's, each counted once in
the book's total; a4's own torchvision loop is not an ensemble spec and is not priced)."""
PROBED: dict[str, Callable[[dict], dict[str, dict]]] = {
    "a1": lambda p: {"atlas": probe_cost(p["atlas"])},
    "a4": lambda p: {"atlas": probe_cost(p["atlas"])},
}
"""Per figure and ensemble label, the probes that figure runs when they are not every member on
every point (``cost.ensemble``'s probe arguments)."""


# --- The atlas table's ensemble (issue 15, parts 1 and 4: the a1 page and ``replicate scores``) ---

PROBE_K = 30
"""k of the k-NN probes (Baldock A.6.1)."""
SIZES = ("n_models", "epochs", "batch_size", "probe_members", "probe_dim")


def atlas_spec(p: dict) -> EnsembleSpec:
    """The atlas ensemble of a1's ``atlas`` parameter: Baldock's MLP (A.2.3: 7 dense layers, 2,048
    wide at width 1) on one pool of the data set's training and test images
    (``DataSpec(pool=True)``), each member on its own random 90% (``data.holdout_masks``), with
    Baldock's Table 1 MLP recipe (SGD, lr 0.04, momentum 0.5, lr / 5 after 80% of training), keeping
    per-epoch margins (AUM, data maps, EL2N) and weights (probes). The sizes and their arithmetic
    are a1's parameters (``notebooks/atlas/a1_atlas.md`` and its ``params`` files)."""
    for name in SIZES:
        if not isinstance(p.get(name), int) or p[name] < 1:
            raise ValueError(f"atlas.{name}={p.get(name)!r} must be a whole number >= 1")
    if p["probe_members"] > p["n_models"]:
        raise ValueError(f"atlas.probe_members={p['probe_members']} must be at most atlas.n_models={p['n_models']}")
    recipe = RECIPES["mlp"]
    train = TrainConfig(
        "mlp",
        n_models=p["n_models"],
        epochs=p["epochs"],
        width=p["width"],
        arch_options=(("depth", 7), ("hidden", 2048)),
        batch_size=p["batch_size"],
        lr=recipe["lr"],
        momentum=recipe["momentum"],
        schedule="step",
        milestones=milestones(recipe["steps"], p["epochs"]),
        keep_weights=True,
        keep_margins=True,
    )
    data = DataSpec(p["dataset"], n_train=p["n_train"], n_test=p["n_test"], split="holdout", pool=True, seed=p["seed"])
    return EnsembleSpec(data, train)


def probe_cost(p: dict) -> dict:
    """What the atlas's sampled probes cost, as ``cost.ensemble``'s probe arguments: ``probe_members``
    members, each querying its held-out tenth of the pool and as many training points
    (``table.probe_queries``)."""
    return {"probe_dim": p["probe_dim"], "probed": p["probe_members"], "queried": 2 * (1 - HOLDOUT)}
