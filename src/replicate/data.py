"""Data sets as labelled numpy arrays with stable example ids, plus seeded views of them.

Real sets come from torchvision's files (user data root, then a system copy, then a
download); the synthetic sets of Hacohen et al. (2020, App. C) are generated here.
Everything is returned unnormalised; the training code normalises.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import itertools
import os
import pickle
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torchvision.datasets as tvd

DATASETS = ("fashion_mnist", "mnist", "cifar10", "cifar100", "svhn", "gabor", "gaussians")
SPLITS = ("train", "test")

SYSTEM_COPIES: dict[str, Path] = {"fashion_mnist": Path("/usr/share/datasets/fashion-mnist")}
"""Directories holding the four gzipped idx files of an MNIST-format set, installed system-wide."""

_SYSTEM_PACKAGES = {"fashion_mnist": "Debian's dataset-fashion-mnist"}

_TORCHVISION: dict[str, tuple[type[tvd.VisionDataset], int]] = {
    "fashion_mnist": (tvd.FashionMNIST, 10),
    "mnist": (tvd.MNIST, 10),
    "cifar10": (tvd.CIFAR10, 10),
    "cifar100": (tvd.CIFAR100, 100),
    "svhn": (tvd.SVHN, 10),
}

GABOR_PARITIES = ("even", "odd")
GABOR_CHANNELS = ("R", "G", "B")
GABOR_ORIENTATIONS = (45, 90, 135, 180)
GABOR_CLASSES: tuple[tuple[str, str, int], ...] = tuple(itertools.product(GABOR_PARITIES, GABOR_CHANNELS, GABOR_ORIENTATIONS))
"""(parity, channel, base orientation in degrees) of each gabor class index.

Class = 12 * parity + 4 * channel + orientation index, with parity even=cosine / odd=sine
carrier, channel R/G/B, and base orientation 45/90/135/180 degrees (direction of the carrier's
wave vector, counter-clockwise from the horizontal of the displayed image). Every combination is
a class, so there are 24. With +-GABOR_JITTER = 30 degrees around bases 45 degrees apart,
neighbouring orientation ranges overlap by 15 degrees.
"""
GABOR_PER_CLASS = {"train": 100, "test": 20}
GABOR_JITTER = 30.0
GABOR_SIGMA = (3.0, 6.0)
GABOR_WAVELENGTH = (6.0, 10.0)
GABOR_GREY = 128

GAUSSIANS_PER_CLASS = {"train": 2500, "test": 500}

SIZES: dict[str, dict[str, int]] = {
    "fashion_mnist": {"train": 60_000, "test": 10_000},
    "mnist": {"train": 60_000, "test": 10_000},
    "cifar10": {"train": 50_000, "test": 10_000},
    "cifar100": {"train": 50_000, "test": 10_000},
    "svhn": {"train": 73_257, "test": 26_032},
    "gabor": {split: len(GABOR_CLASSES) * n for split, n in GABOR_PER_CLASS.items()},
    "gaussians": {split: 2 * n for split, n in GAUSSIANS_PER_CLASS.items()},
}
"""Examples per split of every data set, known without loading it (to check sizes before a run)."""

SHAPES: dict[str, tuple[tuple[int, int, int], int]] = {
    "fashion_mnist": ((1, 28, 28), 10),
    "mnist": ((1, 28, 28), 10),
    "cifar10": ((3, 32, 32), 10),
    "cifar100": ((3, 32, 32), 100),
    "svhn": ((3, 32, 32), 10),
    "gabor": ((3, 32, 32), len(GABOR_CLASSES)),
    "gaussians": ((3, 32, 32), 2),
}
"""Image shape (C, H, W) and number of classes of every data set, known without loading it (to
price a run before it starts, ``replicate plan``)."""

HOLDOUT = 0.9
"""The share of the pool each member of a 90:10 split trains on (Baldock et al. 2021)."""
GAUSSIANS_SHIFT = 0.1

_STREAMS = {"gabor": 1, "gaussians": 2}


class DataError(ValueError):
    """Bad input to a data function; the message names the parameter, what is allowed and what to do."""


class _NotFound(Exception):
    """A real data set is neither in the data root nor in a system copy."""


@dataclass(frozen=True, eq=False)
class Arrays:
    """A labelled set with stable example ids; every array is a read-only view (copy before mutating).

    `y` holds the labels used for training and evaluation, `original_y` the labels before any
    label noise, and `relabelled` marks points whose label a noise function re-drew (it defaults
    to `y != original_y`). `ids` index each example in the original order of its split.
    """

    x: np.ndarray
    y: np.ndarray
    ids: np.ndarray
    original_y: np.ndarray
    n_classes: int
    name: str
    split: str
    relabelled: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        y = np.asarray(self.y, dtype=np.int64)
        original_y = np.asarray(self.original_y, dtype=np.int64)
        relabelled = y != original_y if self.relabelled is None else self.relabelled
        columns = {
            "x": np.asarray(self.x),
            "y": y,
            "ids": np.asarray(self.ids, dtype=np.int64),
            "original_y": original_y,
            "relabelled": np.asarray(relabelled, dtype=bool),
        }
        lengths = {key: len(value) for key, value in columns.items()}
        if len(set(lengths.values())) != 1:
            raise DataError(f"Arrays fields must all have one row per example; got lengths {lengths}.")
        for key, value in columns.items():
            view = value.view()
            view.flags.writeable = False
            object.__setattr__(self, key, view)

    def __len__(self) -> int:
        return len(self.y)

    def __repr__(self) -> str:
        return (
            f"Arrays(name={self.name!r}, split={self.split!r}, n={len(self)}, n_classes={self.n_classes}, "
            f"x={self.x.dtype}{self.x.shape}, relabelled={int(self.relabelled.sum())})"
        )

    def take(self, index: np.ndarray | Sequence[int]) -> Arrays:
        """Rows at `index` (integer positions or a boolean mask), with their ids and noise flags."""
        index = np.asarray(index)
        if index.ndim != 1:
            raise DataError(
                f"index must be a 1-d array of positions or a boolean mask; got shape {index.shape}. "
                "Pass e.g. np.flatnonzero(mask) or a list of positions."
            )
        return dataclasses.replace(
            self,
            x=self.x[index],
            y=self.y[index],
            ids=self.ids[index],
            original_y=self.original_y[index],
            relabelled=self.relabelled[index],
        )


def take(a: Arrays, index: np.ndarray | Sequence[int]) -> Arrays:
    """Rows of `a` at `index`; functional form of `Arrays.take`."""
    return a.take(index)


def load(
    name: str,
    split: str = "train",
    root: str | Path | None = None,
    download: bool = True,
    seed: int = 0,
) -> Arrays:
    """Load data set `name` (see DATASETS) as uint8 (n, C, H, W) images, cached in-process.

    Real sets are read from `root` (else $REPLICATE_DATA, else ~/.cache/replicate/data) in
    torchvision's layout, then from SYSTEM_COPIES, then downloaded if `download`. `seed` only
    affects the generated sets `gabor` and `gaussians`.
    """
    _check_choice("name", name, DATASETS, "pick one of these names")
    _check_choice("split", split, SPLITS, "use 'train' or 'test'")
    if name in _STREAMS:
        return _generate(name, split, _check_int("seed", seed, 0, None, "pass a non-negative integer seed"))
    data_root = _data_root(root)
    try:
        return _load_local(name, split, data_root)
    except _NotFound:
        if not download:
            raise DataError(_missing_message(name, data_root)) from None
    try:
        _open(name, split, data_root, download=True)
    except Exception as err:  # network and archive failures come in many types; report them all alike
        raise DataError(f"{_missing_message(name, data_root)} The download failed: {err}") from err
    return _load_local(name, split, data_root)


def subset(a: Arrays, n: int, seed: int) -> Arrays:
    """Stratified random subset of exactly `n` examples (class proportions of `a.y` kept), sorted by id."""
    n = _check_int("n", n, 1, len(a), f"ask for at most the {len(a)} examples of {a.name}/{a.split}")
    rng = _rng(seed)
    classes, counts = np.unique(a.y, return_counts=True)
    quotas = n * counts / len(a)
    sizes = np.floor(quotas).astype(np.int64)
    remainder = quotas - sizes
    sizes[np.argsort(-remainder, kind="stable")[: n - sizes.sum()]] += 1
    chosen = [rng.choice(np.flatnonzero(a.y == c), size=k, replace=False) for c, k in zip(classes, sizes, strict=True)]
    index = np.concatenate(chosen)
    return a.take(index[np.argsort(a.ids[index], kind="stable")])


def select_classes(a: Arrays, classes: Sequence[int], relabel: bool = True) -> Arrays:
    """Keep the examples whose label `y` is in `classes`; with `relabel`, map them to 0..k-1 in the given order."""
    classes = [int(c) for c in classes]
    allowed = range(a.n_classes)
    if not classes or len(set(classes)) != len(classes) or any(c not in allowed for c in classes):
        raise DataError(f"classes={classes} is invalid for {a.name}: give distinct class indices in 0..{a.n_classes - 1}, at least one.")
    kept = a.take(np.isin(a.y, classes))
    if not relabel:
        return kept
    if not np.isin(kept.original_y, classes).all():
        raise DataError(
            "relabel=True needs every kept example's original_y among classes, but label noise moved some "
            "from other classes; call select_classes before label_noise/random_labels, or pass relabel=False."
        )
    mapping = np.full(a.n_classes, -1, dtype=np.int64)
    mapping[classes] = np.arange(len(classes))
    return dataclasses.replace(kept, y=mapping[kept.y], original_y=mapping[kept.original_y], n_classes=len(classes))


def label_noise(a: Arrays, fraction: float, seed: int) -> Arrays:
    """Give exactly round(fraction * n) random points a label drawn uniformly from the classes other than original_y."""
    if not 0.0 <= fraction <= 1.0:
        raise DataError(f"fraction={fraction!r} is outside [0, 1]; pass the share of labels to corrupt, e.g. 0.1.")
    _check_int("a.n_classes", a.n_classes, 2, None, "label noise needs at least two classes")
    rng = _rng(seed)
    chosen = rng.choice(len(a), size=round(fraction * len(a)), replace=False)
    y = a.y.copy()
    y[chosen] = (a.original_y[chosen] + rng.integers(1, a.n_classes, size=len(chosen))) % a.n_classes
    relabelled = a.relabelled.copy()
    relabelled[chosen] = True
    return dataclasses.replace(a, y=y, relabelled=relabelled)


def random_labels(a: Arrays, seed: int) -> Arrays:
    """Redraw every label uniformly from all classes (Hacohen et al. 2020, random-label experiment)."""
    y = _rng(seed).integers(0, a.n_classes, size=len(a))
    return dataclasses.replace(a, y=y, relabelled=np.ones(len(a), dtype=bool))


def pool(train: Arrays, test: Arrays) -> Arrays:
    """One pool of a data set's training and test examples (the atlas, issue 15), training first.

    A test example's pool id is its id plus the size of the whole training split (SIZES), its
    index in the training and test files read one after the other, so the pool's ids are unique
    and :func:`pooled_split` maps them back to (split, id)."""
    if (train.name, train.split, test.split) != (test.name, "train", "test"):
        raise DataError(f"pool a data set's train and test views; got {train.name}/{train.split} and {test.name}/{test.split}")
    return Arrays(
        x=np.concatenate([train.x, test.x]),
        y=np.concatenate([train.y, test.y]),
        ids=np.concatenate([train.ids, test.ids + SIZES[train.name]["train"]]),
        original_y=np.concatenate([train.original_y, test.original_y]),
        n_classes=train.n_classes,
        name=train.name,
        split="pool",
        relabelled=np.concatenate([train.relabelled, test.relabelled]),
    )


def pooled_split(name: str, pool_ids: np.ndarray | Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(split, id) of each pool id of data set ``name`` (:func:`pool`): str array of "train"/"test",
    and the canonical id within that split."""
    pool_ids = np.asarray(pool_ids, dtype=np.int64)
    n_train = SIZES[name]["train"]
    test = pool_ids >= n_train
    return np.where(test, "test", "train"), np.where(test, pool_ids - n_train, pool_ids)


def class_names(name: str, n_classes: int) -> list[str]:
    """Human-readable class names where torchvision knows them (MNIST, Fashion-MNIST), else indices."""
    cls = _TORCHVISION.get(name, (None,))[0]
    names = list(getattr(cls, "classes", None) or [])
    return names if len(names) == n_classes else [str(c) for c in range(n_classes)]


def other_classes(a: Arrays, classes: Sequence[int]) -> Arrays:
    """The examples whose class is NOT in `classes`, unlabelled (y = -1; original_y keeps the class):
    natural images of classes a model never trained on (Hacohen et al. 2020, Fig. 5d)."""
    kept = a.take(~np.isin(a.original_y, [int(c) for c in classes]))
    return dataclasses.replace(kept, y=np.full(len(kept), -1), relabelled=np.zeros(len(kept), bool))


def noise_images(like: Arrays, n: int, seed: int) -> Arrays:
    """`n` unlabelled images (y = -1) of i.i.d. Gaussian pixels with the per-channel mean and
    standard deviation of `like`, clipped to its value range (Hacohen et al. 2020, Fig. 5b)."""
    n = _check_int("n", n, 1, None, "pass the number of noise images")
    x = like.x.astype(np.float64)
    mean, std = x.mean(axis=(0, 2, 3)), x.std(axis=(0, 2, 3))
    noise = _rng(seed).normal(mean[None, :, None, None], std[None, :, None, None], (n, *like.x.shape[1:]))
    if like.x.dtype == np.uint8:
        noise = np.clip(np.rint(noise), 0, 255)
    labels = np.full(n, -1)
    return Arrays(noise.astype(like.x.dtype), labels, np.arange(n), labels, like.n_classes, f"{like.name}-noise", like.split)


def holdout_masks(n: int, n_models: int, seed: int, train_fraction: float = HOLDOUT) -> np.ndarray:
    """Bool (n_models, n): per model an independent split with exactly round(train_fraction * n) training points.

    Baldock et al. (2021) train each model on a random 90% and score the held-out 10%.
    """
    n = _check_int("n", n, 1, None, "pass the number of examples")
    n_models = _check_int("n_models", n_models, 1, None, "pass how many models to train")
    if not 0.0 < train_fraction < 1.0:
        raise DataError(f"train_fraction={train_fraction!r} is outside (0, 1); pass the share of points each model trains on, e.g. 0.9.")
    order = np.argsort(_rng(seed).random((n_models, n)), axis=1)
    masks = np.zeros((n_models, n), dtype=bool)
    np.put_along_axis(masks, order[:, : round(train_fraction * n)], True, axis=1)
    return masks


def partition_masks(n: int, n_parts: int, seed: int) -> np.ndarray:
    """Bool (n_parts, n): a random partition into parts whose sizes differ by at most one.

    Used to train models on disjoint training sets (Hacohen et al. 2020, Fig. 22).
    """
    n = _check_int("n", n, 1, None, "pass the number of examples")
    n_parts = _check_int("n_parts", n_parts, 1, n, f"ask for at most one part per example ({n})")
    part = np.empty(n, dtype=np.int64)
    part[_rng(seed).permutation(n)] = np.arange(n) % n_parts
    return part[None, :] == np.arange(n_parts)[:, None]


def _check_choice(param: str, value: object, allowed: Sequence[str], todo: str) -> None:
    if value not in allowed:
        raise DataError(f"{param}={value!r} is not supported; allowed: {', '.join(allowed)}. Fix: {todo}.")


def _check_int(param: str, value: object, low: int, high: int | None, todo: str) -> int:
    allowed = f"{low}..{high}" if high is not None else f">= {low}"
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise DataError(f"{param}={value!r} must be an integer {allowed}; {todo}.")
    if value < low or (high is not None and value > high):
        raise DataError(f"{param}={value!r} is out of range; allowed {allowed}; {todo}.")
    return int(value)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(_check_int("seed", seed, 0, None, "pass a non-negative integer seed"))


def _data_root(root: str | Path | None) -> Path:
    if root is None:
        root = os.environ.get("REPLICATE_DATA") or Path.home() / ".cache" / "replicate" / "data"
    return Path(root).expanduser().resolve()


def _files_dir(name: str, root: Path) -> Path:
    """Where torchvision expects the files of `name` under `root`."""
    cls = _TORCHVISION[name][0]
    if issubclass(cls, tvd.MNIST):
        return root / cls.__name__ / "raw"
    if issubclass(cls, tvd.CIFAR10):
        return root / cls.base_folder
    return root


def _missing_message(name: str, root: Path) -> str:
    files = _files_dir(name, root)
    places = [f"{files} (torchvision's layout under root={root})"]
    fixes = [
        f"put the files under {files}",
        "pass root= (or set REPLICATE_DATA) to a directory that has them",
        f"call load({name!r}, download=True) on a machine with internet access",
    ]
    system = SYSTEM_COPIES.get(name)
    if system is not None:
        places.append(f"{system} (system copy)")
        fixes.insert(0, f"install {_SYSTEM_PACKAGES.get(name, 'a system copy')} (files in {system})")
    return f"Data set name={name!r} not found; looked in {' and '.join(places)}. Fix: {', or '.join(fixes)}."


def _open(name: str, split: str, root: Path, download: bool) -> tvd.VisionDataset:
    cls = _TORCHVISION[name][0]
    where = {"split": split} if cls is tvd.SVHN else {"train": split == "train"}
    return cls(str(root), download=download, **where)


def _install_system_copy(name: str, root: Path) -> bool:
    """Decompress the system copy of an MNIST-format set into root's raw folder; False if there is none."""
    source = SYSTEM_COPIES.get(name)
    if source is None:
        return False
    archives = [Path(source) / filename for filename, _ in _TORCHVISION[name][0].resources]
    if not all(path.is_file() for path in archives):
        return False
    raw = _files_dir(name, root)
    try:
        raw.mkdir(parents=True, exist_ok=True)
        for archive in archives:
            target = raw / archive.stem
            if not target.exists():
                partial = target.with_suffix(".partial")
                with gzip.open(archive) as src, open(partial, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                partial.replace(target)
    except OSError as err:
        raise DataError(
            f"Could not copy the system copy of {name} from {source} into {raw} ({err}); "
            "pass root= (or set REPLICATE_DATA) to a writable directory."
        ) from err
    return True


def _read(name: str, split: str, root: Path) -> tvd.VisionDataset:
    """torchvision's dataset of local files; :class:`_NotFound` when they are absent, a
    :class:`DataError` naming the files and the fix when they are there but unreadable."""
    try:
        return _open(name, split, root, download=False)
    except RuntimeError as err:
        if "not found" in str(err).lower():  # torchvision: "Dataset not found. You can use download=True ..."
            raise _NotFound(name) from None
        unreadable = err
    except (OSError, ValueError, EOFError, pickle.UnpicklingError) as err:
        unreadable = err
    raise DataError(
        f"The local files of {name} in {_files_dir(name, root)} are corrupt or truncated ({unreadable}); "
        f"delete that folder and run `replicate data {name}` to copy or download them again."
    ) from unreadable


@functools.lru_cache(maxsize=16)
def _load_local(name: str, split: str, root: Path) -> Arrays:
    try:
        dataset = _read(name, split, root)
    except _NotFound:
        if not _install_system_copy(name, root):
            raise
        dataset = _read(name, split, root)
    if isinstance(dataset, tvd.MNIST):
        x, y = dataset.data.numpy()[:, None], dataset.targets.numpy()
    elif isinstance(dataset, tvd.CIFAR10):
        x, y = dataset.data.transpose(0, 3, 1, 2), dataset.targets
    else:
        x, y = dataset.data, dataset.labels
    y = np.asarray(y, dtype=np.int64)
    return Arrays(
        x=np.ascontiguousarray(x, dtype=np.uint8),
        y=y,
        ids=np.arange(len(y)),
        original_y=y,
        n_classes=_TORCHVISION[name][1],
        name=name,
        split=split,
    )


@functools.lru_cache(maxsize=8)
def _generate(name: str, split: str, seed: int) -> Arrays:
    rng = np.random.default_rng([seed, _STREAMS[name], SPLITS.index(split)])
    if name == "gabor":
        n_classes, per_class = len(GABOR_CLASSES), GABOR_PER_CLASS[split]
    else:
        n_classes, per_class = 2, GAUSSIANS_PER_CLASS[split]
    y = rng.permutation(np.repeat(np.arange(n_classes), per_class))
    x = _gabor_images(y, rng) if name == "gabor" else _gaussian_points(y, rng)
    return Arrays(x=x, y=y, ids=np.arange(len(y)), original_y=y, n_classes=n_classes, name=name, split=split)


def _gabor_images(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Uint8 (n, 3, 32, 32) Gabor patches (Hacohen et al. 2020, App. C) on a uniform grey background.

    The patch of class GABOR_CLASSES[y] modulates only its own channel around GABOR_GREY; the
    other two channels stay GABOR_GREY. Per image the orientation is jittered uniformly by
    +-GABOR_JITTER degrees and the envelope sigma and carrier wavelength (pixels) are drawn
    uniformly from GABOR_SIGMA and GABOR_WAVELENGTH. The patch is centred, so cosine patches are
    symmetric and sine patches antisymmetric under a 180-degree rotation.
    """
    n, size = len(y), 32
    parity, channel, orientation = (np.array(column)[y] for column in zip(*GABOR_CLASSES, strict=True))
    theta = np.deg2rad(orientation + rng.uniform(-GABOR_JITTER, GABOR_JITTER, n))[:, None, None]
    sigma = rng.uniform(*GABOR_SIGMA, n)[:, None, None]
    wavelength = rng.uniform(*GABOR_WAVELENGTH, n)[:, None, None]
    phase = np.where(parity == "even", 0.0, -np.pi / 2)[:, None, None]
    centre = (size - 1) / 2
    row, col = np.mgrid[:size, :size]
    u, v = col - centre, centre - row
    along = u * np.cos(theta) + v * np.sin(theta)
    patch = np.exp(-(u**2 + v**2) / (2 * sigma**2)) * np.cos(2 * np.pi * along / wavelength + phase)
    images = np.full((n, 3, size, size), GABOR_GREY, dtype=np.uint8)
    channel_index = np.array([GABOR_CHANNELS.index(c) for c in channel])
    images[np.arange(n), channel_index] = np.clip(np.rint(GABOR_GREY + 127 * patch), 0, 255).astype(np.uint8)
    return images


def _gaussian_points(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Float32 (n, 3, 32, 32): class 0 ~ N(0, I), class 1 ~ N(GAUSSIANS_SHIFT, I) (Hacohen et al. 2020, App. C)."""
    x = rng.standard_normal((len(y), 3, 32, 32), dtype=np.float32)
    x[y == 1] += np.float32(GAUSSIANS_SHIFT)
    return x
