"""The ensemble engine: train N networks of one architecture and record what each predicts.

Every member has its own initialisation, mini-batch order, dropout masks and (optionally)
training subset. After every epoch an evaluation pass records each member's predicted
label on every evaluation split (checkpoint 0 is the initialisation). Two engines run the
same members: ``loop`` steps them one after another; ``batched`` stacks their parameters and
steps them as one computation (batched matmuls for dense nets, ``torch.func.vmap`` otherwise).
``auto`` picks the faster one per architecture family and device, as measured by
``replicate bench train``.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, stack_module_state, vmap
from tqdm import tqdm

from . import metrics, models
from .progress import terminal

ENGINES = ("auto", "loop", "batched")
SCHEDULES = ("constant", "hacohen", "step", "cosine")
LOSSES = ("ce", "hinge0")
OUTPUTS = {"margins": metrics.label_margin, "probs": metrics.label_probability, "el2n": metrics.l2_error}
"""What ``keep_margins`` records per split and epoch, by array name: the label's margin (Pleiss et al.
2020), its softmax probability (Swayamdipta et al. 2020) and the L2 norm of softmax - onehot (Paul et
al. 2021), each float32 (n_models, n_epochs + 1, n) like the predictions."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines how an ensemble is trained (not the data)."""

    arch: str
    n_models: int
    epochs: int
    width: float = 1.0
    arch_options: tuple = ()
    batch_size: int | None = 100
    lr: float = 0.05
    momentum: float = 0.0
    weight_decay: float = 0.0
    schedule: str = "constant"
    milestones: tuple[float, ...] = ()
    loss: str = "ce"
    seed: int = 0
    engine: str = "auto"
    eval_steps: tuple[int, ...] = ()
    keep_logits: bool = False
    keep_weights: bool = False
    keep_margins: bool = False

    def __post_init__(self):
        _check("arch", self.arch, models.ARCHS)
        _check("engine", self.engine, ENGINES)
        _check("schedule", self.schedule, SCHEDULES)
        _check("loss", self.loss, LOSSES)
        for name in ("n_models", "epochs"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}={getattr(self, name)} must be >= 1")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size={self.batch_size} must be >= 1, or None for full-batch gradient descent")

    def to_dict(self) -> dict:
        return asdict(self)


def _check(name: str, value, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not allowed; choose one of: {', '.join(map(str, allowed))}")


def resolve_engine(engine: str, arch: str, device: torch.device) -> str:
    """The engine ``auto`` stands for: batched for MLPs everywhere and for all nets on a GPU;
    a per-model loop for conv nets on a CPU, where batched convolutions measured slower. (For 5
    LeNet5s batched was 2.4x faster, but 25 of them under load trained slower than the loop, so
    conv nets stay on the loop until ``replicate bench train`` measures otherwise.)"""
    if engine != "auto":
        return engine
    return "loop" if device.type == "cpu" and models.is_convolutional(arch) else "batched"


def lr_at(cfg: TrainConfig, step: int, steps_per_epoch: int) -> float:
    """Learning rate at global ``step``: Hacohen App. B (lr / 1.8 every 20 epochs), Baldock
    Table 1 (lr / 5 at each milestone, milestones in epochs), cosine, or constant."""
    epoch = step / steps_per_epoch
    if cfg.schedule == "hacohen":
        return cfg.lr / 1.8 ** (int(epoch) // 20)
    if cfg.schedule == "step":
        return cfg.lr / 5 ** sum(epoch >= m for m in cfg.milestones)
    if cfg.schedule == "cosine":
        return cfg.lr * 0.5 * (1 + math.cos(math.pi * step / (cfg.epochs * steps_per_epoch)))
    return cfg.lr


def default_device(device: str | torch.device | None = None) -> torch.device:
    """``device``, else the GPU when there is one, else the CPU: where training, probes and keys default to."""
    return torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))


def extends(cfg: TrainConfig) -> bool:
    """Whether a run of ``cfg`` can be extended to more epochs: its learning rate at every step does
    not depend on the number of epochs (every schedule but cosine annealing)."""
    return cfg.schedule != "cosine"


def loss_fn(name: str, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-example loss: cross-entropy, or Baldock's 0-Hinge sum_{j != y} max(0, z_j - z_y)
    (Sec. 3.3; zero gradient once the prediction is correct, so no push towards confidence)."""
    if name == "ce":
        return F.cross_entropy(logits.flatten(0, -2), y.flatten(), reduction="none").view(y.shape)
    gap = logits - logits.gather(-1, y[..., None])
    return gap.clamp(min=0).sum(-1)


@dataclass
class State:
    """Everything needed to resume training after ``epoch`` completed epochs."""

    epoch: int
    params: dict[str, torch.Tensor]
    buffers: dict[str, torch.Tensor]
    momentum: dict[str, torch.Tensor]
    preds: dict[str, np.ndarray]
    step_preds: dict[str, np.ndarray]
    loss: np.ndarray
    extra: dict = field(default_factory=dict)
    outputs: dict[str, np.ndarray] = field(default_factory=dict)


def _seed(*parts: int) -> int:
    return int(np.random.SeedSequence(list(parts)).generate_state(1)[0])


def normaliser(x_train: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-channel (mean, std, scale) of a training set (N, C, H, W): how the engine standardises
    every input, so probes and benchmarks rebuild a member's inputs the same way."""
    scale = 255.0 if x_train.dtype == np.uint8 else 1.0
    axes = (0, 2, 3)
    mean = x_train.mean(axis=axes, dtype=np.float64) / scale
    std = x_train.std(axis=axes, dtype=np.float64) / scale
    return mean, np.maximum(std, 1e-8), scale


def to_tensor(x: np.ndarray, norm, device: torch.device) -> torch.Tensor:
    """Images (n, C, H, W) as float32, standardised per channel with the training set's statistics."""
    mean, std, scale = norm
    t = torch.tensor(np.asarray(x, dtype=np.float32) / scale)
    t = (t - torch.as_tensor(mean, dtype=torch.float32)[:, None, None]) / torch.as_tensor(std, dtype=torch.float32)[:, None, None]
    return t.to(device)


_DENSE_STAGES = (nn.Flatten, nn.Linear, nn.ReLU, nn.Identity, nn.Dropout)


class _Members:
    """The N networks under one of the two engines, with a common interface."""

    def __init__(self, nets: list[torch.nn.Module], engine: str, channels_last: bool, ids: Sequence[int]):
        self.engine, self.n, self.ids = engine, len(nets), list(ids)
        self.channels_last = channels_last
        self.device = next(nets[0].parameters()).device
        self.pool: ThreadPoolExecutor | None = None
        self.generators = [torch.Generator(self.device) for _ in nets]
        if engine == "loop":
            self.nets = nets
            if channels_last:
                self.nets = [m.to(memory_format=torch.channels_last) for m in nets]
            self.names = [k for k, _ in nets[0].named_parameters()]
            for net, g in zip(self.nets, self.generators):
                for m in net.modules():
                    if isinstance(m, models.Dropout):
                        m.generator = g
        else:
            params, buffers = stack_module_state(nets)
            self.params = {k: v.detach().requires_grad_() for k, v in params.items()}
            self.buffers = buffers
            self.base = copy.deepcopy(nets[0]).to("meta")
            self.names = list(self.params)
            self.dense = all(isinstance(m, _DENSE_STAGES) for m in self.base.stages.values())
            self.dropouts = {name: m for name, m in self.base.named_modules() if isinstance(m, models.Dropout)}
            self.mask_shapes: dict[tuple, dict[str, torch.Size]] = {}

    @contextmanager
    def parallel(self):
        """On a CPU, step the loop engine's members on one thread per core, each of them
        single-threaded: small convolutions scale better across members than within one
        (``replicate bench train``; evaluation passes, on large batches, do not, so they stay
        outside). A member always steps single-threaded, even alone, since the number of threads
        changes how sums are split and so the last bits of its weights: results depend neither on
        the number of workers nor on the members beside it."""
        if self.engine != "loop" or self.device.type != "cpu":
            yield
            return
        workers = min(torch.get_num_threads(), self.n)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            if workers < 2:
                yield
            else:
                with ThreadPoolExecutor(workers) as self.pool:
                    yield
        finally:
            self.pool = None
            torch.set_num_threads(threads)

    def _each(self, fn: Callable[[int], torch.Tensor]) -> list[torch.Tensor]:
        return list(self.pool.map(fn, range(self.n))) if self.pool else [fn(i) for i in range(self.n)]

    def reseed(self, seed: int, epoch: int) -> None:
        """Dropout masks for ``epoch``: one generator per member under every engine, seeded by the
        seed, the member's index in the whole ensemble and the epoch, so a member's masks do not
        depend on which other members train beside it."""
        torch.manual_seed(_seed(seed, epoch + 1, 1))
        for i, g in zip(self.ids, self.generators):
            g.manual_seed(_seed(seed, i, epoch + 1, 2))

    def _masks(self, shape: torch.Size, p: float) -> torch.Tensor:
        """(N, *shape) dropout keep-masks scaled by 1 / (1 - p), member i's from its own generator."""
        keep = [torch.empty(shape, device=self.device).bernoulli_(1 - p, generator=g) for g in self.generators]
        return torch.stack(keep) / (1 - p)

    def _dropout_masks(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-member masks for every dropout layer of a vmapped net on per-member batches x (N, B,
        ...): the layers' input shapes come from one pass of the meta-device copy."""
        key = tuple(x.shape[1:])
        if key not in self.mask_shapes:
            shapes = {}
            hooks = [
                m.register_forward_pre_hook(lambda mod, args, name=name: shapes.__setitem__(name, args[0].shape))
                for name, m in self.dropouts.items()
            ]
            with torch.no_grad():
                self.base(torch.empty(key, device="meta"))
            for h in hooks:
                h.remove()
            self.mask_shapes[key] = shapes
        return {name: self._masks(shape, self.dropouts[name].p) for name, shape in self.mask_shapes[key].items()}

    def parameters(self) -> list[torch.Tensor]:
        if self.engine == "loop":
            return [p for m in self.nets for p in m.parameters()]
        return list(self.params.values())

    def train(self, mode: bool) -> None:
        for m in self.nets if self.engine == "loop" else [self.base]:
            m.train(mode)

    def _x(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last and x.dim() == 4 else x

    def loss(self, x: torch.Tensor, y: torch.Tensor, w: torch.Tensor, loss: str) -> torch.Tensor:
        """Backpropagate each member's mean loss on its own batch; return the (N,) losses.

        x (N, B, ...), y and w (N, B) with w = 0 on padding rows."""
        if self.engine == "loop":

            def step(i: int) -> torch.Tensor:
                keep = w[i] > 0
                li = loss_fn(loss, self.nets[i](self._x(x[i][keep])), y[i][keep]).mean()
                li.backward()
                return li.detach()

            return torch.stack(self._each(step))
        out = self._forward(x)
        per = (loss_fn(loss, out, y) * w).sum(1) / w.sum(1)
        per.sum().backward()
        return per.detach()

    def _call(self, p, b, x):
        return functional_call(self.base, (p, b), (x,))

    def _call_masked(self, p, b, x, masks):
        for name, m in masks.items():
            self.dropouts[name].mask = m
        try:
            return functional_call(self.base, (p, b), (x,))
        finally:
            for name in masks:
                self.dropouts[name].mask = None

    def _forward(self, x: torch.Tensor, shared: bool = False) -> torch.Tensor:
        """Logits (N, B, C) of all members, on their own batches x (N, B, ...) or, with
        ``shared``, on one batch x (B, ...). Dense nets run as batched matmuls (baddbmm),
        measurably faster than vmap. Dropout masks come from each member's own generator."""
        training = self.base.training and not shared
        if not self.dense:
            if training and self.dropouts:
                masks = self._dropout_masks(x)
                return vmap(self._call_masked, in_dims=(0, 0, 0, 0), randomness="different")(self.params, self.buffers, x, masks)
            return vmap(self._call, in_dims=(0, 0, None if shared else 0), randomness="different")(self.params, self.buffers, x)
        h = x.flatten(1).expand(self.n, -1, -1) if shared else x.flatten(2)
        for name, stage in self.base.stages.items():
            if isinstance(stage, nn.Linear):
                h = torch.baddbmm(self.params[f"stages.{name}.bias"].unsqueeze(1), h, self.params[f"stages.{name}.weight"].transpose(1, 2))
            elif isinstance(stage, models.Dropout) and training:
                h = h * self._masks(h.shape[1:], stage.p)
            elif not isinstance(stage, nn.Flatten):
                h = stage(h)
        return h

    @torch.no_grad()
    def logits(self, x: torch.Tensor, batch: int) -> torch.Tensor:
        """Logits (N, n, C) of every member on the same inputs, in eval mode."""
        outs = []
        for s in range(0, len(x), batch):
            xb = x[s : s + batch]
            if self.engine == "loop":
                outs.append(torch.stack(self._each(lambda i, xb=xb: self.nets[i](self._x(xb)))))
            else:
                outs.append(self._forward(xb, shared=True))
        return torch.cat(outs, 1)

    def state(self) -> tuple[dict, dict]:
        """Parameters and buffers stacked over members, by name."""
        if self.engine == "batched":
            return {k: v.detach().clone() for k, v in self.params.items()}, {k: v.clone() for k, v in self.buffers.items()}
        params = [dict(m.named_parameters()) for m in self.nets]
        buffers = [dict(m.named_buffers()) for m in self.nets]
        return (
            {k: torch.stack([p[k].detach() for p in params]) for k in params[0]},
            {k: torch.stack([b[k] for b in buffers]) for k in buffers[0]},
        )

    def load(self, params: dict, buffers: dict) -> None:
        with torch.no_grad():
            if self.engine == "batched":
                for k, v in params.items():
                    self.params[k].copy_(v)
                for k, v in buffers.items():
                    self.buffers[k].copy_(v)
                return
            for i, m in enumerate(self.nets):
                for k, p in m.named_parameters():
                    p.copy_(params[k][i])
                for k, b in m.named_buffers():
                    b.copy_(buffers[k][i])

    def param_names(self) -> list[tuple[str, int]]:
        """(name, member) of each tensor in ``parameters()``, member -1 for stacked tensors."""
        if self.engine == "loop":
            return [(k, i) for i in range(self.n) for k in self.names]
        return [(k, -1) for k in self.names]


def build_members(
    cfg: TrainConfig, in_shape, n_classes: int, engine: str, device: torch.device, ids: Sequence[int] | None = None
) -> _Members:
    """The freshly initialised members ``ids`` (default: all); member i's initialisation depends only on (seed, i)."""
    ids = range(cfg.n_models) if ids is None else ids
    nets = []
    for i in ids:
        torch.manual_seed(_seed(cfg.seed, i, 0))
        nets.append(models.build(cfg.arch, in_shape, n_classes, cfg.width, **dict(cfg.arch_options)).to(device))
    return _Members(nets, engine, device.type == "cpu" and models.is_convolutional(cfg.arch), ids)


def _momentum_state(opt: torch.optim.Optimizer, members: _Members) -> dict[str, torch.Tensor]:
    bufs = {}
    for p, (k, _) in zip(members.parameters(), members.param_names()):
        buf = opt.state.get(p, {}).get("momentum_buffer")
        if buf is not None:
            bufs.setdefault(k, []).append(buf.detach().clone())
    return {k: v[0] if members.engine == "batched" else torch.stack(v) for k, v in bufs.items()}


def _load_momentum(opt: torch.optim.Optimizer, members: _Members, bufs: dict[str, torch.Tensor]) -> None:
    for p, (k, i) in zip(members.parameters(), members.param_names()):
        if k in bufs:
            opt.state[p]["momentum_buffer"] = (bufs[k] if i < 0 else bufs[k][i]).clone()


def batches(
    masks: np.ndarray, batch_size: int | None, seed: int, epoch: int, ids: Sequence[int] | None = None, largest: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-member shuffled mini-batches as padded index and weight arrays (steps, N, B).

    Every member takes the same number of steps, ceil(largest set / batch_size), its examples
    split into near-equal batches of at most ``batch_size``: so no member ever steps on an
    empty batch, and equal-sized sets whose size is a multiple of the batch size get exactly
    the usual batches. ``batch_size=None`` is full-batch gradient descent. ``masks`` may be some
    members of an ensemble: ``ids`` are their indices in it and ``largest`` its largest training
    set, so their batches are the ones they would get beside every other member."""
    members = [np.flatnonzero(m) for m in masks]
    ids = range(len(members)) if ids is None else ids
    largest = largest or max(len(m) for m in members)
    b = batch_size or largest
    steps = math.ceil(largest / b)
    idx = np.zeros((steps, len(members), b), dtype=np.int64)
    w = np.zeros((steps, len(members), b), dtype=np.float32)
    for row, (i, mem) in enumerate(zip(ids, members)):
        order = mem if batch_size is None else np.random.default_rng(_seed(seed, i, epoch + 1)).permutation(mem)
        for s, chunk in enumerate(np.array_split(order, steps)):
            idx[s, row, : len(chunk)] = chunk
            w[s, row, : len(chunk)] = 1
    return idx, w


def train_ensemble(
    cfg: TrainConfig,
    x_train: np.ndarray,
    y_train: np.ndarray,
    evals: dict[str, np.ndarray],
    masks: np.ndarray | None = None,
    n_classes: int | None = None,
    device: str | torch.device | None = None,
    state: State | None = None,
    on_epoch: Callable[[State], None] | None = None,
    progress: bool | None = None,
    members: Sequence[int] | None = None,
    eval_labels: dict[str, np.ndarray] | None = None,
) -> State:
    """Train ``cfg.n_models`` networks and record predictions after every epoch.

    ``evals`` maps split names to images to predict on; ``masks`` (N, n) says which training
    points each member trains on (default: all). ``state`` resumes a run; ``on_epoch`` is
    called with the state after each epoch (the store's checkpoint hook). ``members`` trains only
    those members of the ensemble (a shard): each is bit-identical to the same member trained with
    all the others, since its initialisation, batches and dropout masks depend only on the seed,
    its index and the epoch. Returns the final state, whose ``preds[split]`` is int16 (N,
    epochs + 1, n) and ``step_preds[split]`` (N, len(eval_steps), n), N the members trained.

    With ``cfg.keep_margins``, every evaluation after an epoch also records :data:`OUTPUTS` against
    ``eval_labels`` (split -> labels, -1 for none: nan) in ``outputs["margins/<split>"]`` and so on,
    from the logits the predictions come from (which it leaves bit-identical); not at ``eval_steps``.
    """
    device = default_device(device)
    engine = resolve_engine(cfg.engine, cfg.arch, device)
    n_classes = int(n_classes or y_train.max() + 1)
    masks = np.ones((cfg.n_models, len(y_train)), bool) if masks is None else np.asarray(masks, bool)
    if masks.shape != (cfg.n_models, len(y_train)):
        raise ValueError(f"masks has shape {masks.shape}; expected (n_models, n_train) = {(cfg.n_models, len(y_train))}")
    if cfg.keep_margins and set(evals) - set(eval_labels or {}):
        raise ValueError(f"keep_margins needs eval_labels for every split; missing: {sorted(set(evals) - set(eval_labels or {}))}")
    ids = list(range(cfg.n_models) if members is None else members)
    if not ids or min(ids) < 0 or max(ids) >= cfg.n_models or len(set(ids)) != len(ids):
        raise ValueError(f"members={members!r} must be distinct indices in 0..{cfg.n_models - 1}")
    largest = int(masks.sum(1).max())
    masks = masks[ids]
    norm = normaliser(x_train)
    xt, yt = to_tensor(x_train, norm, device), torch.tensor(np.asarray(y_train), dtype=torch.long, device=device)
    xe = {k: to_tensor(v, norm, device) for k, v in evals.items()}
    members = build_members(cfg, x_train.shape[1:], n_classes, engine, device, ids)
    opt = torch.optim.SGD(members.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    eval_batch = 128 if device.type == "cpu" else 1024  # CPU: batches that stay in cache ran ~2x faster

    def predict(outputs: dict[str, np.ndarray] | None = None, epoch: int = 0) -> dict[str, np.ndarray]:
        """Every split's predicted labels; with ``outputs``, also write :data:`OUTPUTS` at ``epoch`` there."""
        members.train(False)
        preds = {}
        for k, v in xe.items():
            logits = members.logits(v, eval_batch)
            preds[k] = logits.argmax(-1).cpu().numpy().astype(np.int16)
            if cfg.keep_margins and outputs is not None:
                z = logits.cpu().numpy()
                for name, fn in OUTPUTS.items():
                    outputs[f"{name}/{k}"][:, epoch] = fn(z, eval_labels[k])
        return preds

    if state is None:
        shape = {k: (len(ids), cfg.epochs + 1, len(v)) for k, v in xe.items()}
        outputs = {f"{name}/{k}": np.full(shape[k], np.nan, np.float32) for name in OUTPUTS for k in xe} if cfg.keep_margins else {}
        first = predict(outputs)
        state = State(
            epoch=0,
            params={},
            buffers={},
            momentum={},
            preds={k: np.zeros((len(ids), cfg.epochs + 1, len(v)), np.int16) for k, v in xe.items()},
            step_preds={k: np.zeros((len(ids), len(cfg.eval_steps), len(v)), np.int16) for k, v in xe.items()},
            loss=np.zeros((len(ids), cfg.epochs), np.float32),
            outputs=outputs,
        )
        for k, v in first.items():
            state.preds[k][:, 0] = v
    else:
        if cfg.keep_margins:
            want = {f"{name}/{k}": (len(ids), cfg.epochs + 1, len(v)) for name in OUTPUTS for k, v in xe.items()}
            got = {name: a.shape for name, a in state.outputs.items()}
            if got != want:
                raise ValueError(
                    f"keep_margins: the state to resume from has output arrays {got}, not {want} "
                    "(it was trained without keep_margins, or for other splits): train from scratch"
                )
        members.load(state.params, state.buffers)
        _load_momentum(opt, members, state.momentum)

    steps_per_epoch = len(batches(masks, cfg.batch_size, cfg.seed, 0, ids, largest)[0])
    eval_at = {s: j for j, s in enumerate(cfg.eval_steps)}
    desc = (
        f"{cfg.n_models} x {cfg.arch} ({engine})" if len(ids) == cfg.n_models else f"{len(ids)} of {cfg.n_models} x {cfg.arch} ({engine})"
    )
    bar = tqdm(
        range(state.epoch, cfg.epochs),
        initial=state.epoch,
        total=cfg.epochs,
        disable=None if progress is None else not progress,
        desc=desc,
        unit="epoch",
        leave=False,
    )
    started = time.perf_counter()
    for epoch in bar:
        members.reseed(cfg.seed, epoch)
        idx, w = batches(masks, cfg.batch_size, cfg.seed, epoch, ids, largest)
        members.train(True)
        total = torch.zeros(len(ids), device=device)
        with members.parallel():
            for s in range(len(idx)):
                step = epoch * steps_per_epoch + s
                for g in opt.param_groups:
                    g["lr"] = lr_at(cfg, step, steps_per_epoch)
                ib = torch.as_tensor(idx[s], device=device)
                wb = torch.as_tensor(w[s], device=device)
                opt.zero_grad(set_to_none=True)
                total += members.loss(xt[ib], yt[ib], wb, cfg.loss)
                opt.step()
                if step + 1 in eval_at:
                    for k, v in predict().items():
                        state.step_preds[k][:, eval_at[step + 1]] = v
                    members.train(True)
        state.loss[:, epoch] = (total / len(idx)).cpu().numpy()
        diverged = np.flatnonzero(~np.isfinite(state.loss[:, epoch]) & np.isfinite(state.loss[:, epoch - 1] if epoch else True))
        if diverged.size:
            tqdm.write(
                f"train: member(s) {', '.join(str(ids[j]) for j in diverged)} of {cfg.n_models} x {cfg.arch}: non-finite loss at epoch {epoch + 1}"
            )
        for k, v in predict(state.outputs, epoch + 1).items():
            state.preds[k][:, epoch + 1] = v
        state.epoch = epoch + 1
        if progress is not False:
            terminal(
                f"  training {desc}: epoch {epoch + 1}/{cfg.epochs}, mean loss {np.nanmean(state.loss[:, epoch]):.3f}, "
                f"{time.perf_counter() - started:.0f} s"
            )
        state.params, state.buffers = members.state()
        state.momentum = _momentum_state(opt, members)
        if on_epoch is not None:
            on_epoch(state)
    bar.close()
    if cfg.keep_logits:
        members.train(False)
        state.extra["logits"] = {k: members.logits(v, eval_batch).cpu().numpy() for k, v in xe.items()}
    state.extra["engine"] = engine
    return state
