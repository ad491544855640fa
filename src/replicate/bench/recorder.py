"""``replicate bench recorder``: what recording costs a plain PyTorch loop (issue 15, "Performance":
under 5%). A LeNet5 (:func:`models.lenet5`, Pliushch et al.'s network) trains with SGD on random
Fashion-MNIST-shaped images (1x28x28; labels from a random linear teacher, so it learns). Both loops
make exactly the same forward passes: an evaluation of the training and test sets before training,
the training batches, and an evaluation of the test set after every epoch (eval mode); the recorded
loop also hands those logits to a :class:`recorder.Recorder` (``train``: epoch 0's evaluation, then
every training batch, as Toneva et al. 2019 count forgetting; ``test``: every evaluation) and saves
it to a temporary run store. Nothing else differs.

Threads: the process's default torch thread count, unless one thread trains faster here (a
shared, loaded CPU: OpenMP threads then wait on each other); a few steps at each count decide,
before any recorder runs, and the output says which and why. The faster loop is also the
conservative one, as it makes the recorder's fixed cost a larger share. After a warm-up, the two
loops alternate in one process; the best (and the median) time of each are compared, and the time
spent inside the recorder's calls is measured apart.
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

from .. import models, recorder
from ..store import Store

SHAPE = (1, 28, 28)


def _data(n: int, n_test: int, n_classes: int = 10, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.standard_normal((n + n_test, *SHAPE), dtype=np.float32))
    teacher = torch.from_numpy(rng.standard_normal((int(np.prod(SHAPE)), n_classes), dtype=np.float32))
    y = (x.flatten(1) @ teacher).argmax(1)
    return (x[:n], y[:n]), (x[n:], y[n:])


def _net() -> torch.nn.Module:
    torch.manual_seed(0)
    return models.lenet5(SHAPE, 10)


def loop(train, test, epochs: int, batch: int, rec: recorder.Recorder | None) -> tuple[np.ndarray, float]:
    """Train a LeNet5 with SGD: evaluate the training and test sets at epoch 0, train, evaluate the
    test set after every epoch; with ``rec``, log all those logits and save. Returns the final test
    predictions and the seconds spent inside the recorder's calls."""
    net = _net()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
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

    final = evaluate(0, "test", xt, test_ids)
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


def step_seconds(train, batch: int, steps: int = 3) -> float:
    """Median seconds of a LeNet5 training step at the current thread count, after one warm-up step."""
    net = _net()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x, y = train[0][:batch], train[1][:batch]
    times = []
    for _ in range(steps + 1):
        start = time.perf_counter()
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
    return float(np.median(times[1:]))


def main(quick: bool = False) -> dict:
    """Choose the thread count, time both loops alternating; print the table and the summary line last."""
    n, n_test, epochs, batch, repeats = (512, 256, 1, 64, 2) if quick else (8000, 2000, 4, 64, 5)
    train, test = _data(n, n_test)
    default = torch.get_num_threads()
    try:
        step = {default: step_seconds(train, batch)}
        if default > 1:
            torch.set_num_threads(1)
            step[1] = step_seconds(train, batch)
        threads = min(step, key=step.get)
        torch.set_num_threads(threads)
        res = _timed(train, test, epochs, batch, repeats)
    finally:
        torch.set_num_threads(default)
    steps = epochs * -(-n // batch)
    rows = (n + n_test) * (epochs + 1)
    print(
        f"LeNet5 on 1x28x28 inputs, {n} training / {n_test} test examples, {epochs} epochs at batch {batch}: "
        f"{steps} training batches and {2 + epochs} evaluation passes in both loops; recorded: {steps + 2 + epochs} log calls, {rows} logits rows"
    )
    measured = ", ".join(f"{t} thread{'s' * (t > 1)} {1e3 * s:.1f} ms" for t, s in step.items())
    why = "the default" if threads == default else f"not the default {default}: one thread trains faster here"
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"torch threads: {threads} ({why}; a training step took {measured}); load average {load} on {os.cpu_count()} CPUs")
    print(
        f"plain loop: best {res['plain_s']:.2f} s, median {res['plain_median_s']:.2f} s; with the recorder: best "
        f"{res['recorded_s']:.2f} s, median {res['recorded_median_s']:.2f} s ({repeats} alternating runs each)"
    )
    print(
        f"inside the recorder's log and save calls: {res['inside_s']:.3f} s = {res['inside_percent']:.2f}% of the best plain loop; "
        f"overhead of the medians: {res['median_overhead_percent']:.1f}%"
    )
    print(f"recorded final test predictions equal the loop's: {res['same']}")
    print(f"bench recorder: overhead={res['overhead_percent']:.1f}%")
    return res | {"threads": threads}


def _timed(train, test, epochs: int, batch: int, repeats: int) -> dict:
    """Best and median times of the plain and the recorded loop, alternating after one warm-up run of each."""
    n, n_test = len(train[1]), len(test[1])
    splits = {"train": (np.arange(n), train[1].numpy()), "test": (np.arange(n_test), test[1].numpy())}
    times: dict[str, list[float]] = {"plain": [], "recorded": [], "inside": []}
    with tempfile.TemporaryDirectory() as root:
        store = Store(root)
        loop(train, test, 1, batch, None)  # warm-up: the first calls of each kernel are slow
        loop(train, test, 1, batch, recorder.Recorder("warm-up", 10, splits, n_models=1, epochs=1, store=store))
        for r in range(repeats):
            start = time.perf_counter()
            plain, _ = loop(train, test, epochs, batch, None)
            times["plain"].append(time.perf_counter() - start)
            rec = recorder.Recorder(f"bench-{r}", 10, splits, n_models=1, epochs=epochs, store=store)
            start = time.perf_counter()
            logged, inside = loop(train, test, epochs, batch, rec)
            times["recorded"].append(time.perf_counter() - start)
            times["inside"].append(inside)
        record = recorder.load("bench-0", store)
    same = bool(np.array_equal(plain, logged) and np.array_equal(record.preds("test")[0, -1], plain))
    t_plain, t_rec = min(times["plain"]), min(times["recorded"])
    m_plain, m_rec = float(np.median(times["plain"])), float(np.median(times["recorded"]))
    inside = float(np.median(times["inside"]))
    return {
        "overhead_percent": 100 * (t_rec / t_plain - 1),
        "median_overhead_percent": 100 * (m_rec / m_plain - 1),
        "inside_percent": 100 * inside / t_plain,
        "plain_s": t_plain,
        "recorded_s": t_rec,
        "plain_median_s": m_plain,
        "recorded_median_s": m_rec,
        "inside_s": inside,
        "same": same,
    }
