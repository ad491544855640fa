"""Your own model (issue 15, part 5; the a4 page): a small torchvision network trained on a subset of
Fashion-MNIST with a plain, hand-written PyTorch loop that calls :class:`recorder.Recorder` after
every epoch, so the atlas's per-example scores follow from the recording and can be set beside the
atlas's own, example by example (matched by split and id).

:func:`train_and_record` is written the way a user would write it (the page shows its source); the
other functions pick the examples and turn the recording into the atlas's columns."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
import torch
import torchvision
from scipy.stats import ConstantInputWarning
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from .. import data
from ..recorder import Recorder
from ..runs import Record
from ..store import Store
from . import table


def resnet18(n_classes: int = 10, channels: int = 1) -> nn.Module:
    """torchvision's ResNet-18 (He et al. 2016; batch norm, where Baldock A.2.1 uses group norm) with
    a first convolution that reads ``channels``-channel images (Fashion-MNIST: 1)."""
    model = torchvision.models.resnet18(num_classes=n_classes)
    model.conv1 = nn.Conv2d(channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model


def images(a: data.Arrays) -> torch.Tensor:
    """The images of ``a`` as the network reads them: float32 (n, C, H, W) scaled to [0, 1]."""
    return torch.tensor(np.asarray(a.x), dtype=torch.float32) / 255


def train_and_record(
    name: str,
    train: data.Arrays,
    test: data.Arrays,
    n_models: int,
    epochs: int,
    batch_size: int,
    lr: float,
    momentum: float,
    seed: int = 0,
    store: Store | None = None,
) -> tuple[Record, list[nn.Module]]:
    """Train ``n_models`` ResNet-18s on ``train`` (SGD on the cross-entropy, each network from its
    own seed: its own initialisation and batch order), record every network's logits on ``train``
    and ``test`` before training and after every epoch, and save the recording in the run store.
    Returns the recording (a ``runs.Record``) and the trained networks."""
    splits = {"train": train, "test": test}
    rec = Recorder(name, train.n_classes, {s: (a.ids, a.y) for s, a in splits.items()}, n_models, epochs, store=store)
    training = TensorDataset(images(train), torch.tensor(train.y))
    evaluation = {s: DataLoader(TensorDataset(images(a), torch.tensor(a.ids)), batch_size=500) for s, a in splits.items()}
    networks = []
    for member in range(n_models):
        torch.manual_seed(1000 * seed + member)
        model = resnet18(train.n_classes, channels=train.x.shape[1])
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
        # drop_last: batch norm cannot train on a last batch of one image
        batches = DataLoader(training, batch_size=batch_size, shuffle=True, drop_last=True)
        for epoch in range(epochs + 1):
            if epoch > 0:  # epoch 0 records the untrained network
                model.train()
                for x, y in batches:
                    optimizer.zero_grad()
                    nn.functional.cross_entropy(model(x), y).backward()
                    optimizer.step()
            model.eval()
            with torch.no_grad():
                for split, loader in evaluation.items():
                    for x, ids in loader:
                        rec.log(split, member, epoch, ids, model(x))
        networks.append(model)
    # every run of the page trains afresh and replaces its earlier recording of the same examples
    return rec.save(overwrite=True), networks


def draw(dataset: str, split: str, n: int, seed: int, among: np.ndarray | None = None) -> data.Arrays:
    """A stratified random ``n`` of the examples of ``split`` (``data.subset``, seeded by ``seed``),
    drawn among the ids ``among`` (every example when None), sorted by id."""
    a = data.load(dataset, split)
    if among is not None:
        a = a.take(np.isin(a.ids, np.asarray(among, np.int64)))
    return data.subset(a, n, seed)


def scores(
    record: Record,
    depths: Mapping[str, np.ndarray] | None = None,
    input_margins: Mapping[str, np.ndarray] | None = None,
    member: int = 0,
) -> pd.DataFrame:
    """The atlas's ensemble scores of every recorded example (``table.ensemble_scores``, EL2N at
    ``table.el2n_epoch``), one row per example in the record's order, with columns ``id`` and
    ``split`` like the atlas table. ``depths`` ({record split: (n,) prediction depth of network
    ``member``, -1 where it has none}) fill the atlas's ``pd_train`` where that network trained on
    the example and ``pd_heldout`` where it did not (Baldock Sec. 2.1); ``input_margins`` ({record
    split: (n,) ``probes.input_margin`` of that network}) fill ``input_margin`` where it did not
    train on the example, the atlas's held-out side (Baldock Sec. 3.3)."""
    epochs = table.epochs_of(record)
    el2n_at = table.el2n_epoch(epochs)
    parts = []
    for side in table.sides(record):
        columns: dict[str, np.ndarray] = {"id": side.ids, "split": side.split}
        depth = _given(depths, side, "depths", -1.0)
        depth = np.where(depth >= 0, depth, np.nan)
        trained = side.trained[member]
        columns |= {"pd_heldout": np.where(trained, np.nan, depth), "pd_train": np.where(trained, depth, np.nan)}
        columns["input_margin"] = np.where(trained, np.nan, _given(input_margins, side, "input margins", np.nan))
        parts.append(pd.DataFrame(columns | table.ensemble_scores(record, side, el2n_at)))
    return pd.concat(parts, ignore_index=True)


def _given(values: Mapping[str, np.ndarray] | None, side: table.Side, what: str, missing: float) -> np.ndarray:
    """The float values of ``side``'s split in ``values``, ``missing`` for every example without them."""
    got = np.asarray((values or {}).get(side.record_split, np.full(len(side.ids), missing)), np.float64)
    if got.shape != side.ids.shape:
        raise ValueError(f"{got.size} {what} of split {side.record_split!r}; the record has {side.ids.size} examples")
    return got


def aligned(own: pd.DataFrame, atlas: pd.DataFrame) -> pd.DataFrame:
    """The atlas table's rows of the examples of ``own``, in ``own``'s order, matched by (split, id);
    refuses examples the atlas does not hold."""
    keys = pd.MultiIndex.from_arrays([atlas["split"].astype(str), atlas["id"].astype(np.int64)])
    rows = keys.get_indexer(pd.MultiIndex.from_arrays([own["split"].astype(str), own["id"].astype(np.int64)]))
    if (rows < 0).any():
        missing = own.loc[rows < 0, ["split", "id"]].head(5).to_records(index=False).tolist()
        raise ValueError(f"the atlas holds no row of {int((rows < 0).sum())} example(s), e.g. {missing}")
    return atlas.iloc[rows].reset_index(drop=True)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of ``a`` and ``b`` over the positions where both are finite (tied
    values share their mean rank); NaN with fewer than 3 such positions or a constant side."""
    with warnings.catch_warnings():  # a constant side has no ranks: NaN, said in the docstring
        warnings.simplefilter("ignore", ConstantInputWarning)
        a, b = (pd.Series(np.asarray(v, np.float64)).where(lambda v: np.isfinite(v)) for v in (a, b))
        return float(a.corr(b, method="spearman", min_periods=3))


def agreement(own: pd.DataFrame, atlas: pd.DataFrame) -> pd.DataFrame:
    """For every score column both row-aligned tables have: the Spearman correlation between the own
    model's and the atlas's values (:func:`spearman`) and the number of examples with both, largest
    correlation first; scores no example has on both sides are left out."""
    out = []
    for name in [c for c in own.columns if c not in ("id", "split") and c in atlas.columns]:
        a, b = own[name].to_numpy(np.float64), atlas[name].to_numpy(np.float64)
        both = int((np.isfinite(a) & np.isfinite(b)).sum())
        if both:
            out.append({"score": name, "spearman": spearman(a, b), "examples": both})
    return pd.DataFrame(out, columns=["score", "spearman", "examples"]).set_index("score").sort_values("spearman", ascending=False)
