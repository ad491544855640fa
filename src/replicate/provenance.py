"""Where a result came from: git commit, package versions, device."""

from __future__ import annotations

import platform
import subprocess
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

import numpy as np

PACKAGES = ("torch", "torchvision", "numpy", "faiss-cpu", "scikit-image", "scipy", "seaborn")


@lru_cache(maxsize=1)
def git_commit() -> str:
    """The checked-out commit, with ``+dirty`` when the work tree has changes."""

    def run(*a: str) -> str:
        return subprocess.run(["git", *a], capture_output=True, text=True, check=True).stdout.strip()

    try:
        return run("rev-parse", "--short", "HEAD") + ("+dirty" if run("status", "--porcelain", "--untracked-files=no") else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = version(p)
        except PackageNotFoundError:
            out[p] = "absent"
    return out


def info() -> dict:
    """Provenance fields stored with every run-store entry and shown in every notebook."""
    import torch

    device = (
        torch.cuda.get_device_name(0)
        if torch.cuda.is_available()
        else f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
    )
    return {"git": git_commit(), "versions": versions(), "hardware": device}


def summary(records: list, wall_seconds: float, entries: list[str] = ()) -> str:
    """A notebook's provenance block: store keys (of the ensembles in ``records`` and the other
    run-store ``entries``, as "kind/key"), commit, versions, device, wall time."""
    import torch

    lines = [f"git commit: {git_commit()}", f"device: {info()['hardware']}", f"notebook wall time: {wall_seconds:.1f} s"]
    for r in records:
        lines.append(
            f"run-store entry ensemble/{r.key}: engine {r.meta['engine']}, trained in {r.meta['train_seconds']} s at commit {r.meta['git']}"
        )
        bad = np.flatnonzero(~np.isfinite(r.arrays["loss"]).all(axis=1)) if "loss" in r.arrays else []
        if len(bad):
            lines.append(f"  WARNING: member(s) {', '.join(map(str, bad))} of ensemble/{r.key} have a non-finite training loss")
    lines += [f"run-store entry {e}" for e in entries]
    lines.append("versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()) + f" (torch threads {torch.get_num_threads()})")
    return "\n".join(lines)
