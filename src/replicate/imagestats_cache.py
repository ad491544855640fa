"""Image statistics of a whole data set (Pliushch et al. 2022, App. D), computed once and kept in the run store."""

from __future__ import annotations

import time

import numpy as np
from tqdm import tqdm

from . import data, imagestats, provenance
from .store import Store, key

KIND = "imagestats"
VERSION = "1"


def spec(dataset: str, split: str = "train", n: int | None = None, seed: int = 0, **params) -> dict:
    """Everything that determines the statistics: the data view and every parameter, defaults filled in."""
    unknown = set(params) - set(imagestats.DEFAULTS)
    if unknown:
        raise TypeError(f"unknown image-statistics parameters {sorted(unknown)}; the parameters are {sorted(imagestats.DEFAULTS)}.")
    values = {**imagestats.DEFAULTS, **params}
    return {"dataset": dataset, "split": split, "n": n, "seed": seed, **{p: _typed(p, v) for p, v in values.items()}}


def entry(dataset: str, split: str = "train", n: int | None = None, seed: int = 0, **params) -> str:
    """The run-store entry ("imagestats/<key>") of these statistics, for provenance."""
    return f"{KIND}/{key(KIND, spec(dataset, split, n, seed, **params), VERSION)}"


def _typed(name: str, value) -> int | float:
    """`value` as its default's type, so that scale=500 and scale=500.0 share a key."""
    kind = type(imagestats.DEFAULTS[name])
    if kind is int and value != int(value):
        raise ValueError(f"{name} must be a whole number; got {value}.")
    return kind(value)


def images(a: data.Arrays) -> np.ndarray:
    """The data set's original uint8 images, channels last (N x H x W x C) as imagestats expects."""
    return np.moveaxis(a.x, 1, -1)


def image_stats(
    dataset: str,
    split: str = "train",
    n: int | None = None,
    seed: int = 0,
    store: Store | None = None,
    progress: bool | None = None,
    **params,
) -> dict[str, np.ndarray]:
    """The four statistics (imagestats.STATS) and "ids" of every image of the view, from the store or computed.

    `n` takes a stratified subset (data.subset with `seed`); `params` override imagestats.DEFAULTS."""
    s = spec(dataset, split, n, seed, **params)
    k = entry(dataset, split, n, seed, **params).split("/", 1)[1]
    store = store or Store()
    hit = store.load(KIND, k)
    if hit is not None:
        return hit[0]
    a = data.load(dataset, split, seed=seed)
    if n is not None:
        a = data.subset(a, n, seed)
    start = time.perf_counter()
    with tqdm(total=len(a), desc=f"image statistics of {dataset}/{split}", unit="image", leave=False, disable=None if progress is None else not progress) as bar:
        stats = imagestats.all_stats(images(a), progress=bar.update, **{p: s[p] for p in imagestats.DEFAULTS})
    arrays = {**stats, "ids": np.asarray(a.ids)}
    meta = {"spec": s, "key": k, "version": VERSION, "seconds": round(time.perf_counter() - start, 2), **provenance.info()}
    store.save(KIND, k, arrays, meta)
    return arrays
