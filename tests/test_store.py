import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest
import torch

from replicate import runs
from replicate.store import Store, StoreError, key
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


def _manifest_rewritten(path, manifest):
    (path / "MANIFEST.json").write_text(json.dumps(manifest))


def test_a_manifest_must_list_exactly_the_entrys_files(tmp_path, capsys):
    store = Store(tmp_path)
    good = json.loads((store.save("ensemble", "m", {"a": np.zeros(3)}, {}) / "MANIFEST.json").read_text())
    cases = {
        "a file it does not list": lambda p: (p / "extra.txt").write_text("x"),
        "a listed file missing from the list": lambda p: _manifest_rewritten(p, {"arrays.npz": good["arrays.npz"]}),
        "a manifest that is not a mapping": lambda p: _manifest_rewritten(p, ["arrays.npz", "meta.json"]),
        "arrays that are not a zip": lambda p: (
            (p / "arrays.npz").write_bytes(b"not a zip"),
            _manifest_rewritten(p, {**good, "arrays.npz": hashlib.sha256(b"not a zip").hexdigest()}),
        ),
    }
    for case, damage in cases.items():
        path = store.save("ensemble", "m", {"a": np.zeros(3)}, {})
        damage(path)
        assert store.load("ensemble", "m") is None, case
        assert not path.exists(), case
    assert capsys.readouterr().out.count("store: removed corrupt entry ensemble/m") == len(cases)


def test_an_unwritable_store_is_named_before_training(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the store's folder should be")
    store = Store(blocked / "store")
    with pytest.raises(StoreError, match=r"run store .*file/store is not writable .*set REPLICATE_STORE"):
        store.check_writable()
    spec = runs.EnsembleSpec(runs.DataSpec("gaussians", n_train=40, n_test=20), TrainConfig("mlp", n_models=2, epochs=1))
    with pytest.raises(StoreError):
        runs.ensemble(spec, store, device="cpu", progress=False)


def test_a_checkpoint_written_while_the_entry_lands_is_dropped_not_an_error(tmp_path, monkeypatch):
    store = Store(tmp_path)
    real_mkstemp = tempfile.mkstemp

    def landed_meanwhile(*args, **kwargs):
        # another run of the same spec saves the entry and removes the checkpoint folder right now
        store.save("ensemble", "race", {"a": np.zeros(1)}, {})
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", landed_meanwhile)
    store.save_checkpoint("ensemble", "race", {"epoch": 1})
    monkeypatch.setattr(tempfile, "mkstemp", real_mkstemp)
    assert store.load("ensemble", "race") is not None
    assert not (tmp_path / "ensemble" / "race.partial").exists()
