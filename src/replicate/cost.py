"""What an ensemble costs before anything runs (``replicate plan``): forward FLOPs counted from the
built model, training and evaluation FLOPs from the spec's sizes, k-NN probe work, peak memory per
member and the size of its run-store entry."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from . import data, models
from .runs import EnsembleSpec

DEVICES: dict[str, tuple[float, str]] = {
    "cpu": (8e10, "this 2-core machine: about 40% of its measured 200 GFLOP/s float32 matmul peak"),
    "t4": (4e12, "NVIDIA T4: about half of its 8.1 TFLOP/s float32 peak"),
    "v100": (7e12, "NVIDIA V100: about half of its 14 TFLOP/s float32 peak"),
    "a100": (1e13, "NVIDIA A100: about half of its 19.5 TFLOP/s float32 peak (no TF32)"),
    "h100": (2.5e13, "NVIDIA H100 SXM: about half of its 51 TFLOP/s float32 peak"),
}
"""Sustained FLOP/s when training small networks, by device class: assumptions, not measurements
(only the CPU's peak was measured here); ``replicate plan`` states the one it uses."""


@dataclass(frozen=True)
class Model:
    """What one forward pass of a built architecture costs, per example."""

    flops: float
    params: int
    activations: int
    probe_dims: tuple[int, ...]


@functools.cache
def model(arch: str, in_shape: tuple[int, ...], n_classes: int, width: float, options: tuple = ()) -> Model:
    """Forward FLOPs (torch's FLOP counter: 2 per multiply-add), parameters, activations kept for
    the backward pass (outputs of every leaf module) and the width of every probe point, for one
    example through ``arch``."""
    net = models.build(arch, in_shape, n_classes, width, **dict(options)).eval()
    sizes: list[int] = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: sizes.append(out.numel())) for m in net.modules() if not list(m.children())]
    x = torch.zeros(1, *in_shape)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(x)
    for h in hooks:
        h.remove()
    with torch.no_grad():
        dims = tuple(int(a.shape[1]) for a in net(x, probes=True).values())
    return Model(float(counter.get_total_flops()), sum(p.numel() for p in net.parameters()), sum(sizes), dims)


@dataclass(frozen=True)
class Cost:
    """The bill of one ensemble: sizes, FLOPs, memory and store bytes."""

    networks: int
    epochs: int
    train_examples: int
    eval_examples: int
    forward_flops: float
    train_flops: float
    probe_flops: float
    member_bytes: float
    store_bytes: float

    @property
    def flops(self) -> float:
        return self.train_flops + self.probe_flops

    def hours(self, device: str) -> float:
        """Estimated hours on ``device`` (a key of :data:`DEVICES`)."""
        return self.flops / DEVICES[device][0] / 3600


def sizes(spec: EnsembleSpec) -> tuple[int, int, int]:
    """(pool, test, per-member training examples) of ``spec``'s data view, from the data sets' sizes."""
    d = spec.data
    share = len(d.classes) / data.SHAPES[d.dataset][1] if d.classes else 1.0
    pool, test = (round(data.SIZES[d.dataset][s] * share) for s in ("train", "test"))
    pool, test = min(pool, d.n_train or pool), min(test, d.n_test or test)
    if d.pool:
        pool, test = pool + test, 0
    n = spec.train.n_models
    member = {"holdout": round(data.HOLDOUT * pool), "partition": pool // n}.get(d.split, pool)
    return pool, test, member


def ensemble(spec: EnsembleSpec, probe_dim: int | None = 256, probed: int | None = None, queried: float = 1.0) -> Cost:
    """The cost of training ``spec`` (3 forward passes' FLOPs per training example and step: forward
    and backward), evaluating every member on its evaluation sets after every epoch, and, for an
    ensemble that keeps its weights, k-NN probes at every probe point (Baldock Sec. 2.1): each
    member's pool and test points (a share ``queried`` of them) queried against its training
    points, in at most ``probe_dim`` dimensions after a random projection, for the first ``probed``
    members (all by default); every pool point still passes through the network once. Peak memory per member: weights, gradients and momentum,
    plus one batch's activations and their gradients."""
    t, d = spec.train, spec.data
    in_shape, n_classes = data.SHAPES[d.dataset]
    m = model(t.arch, in_shape, n_classes, t.width, tuple(t.arch_options))
    pool, test, member = sizes(spec)
    n_eval = (pool if d.eval_train else 0) + test * (1 + len(d.ood))
    train_flops = t.n_models * (3 * m.flops * member * t.epochs + m.flops * n_eval * (t.epochs + 1))
    probe_flops = 0.0
    if t.keep_weights:
        queries = round(queried * (pool + test))
        per_layer = [
            2 * queries * (member * (min(dim, probe_dim or dim)) + (dim * probe_dim if probe_dim and dim > probe_dim else 0))
            for dim in m.probe_dims
        ]
        probe_flops = (t.n_models if probed is None else probed) * (m.flops * (pool + test) + sum(per_layer))
    batch = t.batch_size or member
    member_bytes = 4 * (3 * m.params + 2 * batch * m.activations)
    store_bytes = t.n_models * (2 * (t.epochs + 1) * n_eval + pool + (4 * m.params if t.keep_weights else 0))
    if t.keep_weights:
        store_bytes += t.n_models * 2 * len(m.probe_dims) * (pool + test)
    return Cost(
        t.n_models, t.epochs, member, n_eval, m.flops, float(train_flops), float(probe_flops), float(member_bytes), float(store_bytes)
    )
