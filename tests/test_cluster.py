"""Scale-out on Ray: an ensemble trained in shards on a cluster equals the single-process one, on a
local Ray instance of two workers and on a two-node cluster started with ``ray start`` on the
loopback address, also when a worker is killed mid-shard."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from replicate import cluster, runs
from replicate.store import Store
from replicate.train import TrainConfig

RAY = Path(sys.executable).parent / "ray"


def spec(epochs: int = 2) -> runs.EnsembleSpec:
    train = TrainConfig("small_stvgg", 4, epochs, width=0.125, batch_size=50)
    return runs.EnsembleSpec(runs.DataSpec(n_train=300, n_test=100, split="holdout"), train)


@pytest.fixture
def single(tmp_path_factory):
    return runs.ensemble(spec(), Store(tmp_path_factory.mktemp("single")), progress=False)


def same(a: runs.Record, b: runs.Record) -> bool:
    return sorted(a.arrays) == sorted(b.arrays) and all(np.array_equal(a.arrays[k], v) for k, v in b.arrays.items())


def test_shards_are_contiguous_and_near_equal():
    assert cluster.shards(range(2, 9), 3) == [range(2, 5), range(5, 7), range(7, 9)]
    assert cluster.shards(range(0, 2), 5) == [range(0, 1), range(1, 2)]


def test_without_a_cluster_ray_is_not_imported():
    code = "from replicate import runs, cluster; import sys; print('ray' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if k != cluster.ENV}
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env).stdout.strip() == "False"


def test_a_local_cluster_of_two_workers_trains_the_same_ensemble(single, tmp_path, monkeypatch):
    import ray

    monkeypatch.setenv(cluster.ENV, "local")
    try:
        sharded = runs.ensemble(spec(), Store(tmp_path), progress=False)
    finally:
        ray.shutdown()
    assert sharded.meta["shards"] == [[0, 2], [2, 4]]
    assert same(single, sharded)
    assert not list((tmp_path / "ensemble").glob("*.partial"))  # the shards' checkpoints are gone


@pytest.fixture
def two_nodes():
    """A head node and a second node (one CPU each) on the loopback address, stopped afterwards."""
    port = 6390 + os.getpid() % 50
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    common = ["--num-cpus=1", "--disable-usage-stats"]
    subprocess.run(
        [RAY, "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1", "--include-dashboard=false", *common],
        check=True,
        env=env,
        capture_output=True,
    )
    subprocess.run(
        [RAY, "start", f"--address=127.0.0.1:{port}", "--node-ip-address=127.0.0.1", *common], check=True, env=env, capture_output=True
    )
    yield f"127.0.0.1:{port}"
    subprocess.run([RAY, "stop", "--force"], env=env, capture_output=True)


def test_a_two_node_cluster_survives_a_killed_worker(two_nodes, tmp_path, monkeypatch, tmp_path_factory):
    """Four epochs per shard; once both shards have checkpointed, one worker is killed (SIGKILL): Ray
    retries the shard, which resumes from its checkpoint, and the ensemble is still identical."""
    import ray

    monkeypatch.setenv(cluster.ENV, two_nodes)
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    single = runs.ensemble(spec(4), Store(tmp_path_factory.mktemp("single4")), progress=False)
    killed = []

    def kill_a_worker_after_its_first_checkpoint():
        deadline = time.time() + 300
        while time.time() < deadline and len(list((tmp_path / "ensemble").glob("*.members-*.partial/checkpoint.pt"))) < 2:
            time.sleep(0.2)  # both shards have checkpointed, so whichever worker is killed resumes from a checkpoint
        pids = subprocess.run(["pgrep", "-f", "ray::_shard"], capture_output=True, text=True).stdout.split()
        if pids:
            os.kill(int(pids[0]), signal.SIGKILL)
            killed.append(pids[0])

    killer = threading.Thread(target=kill_a_worker_after_its_first_checkpoint)
    killer.start()
    try:
        sharded = runs.ensemble(spec(4), Store(tmp_path), progress=False)
    finally:
        killer.join()
        ray.shutdown()
    assert killed, "no shard worker was found to kill"
    assert sharded.meta["shards"] == [[0, 2], [2, 4]] and sharded.meta["resumed_from_epoch"] >= 1
    assert same(single, sharded)
