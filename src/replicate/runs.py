"""Get or compute: ensemble specs -> run store -> training -> :class:`Record`; and the image
statistics of a data set (Pliushch App. D), computed once per data view.

Two notebooks asking for the same spec share one store entry; an interrupted training run
resumes from its last completed epoch.
"""

from __future__ import annotations

import json
import time
from dataclasses import MISSING, asdict, dataclass, field, fields, replace

import numpy as np
import torch
from tqdm import tqdm

from . import data, imagestats, models, provenance
from .store import Store, say
from .store import key as store_key
from .train import OUTPUTS, State, TrainConfig, default_device, extends, resolve_engine, train_ensemble

VERSION = "ensemble-2"
SPLITS = ("same", "holdout", "partition")
OOD = ("noise", "unseen")


@dataclass(frozen=True)
class DataSpec:
    """Which examples an ensemble trains and is evaluated on (seeded views, never copies).

    ``split``: every model on the whole training set, each on its own random 90% (``holdout``)
    or on its own disjoint part (``partition``). ``ood``: unlabelled out-of-sample sets
    evaluated besides the test set. ``eval_train=False`` skips the training set's evaluation
    pass, for figures that only look at the test set. ``pool=True`` pools the training and test
    views into one training set (the atlas, issue 15; ``data.pool``: a test example's id is
    shifted by the whole training split's size), which ``split`` divides among the members and
    whose evaluation is the ``train`` split; no test set is evaluated apart from it."""

    dataset: str = "fashion_mnist"
    n_train: int | None = None
    n_test: int | None = None
    classes: tuple[int, ...] | None = None
    label_noise: float = 0.0
    random_labels: bool = False
    split: str = "same"
    seed: int = 0
    ood: tuple[str, ...] = ()
    eval_train: bool = True
    pool: bool = False

    def __post_init__(self):
        if self.dataset not in data.DATASETS:
            raise data.DataError(f"dataset={self.dataset!r} is not known; allowed: {', '.join(data.DATASETS)}")
        if self.split not in SPLITS:
            raise ValueError(
                f"split={self.split!r} is not allowed; choose one of: same (every model on the whole training set), "
                "holdout (each model on its own random 90%), partition (disjoint parts)"
            )
        for name in self.ood:
            if name not in OOD:
                raise ValueError(f"ood={self.ood!r}: {name!r} is not an out-of-sample set; allowed: {', '.join(OOD)}")
        if "unseen" in self.ood and self.classes is None:
            raise ValueError("ood 'unseen' needs classes=(...): the unseen classes are the others")
        if self.pool and not self.eval_train:
            raise ValueError("pool=True evaluates the pooled training set only: keep eval_train=True")


@dataclass(frozen=True)
class EnsembleSpec:
    """Everything that determines a trained ensemble: its data and its training."""

    data: DataSpec
    train: TrainConfig

    def key(self, device: torch.device) -> str:
        """Store key: the spec's non-default fields (so adding a field with a default keeps
        existing keys), the device type and the engine ``auto`` resolves to there. Nets with
        dropout under the batched engine draw each member's masks from its own generator since
        shard-invariant training; their key says so, so that entries trained with masks drawn for
        the whole ensemble at once are not read as theirs."""
        return store_key("ensemble", self._described(device), VERSION)

    def member_key(self, device: torch.device) -> str:
        """What a member of this ensemble is, whatever the number of its members: :meth:`key`
        without ``n_models`` (members are shard-invariant), except for partition splits, whose
        masks depend on it. Keys per-member derived entries (probes), so a grown ensemble reuses them."""
        if self.data.split == "partition":
            return self.key(device)
        return store_key("ensemble-member", self._described(device, without="n_models"), VERSION)

    def _described(self, device: torch.device, without: str = "") -> dict:
        """What a key hashes: the non-default fields of the data and of the training (but the field
        ``without``), the device type, the engine, and whether dropout masks are drawn per member."""
        t = self.train
        engine = resolve_engine(t.engine, t.arch, device)
        spec = {"data": _non_default(self.data), "train": {k: v for k, v in _non_default(t).items() if k != without}}
        if engine == "batched" and models.has_dropout(t.arch, t.width, **dict(t.arch_options)):
            spec["dropout"] = "per-member"
        return {**spec, "device": device.type, "engine": engine}


def _non_default(spec) -> dict:
    return {f.name: v for f in fields(spec) if (v := getattr(spec, f.name)) != f.default or f.default is MISSING}


def views(spec: DataSpec, n_models: int) -> tuple[data.Arrays, data.Arrays, np.ndarray]:
    """The training and test sets of ``spec`` and the (n_models, n_train) training masks; with
    ``pool``, the training set is the pool of both (the test set is also returned)."""
    train, test = data.load(spec.dataset, "train", seed=spec.seed), data.load(spec.dataset, "test", seed=spec.seed)
    if spec.classes is not None:
        train, test = data.select_classes(train, spec.classes), data.select_classes(test, spec.classes)
    if spec.n_train is not None:
        train = data.subset(train, spec.n_train, spec.seed)
    if spec.n_test is not None:
        test = data.subset(test, spec.n_test, spec.seed)
    if spec.pool:
        train = data.pool(train, test)
    if spec.random_labels:
        train = data.random_labels(train, spec.seed)
    elif spec.label_noise:
        train = data.label_noise(train, spec.label_noise, spec.seed)
    n = len(train.y)
    if spec.split == "holdout":
        masks = data.holdout_masks(n, n_models, spec.seed)
    elif spec.split == "partition":
        masks = data.partition_masks(n, n_models, spec.seed)
    else:
        masks = np.ones((n_models, n), bool)
    return train, test, masks


def ood_sets(spec: DataSpec, test: data.Arrays) -> dict[str, data.Arrays]:
    """Unlabelled out-of-sample evaluation sets (Hacohen Fig. 5): Gaussian-noise images shaped
    like the test set, and test images of the classes left out of training."""
    sets = {}
    if "noise" in spec.ood:
        sets["noise"] = data.noise_images(test, len(test.y), spec.seed)
    if "unseen" in spec.ood:
        unseen = data.other_classes(data.load(spec.dataset, "test", seed=spec.seed), spec.classes)
        sets["unseen"] = data.subset(unseen, min(len(test.y), len(unseen.y)), spec.seed) if spec.n_test else unseen
    return sets


@dataclass
class Record:
    """A trained ensemble: per split, predictions (n_models, n_epochs + 1, n) and labels."""

    spec: EnsembleSpec
    key: str
    arrays: dict[str, np.ndarray]
    meta: dict = field(default_factory=dict)

    def preds(self, split: str = "test") -> np.ndarray:
        return self.arrays[f"preds/{split}"]

    def labels(self, split: str = "test") -> np.ndarray:
        return self.arrays[f"labels/{split}"]

    def ids(self, split: str = "test") -> np.ndarray:
        return self.arrays[f"ids/{split}"]

    def margins(self, split: str = "test") -> np.ndarray:
        """float32 (n_models, n_epochs + 1, n): the label's logit minus the largest other (metrics.label_margin)."""
        return self._output("margins", split)

    def probs(self, split: str = "test") -> np.ndarray:
        """float32 (n_models, n_epochs + 1, n): the softmax probability of the label (metrics.label_probability)."""
        return self._output("probs", split)

    def el2n(self, split: str = "test") -> np.ndarray:
        """float32 (n_models, n_epochs + 1, n): ||softmax - onehot(label)||_2 per network (metrics.l2_error)."""
        return self._output("el2n", split)

    def _output(self, name: str, split: str) -> np.ndarray:
        if f"{name}/{split}" not in self.arrays:
            raise KeyError(f"this ensemble kept no {name} of split {split!r}: train it with keep_margins=True")
        return self.arrays[f"{name}/{split}"]

    @property
    def masks(self) -> np.ndarray:
        """bool (n_models, n_train): which training points each model trained on."""
        return self.arrays["masks"]

    @property
    def n_classes(self) -> int:
        return int(self.meta["n_classes"])

    @property
    def epochs(self) -> np.ndarray:
        return np.arange(self.preds("test" if "preds/test" in self.arrays else "train").shape[1])

    def correct(self, split: str = "test") -> np.ndarray:
        return self.preds(split) == self.labels(split)

    def accuracy(self, split: str = "test") -> np.ndarray:
        """(n_models, n_epochs + 1) accuracy of every model after every epoch."""
        return self.correct(split).mean(-1)


def _arrays(
    train: data.Arrays, evals: dict[str, data.Arrays], masks: np.ndarray, state: State, weights: bool, resume: bool
) -> dict[str, np.ndarray]:
    """An entry's arrays; with ``resume``, also what extending the run to more epochs needs: the
    epochs done, and the parameters, buffers and momentum at the end."""
    out = {"masks": masks, "loss": state.loss, "relabelled": train.relabelled, "original_labels/train": train.original_y}
    for split, a in evals.items():
        out |= {f"preds/{split}": state.preds[split], f"labels/{split}": a.y, f"ids/{split}": a.ids}
        if state.step_preds[split].shape[1]:
            out[f"step_preds/{split}"] = state.step_preds[split]
        if "logits" in state.extra:
            out[f"logits/{split}"] = state.extra["logits"][split]
    out |= state.outputs
    if weights:
        out |= {f"weights/{k}": v.cpu().numpy() for k, v in {**state.params, **state.buffers}.items()}
    if resume:
        out["resume/epoch"] = np.full(len(masks), state.epoch)
        for part in ("params", "buffers", "momentum"):
            out |= {f"resume/{part}/{k}": v.cpu().numpy() for k, v in getattr(state, part).items()}
    return out


def _resumed(arrays: dict[str, np.ndarray], part: str) -> dict[str, torch.Tensor]:
    head = f"resume/{part}/"
    return {k[len(head) :]: torch.from_numpy(v) for k, v in arrays.items() if k.startswith(head)}


def _extended(arrays: dict[str, np.ndarray], meta: dict, cfg: TrainConfig) -> State | None:
    """The training state at the end of a stored run, laid out for ``cfg``'s longer run (predictions
    and losses of the epochs to come still zero); None when the entry kept no resume state."""
    if "resume/epoch" not in arrays:
        return None
    done = int(arrays["resume/epoch"][0])
    splits = [k.split("/", 1)[1] for k in arrays if k.startswith("preds/")]
    preds = {s: np.zeros((*arrays[f"preds/{s}"].shape[:1], cfg.epochs + 1, arrays[f"preds/{s}"].shape[2]), np.int16) for s in splits}
    for s in splits:
        preds[s][:, : done + 1] = arrays[f"preds/{s}"]
    loss = np.zeros((len(arrays["loss"]), cfg.epochs), np.float32)
    loss[:, :done] = arrays["loss"]
    outputs = {}
    for name in (a for a in arrays if a.split("/")[0] in OUTPUTS):
        stored = arrays[name]
        outputs[name] = np.full((stored.shape[0], cfg.epochs + 1, stored.shape[2]), np.nan, np.float32)
        outputs[name][:, : done + 1] = stored
    return State(
        epoch=done,
        params=_resumed(arrays, "params"),
        buffers=_resumed(arrays, "buffers"),
        momentum=_resumed(arrays, "momentum"),
        preds=preds,
        step_preds={s: arrays.get(f"step_preds/{s}", np.zeros((len(loss), 0, preds[s].shape[2]), np.int16)) for s in splits},
        loss=loss,
        extra={"seconds": meta.get("train_seconds", 0.0)},
        outputs=outputs,
    )


def _checkpoint(state: State) -> dict:
    return {
        "epoch": state.epoch,
        "params": state.params,
        "buffers": state.buffers,
        "momentum": state.momentum,
        "preds": {k: torch.from_numpy(v) for k, v in state.preds.items()},
        "step_preds": {k: torch.from_numpy(v) for k, v in state.step_preds.items()},
        "loss": torch.from_numpy(state.loss),
        "seconds": state.extra.get("seconds", 0.0),
        "outputs": {k: torch.from_numpy(v) for k, v in state.outputs.items()},
    }


def _state(ck: dict) -> State:
    return State(
        epoch=ck["epoch"],
        params=ck["params"],
        buffers=ck["buffers"],
        momentum=ck["momentum"],
        preds={k: v.numpy() for k, v in ck["preds"].items()},
        step_preds={k: v.numpy() for k, v in ck["step_preds"].items()},
        loss=ck["loss"].numpy(),
        extra={"seconds": ck["seconds"]},
        outputs={k: v.numpy() for k, v in ck.get("outputs", {}).items()},
    )


def ensemble(spec: EnsembleSpec, store: Store | None = None, device: str | None = None, progress: bool | None = None) -> Record:
    """The trained ensemble of ``spec``: read from the store, or trained (resuming a killed run).

    Members are independent of each other (shard-invariant training), so a stored ensemble of the
    same spec with more members gives the first ``n_models`` of it for free, and one with fewer is
    grown: only the missing members train. Not for partition splits, whose masks depend on the
    number of members."""
    store = store or Store()
    dev = default_device(device)
    k = spec.key(dev)

    def compute() -> tuple[dict[str, np.ndarray], dict]:
        relatives = _relatives(spec, store, dev)
        stored = relatives["n_models"] if spec.data.split != "partition" else {}
        n = spec.train.n_models
        for m in sorted(stored, key=lambda m: (m < n, abs(m - n))):  # the smallest larger one first, else the largest smaller
            hit = store.load("ensemble", stored[m])
            if hit is not None and m > n:
                say(f"ensemble: the first {n} of {m} stored networks")
                return {a: v[:n] if per_member(a) else v for a, v in hit[0].items()}, {**hit[1], "spec": asdict(spec), "key": k}
            if hit is not None:
                return _train(spec, k, store, dev, progress, grow=(m, hit[0]))
        other = relatives["epochs"]
        shorter = sorted((e for e in other if e < spec.train.epochs), reverse=True)
        if shorter and extends(spec.train):
            hit = store.load("ensemble", other[shorter[0]])
            start = _extended(*hit, spec.train) if hit is not None else None
            if start is not None:
                say(f"ensemble: extending the stored {shorter[0]}-epoch run to {spec.train.epochs} epochs")
                return _train(spec, k, store, dev, progress, start=start)
        if other:
            why = (
                "its learning-rate schedule depends on the number of epochs"
                if not extends(spec.train)
                else "a stored run has more epochs, or keeps no resume state (trained before runs were extendable)"
            )
            say(
                f"ensemble: a stored run of this spec has {', '.join(map(str, sorted(other)))} epochs; it is not extended to "
                f"{spec.train.epochs} ({why}): training from scratch"
            )
        return _train(spec, k, store, dev, progress)

    return Record(spec, k, *store.cached("ensemble", k, compute))


def per_member(name: str) -> bool:
    """Whether the ensemble array ``name`` has one row per member (masks, losses, predictions,
    logits, weights, resume state, margins, probabilities, EL2N) rather than one per example or none."""
    return name in ("masks", "loss") or name.split("/")[0] in ("preds", "step_preds", "logits", "weights", "resume", *OUTPUTS)


def _defaults(cls) -> dict:
    return {f.name: f.default for f in fields(cls) if f.default is not MISSING}


def _relatives(spec: EnsembleSpec, store: Store, dev: torch.device) -> dict[str, dict[int, str]]:
    """{field: {value: key}} of the stored ensembles that differ from ``spec`` only in the training
    field ``n_models`` or ``epochs``: entries whose recorded spec matches but for that field,
    confirmed by their key. One pass over the store's metadata. A field added since an entry was
    written (``keep_margins``, say) reads as its default there, as in the entry's key."""
    want = json.loads(json.dumps(asdict(spec), default=str))
    defaults = json.loads(json.dumps({"data": _defaults(DataSpec), "train": _defaults(TrainConfig)}, default=str))
    out: dict[str, dict[int, str]] = {"n_models": {}, "epochs": {}}
    for meta_file in (store.root / "ensemble").glob("*/meta.json"):
        try:
            recorded = json.loads(meta_file.read_text())["spec"]
            got = {part: {**defaults[part], **recorded[part]} for part in defaults}
            values = {name: int(got["train"][name]) for name in out}
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if got["data"] != want["data"]:
            continue
        for name, v in values.items():
            if v == getattr(spec.train, name) or {**got["train"], name: want["train"][name]} != want["train"]:
                continue
            if meta_file.parent.name == replace(spec, train=replace(spec.train, **{name: v})).key(dev):
                out[name][v] = meta_file.parent.name
    return out


def _train(
    spec: EnsembleSpec,
    k: str,
    store: Store,
    dev: torch.device,
    progress: bool | None,
    grow: tuple[int, dict] = (0, {}),
    start: State | None = None,
) -> tuple[dict[str, np.ndarray], dict]:
    """Train the ensemble of ``spec``: its arrays and metadata. ``grow`` = (m, the arrays of a stored
    m-member ensemble of the same spec): train members m.. only and put them after the stored
    ones. ``start``: the state of a shorter stored run to extend (in this process). With a cluster
    (:mod:`.cluster`), the members train in shards on its workers."""
    from . import cluster

    store.check_writable()
    first, stored = grow
    n = spec.train.n_models
    if first:
        say(f"ensemble: growing {first} stored networks to {n}: training members {first}..{n - 1}")
    extended = start.epoch if start is not None else 0
    if start is not None:
        parts = [train_members(spec, range(n), store, dev, progress, start=start)]
    elif cluster.address():
        parts = cluster.train(spec, range(first, n), store.root, dev)
    else:
        parts = [train_members(spec, range(first, n), store, dev, progress)]
    arrays = {
        a: np.concatenate([*([stored[a]] if first else []), *(p[a] for p, _ in parts)]) if per_member(a) else v
        for a, v in parts[0][0].items()
    }
    meta = {
        **parts[0][1],
        "spec": asdict(spec),
        "key": k,
        "train_seconds": round(sum(m["train_seconds"] for _, m in parts), 2),
        "resumed_from_epoch": max(m["resumed_from_epoch"] for _, m in parts),
        "shards": [m["members"] for _, m in parts],
        "grown_from": first,
        "extended_from_epoch": extended,
    }
    return arrays, meta


def train_members(
    spec: EnsembleSpec, members: range, store: Store, dev: torch.device, progress: bool | None = None, start: State | None = None
) -> tuple[dict[str, np.ndarray], dict]:
    """Train the members ``members`` of the ensemble of ``spec`` (a shard, or all of them), resuming
    from their checkpoint, else from ``start`` (a shorter run being extended): the arrays of those
    members and the metadata of their training. Each member equals itself trained beside all the
    others (shard-invariant training)."""
    k = spec.key(dev)
    n = spec.train.n_models
    ck_key = k if members == range(n) else f"{k}.members-{members.start}-{members.stop}"
    train, test, masks = views(spec.data, n)
    evals = {"train": train} if spec.data.eval_train else {}
    evals |= ({} if spec.data.pool else {"test": test}) | ood_sets(spec.data, test)
    ck = store.load_checkpoint("ensemble", ck_key)
    if ck is not None and ck.get("members", 0) != members.start:
        ck = None  # a checkpoint of another set of members
    state = _state(ck) if ck is not None else start
    resumed = state.epoch if state else 0
    spent = state.extra["seconds"] if state else 0.0
    began = time.perf_counter()

    def checkpoint(st: State) -> None:
        st.extra["seconds"] = spent + time.perf_counter() - began
        store.save_checkpoint("ensemble", ck_key, {**_checkpoint(st), "members": members.start})

    state = train_ensemble(
        spec.train,
        train.x,
        train.y,
        {split: a.x for split, a in evals.items()},
        masks=masks,
        n_classes=train.n_classes,
        device=dev,
        state=state,
        on_epoch=checkpoint,
        progress=progress,
        members=members,
        eval_labels={split: a.y for split, a in evals.items()},
    )
    meta = {
        "n_classes": train.n_classes,
        "engine": state.extra["engine"],
        "device": str(dev),
        "members": [members.start, members.stop],
        "train_seconds": round(spent + time.perf_counter() - began, 2),
        "resumed_from_epoch": resumed,
        **provenance.info(),
    }
    return _arrays(train, evals, masks[members.start : members.stop], state, spec.train.keep_weights, extends(spec.train)), meta


# --- Image statistics of a whole data set, kept in the run store ---

IMAGESTATS = "imagestats"
IMAGESTATS_VERSION = "2"
"""The run-store kind of the image statistics (Pliushch App. D) and the version of their code."""


def imagestats_spec(dataset: str, split: str = "train", n: int | None = None, seed: int = 0, **params) -> dict:
    """Everything that determines the statistics: the data view and every parameter, defaults filled in."""
    unknown = set(params) - set(imagestats.DEFAULTS)
    if unknown:
        raise TypeError(f"unknown image-statistics parameters {sorted(unknown)}; the parameters are {sorted(imagestats.DEFAULTS)}.")
    values = {**imagestats.DEFAULTS, **params}
    return {"dataset": dataset, "split": split, "n": n, "seed": seed, **{p: _typed(p, v) for p, v in values.items()}}


def imagestats_entry(dataset: str, split: str = "train", n: int | None = None, seed: int = 0, **params) -> str:
    """The run-store entry ("imagestats/<key>") of these statistics, for provenance."""
    return f"{IMAGESTATS}/{store_key(IMAGESTATS, imagestats_spec(dataset, split, n, seed, **params), IMAGESTATS_VERSION)}"


def _typed(name: str, value) -> int | float:
    """`value` as its default's type, so that scale=500 and scale=500.0 share a key."""
    kind = type(imagestats.DEFAULTS[name])
    if kind is int and value != int(value):
        raise ValueError(f"{name} must be a whole number; got {value}.")
    return kind(value)


def images(a: data.Arrays) -> np.ndarray:
    """The data set's original uint8 images, channels last (N x H x W x C) as imagestats expects."""
    return np.moveaxis(a.x, 1, -1)


def image_stats(
    dataset: str,
    split: str = "train",
    n: int | None = None,
    seed: int = 0,
    store: Store | None = None,
    progress: bool | None = None,
    **params,
) -> dict[str, np.ndarray]:
    """The four statistics (imagestats.STATS) and "ids" of every image of the view, from the store or computed.

    `n` takes a stratified subset (data.subset with `seed`); `params` override imagestats.DEFAULTS."""
    s = imagestats_spec(dataset, split, n, seed, **params)
    k = store_key(IMAGESTATS, s, IMAGESTATS_VERSION)
    store = store or Store()

    def compute() -> tuple[dict[str, np.ndarray], dict]:
        a = data.load(dataset, split, seed=seed)
        if n is not None:
            a = data.subset(a, n, seed)
        start = time.perf_counter()
        with tqdm(
            total=len(a),
            desc=f"image statistics of {dataset}/{split}",
            unit="image",
            leave=False,
            disable=None if progress is None else not progress,
        ) as bar:
            stats = imagestats.all_stats(images(a), progress=bar.update, **{p: s[p] for p in imagestats.DEFAULTS})
        meta = {"spec": s, "key": k, "version": IMAGESTATS_VERSION, "seconds": round(time.perf_counter() - start, 2), **provenance.info()}
        return {**stats, "ids": np.asarray(a.ids)}, meta

    return store.cached(IMAGESTATS, k, compute)[0]
