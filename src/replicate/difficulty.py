"""Example difficulty over a 90:10 ensemble (Baldock, Maennel, Neyshabur 2021, Sec. 2-4, App. A).

Each member trains on its own random 90% of the training pool; a point is *validation* for the
members that held it out and *train* for the others. Per-member arrays are (M, n) over the pool,
and ``use`` (M, n) bool says which members count for which point. Prediction depth is -1 where
the softmax probe disagrees with the network (A.6.1); such entries never count.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .probes import Probes
from .runs import DataSpec, EnsembleSpec
from .train import TrainConfig

RECIPES = {
    "resnet18": {"lr": 1e-2, "momentum": 0.95, "steps": (4000, 3000)},
    "vgg16": {"lr": 1e-2, "momentum": 0.95, "steps": (3000, 6000, 1000)},
    "mlp": {"lr": 4e-2, "momentum": 0.5, "steps": (10000, 2500)},
}
"""Table 1 (Fashion-MNIST): SGD learning rate and momentum, and the steps spent at each learning
rate (divided by 5 at every change); we keep the fractions of training, not the step counts."""

WHERE = ("val", "train", "test")
CORNERS = ("easy", "looks like another class", "ambiguous unless labelled", "ambiguous")


def milestones(arch: str, epochs: int) -> tuple[float, ...]:
    """Table 1's learning-rate drops of ``arch`` as epochs of a run of ``epochs`` epochs."""
    steps = np.asarray(RECIPES[arch]["steps"], dtype=np.float64)
    return tuple(float(round(f * epochs, 2)) for f in np.cumsum(steps)[:-1] / steps.sum())


def spec(params: dict) -> EnsembleSpec:
    """The ensemble of a notebook's parameters: Table 1's recipe for the architecture (``lr`` and
    ``momentum`` override it), each member on its own random 90% (``split="holdout"``) unless
    ``split`` says otherwise, weights kept for the probes."""
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
        lr=p.get("lr") or recipe["lr"],
        momentum=p.get("momentum") or recipe["momentum"],
        schedule="step",
        milestones=milestones(arch, p["epochs"]) if arch in RECIPES else (),
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


def use(probes: Probes, where: str) -> np.ndarray:
    """bool (M, n): which members count for which point: ``val`` held it out, ``train`` trained on
    it, ``test`` is every member (no member trains on the test set)."""
    if where not in WHERE:
        raise ValueError(f"where={where!r} is not allowed; choose one of: {', '.join(WHERE)}")
    if where == "test":
        return np.ones(probes.depth("test").shape, bool)
    return ~probes.masks if where == "val" else probes.masks.copy()


def split_of(where: str) -> str:
    """The probe split holding ``where``'s points: the pool's for val and train."""
    return "test" if where == "test" else "train"


def depths(probes: Probes, where: str) -> np.ndarray:
    """int (M, n) prediction depth, -1 where the member does not count or has no depth."""
    d = probes.depth(split_of(where)).astype(np.int64)
    return np.where(use(probes, where), d, -1)


def member_mean(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """(n,) mean of ``values`` (M, n) over the members where ``counts`` (M, n) is True; nan where none."""
    counts = np.asarray(counts, bool)
    n = counts.sum(0)
    total = np.where(counts, values, 0).sum(0)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def mean_depth(probes: Probes, where: str) -> np.ndarray:
    """(n,) mean prediction depth of each point over the members where it is ``where``."""
    d = depths(probes, where)
    return member_mean(d, d >= 0)


def votes(preds: np.ndarray, counts: np.ndarray, n_classes: int) -> np.ndarray:
    """(n, n_classes) how many counting members predict each class for each point."""
    onehot = np.eye(n_classes, dtype=np.int64)[preds]
    return (onehot * counts[..., None]).sum(0)


def consensus(preds: np.ndarray, labels: np.ndarray, counts: np.ndarray, n_classes: int) -> dict[str, np.ndarray]:
    """Per point over the counting members: consistency (fraction predicting the label, Eq. 1), the
    consensus class (majority; a tie goes to the label if it is tied, else to the lowest class,
    A.6.2), consensus-consistency (Eq. 2, same ensemble, A.6.3), the entropy of the votes (nats,
    C.2) and the number of members; nan where no member counts."""
    v = votes(preds, counts, n_classes).astype(np.float64)
    n = v.sum(1)
    top = v.max(1, keepdims=True)
    tied = v == top
    label_tied = tied[np.arange(len(labels)), labels]
    cls = np.where(label_tied, labels, tied.argmax(1))
    safe = np.maximum(n, 1)[:, None]
    p = v / safe
    none = n == 0
    return {
        "consistency": np.where(none, np.nan, v[np.arange(len(labels)), labels] / safe[:, 0]),
        "consensus_class": cls,
        "consensus_consistency": np.where(none, np.nan, top[:, 0] / safe[:, 0]),
        "entropy": np.where(none, np.nan, -(p * np.log(np.where(p > 0, p, 1))).sum(1)),
        "n_members": n.astype(np.int64),
    }


def by_depth(depth: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pooled over (member, point) pairs with a depth (>= 0): the depths present, the mean of
    ``values`` at each, and the fraction of pairs at each (the papers' marker sizes)."""
    ok = depth >= 0
    d, v = depth[ok], np.asarray(values, dtype=np.float64)[ok]
    levels, inverse, count = np.unique(d, return_inverse=True, return_counts=True)
    means = np.bincount(inverse, weights=v) / count
    return levels, means, count / count.sum()


def binned(x: np.ndarray, y: np.ndarray, edges: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
    """Per bin of ``x``, the centre and the ``q``-th percentile of ``y`` (bins with fewer than 10
    points are dropped); nan in either is skipped."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    idx = np.digitize(x, edges[1:-1])
    centres, values = [], []
    for b in range(len(edges) - 1):
        sel = idx == b
        if sel.sum() >= 10:
            centres.append((edges[b] + edges[b + 1]) / 2)
            values.append(np.percentile(y[sel], q))
    return np.asarray(centres), np.asarray(values)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation over the points where both are finite (nan with fewer than 3)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3:
        return float("nan")
    return float(stats.spearmanr(a[ok], b[ok]).statistic)


def halves(probes: Probes, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean depth of each point from the even and from the odd members: two independent halves of
    one ensemble (Fig. 2, diagonal)."""
    d = depths(probes, where)
    return member_mean(d[0::2], d[0::2] >= 0), member_mean(d[1::2], d[1::2] >= 0)


def corners(pd_train: np.ndarray, pd_val: np.ndarray, n: int, max_depth: float) -> dict[str, np.ndarray]:
    """The ``n`` points nearest each corner of the (PD train, PD val) square, both scaled by
    ``max_depth`` (Sec. 4, Fig. 7): easy (low, low), looks like another class (high train, low val),
    ambiguous unless labelled (low train, high val), ambiguous (high, high)."""
    x, y = np.asarray(pd_train) / max_depth, np.asarray(pd_val) / max_depth
    ok = np.isfinite(x) & np.isfinite(y)
    where = {"easy": (0, 0), "looks like another class": (1, 0), "ambiguous unless labelled": (0, 1), "ambiguous": (1, 1)}
    out = {}
    for name, (cx, cy) in where.items():
        dist = np.where(ok, np.hypot(x - cx, y - cy), np.inf)
        out[name] = np.argsort(dist, kind="stable")[: min(n, int(ok.sum()))]
    return out


def layer_accuracy(probe_preds: np.ndarray, labels: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """(L,) accuracy of each probe layer against ``labels`` (n,), pooled over the (member, point)
    pairs where ``counts`` (M, n) is True: the inference learning curve (Sec. 3.2)."""
    hit = probe_preds == np.asarray(labels)[None, None, :]
    w = np.asarray(counts, bool)[:, None, :]
    return (hit & w).sum((0, 2)) / max(int(w.sum()), 1)


def layer_mean(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """(L,) mean of per-layer ``values`` (M, L, n) over the counting (member, point) pairs."""
    w = np.asarray(counts, bool)[:, None, :]
    return np.where(w, values, 0).sum((0, 2)) / max(int(w.sum()), 1)


def first_layer_reaching(curve: np.ndarray, fraction: float = 0.9) -> int:
    """The first probe whose accuracy reaches ``fraction`` of the last probe's (Fig. A.12)."""
    curve = np.asarray(curve, dtype=np.float64)
    return int(np.argmax(curve >= fraction * curve[-1]))


def halves_correlations(probes: dict[str, Probes], where: str) -> np.ndarray:
    """(R, R) Spearman of mean prediction depth between half-ensembles (Fig. 2 left), in the order
    of ``probes``: the diagonal correlates the two halves of one ensemble (:func:`halves`), an
    off-diagonal entry a half of one with a half of another, averaged over the four pairings, so
    every entry compares means over the same number of members as the diagonal does."""
    h = [halves(p, where) for p in probes.values()]
    out = np.empty((len(h), len(h)))
    for i, a in enumerate(h):
        for j, b in enumerate(h):
            out[i, j] = spearman(*a) if i == j else np.mean([spearman(x, y) for x in a for y in b])
    return out
