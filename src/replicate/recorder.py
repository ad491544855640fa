"""Record a user's own PyTorch training loop as a run-store entry that :class:`runs.Record` reads
(issue 15, part 5): per split, member and epoch, the logits of every example become the agreed
arrays ``preds/{s}`` int16, ``margins/{s}``, ``probs/{s}`` and ``el2n/{s}`` float32, each
(n_models, epochs + 1, n) with epoch 0 = before training, beside ``labels/{s}``, ``ids/{s}`` and
``masks`` (n_models, n_train), so every per-example score computed on our ensembles (consistency,
iteration learned, forgetting, AUM, data maps, C-score estimates...) applies to the user's networks.

    rec = Recorder("my-run", 10, {"train": (train_ids, train_y), "test": (test_ids, test_y)}, n_models=3, epochs=20)
    ...inside the loop: rec.log("test", member, epoch, ids, logits)
    record = rec.save()            # later: recorder.load("my-run")

A log copies the logits to the CPU and checks the ids; every 65,536 logged rows (and before
saving) they are reduced together to the prediction and :data:`train.OUTPUTS` (the engine's
formulas from :mod:`metrics`) and written into preallocated numpy arrays (no per-example Python
loop, few numpy calls per log). An example logged twice for
the same (split, member, epoch) keeps its last logits. Conventionally the logits come from an
evaluation pass (eval mode, no dropout), as in our ensembles; logits of training batches may be
logged instead (the record then holds the predictions made while training, as Toneva et al.
2019 count forgetting).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike

from . import provenance
from .runs import Record
from .store import Store
from .store import key as store_key
from .train import OUTPUTS

KIND = "recorded"
VERSION = "recorder-1"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_KEY = re.compile(r"-[0-9a-f]{20}")
Logits = ArrayLike | torch.Tensor
FLUSH_ROWS = 1 << 16
"""Logged rows kept as raw logits before they are reduced in one vectorised pass (at most ~2.6 MB for 10 classes)."""
TABLE_SPAN = 4
"""A split whose ids span (highest - lowest) less than this many times its size finds rows in an id table (8 bytes an id of the span)."""


@dataclass(frozen=True)
class RecordedSpec:
    """What a recorded entry is (the ``spec`` of its :class:`runs.Record`): the user's name, the
    number of classes, members and epochs, and each split's size."""

    name: str
    n_classes: int
    n_models: int
    epochs: int
    sizes: tuple[tuple[str, int], ...]


def _digest(splits: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> str:
    """sha256 of every split's name, ids and labels, in a fixed byte layout."""
    h = hashlib.sha256()
    for s in sorted(splits):
        ids, labels = splits[s]
        h.update(s.encode() + b"\0" + np.ascontiguousarray(ids, "<i8").tobytes() + np.ascontiguousarray(labels, "<i8").tobytes())
    return h.hexdigest()


def entry_key(name: str, splits: Mapping[str, tuple[ArrayLike, ArrayLike]], n_classes: int, n_models: int, epochs: int) -> str:
    """The store key of a recording: ``<name>-<hash>``, the hash of the ids and labels of every
    split and of the numbers of classes, members and epochs."""
    arrays = {s: (np.asarray(i, np.int64), np.asarray(y, np.int64)) for s, (i, y) in splits.items()}
    described = {"data": _digest(arrays), "n_classes": n_classes, "n_models": n_models, "epochs": epochs}
    return f"{name}-{store_key(KIND, described, VERSION)}"


class Recorder:
    """Collects the logits of ``n_models`` networks on the examples of ``splits`` ({name: (ids,
    labels)}, ids unique canonical ids) at epochs 0..``epochs`` and saves them in the run store.

    ``trained_on``: per member, the ids of the ``train`` split it trained on, or a bool array
    (n_models, n_train); by default every member trained on every training example."""

    def __init__(
        self,
        name: str,
        n_classes: int,
        splits: Mapping[str, tuple[ArrayLike, ArrayLike]],
        n_models: int,
        epochs: int,
        store: Store | None = None,
        trained_on: Sequence[ArrayLike] | np.ndarray | None = None,
    ):
        if not _NAME.fullmatch(name):
            raise ValueError(f"name {name!r}: use letters, digits, '_', '.' and '-' (it names a folder of the run store)")
        if not 2 <= n_classes <= np.iinfo(np.int16).max:
            raise ValueError(f"n_classes={n_classes}: need 2..{np.iinfo(np.int16).max}")
        if n_models < 1 or epochs < 0:
            raise ValueError(f"n_models={n_models}, epochs={epochs}: need at least one model and epochs >= 0")
        if not splits:
            raise ValueError("splits is empty: give at least one {name: (ids, labels)}")
        self.name, self.n_classes, self.n_models, self.epochs = name, n_classes, n_models, epochs
        self.store = store or Store()
        self.ids: dict[str, np.ndarray] = {}
        self.labels: dict[str, np.ndarray] = {}
        self._sorted: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._table: dict[str, tuple[int, np.ndarray]] = {}
        for s, (ids, labels) in splits.items():
            ids, labels = np.asarray(ids, np.int64).ravel(), np.asarray(labels, np.int64).ravel()
            if ids.shape != labels.shape:
                raise ValueError(f"split {s!r}: {ids.size} ids but {labels.size} labels")
            if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
                raise ValueError(f"split {s!r}: labels must lie in [0, {n_classes})")
            order = np.argsort(ids, kind="stable")
            if np.any(ids[order][1:] == ids[order][:-1]):
                raise ValueError(f"split {s!r}: the ids are not unique")
            self.ids[s], self.labels[s], self._sorted[s] = ids, labels, (ids[order], order)
            if ids.size == 0 or int(ids[order[-1]]) - int(ids[order[0]]) < TABLE_SPAN * ids.size:
                self._table[s] = self._id_table(ids[order], order)
        shape = {s: (n_models, epochs + 1, ids.size) for s, ids in self.ids.items()}
        kinds = {"preds": np.int16, "logged": bool, **dict.fromkeys(OUTPUTS, np.float32)}
        self._out = {kind: {s: np.zeros(sh, dtype) for s, sh in shape.items()} for kind, dtype in kinds.items()}
        self._pending: list[tuple[str, np.ndarray, np.ndarray]] = []
        self._pending_rows = 0
        self.masks = self._masks(trained_on)
        self.key = entry_key(name, {s: (self.ids[s], self.labels[s]) for s in self.ids}, n_classes, n_models, epochs)

    def _masks(self, trained_on) -> np.ndarray:
        n_train = self.ids["train"].size if "train" in self.ids else 0
        if trained_on is None:
            return np.ones((self.n_models, n_train), bool)
        if "train" not in self.ids:
            raise ValueError("trained_on needs a 'train' split: it names ids of that split")
        if len(trained_on) != self.n_models:
            raise ValueError(f"trained_on lists {len(trained_on)} members; the recorder has {self.n_models}")
        masks = np.zeros((self.n_models, n_train), bool)
        for m, given in enumerate(trained_on):
            given = np.asarray(given)
            if given.dtype != bool:
                masks[m, self.rows("train", given)] = True
            elif given.shape == (n_train,):
                masks[m] = given
            else:
                raise ValueError(f"trained_on[{m}] is a bool mask of shape {given.shape}; the train split has {n_train} examples")
        return masks

    @staticmethod
    def _id_table(known: np.ndarray, order: np.ndarray) -> tuple[int, np.ndarray]:
        """(lowest id - 1, table): table[id - lowest + 1] = the id's position, -1 for ids the split
        lacks, including both ends, so a clipped lookup of any out-of-range id lands on a -1."""
        lo = int(known[0]) - 1 if known.size else 0
        table = np.full((int(known[-1]) - lo + 2) if known.size else 2, -1, np.int64)
        table[known - lo] = order
        return lo, table

    def rows(self, split: str, ids: ArrayLike | torch.Tensor) -> np.ndarray:
        """The positions of ``ids`` in ``split``; refuses ids the split does not hold. Ids spanning
        less than :data:`TABLE_SPAN` times the split's size are looked up in a table, one read a
        row, where a binary search makes ~log2(n) scattered reads (measured in the bench's loop of
        8,000 ids, whose steps evict the caches: a quarter less time in this method); sparser ids
        by binary search."""
        if split not in self._sorted:
            raise KeyError(f"split {split!r} is not recorded; the splits are {sorted(self._sorted)}")
        if isinstance(ids, torch.Tensor):
            ids = ids.detach().cpu().numpy()
        ids = np.asarray(ids, np.int64).ravel()
        if split in self._table:
            lo, table = self._table[split]
            rows = table.take(ids - lo, mode="clip")
            bad = rows < 0
        else:
            known, order = self._sorted[split]
            at = np.minimum(np.searchsorted(known, ids), known.size - 1)
            rows, bad = order[at], known[at] != ids
        if bad.any():
            raise KeyError(f"split {split!r} holds no example with id {ids[bad][:5].tolist()} ({int(bad.sum())} unknown ids)")
        return rows

    def log(self, split: str, member: int, epoch: int, ids: ArrayLike | torch.Tensor, logits: Logits) -> None:
        """Record ``logits`` (batch, n_classes) of member ``member`` at ``epoch`` (0 = before
        training) for the examples ``ids`` of ``split``, in any order and batch size."""
        if not 0 <= member < self.n_models:
            raise IndexError(f"member {member} is out of range: the recorder has {self.n_models} members (0..{self.n_models - 1})")
        if not 0 <= epoch <= self.epochs:
            raise IndexError(f"epoch {epoch} is out of range: 0 (before training) .. {self.epochs}")
        rows = self.rows(split, ids)
        # one copy (the caller may reuse its buffer), also from a GPU or another dtype
        z = (
            logits.detach().to("cpu", torch.float32, copy=True).numpy()
            if isinstance(logits, torch.Tensor)
            else np.array(logits, np.float32)
        )
        if z.shape != (rows.size, self.n_classes):
            raise ValueError(f"logits of shape {z.shape} for {rows.size} ids: expected ({rows.size}, {self.n_classes})")
        self._pending.append((split, (member * (self.epochs + 1) + epoch) * self.ids[split].size + rows, z))
        self._pending_rows += rows.size
        if self._pending_rows >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        """Reduce the pending logits of each split in one vectorised pass and write them into the
        arrays at their flat (member, epoch, example) positions; of repeats, the last logged wins."""
        for split in {s for s, _, _ in self._pending}:
            flat = np.concatenate([f for s, f, _ in self._pending if s == split])
            z = np.concatenate([z for s, _, z in self._pending if s == split], dtype=np.float64)  # the formulas' dtype, converted once
            last = flat.size - 1 - np.unique(flat[::-1], return_index=True)[1]
            flat, z = flat[last], z[last]
            labels = self.labels[split][flat % self.ids[split].size]
            values = {"preds": z.argmax(1), "logged": True, **{name: fn(z, labels) for name, fn in OUTPUTS.items()}}
            for kind, v in values.items():
                self._out[kind][split].reshape(-1)[flat] = v
        self._pending, self._pending_rows = [], 0

    def missing(self) -> list[tuple[str, int, int, int]]:
        """(split, member, epoch, number of examples not logged) of every incomplete combination."""
        self._flush()
        out = []
        for s, logged in self._out["logged"].items():
            count = (~logged).sum(-1)
            out += [(s, int(m), int(e), int(count[m, e])) for m, e in zip(*np.nonzero(count))]
        return out

    def arrays(self) -> dict[str, np.ndarray]:
        """The entry's arrays in the agreed layout."""
        self._flush()
        out: dict[str, np.ndarray] = {"masks": self.masks}
        for s in self.ids:
            out |= {f"{kind}/{s}": self._out[kind][s] for kind in ("preds", *OUTPUTS)}
            out |= {f"labels/{s}": self.labels[s], f"ids/{s}": self.ids[s]}
        return out

    def spec(self) -> RecordedSpec:
        sizes = tuple((s, int(ids.size)) for s, ids in sorted(self.ids.items()))
        return RecordedSpec(self.name, self.n_classes, self.n_models, self.epochs, sizes)

    def save(self, overwrite: bool = False) -> Record:
        """Write the recording to the run store (atomically) and return it as a :class:`runs.Record`.

        Refuses an incomplete recording, naming what is missing. An entry of the same name and
        examples with other values is kept unless ``overwrite``; saving identical values again is a no-op."""
        missing = self.missing()
        if missing:
            shown = "; ".join(f"split {s!r}, member {m}, epoch {e}: {c} examples" for s, m, e, c in missing[:5])
            more = f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""
            raise ValueError(f"recording {self.name!r} is incomplete, no logits logged for {shown}{more}")
        arrays = self.arrays()
        spec = self.spec()
        if self.store.path(KIND, self.key).exists():
            old = self.store.load(KIND, self.key)
            if old is not None and old[0].keys() == arrays.keys() and all(np.array_equal(old[0][k], v) for k, v in arrays.items()):
                return Record(spec, self.key, *old)
            if old is not None and not overwrite:
                raise FileExistsError(
                    f"the run store already holds {KIND}/{self.key} (recording {self.name!r} of these examples) with other "
                    "values: save(overwrite=True) replaces it, or choose another name"
                )
            shutil.rmtree(self.store.path(KIND, self.key), ignore_errors=True)
        meta = {
            "name": self.name,
            "key": self.key,
            "n_classes": self.n_classes,
            "n_models": self.n_models,
            "epochs": self.epochs,
            "sizes": dict(spec.sizes),
            "recorder_version": VERSION,
            **provenance.info(),
        }
        self.store.save(KIND, self.key, arrays, meta)
        return Record(spec, self.key, arrays, meta)


def saved(name: str, store: Store | None = None) -> list[str]:
    """Keys of the recordings named ``name`` in the store."""
    folder = (store or Store()).root / KIND
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(name) and _KEY.fullmatch(p.name[len(name) :]))


def load(name: str, store: Store | None = None, key: str | None = None) -> Record:
    """The recording ``name`` saved by :meth:`Recorder.save`, as a :class:`runs.Record`; ``key``
    chooses one when several recordings (other examples, members or epochs) share the name."""
    store = store or Store()
    keys = saved(name, store) if key is None else [key]
    if not keys:
        raise FileNotFoundError(f"no recording named {name!r} in {store.root / KIND}")
    if len(keys) > 1:
        raise ValueError(f"{len(keys)} recordings are named {name!r} ({', '.join(keys)}): pass key= to choose one")
    hit = store.load(KIND, keys[0])
    if hit is None:
        raise FileNotFoundError(f"recording {KIND}/{keys[0]} is not in {store.root} (or was corrupt and removed)")
    arrays, meta = hit
    sizes = tuple((s, int(meta["sizes"][s])) for s in sorted(meta["sizes"]))
    return Record(RecordedSpec(meta["name"], meta["n_classes"], meta["n_models"], meta["epochs"], sizes), keys[0], arrays, meta)
