"""The runs the atlas chapter's figures read, as ensemble specs built from a notebook's parameters:
a3 reads h8's random-label networks and h1's natural-data collection back from the run store."""

from __future__ import annotations

from collections.abc import Callable

from ..baldock2021.specs import RECIPES, milestones
from ..hacohen2020.specs import natural_spec, random_labels_spec
from ..runs import DataSpec, EnsembleSpec
from ..train import TrainConfig

PLANNED: dict[str, Callable[[dict], dict[str, EnsembleSpec]]] = {
    "a3": lambda p: {"random labels": random_labels_spec(p["h8"]), "natural": natural_spec(p["natural"])},
}
"""The ensembles each figure trains or reads, by label, from its parameter values: what
``replicate plan`` prices (both of a3's are h8's and h1's, counted once in the book's total)."""


# --- The atlas table's ensemble (issue 15, parts 1 and 4: ``replicate scores``) ---

ATLAS: dict[str, dict] = {
    "smoke": {"n_train": 300, "n_test": 100, "n_models": 3, "epochs": 2, "width": 1 / 16, "batch_size": 64, "probe_members": 3},
    "laptop": {"n_train": None, "n_test": None, "n_models": 16, "epochs": 8, "width": 1 / 16, "batch_size": 128, "probe_members": 4},
}
"""The atlas ensemble per scale: Baldock's MLP (A.2.3: 7 dense layers, 2,048 wide at width 1) on one
pool of the data set's training and test images (``DataSpec(pool=True)``), each member on its own
random 90% (``data.holdout_masks``), Baldock's Table 1 MLP recipe (SGD, lr 0.04, momentum 0.5, lr / 5
after 80% of training), keeping per-epoch margins (AUM, data maps, EL2N) and weights (probes); the
first ``probe_members`` members are probed (``atlas.table.sampled_probes``) with k = 30 nearest
neighbours in at most PROBE_DIM dims, on their held-out points and as many of their training points.

Laptop sizes by arithmetic, for about 10 minutes on this 2-core machine:

- one forward pass at width 1/16 (7 x 128): 2 (784 x 128 + 6 x 128^2 + 128 x 10) = 4.0e5 FLOP;
- training: 16 members x (8 epochs x 3 x 63,000 training + 9 x 70,000 evaluated) x 4.0e5 = 1.4e13
  FLOP (``cost.ensemble``): 4-6 minutes at 40-60 GFLOP/s, 2 at the 120-135 GFLOP/s the chapter's
  20 MLPs of width 1/8 reached here (4.4e12 FLOP in 33-37 s); width 1/8 would triple it;
- probes: 10 probe points (input, 7 dense layers, logits, softmax), 8 projected to 32 dims. Exact
  k-NN over 63,000 training points is bound by the top-30 selection, not the 2 x 32 FLOP of a
  distance: 7,000 queries took 4.5 s at 32 dims and 1.6 s at 10 (``metrics.knn_predict``, faiss, 2
  threads, measured once). The whole pool would take 10 x (8 x 4.5 + 2 x 1.6) = 390 s a member; the
  7,000 held-out and 7,000 drawn training points take 78 s, so 4 members about 5 minutes.

A point is held out by at least one of the 4 probed members with probability 1 - 0.9^4 = 34%, and
drawn on the training side about as often: each prediction-depth column covers about a third of the
pool at laptop scale (every point is held out by some of Baldock's 250 members); the ensemble's
held-out-side scores cover 1 - 0.9^16 = 81%. Smoke: 400 images, 3 members, 2 epochs."""

PROBE_K = 30
PROBE_DIM = 32
"""k of the k-NN probes (Baldock A.6.1) and the dimension wider probe points are projected to."""


def atlas_spec(scale: str, dataset: str = "fashion_mnist") -> EnsembleSpec:
    """The atlas ensemble of ``dataset`` at ``scale`` (:data:`ATLAS`)."""
    if scale not in ATLAS:
        raise ValueError(f"scale={scale!r} has no atlas ensemble; choose one of: {', '.join(ATLAS)}")
    p = ATLAS[scale]
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
    return EnsembleSpec(DataSpec(dataset, n_train=p["n_train"], n_test=p["n_test"], split="holdout", pool=True), train)
