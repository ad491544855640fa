"""The atlas table (issue 15, part 1): per-example difficulty scores of a data set from one 90:10
ensemble, its k-NN probes and the image statistics, one row per example, with each column's
definition, sign and source as :class:`release.Score` declarations.

Every member trains on its own random 90% of the pool, so an example has two sides: the members
that trained on it (the *training side*: how it is learned, Hacohen's, Toneva's, Paul's, Pleiss's,
Swayamdipta's and Pliushch's scores) and those that held it out (the *held-out side*: how it
generalises, Baldock's validation scores and Jiang's C-score). A score is the mean over the
members of its side; NaN where no member is on that side (of M members, none held out a share
0.9^M of the examples: 19% at M = 16; none trained on 0.1^M). Prediction depth counts only the
probed members. For an ensemble that does not pool its test set, the test examples have only a
held-out side.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import data, imagestats, metrics, provenance, runs
from .. import probes as probing
from ..probes import Probes
from ..runs import Record
from ..store import Store
from ..store import key as store_key
from . import release, specs
from .release import Score

HELD_OUT, TRAINING = "held-out side: the members that did not train on the example", "training side: the members that trained on it"
IMAGE_STATS = {
    "segment_count": ("number of Felzenszwalb-Huttenlocher segments of the image (clutter)", "count"),
    "edge_strength": ("summed Sobel gradient magnitude of the grey image scaled to [0, 1] (a substitute for PMI boundaries)", "sum"),
    "local_entropy": ("mean Shannon entropy of the grey values in every 10 x 10 window inside the image", "bits"),
    "dct_fraction": ("fraction of 2-D DCT coefficients needed to keep 99.98% of the grey image's norm", "fraction"),
}
"""Definition and unit of each image statistic (``imagestats.STATS``, Pliushch App. D)."""
DATASETS = ("fashion_mnist",)
"""The data sets ``replicate scores`` builds a table of."""


def el2n_epoch(epochs: int) -> int:
    """The epoch EL2N is read at: 10% of training, at least epoch 1 (Paul et al. 2021 score CIFAR-10
    at epoch 20 of 200)."""
    return max(1, round(0.1 * epochs))


@dataclass(frozen=True)
class Side:
    """The examples of one of a record's evaluated splits: their released split and id, and which
    members trained on each (M, n)."""

    record_split: str
    split: np.ndarray
    ids: np.ndarray
    trained: np.ndarray


def sides(record: Record) -> list[Side]:
    """The record's evaluated splits as released rows: a pooled ensemble's ``train`` split holds both
    released splits (``data.pooled_split``); otherwise ``train`` examples were trained on by the
    members of ``masks`` and ``test`` examples by none."""
    out = []
    pooled = bool(getattr(getattr(record.spec, "data", None), "pool", False))
    for s in ("train", "test"):
        if f"preds/{s}" not in record.arrays:
            continue
        ids = record.ids(s)
        split, ids = data.pooled_split(record.spec.data.dataset, ids) if pooled else (np.full(len(ids), s), ids)
        trained = record.masks if s == "train" else np.zeros((record.preds(s).shape[0], len(ids)), bool)
        out.append(Side(s, split, np.asarray(ids, np.int64), np.asarray(trained, bool)))
    return out


def member_mean(values: np.ndarray, counting: np.ndarray) -> np.ndarray:
    """(n,) mean of (M, n) ``values`` over the members ``counting`` selects; NaN where none does."""
    counting = np.asarray(counting, bool)
    n = counting.sum(0)
    return np.where(n > 0, np.where(counting, values, 0).sum(0) / np.maximum(n, 1), np.nan)


def ensemble_scores(record: Record, side: Side, el2n_at: int) -> dict[str, np.ndarray]:
    """The ensemble's scores of one side's examples (no probes, no images)."""
    s, trained = side.record_split, side.trained
    preds, labels, k = record.preds(s), record.labels(s), record.n_classes
    correct = preds == labels
    final = preds[:, -1]
    dmap = metrics.data_map(record.probs(s), trained)
    return {
        "consensus_consistency": metrics.consensus_consistency(final, labels, k, ~trained),
        "c_score": metrics.c_score_holdout(correct[:, -1], trained),
        "margin": member_mean(record.margins(s)[:, -1], ~trained),
        "iteration_learned": member_mean(metrics.iteration_learned(preds), trained),
        "consistency": metrics.consistency(final, labels, trained),
        "accessibility": metrics.accessibility(metrics.consistency(preds[:, 1:], labels, trained[:, None])),
        "consensus": metrics.consensus_consistency(final, labels, k, trained),
        "first_agreement_epoch": metrics.first_agreement_epoch(correct, trained),
        "forgetting_events": metrics.forgetting_events(correct, trained),
        "el2n": metrics.el2n(record.el2n(s), el2n_at, trained),
        "aum": metrics.aum(record.margins(s), trained),
        "confidence": dmap.confidence,
        "variability": dmap.variability,
    }


PROBES_VERSION = "atlas-probes-1"
QUERIES = (
    "each probed member queries its held-out points and as many of its training points, drawn at random (seeded by "
    "member), against the k-NN index of all its training points, to bound the cost on the whole pool"
)


def probe_queries(mask: np.ndarray, seed: int, member: int) -> np.ndarray:
    """Sorted pool rows a member's probes query: every row it held out (``~mask``) and as many of
    its training rows, drawn without replacement by a generator seeded with (seed, member)."""
    mask = np.asarray(mask, bool)
    held, trained = np.flatnonzero(~mask), np.flatnonzero(mask)
    drawn = np.random.default_rng([seed, member]).choice(trained, size=min(len(held), len(trained)), replace=False)
    return np.sort(np.concatenate([held, drawn]))


def sampled_probes(
    record: Record, members: Sequence[int], k: int, probe_dim: int | None, seed: int = 0, store: Store | None = None, batch: int = 256
) -> Probes:
    """Baldock's k-NN probes (Sec. 2.1, A.6.1; ``probes.layer_predictions`` at every probe point,
    a training point left out of its own neighbours) of a pooled 90:10 ensemble's ``members``, on
    the rows :func:`probe_queries` picks instead of the whole pool: depth/train (M, n) is -1 where
    a member has no depth there or did not query the row. Cached per member in the run store."""
    store = store or Store()
    depths, metas = [], []
    for i in members:
        spec = {"member_of": probing.member_of(record), "member": i, "k": k, "probe_dim": probe_dim, "seed": seed, "queries": QUERIES}
        key = store_key("atlas-probes", spec, PROBES_VERSION)
        arrays, meta = store.cached("atlas-probes", key, functools.partial(_probe_member, record, spec | {"key": key}, batch))
        depths.append(arrays["depth"])
        metas.append(meta)
    layers = tuple(metas[0]["layers"])
    return Probes(record.key, tuple(members), layers, record.masks[list(members)], {"depth/train": np.stack(depths)}, metas)


def _probe_member(record: Record, spec: dict, batch: int) -> tuple[dict[str, np.ndarray], dict]:
    """One member's prediction depth on its queried rows (uncached) and the entry's metadata."""
    start = time.perf_counter()
    i, k, probe_dim, seed = spec["member"], spec["k"], spec["probe_dim"], spec["seed"]
    pool, norm = probing.datasets(record)["train"], probing.normaliser(record)
    net, mask = probing.member_net(record, i), record.masks[i]
    rows = probe_queries(mask, seed, i)
    acts = probing.activations(net, pool.x, batch, probe_dim, seed, norm)
    net_pred = probing.activations(net, pool.x[rows], batch, None, seed, norm, ["softmax"])["softmax"].argmax(1)
    exclude = probing.own_rows(mask)[rows]
    preds, _ = probing.layer_predictions(acts, pool.y, {n: a[rows] for n, a in acts.items()}, k, record.n_classes, exclude, mask)
    depth = np.full(len(pool), -1, np.int16)
    depth[rows] = metrics.prediction_depth(preds, net_pred)
    meta = {**spec, "layers": list(acts), "queried": len(rows), "seconds": round(time.perf_counter() - start, 2)}
    return {"depth": depth}, meta | provenance.info()


def _depths(probes: Probes, side: Side, input_margins: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Mean prediction depth over the probed members on each side, members without a depth (the
    softmax probe disagrees with the net, Baldock A.6.1) not counting; and the probed members' mean
    input margin on the held-out side, where ``input_margins`` has the side's split."""
    depth = probes.depth(side.record_split).astype(np.float64)
    trained = side.trained[list(probes.members)]
    has = depth >= 0
    out = {"pd_heldout": member_mean(depth, has & ~trained), "pd_train": member_mean(depth, has & trained)}
    if side.record_split in input_margins:
        out["input_margin"] = member_mean(input_margins[side.record_split], ~trained)
    return out


def build(
    record: Record,
    probes: Probes,
    stats: Mapping[str, Mapping[str, np.ndarray]],
    el2n_at: int | None = None,
    input_margins: Mapping[str, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, tuple[Score, ...]]:
    """The atlas table of a 90:10 ``record`` (kept margins) and its ``probes``: columns ``id``,
    ``split`` and one per score, one row per evaluated example; and the scores' declarations.

    ``stats``: per released split, ``runs.image_stats`` of (at least) its scored examples, matched
    by id. ``el2n_at``: the epoch of EL2N, :func:`el2n_epoch` of the run's length by default.
    ``input_margins``: per record split, the probed members' (M_probed, n) input margins
    (``probes.input_margins``); without it the table has no ``input_margin`` column."""
    epochs = record.preds(sides(record)[0].record_split).shape[1] - 1
    el2n_at = el2n_epoch(epochs) if el2n_at is None else el2n_at
    parts = []
    for side in sides(record):
        columns = {"id": side.ids, "split": side.split}
        columns |= _depths(probes, side, input_margins or {}) | ensemble_scores(record, side, el2n_at)
        for split in np.unique(side.split):
            rows = side.split == split
            for name, values in _image_stats(stats, split, side.ids[rows]).items():
                columns.setdefault(name, np.full(len(side.ids), np.nan))[rows] = values
        parts.append(pd.DataFrame(columns))
    table = pd.concat(parts, ignore_index=True)
    trained = {s: False for s in data.SPLITS if s in set(table["split"])}
    for side in sides(record):
        for split in np.unique(side.split):
            trained[split] |= bool(side.trained[:, side.split == split].any())
    scores = declarations(record, probes, el2n_at, tuple(trained), tuple(s for s, t in trained.items() if t))
    return table, tuple(sc for sc in scores if sc.name in table.columns)


def _image_stats(stats: Mapping[str, Mapping[str, np.ndarray]], split: str, ids: np.ndarray) -> dict[str, np.ndarray]:
    """The image statistics of ``split``'s examples ``ids``, looked up by id."""
    if split not in stats:
        raise ValueError(f"no image statistics of split {split!r}; pass runs.image_stats of it")
    known = pd.Index(np.asarray(stats[split]["ids"], np.int64))
    rows = known.get_indexer(ids)
    if (rows < 0).any():
        raise ValueError(f"the image statistics of split {split!r} lack {int((rows < 0).sum())} scored id(s), e.g. {ids[rows < 0][:5]}")
    return {name: np.asarray(stats[split][name], np.float64)[rows] for name in imagestats.STATS}


def declarations(
    record: Record, probes: Probes, el2n_at: int, splits: tuple[str, ...], trained_splits: tuple[str, ...]
) -> tuple[Score, ...]:
    """What every column of :func:`build` means: definition, the direction that is harder, source,
    unit and the splits whose examples have it (the training side's only where members trained)."""
    mp, layers, t = len(probes.members), len(probes.layers), trained_splits
    final = "after the last epoch"
    pd_unit = f"probe index, 0 (input) .. {layers - 1} (softmax)"
    queried = f"; {probes.meta[0]['queries']}" if probes.meta and "queries" in probes.meta[0] else ""
    spec = [
        (
            "pd_heldout",
            f"mean prediction depth over the {mp} probed members' {HELD_OUT}: the first probe layer from which every "
            "k-NN probe agrees with the network; a member whose softmax probe disagrees with it has no depth; NaN where no "
            f"such member has a depth for it{queried}",
            "higher = harder",
            "Baldock et al. 2021, Sec. 2.1, App. A.6.1 (validation split)",
            pd_unit,
            splits,
        ),
        (
            "pd_train",
            f"mean prediction depth over the {mp} probed members' {TRAINING} (a training point is left out of its own "
            f"neighbours); NaN where no such member has a depth for it{queried}",
            "higher = harder",
            "Baldock et al. 2021, Sec. 2.1, App. A.6.1 (training split)",
            pd_unit,
            t,
        ),
        (
            "consensus_consistency",
            f"share of the {HELD_OUT} predicting their consensus class {final} (their most voted class, the label among tied ones)",
            "lower = harder",
            "Baldock et al. 2021, Eq. 2, App. A.6.3",
            "fraction",
            splits,
        ),
        (
            "c_score",
            f"accuracy {final} of the {HELD_OUT} (the holdout estimator of the C-score at a 90% subset ratio)",
            "lower = harder",
            "Jiang et al. 2021, Eq. 1 (holdout estimator)",
            "fraction",
            splits,
        ),
        (
            "margin",
            f"mean over the {HELD_OUT} of the label's logit minus the largest other logit {final}",
            "lower = harder",
            "Pleiss et al. 2020, Eq. 1 (margin); Baldock et al. 2021, Sec. 3.3 (output margin)",
            "logit",
            splits,
        ),
        (
            "input_margin",
            f"mean over the probed members' {HELD_OUT} of the linearised distance in input space from the example to the "
            "nearest decision boundary of the predicted class: min over other classes j of |z_pred - z_j| / ||grad_x "
            "(z_pred - z_j)||, in the members' normalised input units",
            "lower = harder",
            "Baldock et al. 2021, Sec. 3.3 (adversarial input margin, linearised as in Jiang et al. 2018)",
            "normalised input units",
            splits,
        ),
        (
            "iteration_learned",
            f"mean over the {TRAINING} of the first epoch from which the member's prediction stays its final "
            "prediction (0: from initialisation)",
            "higher = harder",
            "Baldock et al. 2021, Sec. 3.2 (after Toneva et al. 2019)",
            "epoch",
            t,
        ),
        (
            "consistency",
            f"share of the {TRAINING} predicting the label {final}",
            "lower = harder",
            "Hacohen et al. 2020, Sec. 2 (consistency score)",
            "fraction",
            t,
        ),
        (
            "accessibility",
            f"mean over epochs 1..{epochs_of(record)} of the consistency over the {TRAINING}",
            "lower = harder",
            "Hacohen et al. 2020, Sec. 3 (accessibility score)",
            "fraction",
            t,
        ),
        (
            "consensus",
            f"largest share of the {TRAINING} predicting one class {final}, right or wrong",
            "lower = harder",
            "Hacohen et al. 2020, Sec. 2 (consensus score)",
            "fraction",
            t,
        ),
        (
            "first_agreement_epoch",
            f"first epoch (0: initialisation) after which every member of the {TRAINING} predicts the "
            f"label; {epochs_of(record) + 1} where that never happens",
            "higher = harder",
            "Pliushch et al. 2022, Sec. 3 (true-positive agreement set)",
            "epoch",
            t,
        ),
        (
            "forgetting_events",
            f"mean over the {TRAINING} of the right-to-wrong transitions between epochs 1..{epochs_of(record)}; "
            f"a member that never gets it right counts {epochs_of(record)}",
            "higher = harder",
            "Toneva et al. 2019, Sec. 3",
            "count",
            t,
        ),
        (
            "el2n",
            f"mean over the {TRAINING} of ||softmax - onehot(label)||_2 after epoch {el2n_at} (10% of training, at least 1)",
            "higher = harder",
            "Paul et al. 2021, Def. 2.2",
            "L2 norm, 0 .. sqrt(2)",
            t,
        ),
        (
            "aum",
            f"mean over the {TRAINING} of the margin (label logit minus largest other) averaged over epochs 1..{epochs_of(record)}",
            "lower = harder",
            "Pleiss et al. 2020, Eq. 2",
            "logit",
            t,
        ),
        (
            "confidence",
            f"mean over the {TRAINING} of the label's softmax probability averaged over epochs 1..{epochs_of(record)}",
            "lower = harder",
            "Swayamdipta et al. 2020, Eq. 1 (data maps)",
            "probability",
            t,
        ),
        (
            "variability",
            f"mean over the {TRAINING} of the standard deviation of the label's softmax probability over epochs "
            f"1..{epochs_of(record)}; high for ambiguous examples, low for both easy and hard-to-learn ones",
            "no direction",
            "Swayamdipta et al. 2020, Eq. 2 (data maps)",
            "probability",
            t,
        ),
    ]
    scores = [Score(n, d, sign, src, unit, sp) for n, d, sign, src, unit, sp in spec]
    scores += [
        Score(
            name,
            f"{IMAGE_STATS[name][0]} (an image statistic, not a difficulty score)",
            "no direction",
            "Pliushch et al. 2022, Sec. 4, App. D (replicate.imagestats)",
            IMAGE_STATS[name][1],
            splits,
        )
        for name in imagestats.STATS
    ]
    return tuple(scores)


def epochs_of(record: Record) -> int:
    return record.preds(sides(record)[0].record_split).shape[1] - 1


@dataclass(frozen=True)
class Atlas:
    """The atlas of one ensemble: the table and its declarations, the record and probes it came from,
    and the run-store entries it read ({store path: recipe}) for the manifest."""

    table: pd.DataFrame
    scores: tuple[Score, ...]
    record: Record
    probes: Probes
    used: dict[str, dict]


def compute(p: dict, report: Callable[[str], None] = print) -> Atlas:
    """The atlas table of a1's ``atlas`` parameter ``p`` (``specs.atlas_spec``): the ensemble
    (trained, or read from the run store), k-NN probes of its first ``probe_members`` members, the
    image statistics of the scored examples, then :func:`build`. ``report`` hears each step."""
    if p["dataset"] not in DATASETS:
        raise data.DataError(f"no atlas table of {p['dataset']!r} yet; allowed: {', '.join(DATASETS)}")
    spec = specs.atlas_spec(p)
    t = spec.train
    report(f"atlas ensemble: {t.n_models} MLPs of width {t.width:g}, {t.epochs} epochs, each on its own 90% of the pool")
    record = runs.ensemble(spec)
    members = range(p["probe_members"])
    report(f"k-NN probes of members 0..{members[-1]} (k = {specs.PROBE_K}, at most {p['probe_dim']} dims)")
    probed = sampled_probes(record, members, specs.PROBE_K, p["probe_dim"], seed=p["seed"])
    report(f"input margins of members 0..{members[-1]} on every image")
    margins = {"train": probing.input_margins(record, "train", members)}
    sizes = {"train": spec.data.n_train, "test": spec.data.n_test}
    report("image statistics of the scored images")
    stats = {s: runs.image_stats(p["dataset"], s, n=sizes[s], seed=spec.data.seed) for s in data.SPLITS}
    table, scores = build(record, probed, stats, input_margins=margins)
    used = release.recipes([record]) | {
        f"atlas-probes/{m['key']}": {k: m[k] for k in ("member", "k", "probe_dim", "seed", "queries")} for m in probed.meta
    }
    used |= {f"input_margin/{probing.input_margin_key(record, i, 'train')}": {"member": i, "split": "train"} for i in members}
    used |= {
        runs.imagestats_entry(p["dataset"], s, sizes[s], spec.data.seed): runs.imagestats_spec(p["dataset"], s, sizes[s], spec.data.seed)
        for s in data.SPLITS
    }
    return Atlas(table, scores, record, probed, used)


def make(p: dict, out: str | Path, report: Callable[[str], None] = print) -> Path:
    """Build the atlas of a1's ``atlas`` parameter ``p`` (:func:`compute`) and release it into
    ``out`` (``replicate scores``; ``release.write``). Returns the manifest's path."""
    atlas = compute(p, report)
    images = {s: data.load(p["dataset"], s).x for s in data.SPLITS}
    manifest = release.write(atlas.table, atlas.scores, p["dataset"], images, atlas.used, out)
    report(f"{len(atlas.table)} examples x {len(atlas.scores)} scores written to {manifest.parent}")
    return manifest
