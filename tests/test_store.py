import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import torch

from replicate import runs
from replicate.store import Store, key
from replicate.train import TrainConfig


def test_key_is_stable_and_sensitive():
    spec = {"a": 1, "b": [1, 2]}
    assert key("x", spec, "v1") == key("x", {"b": [1, 2], "a": 1}, "v1")
    assert key("x", spec, "v1") != key("x", {**spec, "a": 2}, "v1")
    assert key("x", spec, "v1") != key("x", spec, "v2")


def test_roundtrip_and_corruption_is_detected(tmp_path):
    store = Store(tmp_path)
    arrays = {"preds/train": np.arange(12, dtype=np.int16).reshape(3, 4), "loss": np.ones(2, np.float32)}
    path = store.save("ensemble", "k1", arrays, {"note": "hi"})
    got, meta = store.load("ensemble", "k1")
    assert meta == {"note": "hi"} and all(np.array_equal(got[k], v) for k, v in arrays.items())
    assert not any(p.name.startswith(".") for p in path.parent.iterdir())  # no temporary left behind

    blob = bytearray((path / "arrays.npz").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (path / "arrays.npz").write_bytes(bytes(blob))
    assert store.load("ensemble", "k1") is None
    assert not path.exists()  # removed, so the next run recomputes


def test_partial_entry_without_manifest_is_a_miss(tmp_path):
    store = Store(tmp_path)
    path = store.save("ensemble", "k2", {"a": np.zeros(3)}, {})
    (path / "MANIFEST.json").unlink()
    assert store.load("ensemble", "k2") is None


def test_checkpoint_roundtrip_and_torn_file(tmp_path):
    store = Store(tmp_path)
    store.save_checkpoint("ensemble", "k3", {"epoch": 2, "params": {"w": torch.ones(2, 3)}})
    ck = store.load_checkpoint("ensemble", "k3")
    assert ck["epoch"] == 2 and torch.equal(ck["params"]["w"], torch.ones(2, 3))
    (tmp_path / "ensemble" / "k3.partial" / "checkpoint.pt").write_bytes(b"torn")
    assert store.load_checkpoint("ensemble", "k3") is None


SPEC = runs.EnsembleSpec(
    runs.DataSpec("gaussians", n_train=300, n_test=100),
    TrainConfig(
        "mlp", n_models=3, epochs=40, arch_options=(("depth", 2), ("hidden", 16)), batch_size=30, lr=0.01, momentum=0.9, keep_weights=True
    ),
)

CHILD = """
import sys
from replicate import runs
from replicate.store import Store
from tests.test_store import SPEC
runs.ensemble(SPEC, Store(sys.argv[1]), device="cpu", progress=False)
"""


def test_killed_run_resumes_to_the_same_predictions(tmp_path):
    root = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(root)], cwd=os.path.dirname(os.path.dirname(__file__)))
    ck_path = root / "ensemble" / f"{SPEC.key(torch.device('cpu'))}.partial" / "checkpoint.pt"
    deadline = time.time() + 120
    epoch = 0
    while time.time() < deadline and proc.poll() is None:
        if ck_path.exists():
            try:
                epoch = torch.load(ck_path, weights_only=True)["epoch"]
            except Exception:
                epoch = 0
            if epoch >= 3:
                break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 3 <= epoch < SPEC.train.epochs, "the child must be killed mid-way"
    store = Store(root)
    assert store.load("ensemble", SPEC.key(torch.device("cpu"))) is None  # nothing complete was written

    resumed = runs.ensemble(SPEC, store, device="cpu", progress=False)
    assert resumed.meta["resumed_from_epoch"] >= 3
    fresh = runs.ensemble(SPEC, Store(tmp_path / "fresh"), device="cpu", progress=False)
    assert fresh.meta["resumed_from_epoch"] == 0
    for name in ("preds/train", "preds/test", "loss", "weights/stages.fc1.weight"):
        assert np.array_equal(resumed.arrays[name], fresh.arrays[name]), name

    again = runs.ensemble(SPEC, store, device="cpu", progress=False)  # now a store hit
    assert again.meta == json.loads(json.dumps(resumed.meta, default=str))


def test_a_second_save_of_the_same_entry_keeps_the_first(tmp_path):
    store = Store(tmp_path)
    store.save("ensemble", "k4", {"a": np.zeros(2)}, {"run": 1})
    store.save("ensemble", "k4", {"a": np.zeros(2)}, {"run": 2})
    assert store.load("ensemble", "k4")[1] == {"run": 1}
    assert [p.name for p in (tmp_path / "ensemble").iterdir()] == ["k4"]
