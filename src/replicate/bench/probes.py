"""``replicate bench probes``: activations at every probe point from one forward pass per batch
(``probes.activations``) against one truncated forward pass per probe layer (the stages up to
that layer, run again for each layer: how per-layer feature extractors work), on VGG16 with
Fashion-MNIST-shaped random input. Both write into preallocated float32 arrays.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from .. import models, probes


@torch.no_grad()
def truncated(net: models.Probed, x: torch.Tensor, layer: str) -> torch.Tensor:
    """The activation at probe ``layer``, running only the stages up to it (the softmax needs all)."""
    if layer == "input":
        return x.flatten(1)
    for name, stage in net.stages.items():
        x = stage(x)
        if name == layer:
            return x.flatten(1)
    return x.softmax(-1)


def per_layer(net: models.Probed, x: torch.Tensor, batch: int) -> dict[str, np.ndarray]:
    """The baseline: for each probe layer in turn, a truncated pass over all batches."""
    out = {}
    for layer in net.probe_names:
        for start in range(0, len(x), batch):
            a = truncated(net, x[start : start + batch], layer).numpy()
            if start == 0:
                out[layer] = np.empty((len(x), a.shape[1]), np.float32)
            out[layer][start : start + len(a)] = a
    return out


@torch.no_grad()
def ideal_speedup(net: models.Probed, in_shape) -> float:
    """FLOPs of the per-layer passes over FLOPs of one pass: the speedup if time were FLOPs."""
    x, prefix, total = torch.zeros(1, *in_shape), {"input": 0}, 0
    for name, stage in net.stages.items():
        with FlopCounterMode(display=False) as counter:
            x = stage(x)
        total += counter.get_total_flops()
        if name in net.probe_names:
            prefix[name] = total
    prefix["softmax"] = total
    return sum(prefix.values()) / total


def main(quick: bool = False) -> dict:
    """Time both ways on the same inputs (best of a few runs), check they agree, print the summary last."""
    width, n, batch, repeats = (0.125, 128, 64, 1) if quick else (0.5, 512, 128, 3)
    in_shape = (1, 28, 28)
    torch.manual_seed(0)
    net = models.build("vgg16", in_shape, 10, width).eval()
    x = torch.randn(n, *in_shape)
    probes.activations(net, x[:batch], batch=batch)  # warm-up: the first convolutions pick their kernels
    per_layer(net, x[:batch], batch)
    times = {"one pass": [], "per layer": []}
    for _ in range(repeats):
        start = time.perf_counter()
        ours = probes.activations(net, x, batch=batch)
        times["one pass"].append(time.perf_counter() - start)
        start = time.perf_counter()
        base = per_layer(net, x, batch)
        times["per layer"].append(time.perf_counter() - start)
    same = all(np.allclose(ours[k], base[k], rtol=1e-4, atol=1e-5) for k in net.probe_names)
    t_one, t_per = min(times["one pass"]), min(times["per layer"])
    layers = len(net.probe_names)
    print(f"VGG16 (width {width}) on {n} random {in_shape} inputs, batch {batch}, {layers} probe layers, {torch.get_num_threads()} threads")
    print(f"one pass: {t_one:.2f} s; one truncated pass per layer: {t_per:.2f} s; same activations: {same}")
    print(
        f"speedup {t_per / t_one:.2f}; the FLOP ratio of the two (ideal speedup) is {ideal_speedup(net, in_shape):.2f}; target >= layers / 2 = {layers / 2:.1f}"
    )
    print(f"bench probes: one_pass_speedup={t_per / t_one:.2f} layers={layers}")
    return {"one_pass_speedup": t_per / t_one, "layers": layers, "ideal": ideal_speedup(net, in_shape), "same": same}
