"""The run store: content-addressed entries of numpy arrays, written atomically.

An entry lives in ``<root>/<kind>/<key>/`` as ``arrays.npz`` + ``meta.json`` + ``MANIFEST.json``
(sha256 of both, written last). An entry whose manifest is missing or does not match is
partial or corrupt: it is deleted and reported as a miss, never read. Long computations
keep a resumable checkpoint in ``<root>/<kind>/<key>.partial/`` until their entry lands.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch


def project_root() -> Path:
    """The repository root (the folder holding ``_toc.yml``), else the working directory.

    ``REPLICATE_HOME`` overrides it; notebooks and the CLI resolve paths from here."""
    if "REPLICATE_HOME" in os.environ:
        return Path(os.environ["REPLICATE_HOME"]).resolve()
    here = Path.cwd().resolve()
    for d in (here, *here.parents):
        if (d / "_toc.yml").exists():
            return d
    return here


def default_root() -> Path:
    """``REPLICATE_STORE`` if set, else ``_store/`` in the project root."""
    return Path(os.environ.get("REPLICATE_STORE") or project_root() / "_store")


def key(kind: str, spec: dict, version: str) -> str:
    """Stable hash of everything that determines an entry, plus the producing code's version."""
    blob = json.dumps({"kind": kind, "spec": spec, "version": version}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


FILES = ("arrays.npz", "meta.json")
"""What an entry holds besides MANIFEST.json, which lists exactly these with their sha256."""


class StoreError(OSError):
    """The run store cannot be used (e.g. its folder is not writable)."""


def say(message: str) -> None:
    """Print ``message`` where it is seen: in the notebook and, from inside a kernel, on the
    terminal that started it too."""
    print(message, flush=True)
    if sys.__stderr__ is not None and sys.stderr is not sys.__stderr__:
        print(message, file=sys.__stderr__, flush=True)


def _fsync_write(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


class Store:
    """A folder of entries; the only state is its root path."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_root()

    def path(self, kind: str, key: str) -> Path:
        return self.root / kind / key

    def load(self, kind: str, key: str) -> tuple[dict[str, np.ndarray], dict] | None:
        """The entry's arrays and metadata, or None if absent; a corrupt entry is removed."""
        d = self.path(kind, key)
        if not d.exists():
            return None
        try:
            manifest = json.loads((d / "MANIFEST.json").read_text())
            if (
                not isinstance(manifest, dict)
                or sorted(manifest) != sorted(FILES)
                or not all(isinstance(v, str) for v in manifest.values())
            ):
                raise ValueError(f"the manifest must list exactly {', '.join(FILES)} with their sha256")
            if sorted(p.name for p in d.iterdir()) != sorted((*FILES, "MANIFEST.json")):
                raise ValueError("the entry holds other files than its manifest lists")
            if any(_sha(d / name) != digest for name, digest in manifest.items()):
                raise ValueError("checksum mismatch")
            with np.load(d / "arrays.npz", allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            return arrays, json.loads((d / "meta.json").read_text())
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
            shutil.rmtree(d, ignore_errors=True)
            say(f"store: removed corrupt entry {kind}/{key} ({e}); recomputing")
            return None

    def cached(self, kind: str, key: str, compute: Callable[[], tuple[dict[str, np.ndarray], dict]]) -> tuple[dict[str, np.ndarray], dict]:
        """The entry ``kind/key``: read from the store, or made by ``compute()`` (arrays, metadata) and
        saved; every cached computation of the project goes through here."""
        hit = self.load(kind, key)
        if hit is None:
            hit = compute()
            self.save(kind, key, *hit)
        return hit

    def save(self, kind: str, key: str, arrays: dict[str, np.ndarray], meta: dict) -> Path:
        """Write the entry in a temporary folder, then move it into place in one rename."""
        final = self.path(kind, key)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=final.parent))
        with open(tmp / "arrays.npz", "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        _fsync_write(tmp / "meta.json", json.dumps(meta, indent=1, sort_keys=True, default=str).encode())
        manifest = {name: _sha(tmp / name) for name in FILES}
        _fsync_write(tmp / "MANIFEST.json", json.dumps(manifest).encode())
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.exists():
                raise
            shutil.rmtree(tmp)  # another run of the same spec landed first: same key, same content
        for partial in [self._partial(kind, key), *final.parent.glob(f"{key}.*.partial")]:  # its own and its shards' checkpoints
            shutil.rmtree(partial, ignore_errors=True)
        return final

    def _partial(self, kind: str, key: str) -> Path:
        return self.root / kind / f"{key}.partial"

    def check_writable(self) -> None:
        """Raise :class:`StoreError` naming the folder and ``REPLICATE_STORE`` unless entries can be
        written here: before hours of training, not after."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.root):
                pass
        except OSError as e:
            raise StoreError(
                f"the run store {self.root} is not writable ({e.strerror or e}); set REPLICATE_STORE to a writable folder"
            ) from None

    def save_checkpoint(self, kind: str, key: str, state: dict) -> None:
        """Atomically replace the entry's resumable checkpoint (a dict of tensors and numbers).

        Two runs of one spec may race: when the other lands the entry first and removes the
        checkpoint folder under this one, the checkpoint is no longer needed and is dropped."""
        d = self._partial(kind, key)
        for _ in range(3):
            if self.path(kind, key).exists():
                return
            try:
                d.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=".checkpoint.", dir=d)
                with os.fdopen(fd, "wb") as f:
                    torch.save(state, f)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, d / "checkpoint.pt")
                return
            except FileNotFoundError:
                continue  # the folder went away mid-write: look again

    def load_checkpoint(self, kind: str, key: str) -> dict | None:
        """The last checkpoint of an interrupted computation, or None (unreadable ones are dropped)."""
        path = self._partial(kind, key) / "checkpoint.pt"
        if not path.exists():
            return None
        try:
            return torch.load(path, weights_only=True)
        except Exception as e:  # a torn or foreign file: start over rather than trust it
            say(f"store: ignoring unreadable checkpoint {path} ({e})")
            shutil.rmtree(path.parent, ignore_errors=True)
            return None
