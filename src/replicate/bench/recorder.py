"""``replicate bench recorder``: what recording costs a plain PyTorch loop. One MLP trains on
random Fashion-MNIST-shaped data (labels from a random linear teacher, so it learns), evaluated on
a test set before training and after every epoch; the same loop runs with and without a
:class:`recorder.Recorder` logging every training batch's logits (the ``train`` split, epochs
1..E; an evaluation pass at epoch 0) and every evaluation pass (``test``), plus its save to a
temporary run store. On one thread: a small model on a shared CPU otherwise times thread
contention (on a loaded 2-core machine, 2 threads were 75 times slower than one), and a fast
step makes the recorder's share the largest. After a warm-up run, the two loops alternate in one
process; the best time of each is compared.
"""

from __future__ import annotations

import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

from .. import recorder
from ..store import Store


def _data(n: int, n_test: int, dim: int = 784, n_classes: int = 10, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.standard_normal((n + n_test, dim), dtype=np.float32))
    y = (x @ torch.from_numpy(rng.standard_normal((dim, n_classes), dtype=np.float32))).argmax(1)
    return (x[:n], y[:n]), (x[n:], y[n:])


def loop(train, test, epochs: int, batch: int, rec: recorder.Recorder | None) -> tuple[np.ndarray, float]:
    """Train a 784-256-10 MLP with SGD, evaluating the test set at epoch 0 and after every epoch
    (and the training set at epoch 0 when recording); with ``rec``, log every batch's logits and
    save. Returns the final test predictions and the seconds spent inside the recorder's calls."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    (x, y), (xt, yt) = train, test
    ids, test_ids = torch.arange(len(y)), torch.arange(len(yt))
    spent = 0.0

    def log(split: str, epoch: int, split_ids: torch.Tensor, logits: torch.Tensor) -> None:
        nonlocal spent
        if rec is not None:
            start = time.perf_counter()
            rec.log(split, 0, epoch, split_ids, logits)
            spent += time.perf_counter() - start

    @torch.no_grad()
    def evaluate(epoch: int, split: str, xs: torch.Tensor, split_ids: torch.Tensor) -> np.ndarray:
        net.eval()
        z = torch.cat([net(xb) for xb in xs.split(512)])
        log(split, epoch, split_ids, z)
        return z.argmax(1).numpy()

    evaluate(0, "test", xt, test_ids)
    if rec is not None:
        evaluate(0, "train", x, ids)
    for epoch in range(1, epochs + 1):
        net.train()
        for b in torch.randperm(len(y)).split(batch):
            logits = net(x[b])
            loss = F.cross_entropy(logits, y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            log("train", epoch, ids[b], logits)
        final = evaluate(epoch, "test", xt, test_ids)
    if rec is not None:
        start = time.perf_counter()
        rec.save()
        spent += time.perf_counter() - start
    return final, spent


def main(quick: bool = False) -> dict:
    """Time both loops, alternating; print the table and the summary line last."""
    n, n_test, epochs, batch, repeats = (1000, 250, 1, 64, 2) if quick else (8000, 2000, 4, 64, 4)
    train, test = _data(n, n_test)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        res = _timed(train, test, epochs, batch, repeats)
    finally:
        torch.set_num_threads(threads)
    steps = epochs * -(-n // batch)
    print(f"MLP 784-256-10 on one thread, {n} training / {n_test} test examples, {epochs} epochs at batch {batch} ({steps} logged batches)")
    print(
        f"plain loop: {res['plain_s']:.2f} s; with the recorder (every batch and evaluation logged, then saved): "
        f"{res['recorded_s']:.2f} s (best of {repeats}), of which {res['inside_s']:.2f} s inside the recorder's log and save calls"
    )
    print(f"recorded final test predictions equal the loop's: {res['same']}")
    print(f"bench recorder: overhead={res['overhead_percent']:.1f}%")
    return res


def _timed(train, test, epochs: int, batch: int, repeats: int) -> dict:
    """Best times of the plain and the recorded loop, alternating after one warm-up run."""
    n, n_test = len(train[1]), len(test[1])
    splits = {"train": (np.arange(n), train[1].numpy()), "test": (np.arange(n_test), test[1].numpy())}
    times: dict[str, list[float]] = {"plain": [], "recorded": [], "inside": []}
    loop(train, test, 1, batch, None)  # warm-up: the first calls of each kernel are slow
    with tempfile.TemporaryDirectory() as root:
        for r in range(repeats):
            start = time.perf_counter()
            plain, _ = loop(train, test, epochs, batch, None)
            times["plain"].append(time.perf_counter() - start)
            rec = recorder.Recorder(f"bench-{r}", 10, splits, n_models=1, epochs=epochs, store=Store(root))
            start = time.perf_counter()
            logged, inside = loop(train, test, epochs, batch, rec)
            times["recorded"].append(time.perf_counter() - start)
            times["inside"].append(inside)
        record = recorder.load("bench-0", Store(root))
    same = bool(np.array_equal(plain, logged) and np.array_equal(record.preds("test")[0, -1], plain))
    t_plain, t_rec = min(times["plain"]), min(times["recorded"])
    inside = times["inside"][int(np.argmin(times["recorded"]))]
    return {"overhead_percent": 100 * (t_rec / t_plain - 1), "plain_s": t_plain, "recorded_s": t_rec, "inside_s": inside, "same": same}
