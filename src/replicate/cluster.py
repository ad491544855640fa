"""Ray as the scale-out engine: the members of an ensemble train in shards on a Ray cluster's workers.

``REPLICATE_CLUSTER`` (set by ``replicate run/book --cluster ADDRESS``, and so seen by the notebooks
papermill runs) names the cluster: a Ray address (``ray://host:10001`` or ``host:6379``), ``auto``
for the cluster this machine belongs to, or ``local`` for a Ray instance on this machine. Without it
nothing changes and Ray is never imported.

Each shard is a contiguous range of members: on a GPU (when the notebook's own device is one, so
that the store key names the device the networks train on) one per GPU of the cluster, else one per
``REPLICATE_SHARD_CPUS`` cores (default 1). A worker trains its shard with
:func:`runs.train_members` into the run store, which every node must see at the same path (a shared
file system): it checkpoints there after every epoch, so a shard whose worker dies is retried by
Ray and resumes from its last epoch. Members do not depend on which others train beside them, so the
merged entry equals a single-process run of the same spec.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

ENV = "REPLICATE_CLUSTER"
CPUS_ENV = "REPLICATE_SHARD_CPUS"
RETRIES = 3


def address() -> str | None:
    """The cluster address of this run (``REPLICATE_CLUSTER``), or None to train in this process."""
    return os.environ.get(ENV) or None


def shards(members: range, n: int) -> list[range]:
    """``members`` split into at most ``n`` contiguous ranges whose sizes differ by at most one."""
    n = max(1, min(n, len(members)))
    size, extra = divmod(len(members), n)
    out, start = [], members.start
    for i in range(n):
        stop = start + size + (i < extra)
        out.append(range(start, stop))
        start = stop
    return out


def connect() -> None:
    """Join the cluster of :func:`address` (once per process)."""
    import ray

    if not ray.is_initialized():
        where = address()
        ray.init(address=None if where == "local" else where, include_dashboard=False, log_to_driver=False)


def _shard(spec, members: range, root: str, device: str, threads: int):
    """One shard, on a worker: its members' arrays and metadata (see :func:`runs.train_members`)."""
    from . import runs
    from .store import Store

    torch.set_num_threads(threads)
    return runs.train_members(spec, members, Store(root), torch.device(device), progress=False)


def train(spec, members: range, root: Path, device: torch.device) -> list[tuple[dict, dict]]:
    """Train ``members`` of the ensemble of ``spec`` in shards on the cluster, with the store at
    ``root`` (shared by every node): each shard's (arrays, metadata), in member order."""
    import ray

    connect()
    resources = ray.cluster_resources()
    cpus = int(os.environ.get(CPUS_ENV, "1"))
    gpu = device.type == "cuda"
    n = int(resources.get("GPU", 0)) if gpu else max(1, int(resources.get("CPU", 1)) // cpus)
    task = ray.remote(num_cpus=cpus, num_gpus=1 if gpu else 0, max_retries=RETRIES, retry_exceptions=False)(_shard)
    parts = shards(members, n)
    print(f"cluster: {len(members)} members in {len(parts)} shards on {n} workers", flush=True)
    return ray.get([task.remote(spec, part, str(root), device.type, cpus) for part in parts])
