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


# --- Learning order, margins, forms of difficulty, appendix checks (b5, b6, b8, b9) ---

NOISY_SPLITS = ("clean train", "relabelled (new label)", "relabelled (original label)", "test")


def noisy_splits(record) -> dict[str, tuple[str, np.ndarray, np.ndarray]]:
    """The four splits of Fig. 5 (middle, right) of a run with label noise: name -> (the record's
    split, the labels to score against (n,), which (member, point) pairs count (M, n)). A
    training point counts for the members that trained on it; relabelled points are scored
    against their new and, separately, their original label; the test set counts everywhere."""
    masks = np.asarray(record.masks, bool)
    relabelled = np.asarray(record.arrays["relabelled"], bool)[None, :]
    y, original = record.labels("train"), record.arrays["original_labels/train"]
    n_test = len(record.labels("test"))
    return {
        "clean train": ("train", y, masks & ~relabelled),
        "relabelled (new label)": ("train", y, masks & relabelled),
        "relabelled (original label)": ("train", original, masks & relabelled),
        "test": ("test", record.labels("test"), np.ones((len(masks), n_test), bool)),
    }


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


def pair_spearman(depth: np.ndarray, values: np.ndarray) -> float:
    """Spearman of prediction depth and ``values`` over the (member, point) pairs with a depth."""
    ok = np.asarray(depth) >= 0
    return spearman(np.asarray(depth)[ok], np.asarray(values)[ok])


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation over the points where both are finite (nan with fewer than 3)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3:
        return float("nan")
    return float(stats.pearsonr(a[ok], b[ok]).statistic)


def margin_correlations(depth: np.ndarray, margin: np.ndarray) -> dict[str, float]:
    """Fig. 6: Pearson r of mean prediction depth and log10 of the mean margin, and the Spearman
    rank correlation (log-free); points with a zero or undefined margin are left out."""
    margin = np.asarray(margin, dtype=np.float64)
    log = np.log10(np.where(margin > 0, margin, np.nan))
    return {"pearson_log": pearson(depth, log), "spearman": spearman(depth, log), "n": int(np.isfinite(log).sum())}


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


def middle_layers(n_probes: int) -> list[int]:
    """The middle third of the hidden probes (1 .. n_probes - 2; input and softmax excluded)."""
    hidden = n_probes - 2
    return list(range(1 + hidden // 3, 1 + hidden - hidden // 3))


def pool_votes(record, points=None, k: int = 30, probe_dim: int | None = None, seed: int = 0, members=None, store=None, device=None) -> np.ndarray:
    """(M, L, len(points), C) every k-NN probe's neighbour votes for the training-pool points
    ``points`` (default: all): the probes of :func:`probes.probe_ensemble` (index = the member's
    training points, a point it trained on leaves itself out), keeping all the votes where the
    probes keep only the shares of the prediction and of the label. Cached per member in the
    run store."""
    from . import probes as pb
    from .store import Store, key as store_key

    store = store or Store()
    every = points is None
    points = np.arange(record.masks.shape[1]) if every else np.asarray(points, dtype=np.int64)
    members = tuple(range(record.spec.train.n_models) if members is None else members)
    out = []
    for i in members:
        spec = {"ensemble": record.key, "member": i, "k": k, "probe_dim": probe_dim, "seed": seed, "points": None if every else points.tolist()}
        key = store_key("pool_votes", spec, pb.VERSION)
        hit = store.load("pool_votes", key)
        if hit is None:
            train, mask = pb.datasets(record)["train"], record.masks[i]
            acts = pb.activations(pb.member_net(record, i, device), train.x, probe_dim=probe_dim, seed=seed, norm=pb.normaliser(record))
            query = {name: a[points] for name, a in acts.items()}
            _, votes = pb.layer_predictions(acts, train.y, query, k, record.n_classes, pb.own_rows(mask)[points], index_rows=mask)
            hit = {"votes": votes}, {"key": key, "ensemble": record.key, "member": i, "n_points": len(points)}
            store.save("pool_votes", key, *hit)
        out.append(hit[0]["votes"])
    return np.stack(out)


def vote_share(votes: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """(..., n) share of the neighbour votes (..., n, C) that go to ``classes`` (n,): the probe's
    confidence in that class (Fig. 8)."""
    votes = np.asarray(votes)
    idx = np.broadcast_to(np.asarray(classes, dtype=np.int64), votes.shape[:-1])[..., None]
    return np.take_along_axis(votes, idx, -1)[..., 0] / np.maximum(votes.sum(-1), 1)


def cross_fitted_layer(probe_hits: np.ndarray, net_hits: np.ndarray, counts: np.ndarray, candidates, seed: int = 0) -> dict:
    """Compare one probe layer with the network without choosing the layer on the points scored
    (Sec. 4's middle-layer k-NN): split the points into two random halves; on each half pick,
    among ``candidates``, the layer whose probe is most accurate, and score that layer and the
    network on the other half. ``probe_hits`` (M, L, n) and ``net_hits`` (M, n) say which
    predictions are right, ``counts`` (M, n) which (member, point) pairs count. Returns the two
    chosen layers and the probe and network accuracies pooled over all scored pairs."""
    probe_hits, net_hits, counts = np.asarray(probe_hits, bool), np.asarray(net_hits, bool), np.asarray(counts, bool)
    n = counts.shape[1]
    first = np.random.default_rng(seed).permutation(n) < n // 2
    candidates = list(candidates)
    chosen, probe_right, net_right, total = [], 0, 0, 0
    for fit, score in ((first, ~first), (~first, first)):
        w = counts & fit[None, :]
        acc = [(probe_hits[:, c] & w).sum() / max(int(w.sum()), 1) for c in candidates]
        best = candidates[int(np.argmax(acc))]
        s = counts & score[None, :]
        chosen.append(best)
        probe_right += int((probe_hits[:, best] & s).sum())
        net_right += int((net_hits & s).sum())
        total += int(s.sum())
    return {"layers": chosen, "probe": probe_right / max(total, 1), "network": net_right / max(total, 1), "pairs": total}


def class_curves(votes: np.ndarray, probe_preds: np.ndarray, classes: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fig. 8: (L,) mean probe confidence in ``classes`` (n,) (share of the neighbour votes
    ``votes`` (M, L, n, C)) and (L,) probe accuracy against them (``probe_preds`` (M, L, n)), over
    the (member, point) pairs ``counts`` (M, n) says count."""
    return layer_mean(vote_share(votes, classes), counts), layer_accuracy(probe_preds, classes, counts)


def max_spread(curves) -> float:
    """The largest difference between any two of ``curves`` (each (L,)) at any layer."""
    c = np.stack([np.asarray(v, dtype=np.float64) for v in curves])
    return float(np.nanmax(c.max(0) - c.min(0)))


def logistic_probes(record, member: int = 0, probe_dim: int | None = None, seed: int = 0, max_iter: int = 500, device=None) -> dict[str, np.ndarray]:
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

    from . import probes as pb

    sets, mask = pb.datasets(record), np.asarray(record.masks[member], bool)
    net, norm = pb.member_net(record, member, device), pb.normaliser(record)
    train = pb.activations(net, sets["train"].x[mask], probe_dim=probe_dim, seed=seed, norm=norm)
    test = pb.activations(net, sets["test"].x, probe_dim=probe_dim, seed=seed, norm=norm)
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
    from . import probes as pb

    x = pb.datasets(record)["train"].x[:2]
    return {name: a.shape[1] for name, a in pb.activations(pb.member_net(record, member, "cpu"), x, norm=pb.normaliser(record)).items()}
