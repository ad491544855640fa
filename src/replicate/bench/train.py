"""``replicate bench train``: the ensemble engine against a plain per-model PyTorch loop (one
model after another, a DataLoader, an evaluation pass after every epoch: what the papers'
code does) on the same data and models, plus the machine's float32 matmul peak.
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.flop_counter import FlopCounterMode

from .. import bench, models
from ..train import TrainConfig, build_members, normaliser, to_tensor, train_ensemble


def forward_flops(cfg: TrainConfig, in_shape, n_classes: int) -> int:
    """FLOPs of one forward pass of one example (matmuls and convolutions)."""
    net = models.build(cfg.arch, in_shape, n_classes, cfg.width, **dict(cfg.arch_options)).eval()
    with FlopCounterMode(display=False) as counter:
        net(torch.zeros(1, *in_shape))
    return counter.get_total_flops()


def plain_loop(cfg: TrainConfig, x: np.ndarray, y: np.ndarray, x_test: np.ndarray) -> list[np.ndarray]:
    """The baseline: each model trained in turn with a DataLoader and evaluated, in batches of
    the training batch size, at initialisation and after every epoch (the same work as ours)."""
    norm = normaliser(x)
    xt, xe = to_tensor(x, norm, torch.device("cpu")), to_tensor(x_test, norm, torch.device("cpu"))
    yt = torch.as_tensor(y)
    preds = []
    for net in build_members(cfg, x.shape[1:], int(y.max()) + 1, "loop", torch.device("cpu")).nets:
        net = net.to(memory_format=torch.contiguous_format)
        opt = torch.optim.SGD(net.parameters(), lr=cfg.lr, momentum=cfg.momentum)
        loader = DataLoader(TensorDataset(xt, yt), batch_size=cfg.batch_size, shuffle=True)
        for epoch in range(cfg.epochs + 1):
            if epoch:
                net.train()
                for xb, yb in loader:
                    opt.zero_grad()
                    F.cross_entropy(net(xb), yb).backward()
                    opt.step()
            net.eval()
            with torch.no_grad():
                for x_eval in (xe, xt):
                    preds.append(torch.cat([net(xb).argmax(1) for xb in x_eval.split(cfg.batch_size)]).numpy())
    return preds


def _case(cfg: TrainConfig, n: int, n_test: int, in_shape, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, *in_shape), dtype=np.uint8)
    y = rng.integers(0, 10, n)
    x_test = rng.integers(0, 256, (n_test, *in_shape), dtype=np.uint8)
    start = time.perf_counter()
    plain_loop(cfg, x, y, x_test)
    t_plain = time.perf_counter() - start
    start = time.perf_counter()
    state = train_ensemble(cfg, x, y, {"train": x, "test": x_test}, progress=False)
    t_ours = time.perf_counter() - start
    fwd = forward_flops(cfg, in_shape, 10)
    work = cfg.n_models * (3 * fwd * n * cfg.epochs + fwd * (n + n_test) * (cfg.epochs + 1))
    return {"plain_s": t_plain, "ours_s": t_ours, "speedup": t_plain / t_ours, "flops": work / t_ours, "engine": state.extra["engine"]}


def main(quick: bool = False) -> dict:
    """Measure both cases and the peak; print a table and the one-line summary, last."""
    torch.manual_seed(0)
    peak = bench.matmul_peak()
    scale = 0.25 if quick else 1.0
    mlp = TrainConfig("mlp", n_models=10, epochs=2, arch_options=(("depth", 2), ("hidden", 256)), batch_size=128, lr=0.05, momentum=0.9)
    cnn = TrainConfig("small_stvgg", n_models=4, epochs=1, batch_size=100, lr=0.05, momentum=0.9)
    res = {
        "mlp": _case(mlp, int(6000 * scale), int(2000 * scale), (1, 28, 28)),
        "cnn": _case(cnn, int(1500 * scale), int(500 * scale), (1, 28, 28)),
    }
    print(f"float32 matmul peak: {peak / 1e9:.1f} GFLOP/s ({torch.get_num_threads()} threads); training work counted as")
    print("3 x forward FLOPs (an upper bound); oneDNN convolutions can outrun the BLAS matmul, so CNN fractions may exceed 1")
    for name, r in res.items():
        print(
            f"{name}: plain loop {r['plain_s']:.2f} s, ours ({r['engine']}) {r['ours_s']:.2f} s, "
            f"speedup {r['speedup']:.2f}, {r['flops'] / 1e9:.1f} GFLOP/s = {r['flops'] / peak:.2f} of peak"
        )
    print(
        f"bench train: mlp_speedup={res['mlp']['speedup']:.2f} cnn_speedup={res['cnn']['speedup']:.2f} "
        f"mlp_peak_fraction={res['mlp']['flops'] / peak:.2f} cnn_peak_fraction={res['cnn']['flops'] / peak:.2f}"
    )
    return res
