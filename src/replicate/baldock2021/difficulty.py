"""Example difficulty over a 90:10 ensemble (Baldock, Maennel, Neyshabur 2021, Sec. 2-4, App. A).

Each member trains on its own random 90% of the training pool; a point is *validation* for the
members that held it out and *train* for the others. Per-member arrays are (M, n) over the pool,
and ``use`` (M, n) bool says which members count for which point. Prediction depth is -1 where
the softmax probe disagrees with the network (A.6.1); such entries never count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from .. import metrics
from ..probes import Probes
from ..runs import Record
from ..verdicts import Undecided

if TYPE_CHECKING:
    from ..bootstrap import Draw

WHERE = ("val", "train", "test")
CORNERS = ("easy", "looks like another class", "ambiguous unless labelled", "ambiguous")


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


def consensus(preds: np.ndarray, labels: np.ndarray, counts: np.ndarray, n_classes: int) -> dict[str, np.ndarray]:
    """Per point over the counting members (``counts`` (M, n)): consistency (Eq. 1), the consensus
    class (A.6.2), consensus-consistency (Eq. 2, same ensemble, A.6.3), the entropy of the votes
    (nats, C.2) and the number of members; nan where no member counts."""
    return {
        "consistency": metrics.consistency(preds, labels, counts),
        "consensus_class": metrics.consensus_class(preds, labels, n_classes, counts),
        "consensus_consistency": metrics.consensus_consistency(preds, labels, n_classes, counts),
        "entropy": metrics.prediction_entropy(preds, n_classes, counts),
        "n_members": np.asarray(counts, bool).sum(0).astype(np.int64),
    }


def has_depth(depth: np.ndarray) -> np.ndarray:
    """Where a prediction depth is defined (-1 marks a softmax probe that disagrees with the network, A.6.1)."""
    return np.asarray(depth) >= 0


def by_depth(depth: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pooled over (member, point) pairs with a depth (:func:`has_depth`): the depths present, the
    mean of ``values`` at each, and the fraction of pairs at each (the papers' marker sizes)."""
    ok = has_depth(depth)
    d, v = depth[ok], np.asarray(values, dtype=np.float64)[ok]
    levels, inverse, count = np.unique(d, return_inverse=True, return_counts=True)
    means = np.bincount(inverse, weights=v) / count
    return levels, means, count / count.sum()


def depth0_accuracy_gap(depth: np.ndarray, correct: np.ndarray) -> float | Undecided:
    """Accuracy of the (member, point) pairs predicted at depth 0 minus that at the largest depth
    any pair has (Fig. 4 right); undecided when no pair is at depth 0 or all are at one depth."""
    levels, acc, _ = by_depth(depth, correct)
    if len(levels) < 2 or levels[0] != 0:
        return Undecided(float("nan"), "no prediction is made at depth 0, or all are made at one depth: no accuracy gap to measure")
    return float(acc[0] - acc[-1])


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


def line_ends(values: np.ndarray) -> dict[str, float]:
    """The first, last, smallest and largest value of a line of :func:`binned` percentiles, nan for
    an empty line (every bin too thin), so a page can quote a bound's course at any scale."""
    v = np.asarray(values, dtype=np.float64)
    if not v.size:
        return dict.fromkeys(("first", "last", "min", "max"), float("nan"))
    return {"first": float(v[0]), "last": float(v[-1]), "min": float(v.min()), "max": float(v.max())}


def peak_then_low(curve: np.ndarray, until: int) -> dict[str, float]:
    """Over epochs 0 .. ``until`` of a per-epoch ``curve``: its peak, the peak's epoch and the lowest
    value after it, e.g. test accuracy sliding while noisy labels are memorised before a
    learning-rate drop (Fig. 5 middle)."""
    v = np.asarray(curve, dtype=np.float64)[: until + 1]
    top = int(np.nanargmax(v))
    return {"peak": float(v[top]), "epoch": top, "low": float(np.nanmin(v[top:]))}


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


def halves_correlations(probes: dict[str, Probes], where: str) -> np.ndarray:
    """(R, R) Spearman of mean prediction depth between half-ensembles (Fig. 2 left), in the order
    of ``probes``: the diagonal correlates the two halves of one ensemble (:func:`halves`), an
    off-diagonal entry a half of one with a half of another, averaged over the four pairings, so
    every entry compares means over the same number of members as the diagonal does."""
    h = [halves(p, where) for p in probes.values()]

    def rho(x: np.ndarray, y: np.ndarray) -> float:
        return metrics.correlation(x, y, "spearman").r

    out = np.empty((len(h), len(h)))
    for i, a in enumerate(h):
        for j, b in enumerate(h):
            out[i, j] = rho(*a) if i == j else np.mean([rho(x, y) for x in a for y in b])
    return out


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


def margin_correlations(depth: np.ndarray, margin: np.ndarray) -> dict[str, float]:
    """Fig. 6: Pearson r of mean prediction depth and log10 of the mean margin, and the Spearman
    rank correlation (log-free); points with a zero or undefined margin are left out."""
    margin = np.asarray(margin, dtype=np.float64)
    log = np.log10(np.where(margin > 0, margin, np.nan))
    return {
        "pearson_log": metrics.correlation(depth, log).r,
        "spearman": metrics.correlation(depth, log, "spearman").r,
        "n": int(np.isfinite(log).sum()),
    }


def scaled_iteration_learned(record: Record, split: str = "train") -> np.ndarray:
    """(N, n) :func:`metrics.iteration_learned` of each member's per-epoch predictions, rescaled
    per member so its 95th percentile is 1 and initialisation 0 (Sec. 3.2, footnote 6).

    Every point of ``split`` counts, trained on or held out (the record's predictions cover both);
    the resolution is the record's checkpoints (epochs), not SGD steps."""
    learned = metrics.iteration_learned(record.preds(split)).astype(np.float64)
    scale = np.percentile(learned, 95, axis=1, keepdims=True)
    return learned / np.where(scale > 0, scale, 1.0)


def drawn(probes: Probes, draw: Draw, name: str, splits: Sequence[str] | None = None) -> Probes:
    """``probes`` of the ensemble ``name`` seen through a bootstrap ``draw``: the drawn members, each
    with its own training mask, and per split (only ``splits``, default all) the drawn examples;
    probes are never rerun, their per-member arrays are resampled."""
    if draw.whole and splits is None:
        return probes
    m = draw.networks.get(name, slice(None))
    arrays = {}
    for key, a in probes.arrays.items():
        head, _, split = key.partition("/")
        if splits is not None and split not in splits:
            continue
        a = a[m]
        x = draw.examples.get(split)
        arrays[key] = a if x is None else np.take(a, x, axis=1 if head == "logits" else -1)
    masks = probes.masks[m]
    if (splits is None or "train" in splits) and "train" in draw.examples:
        masks = masks[:, draw.examples["train"]]
    return replace(probes, members=tuple(np.asarray(probes.members)[m]), masks=masks, arrays=arrays)


def drawn_values(values: np.ndarray, draw: Draw, name: str, split: str) -> np.ndarray:
    """Per-member, per-example ``values`` (M, ..., n) of the ensemble ``name`` on ``split`` (e.g.
    iteration learned, input margins) seen through ``draw``: drawn members, drawn examples."""
    values = np.asarray(values)[draw.networks.get(name, slice(None))]
    x = draw.examples.get(split)
    return values if x is None else np.take(values, x, axis=-1)


def on_split(record: Record, split: str) -> Record:
    """``record`` with the arrays of its other splits left out: how a claim sees a run it reads on
    one split only, so that runs evaluated on different examples under one split name (e.g. the
    intervention's two-class sets and the shared pool) can be reported together."""
    others = {k.removeprefix("labels/") for k in record.arrays if k.startswith("labels/")} - {split}
    keep = {k: v for k, v in record.arrays.items() if (k + "/train" if k == "relabelled" else k).partition("/")[2] not in others}
    return replace(record, arrays=keep)


def parity_kept(draw: Draw) -> Draw:
    """``draw`` with every ensemble's members redrawn so that even positions hold even members and
    odd positions odd ones, and the two halves of :func:`halves` stay disjoint: position i takes
    member 2 (m[i] // 2) + i % 2 (uniform within each half of an even ensemble; the identity
    stays the identity)."""

    def kept(m: np.ndarray) -> np.ndarray:
        out = np.asarray(m) // 2 * 2 + np.arange(len(m)) % 2
        return np.where(out < len(m), out, out - 2)

    return replace(draw, networks={name: kept(m) for name, m in draw.networks.items()})


def matrix_checks(matrices: Sequence[np.ndarray], names: Sequence[str], conv: tuple[str, str], mlp: str) -> dict[str, float]:
    """Fig. 2's three checks over the half-ensemble Spearman ``matrices`` (rows and columns in the
    order of ``names``): the smallest entry; the smallest diagonal minus the largest off-diagonal
    entry of its row; the ``conv`` pair's entry minus the larger of each conv net's entry with ``mlp``."""
    names = list(names)
    off = ~np.eye(len(names), dtype=bool)
    a, b, c = names.index(conv[0]), names.index(conv[1]), names.index(mlp)
    return {
        "smallest": min(float(np.nanmin(m)) for m in matrices),
        "same_minus_cross": min(float((np.diag(m) - np.where(off, m, -np.inf).max(1)).min()) for m in matrices),
        "conv_minus_mlp": min(float(m[a, b] - max(m[a, c], m[b, c])) for m in matrices),
    }


def bound_trends(depth: np.ndarray, consistency: np.ndarray, agree: np.ndarray, edges: np.ndarray) -> dict[str, float]:
    """Fig. 3's bounds as rank correlations: Spearman of bin centre and the 5th percentile of
    consistency per depth bin where the consensus class is the label (``agree``), and of the 95th
    percentile where it is not (:func:`binned`)."""
    agree = np.asarray(agree, bool)
    return {
        "lower": metrics.correlation(*binned(depth[agree], consistency[agree], edges, 5), "spearman").r,
        "mirror": metrics.correlation(*binned(depth[~agree], consistency[~agree], edges, 95), "spearman").r,
    }


def mirror_gaps(depth: np.ndarray, consistency: np.ndarray, agree: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fig. 3 right, the mirror bound itself: per depth bin (:func:`binned`, ``edges``) where the 5th
    percentile L of consistency of the consensus = label points (``agree``) is above 1/2 and both
    groups have a percentile, the bin centre and U - (1 - L), U being the 95th percentile of the
    consensus != label points. Above 1/2 the reflected line 1 - L is below the ceiling of 1/2 that
    consistency cannot reach where the consensus class is not the label (ties go to the label), so
    only there can the bound be broken; a gap <= 0 means U is at or under the line."""
    agree = np.asarray(agree, bool)
    lx, lower = binned(depth[agree], consistency[agree], edges, 5)
    ux, upper = binned(depth[~agree], consistency[~agree], edges, 95)
    centres, li, ui = np.intersect1d(lx, ux, return_indices=True)
    low = lower[li] > 0.5
    return centres[low], upper[ui][low] - (1 - lower[li][low])


def mirror_excess(depth: np.ndarray, consistency: np.ndarray, agree: np.ndarray, edges: np.ndarray) -> float | Undecided:
    """The largest :func:`mirror_gaps` gap: how far the consensus != label points' 95th percentile
    rises above the reflected lower bound at low depth; undecided when no bin has both lines and a
    lower bound above 1/2."""
    _, gaps = mirror_gaps(depth, consistency, agree, edges)
    if not gaps.size:
        return Undecided(float("nan"), "no depth bin has both groups and a lower bound above 1/2: no mirror bound to test")
    return float(gaps.max())


def member_cross_fit(
    probes: Probes, labels: np.ndarray, n_corner: int, candidates: Sequence[int], group: str = "ambiguous unless labelled"
) -> dict:
    """Sec. 4's middle-layer k-NN against the network, cross-fitted over members so that neither
    the group nor the layer is chosen on the predictions scored: the even members' mean training
    and validation depths pick the ``n_corner`` points of ``group`` (:func:`corners`) and their
    held-out predictions of it pick, among ``candidates``, the most accurate probe; the odd
    members' held-out predictions of that group score the probe, the network and the input probe
    (a control that needs no network); then the other way round. Accuracies are pooled over both
    directions' scored (member, point) pairs (nan without one); ``per_layer`` is every probe's on
    those pairs, ``gain`` the probe's minus the network's."""
    labels = np.asarray(labels)
    even = np.arange(len(probes.members)) % 2 == 0
    held, pooled = use(probes, "val"), use(probes, "train")
    d = probes.depth("train").astype(np.int64)
    hits = probes.probe_preds("train") == labels[None, None, :]
    net_hits = probes.net_pred("train") == labels[None, :]
    candidates = list(candidates)
    chosen, right, probe_right, net_right, total = [], np.zeros(hits.shape[1], np.int64), 0, 0, 0
    for fit in (even, ~even):
        pd_train = member_mean(d[fit], pooled[fit] & (d[fit] >= 0))
        pd_val = member_mean(d[fit], held[fit] & (d[fit] >= 0))
        points = corners(pd_train, pd_val, n_corner, len(probes.layers) - 1)[group]
        w = held[fit][:, points]
        best = candidates[int(np.argmax([(hits[fit][:, c, points] & w).sum() for c in candidates]))]
        s = held[~fit][:, points]
        scored = hits[~fit][:, :, points] & s[:, None, :]
        chosen.append(best)
        right += scored.sum((0, 2))
        probe_right += int(scored[:, best].sum())
        net_right += int((net_hits[~fit][:, points] & s).sum())
        total += int(s.sum())
    n = total or float("nan")
    return {
        "layers": chosen,
        "pairs": total,
        "probe": probe_right / n,
        "network": net_right / n,
        "input": right[0] / n,
        "per_layer": right / n,
        "gain": (probe_right - net_right) / n,
    }


def split_agreement(pd_train: np.ndarray, pd_val: np.ndarray, agree: np.ndarray) -> dict[str, float]:
    """Fig. 7: Spearman of mean training and mean validation depth over the points with both, all
    of them and split by whether the consensus class is the label (``agree``)."""
    held = np.isfinite(pd_train) & np.isfinite(pd_val)
    groups = {"all": held, "consensus ≠ label": held & ~agree, "consensus = label": held & agree}
    return {group: metrics.correlation(pd_train[sel], pd_val[sel], "spearman").r for group, sel in groups.items()}


def one_against_others(probes: Probes, labels: np.ndarray, n_classes: int, one: int) -> float:
    """Fig. 4 middle: Spearman of the test depth in the member at position ``one`` and the
    consensus-consistency of the other members (copies of that member in a resample left out
    too); points without a depth in that member are left out."""
    members = np.asarray(probes.members)
    others = use(probes, "test") & (members != members[one])[:, None]
    cc = metrics.consensus_consistency(probes.net_pred("test"), labels, n_classes, others)
    d = probes.depth("test")[one]
    return metrics.correlation(np.where(d >= 0, d, np.nan), cc, "spearman").r


def training_accuracy(record: Record) -> np.ndarray:
    """(M,) each member's final accuracy on the pool points it trained on, against the labels it
    trained on: whether the ensemble fits its training data, as the paper's models do (an under-fit
    model leaves points without a prediction depth, App. A.6.1)."""
    right = record.correct("train")[:, -1] & record.masks
    return right.sum(1) / record.masks.sum(1)
