"""k-NN probes at every probe point of a trained network (Baldock et al. 2021, Sec. 2.1, App. A.5-A.6).

A member of a stored ensemble (trained with ``keep_weights=True``) is rebuilt from its
weights; one forward pass per batch gives its activations at every probe point (input
first, softmax last). Each probe is an exact k-NN classifier whose index is the training
points that member trained on (its mask), labelled with the labels it trained on. A
training point queried against the index leaves itself out of its own neighbours, so its
probe prediction is the one its neighbours make, never its own label read back (our choice:
the paper does not say; with k = 30 it changes one vote in 30); held-out and test points are
queried against the whole index. The last probe is a k-NN probe on the
softmax outputs (App. A.6.1): where it disagrees with the network's own prediction the
example gets no prediction depth (-1), and how often is reported. Results are cached per
member in the run store, so a killed run keeps its finished members.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from . import data, metrics, models, provenance, train
from .runs import DataSpec, Record, views
from .store import Store
from .store import key as store_key
from .train import to_tensor

VERSION = "probes-1"
SPLITS = ("train", "test")

Norm = tuple[np.ndarray, np.ndarray, float]


@functools.lru_cache(maxsize=2)
def _views(spec: DataSpec, n_models: int) -> tuple[data.Arrays, data.Arrays, np.ndarray]:
    return views(spec, n_models)


def datasets(record: Record) -> dict[str, data.Arrays]:
    """The record's training and test sets, rebuilt from its spec and checked against its ids."""
    train, test, masks = _views(record.spec.data, record.spec.train.n_models)
    sets = {"train": train, "test": test}
    for split, a in sets.items():
        if f"ids/{split}" in record.arrays and not np.array_equal(record.ids(split), a.ids):
            raise ValueError(f"the {split} set rebuilt from the spec does not match the record's example ids")
    if not np.array_equal(masks, record.masks):
        raise ValueError("the training masks rebuilt from the spec do not match the record's")
    return sets


def normaliser(record: Record) -> Norm:
    """Per-channel (mean, std, scale) of the record's training set, as training standardised its inputs."""
    return train.normaliser(datasets(record)["train"].x)


def member_net(record: Record, i: int, device: str | torch.device | None = None) -> models.Probed:
    """Member ``i`` of a trained ensemble rebuilt with its stored weights, in eval mode.

    Its inputs are images standardised with :func:`normaliser` (``activations(norm=...)``)."""
    prefix = "weights/"
    weights = {k[len(prefix) :]: v for k, v in record.arrays.items() if k.startswith(prefix)}
    if not weights:
        raise ValueError(f"record {record.key} has no weights: train it with TrainConfig(keep_weights=True)")
    cfg = record.spec.train
    in_shape = datasets(record)["train"].x.shape[1:]
    with torch.random.fork_rng(devices=[]):
        net = models.build(cfg.arch, in_shape, record.n_classes, cfg.width, **dict(cfg.arch_options))
    net.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v[i])) for k, v in weights.items()})
    return net.to(train.default_device(device)).eval()


def projection(dim: int, probe_dim: int, seed: int, layer: int) -> torch.Tensor:
    """(dim, probe_dim) Gaussian random projection of probe ``layer``, seeded by (seed, layer),
    scaled by 1/sqrt(probe_dim) so squared distances are preserved in expectation."""
    rng = np.random.default_rng([seed, layer])
    return torch.from_numpy(rng.standard_normal((dim, probe_dim), dtype=np.float32)) / math.sqrt(probe_dim)


def _inputs(x: np.ndarray | torch.Tensor, norm: Norm | None, device: torch.device) -> torch.Tensor:
    if norm is not None:
        return to_tensor(x, norm, device)
    if isinstance(x, torch.Tensor):
        return x.to(device)
    return torch.as_tensor(np.asarray(x, np.float32), device=device)


@torch.no_grad()
def _forward_all(
    net: models.Probed,
    x: np.ndarray | torch.Tensor,
    batch: int,
    probe_dim: int | None,
    seed: int,
    norm: Norm | None,
    layers: Iterable[str] | None,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Activations at ``layers`` (default: all probes) and the logits, streamed batch by batch
    into preallocated float32 arrays, each wide layer projected to ``probe_dim`` per batch."""
    device = next(net.parameters()).device
    wanted = set(net.probe_names if layers is None else layers)
    if wanted - set(net.probe_names):
        raise ValueError(f"layers {sorted(wanted - set(net.probe_names))} are not probe points; choose from {net.probe_names}")
    names = [name for name in net.probe_names if name in wanted]
    captured = []
    hook = list(net.stages.values())[-1].register_forward_hook(lambda m, i, out: captured.append(out))
    acts: dict[str, np.ndarray] = {}
    proj: dict[str, torch.Tensor] = {}
    logits = np.empty((len(x), 0), np.float32)
    try:
        for start in range(0, len(x), batch):
            got = net(_inputs(x[start : start + batch], norm, device), probes=True)
            out = captured.pop()
            if start == 0:
                for name in names:
                    dim = got[name].shape[1]
                    if probe_dim is not None and dim > probe_dim:
                        proj[name] = projection(dim, probe_dim, seed, net.probe_names.index(name)).to(device)
                    acts[name] = np.empty((len(x), probe_dim if name in proj else dim), np.float32)
                logits = np.empty((len(x), out.shape[1]), np.float32)
            stop = start + len(out)
            for name in names:
                a = got[name] @ proj[name] if name in proj else got[name]
                acts[name][start:stop] = a.float().cpu().numpy()
            logits[start:stop] = out.float().cpu().numpy()
    finally:
        hook.remove()
    return acts, logits


def activations(
    net: models.Probed,
    x: np.ndarray | torch.Tensor,
    batch: int = 256,
    probe_dim: int | None = None,
    seed: int = 0,
    norm: Norm | None = None,
    layers: Iterable[str] | None = None,
) -> dict[str, np.ndarray]:
    """Ordered {probe layer: (n, d) float32} from one forward pass per batch (Baldock App. A.5).

    ``x`` is network input, or raw images standardised per batch when ``norm`` is given.
    Layers wider than ``probe_dim`` are randomly projected to ``probe_dim`` dims batch by batch
    (:func:`projection`); ``probe_dim=None`` keeps full embeddings. ``layers`` picks a subset."""
    return _forward_all(net, x, batch, probe_dim, seed, norm, layers)[0]


def own_rows(mask: np.ndarray) -> np.ndarray:
    """For each training point, its row in an index of the points ``mask`` selects, -1 if not in it."""
    mask = np.asarray(mask, bool)
    rows = np.full(mask.size, -1, np.int64)
    rows[mask] = np.arange(int(mask.sum()))
    return rows


def layer_predictions(
    index_acts: Mapping[str, np.ndarray],
    index_labels: np.ndarray,
    query_acts: Mapping[str, np.ndarray],
    k: int = 30,
    n_classes: int | None = None,
    exclude: np.ndarray | None = None,
    index_rows: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """k-NN probe predictions at every layer (Baldock Sec. 2.1): (preds (L, n_query) int64,
    votes (L, n_query, n_classes) int16 neighbour counts).

    ``index_rows`` (bool mask or row numbers) selects the index from ``index_acts`` and
    ``index_labels``, one layer at a time; ``exclude`` as in :func:`metrics.knn_predict`."""
    labels = np.asarray(index_labels)
    rows = slice(None) if index_rows is None else np.asarray(index_rows)
    n_classes = int(n_classes or labels[rows].max() + 1)
    preds, votes = [], []
    for name, acts in index_acts.items():
        p, v = metrics.knn_predict(acts[rows], labels[rows], query_acts[name], k, n_classes, exclude)
        preds.append(p)
        votes.append(v.astype(np.int16))
    return np.stack(preds), np.stack(votes)


def vote_share(votes: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """(..., n) share of the neighbour votes (..., n, C) that go to ``classes`` (n,): the probe's
    confidence in that class (Baldock Fig. 8, and the stored probe confidences)."""
    votes = np.asarray(votes)
    idx = np.broadcast_to(np.asarray(classes, dtype=np.int64), votes.shape[:-1])[..., None]
    return np.take_along_axis(votes, idx, -1)[..., 0] / np.maximum(votes.sum(-1), 1)


def projection_agreement(
    index_acts: np.ndarray,
    index_labels: np.ndarray,
    query_acts: np.ndarray,
    probe_dim: int,
    layer: int,
    k: int = 30,
    seed: int = 0,
    n_classes: int | None = None,
    exclude: np.ndarray | None = None,
) -> float:
    """Fraction of queries whose k-NN prediction on full activations of probe ``layer`` equals
    that on their ``probe_dim`` projection (the same matrix :func:`activations` uses; 1 for a
    layer no wider than ``probe_dim``, which it leaves as is)."""
    if index_acts.shape[1] <= probe_dim:
        return 1.0
    full, _ = metrics.knn_predict(index_acts, index_labels, query_acts, k, n_classes, exclude)
    r = projection(index_acts.shape[1], probe_dim, seed, layer).numpy()
    low, _ = metrics.knn_predict(index_acts @ r, index_labels, query_acts @ r, k, n_classes, exclude)
    return float(np.mean(full == low))


def member_projection_agreement(
    record: Record,
    i: int,
    layer: str,
    probe_dim: int,
    k: int = 30,
    seed: int = 0,
    split: str = "test",
    device: str | torch.device | None = None,
    batch: int = 256,
) -> float:
    """:func:`projection_agreement` of member ``i``'s probe at ``layer`` on ``split``, with the
    index and exclusions :func:`probe_ensemble` uses; full activations of that one layer are held."""
    sets, mask = datasets(record), record.masks[i]
    net, norm = member_net(record, i, device), normaliser(record)
    index = activations(net, sets["train"].x, batch, None, seed, norm, [layer])[layer]
    query = index if split == "train" else activations(net, sets[split].x, batch, None, seed, norm, [layer])[layer]
    exclude = own_rows(mask) if split == "train" else None
    position = net.probe_names.index(layer)
    return projection_agreement(index[mask], sets["train"].y[mask], query, probe_dim, position, k, seed, record.n_classes, exclude)


@dataclass
class Probes:
    """k-NN probe results of some members of an ensemble, stacked over those members.

    Per split: probe predictions (M, L, n), prediction depth (M, n), the network's prediction
    (M, n) and logits (M, n, C), probe confidence (M, L, n) for the probe's own prediction and
    for the label. Training-split arrays cover all training points; ``masks`` says which
    each member trained on."""

    record_key: str
    members: tuple[int, ...]
    layers: tuple[str, ...]
    masks: np.ndarray
    arrays: dict[str, np.ndarray]
    meta: list[dict]

    def probe_preds(self, split: str = "test") -> np.ndarray:
        return self.arrays[f"probe_preds/{split}"]

    def depth(self, split: str = "test") -> np.ndarray:
        """Prediction depth, 0 (input) .. L - 1 (softmax); -1 where the softmax probe disagrees with the net (A.6.1)."""
        return self.arrays[f"depth/{split}"]

    def net_pred(self, split: str = "test") -> np.ndarray:
        return self.arrays[f"net_pred/{split}"]

    def logits(self, split: str = "test") -> np.ndarray:
        return self.arrays[f"logits/{split}"]

    def confidence(self, split: str = "test") -> np.ndarray:
        """Fraction of the k neighbours voting for each probe's own prediction."""
        return self.arrays[f"confidence/{split}"]

    def label_confidence(self, split: str = "test") -> np.ndarray:
        """Fraction of the k neighbours voting for the example's (training) label."""
        return self.arrays[f"label_confidence/{split}"]

    def undefined(self, split: str = "test") -> np.ndarray:
        """(M,) fraction of examples without a depth: the softmax probe disagrees with the net (A.6.1)."""
        return (self.depth(split) < 0).mean(-1)

    def output_margin(self, split: str = "test") -> np.ndarray:
        """(M, n) largest minus second-largest logit (Baldock Sec. 3.3)."""
        return metrics.output_margin(self.logits(split))


def _probe_member(record: Record, i: int, k: int, probe_dim: int | None, seed: int, splits: Sequence[str], device, batch: int):
    """One member's probe arrays and metadata (uncached)."""
    start = time.perf_counter()
    sets = datasets(record)
    net, norm, mask = member_net(record, i, device), normaliser(record), record.masks[i]
    out = {split: _forward_all(net, sets[split].x, batch, probe_dim, seed, norm, None) for split in splits}
    train_acts = out["train"][0] if "train" in out else _forward_all(net, sets["train"].x, batch, probe_dim, seed, norm, None)[0]
    arrays, meta = {}, {"layers": list(net.probe_names), "dims": {n: a.shape[1] for n, a in train_acts.items()}}
    for split in splits:
        acts, z = out[split]
        exclude = own_rows(mask) if split == "train" else None
        preds, votes = layer_predictions(train_acts, sets["train"].y, acts, k, record.n_classes, exclude, index_rows=mask)
        net_pred = z.argmax(1)
        depth = metrics.prediction_depth(preds, net_pred)
        arrays |= {
            f"probe_preds/{split}": preds.astype(np.int16),
            f"net_pred/{split}": net_pred.astype(np.int16),
            f"logits/{split}": z,
            f"depth/{split}": depth.astype(np.int16),
            f"confidence/{split}": vote_share(votes, preds).astype(np.float32),
            f"label_confidence/{split}": vote_share(votes, sets[split].y).astype(np.float32),
        }
        meta[f"undefined/{split}"] = float(np.mean(depth < 0))
        if f"preds/{split}" in record.arrays:
            meta[f"record_agreement/{split}"] = float(np.mean(record.preds(split)[i, -1] == net_pred))
    meta |= {"seconds": round(time.perf_counter() - start, 2), "device": str(next(net.parameters()).device)}
    return arrays, meta


def _cached_member(
    record: Record, i: int, k: int, probe_dim: int | None, seed: int, splits: Sequence[str], device, batch: int, store: Store
):
    """One member's probe arrays and metadata, from the store or computed and saved."""
    key = member_key(record, i, k, probe_dim, seed, splits)

    def compute() -> tuple[dict[str, np.ndarray], dict]:
        arrays, meta = _probe_member(record, i, k, probe_dim, seed, splits, device, batch)
        return arrays, meta | {
            "key": key,
            "ensemble": record.key,
            "member": i,
            "k": k,
            "probe_dim": probe_dim,
            "seed": seed,
            **provenance.info(),
        }

    return store.cached("probes", key, compute)


def member_of(record: Record) -> str:
    """What the members of ``record`` are, whatever their number (:meth:`runs.EnsembleSpec.member_key`):
    keys the per-member entries (probes, input margins, pool votes), so a grown ensemble reuses them."""
    return record.spec.member_key(torch.device(record.meta["device"]))


def member_key(record: Record, i: int, k: int, probe_dim: int | None, seed: int, splits: Sequence[str]) -> str:
    """Store key of member ``i``'s probes: what the member is and every probe setting."""
    spec = {
        "member_of": member_of(record),
        "member": i,
        "k": k,
        "probe_dim": probe_dim,
        "seed": seed,
        "splits": list(splits),
    }
    return store_key("probes", spec, VERSION)


def probe_ensemble(
    record: Record,
    k: int = 30,
    probe_dim: int | None = None,
    seed: int = 0,
    splits: Sequence[str] = SPLITS,
    members: Sequence[int] | None = None,
    store: Store | None = None,
    device: str | torch.device | None = None,
    batch: int = 256,
    progress: bool | None = None,
) -> Probes:
    """k-NN probes of each member (Baldock Sec. 2.1): read from the run store or computed, member by member.

    A member's activations of a split take n x (sum of probe widths) x 4 bytes: ``probe_dim``
    bounds the widths of convolutional layers."""
    unknown = set(splits) - set(SPLITS)
    if unknown:
        raise ValueError(f"splits {sorted(unknown)} are not allowed; choose from {SPLITS}")
    store = store or Store()
    members = tuple(range(record.spec.train.n_models) if members is None else members)
    bar = tqdm(members, desc="k-NN probes", unit="member", disable=None if progress is None else not progress, leave=False)
    done = [_cached_member(record, i, k, probe_dim, seed, splits, device, batch, store) for i in bar]
    stacked = {name: np.stack([a[name] for a, _ in done]) for name in done[0][0]}
    metas = [m for _, m in done]
    return Probes(record.key, members, tuple(metas[0]["layers"]), record.masks[list(members)], stacked, metas)


def input_margin(net: torch.nn.Module, x: np.ndarray | torch.Tensor, batch: int = 128, norm: Norm | None = None) -> np.ndarray:
    """Linearised adversarial input margin (Baldock Sec. 3.3, after Jiang et al. 2018), in the
    network's input space: min over j != i of |z_i - z_j| / ||grad_x (z_i - z_j)||, i the predicted class.

    The Jacobian of the logits comes from one backward pass per class over each batch (examples
    do not interact in eval mode)."""
    device = next(net.parameters()).device
    out = np.empty(len(x), np.float64)
    for start in range(0, len(x), batch):
        xb = _inputs(x[start : start + batch], norm, device).requires_grad_()
        z = net(xb)
        jac = torch.stack([torch.autograd.grad(z[:, c].sum(), xb, retain_graph=True)[0].flatten(1) for c in range(z.shape[1])], 1)
        top = z.argmax(1)
        rows = torch.arange(len(z), device=device)
        gap = (z[rows, top][:, None] - z).abs().detach()
        slope = (jac[rows, top][:, None] - jac).norm(dim=-1)
        ratio = (gap / slope).masked_fill(torch.nn.functional.one_hot(top, z.shape[1]).bool(), math.inf)
        out[start : start + len(z)] = ratio.min(1).values.double().cpu().numpy()
    return out


def input_margins(
    record: Record,
    split: str = "test",
    members: Sequence[int] | None = None,
    store: Store | None = None,
    device: str | torch.device | None = None,
    batch: int = 128,
    progress: bool | None = None,
) -> np.ndarray:
    """(M, n) linearised input margins (Baldock Sec. 3.3) of each member on ``split``, cached per member."""
    store = store or Store()
    members = tuple(range(record.spec.train.n_models) if members is None else members)
    bar = tqdm(members, desc="input margins", unit="member", disable=None if progress is None else not progress, leave=False)
    return np.stack([_member_input_margin(record, i, split, store, device, batch) for i in bar])


def input_margin_key(record: Record, i: int, split: str) -> str:
    """The run-store key of member ``i``'s input margins on ``split`` (kind ``input_margin``)."""
    return store_key("input_margin", {"member_of": member_of(record), "member": i, "split": split}, VERSION)


def _member_input_margin(record: Record, i: int, split: str, store: Store, device, batch: int) -> np.ndarray:
    key = input_margin_key(record, i, split)

    def compute() -> tuple[dict[str, np.ndarray], dict]:
        margin = input_margin(member_net(record, i, device), datasets(record)[split].x, batch, normaliser(record))
        return {"margin": margin}, {"key": key, "ensemble": record.key, "member": i, "split": split, **provenance.info()}

    return store.cached("input_margin", key, compute)[0]["margin"]


# --- Prediction depth of any torch model, at the layers a user names ---


@torch.no_grad()
def module_activations(
    model: torch.nn.Module,
    x: np.ndarray | torch.Tensor,
    layers: Sequence[str],
    batch: int = 256,
    probe_dim: int | None = None,
    seed: int = 0,
    input_probe: bool = True,
    softmax_probe: bool = True,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Ordered {probe: (n, d) float32} and the (n, C) logits of any model returning logits, from one
    forward pass per batch in eval mode (Baldock App. A.5): the flattened input ("input"), the
    flattened outputs of the modules named ``layers`` (names from ``model.named_modules()``,
    collected by forward hooks) and the softmax of the logits ("softmax"). ``x`` is the model's
    input as is; layers wider than ``probe_dim`` are projected with :func:`projection` (seeded by
    the probe's position)."""
    modules = dict(model.named_modules())
    unknown = [n for n in layers if n not in modules or n == ""]
    if unknown:
        raise ValueError(f"layers {unknown} are not modules of the model; its modules are {[n for n in modules if n]}")
    if len(set(layers)) < len(layers) or {"input", "softmax"} & set(layers):
        raise ValueError(f"layers {list(layers)}: name each module once, and none 'input' or 'softmax' (the added probes)")
    names = [*(["input"] if input_probe else []), *layers, *(["softmax"] if softmax_probe else [])]
    captured: dict[str, torch.Tensor] = {}

    def keep(name: str):
        def hook(module, inputs, output) -> None:
            if not isinstance(output, torch.Tensor):
                raise TypeError(f"module {name!r} returns {type(output).__name__}, not a tensor: probe one of its submodules")
            if name in captured:
                raise ValueError(f"module {name!r} runs more than once in a forward pass: which output to probe is ambiguous")
            captured[name] = output

        return hook

    first = next(iter(model.parameters()), None)
    device = first.device if first is not None else torch.device("cpu")
    handles = [modules[n].register_forward_hook(keep(n)) for n in layers]
    was_training = model.training
    model.eval()
    acts: dict[str, np.ndarray] = {}
    proj: dict[str, torch.Tensor] = {}
    logits = np.empty((len(x), 0), np.float32)
    try:
        for start in range(0, len(x), batch):
            xb = _inputs(x[start : start + batch], None, device)
            captured.clear()
            out = model(xb)
            if not isinstance(out, torch.Tensor) or out.ndim != 2:
                raise TypeError("the model must return logits of shape (batch, n_classes)")
            silent = [n for n in layers if n not in captured]
            if silent:
                raise ValueError(f"modules {silent} did not run in the forward pass")
            got = {"input": xb.flatten(1), **{n: captured[n].flatten(1) for n in layers}, "softmax": out.softmax(-1)}
            if start == 0:
                for position, name in enumerate(names):
                    dim = got[name].shape[1]
                    if probe_dim is not None and dim > probe_dim:
                        proj[name] = projection(dim, probe_dim, seed, position).to(device)
                    acts[name] = np.empty((len(x), probe_dim if name in proj else dim), np.float32)
                logits = np.empty((len(x), out.shape[1]), np.float32)
            stop = start + len(out)
            for name in names:
                a = got[name].float()
                acts[name][start:stop] = (a @ proj[name] if name in proj else a).cpu().numpy()
            logits[start:stop] = out.float().cpu().numpy()
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return acts, logits


@dataclass
class ModelDepth:
    """Prediction depth of one model's queries (Baldock Sec. 2.1, A.6.1): per probe (input, the
    named layers, softmax) the k-NN predictions (L, n) and votes (L, n, C), the model's prediction
    (n,), and the depth (n,): 0 .. L - 1, -1 where the last probe disagrees with the model."""

    layers: tuple[str, ...]
    depth: np.ndarray
    probe_preds: np.ndarray
    votes: np.ndarray
    net_pred: np.ndarray


def prediction_depth(
    model: torch.nn.Module,
    layers: Sequence[str],
    index_x: np.ndarray | torch.Tensor,
    index_labels: np.ndarray,
    query_x: np.ndarray | torch.Tensor | None = None,
    k: int = 30,
    probe_dim: int | None = None,
    seed: int = 0,
    batch: int = 256,
    input_probe: bool = True,
    softmax_probe: bool = True,
) -> ModelDepth:
    """Prediction depth (Baldock Sec. 2.1) of any torch model at the modules named ``layers``:
    exact k-NN probes (:func:`metrics.knn_predict`) whose index is ``index_x`` labelled
    ``index_labels`` vote at every probe of :func:`module_activations`, and the depth is the first
    probe from which all of them agree with the model's prediction (:func:`metrics.prediction_depth`).
    Without ``query_x`` the index queries itself, each point left out of its own neighbours."""
    index_labels = np.asarray(index_labels)
    if len(index_labels) != len(index_x):
        raise ValueError(f"{len(index_x)} index examples but {len(index_labels)} labels")
    options = {"batch": batch, "probe_dim": probe_dim, "seed": seed, "input_probe": input_probe, "softmax_probe": softmax_probe}
    index_acts, logits = module_activations(model, index_x, layers, **options)
    exclude = np.arange(len(index_labels)) if query_x is None else None
    query_acts, logits = (index_acts, logits) if query_x is None else module_activations(model, query_x, layers, **options)
    preds, votes = layer_predictions(index_acts, index_labels, query_acts, k, logits.shape[1], exclude)
    net_pred = logits.argmax(1)
    return ModelDepth(tuple(index_acts), metrics.prediction_depth(preds, net_pred), preds, votes, net_pred)
