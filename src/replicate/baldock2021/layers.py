"""Probes layer by layer (Baldock et al. 2021, Sec. 3.2-4, App. A.7, E): inference learning curves,
probe confidence per class, the cross-fitted middle layer, logistic-regression probes."""

from __future__ import annotations

import numpy as np

from .. import probes
from ..store import Store
from ..store import key as store_key


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


def member_accuracy(preds: np.ndarray, labels: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """(M, T) accuracy of each member at each step (epoch or probe layer) for ``preds`` (M, T, n),
    over that member's counting points (``counts`` (M, n)); nan for a member with none."""
    hit = np.asarray(preds) == np.asarray(labels)[None, None, :]
    w = np.asarray(counts, bool)[:, None, :]
    n = w.sum(-1)
    return np.where(n > 0, (hit & w).sum(-1) / np.maximum(n, 1), np.nan)


def peak_above_last(curve: np.ndarray, first: int = 0) -> float:
    """How far ``curve`` rises above its last value before it: max(curve[first:-1]) - curve[-1]
    (Fig. 5: original-label accuracy of relabelled points rises, then falls)."""
    curve = np.asarray(curve, dtype=np.float64)
    return float(np.max(curve[first:-1]) - curve[-1])


def middle_layers(n_probes: int) -> list[int]:
    """The middle third of the hidden probes (1 .. n_probes - 2; input and softmax excluded)."""
    hidden = n_probes - 2
    return list(range(1 + hidden // 3, 1 + hidden - hidden // 3))


def pool_votes(
    record, points=None, k: int = 30, probe_dim: int | None = None, seed: int = 0, members=None, store=None, device=None
) -> np.ndarray:
    """(M, L, len(points), C) every k-NN probe's neighbour votes for the training-pool points
    ``points`` (default: all): the probes of :func:`probes.probe_ensemble` (index = the member's
    training points, a point it trained on leaves itself out), keeping all the votes where the
    probes keep only the shares of the prediction and of the label. Cached per member in the
    run store."""
    store = store or Store()
    every = points is None
    points = np.arange(record.masks.shape[1]) if every else np.asarray(points, dtype=np.int64)
    members = tuple(range(record.spec.train.n_models) if members is None else members)
    return np.stack([_member_pool_votes(record, i, points, every, k, probe_dim, seed, store, device) for i in members])


def _member_pool_votes(
    record, i: int, points: np.ndarray, every: bool, k: int, probe_dim: int | None, seed: int, store: Store, device
) -> np.ndarray:
    spec = {
        "member_of": probes.member_of(record),
        "member": i,
        "k": k,
        "probe_dim": probe_dim,
        "seed": seed,
        "points": None if every else points.tolist(),
    }
    key = store_key("pool_votes", spec, probes.VERSION)

    def compute() -> tuple[dict[str, np.ndarray], dict]:
        train, mask = probes.datasets(record)["train"], record.masks[i]
        acts = probes.activations(
            probes.member_net(record, i, device), train.x, probe_dim=probe_dim, seed=seed, norm=probes.normaliser(record)
        )
        query = {name: a[points] for name, a in acts.items()}
        _, votes = probes.layer_predictions(acts, train.y, query, k, record.n_classes, probes.own_rows(mask)[points], index_rows=mask)
        return {"votes": votes}, {"key": key, "ensemble": record.key, "member": i, "n_points": len(points)}

    return store.cached("pool_votes", key, compute)[0]["votes"]


def class_curves(votes: np.ndarray, probe_preds: np.ndarray, classes: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fig. 8: (L,) mean probe confidence in ``classes`` (n,) (share of the neighbour votes
    ``votes`` (M, L, n, C)) and (L,) probe accuracy against them (``probe_preds`` (M, L, n)), over
    the (member, point) pairs ``counts`` (M, n) says count."""
    return layer_mean(probes.vote_share(votes, classes), counts), layer_accuracy(probe_preds, classes, counts)


def max_spread(curves) -> float:
    """The largest difference between any two of ``curves`` (each (L,)) at any layer."""
    c = np.stack([np.asarray(v, dtype=np.float64) for v in curves])
    return float(np.nanmax(c.max(0) - c.min(0)))


def logistic_probes(
    record, member: int = 0, probe_dim: int | None = None, seed: int = 0, max_iter: int = 500, device=None
) -> dict[str, np.ndarray]:
    """Logistic-regression probes (App. E, Fig. E.48) on member ``member``'s activations at every
    probe point, projected as the k-NN probes see them: per layer, the accuracy of a probe fit on
    the member's training points on those same points (``train``) and on the test set (``test``),
    and of a probe fit on a random half of them on the other half (``half``). Features are
    standardised on the fitting points."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    sets, mask = probes.datasets(record), np.asarray(record.masks[member], bool)
    net, norm = probes.member_net(record, member, device), probes.normaliser(record)
    train = probes.activations(net, sets["train"].x[mask], probe_dim=probe_dim, seed=seed, norm=norm)
    test = probes.activations(net, sets["test"].x, probe_dim=probe_dim, seed=seed, norm=norm)
    y, y_test = sets["train"].y[mask], sets["test"].y
    half = np.random.default_rng(seed).permutation(len(y)) < len(y) // 2
    out = {"train": [], "test": [], "half": []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # lbfgs stops at max_iter on nearly separable layers
        for name, a in train.items():
            fit = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter)).fit(a, y)
            out["train"].append(fit.score(a, y))
            out["test"].append(fit.score(test[name], y_test))
            part = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter)).fit(a[half], y[half])
            out["half"].append(part.score(a[~half], y[~half]))
    return {k: np.asarray(v) for k, v in out.items()}


def probe_widths(record, member: int = 0) -> dict[str, int]:
    """{probe layer: its full width} for a member of ``record`` (before any random projection)."""
    x = probes.datasets(record)["train"].x[:2]
    return {
        name: a.shape[1]
        for name, a in probes.activations(probes.member_net(record, member, "cpu"), x, norm=probes.normaliser(record)).items()
    }
