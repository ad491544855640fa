"""Tests of replicate.data: loading every format from tiny files in torchvision's layout, and the seeded views."""

import gzip
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torchvision.datasets as tvd

from replicate import data
from replicate.data import DataError

SYSTEM_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def _idx_bytes(array: np.ndarray) -> bytes:
    """An array of uint8 in the idx format of (Fashion-)MNIST: magic 0x08 0x<ndim>, big-endian sizes, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return header + array.astype(np.uint8).tobytes()


def _mnist_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n).astype(np.uint8)


def _write_mnist(folder: Path, compress: bool = False) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Write the four idx files torchvision's MNIST classes require (both splits) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    splits = {"train": _mnist_split(7, 1), "test": _mnist_split(3, 2)}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images, labels = splits[split]
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            path = folder / f"{prefix}-{kind}-ubyte"
            if compress:
                with gzip.open(f"{path}.gz", "wb") as f:
                    f.write(_idx_bytes(array))
            else:
                path.write_bytes(_idx_bytes(array))
    return splits


def _exists(fpath, md5=None) -> bool:
    """Stand-in for torchvision's check_integrity: keeps the existence check, skips the md5 sum.

    torchvision checks the md5 sums of the real CIFAR/SVHN files (including the CIFAR meta file,
    outside `_check_integrity`), which our tiny files cannot match; these tests are about our
    parsing and layout handling.
    """
    return os.path.isfile(fpath)


def _pickle(path: Path, obj: dict) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f)


def _images(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)


def _toy(n_per_class: tuple[int, ...] = (30, 20, 10)) -> data.Arrays:
    y = np.repeat(np.arange(len(n_per_class)), n_per_class)
    y = np.random.default_rng(0).permutation(y)
    return data.Arrays(
        x=np.arange(len(y), dtype=np.uint8).reshape(-1, 1, 1, 1),
        y=y,
        ids=np.arange(len(y)),
        original_y=y,
        n_classes=len(n_per_class),
        name="toy",
        split="train",
    )


@pytest.fixture
def no_system_copies(monkeypatch):
    monkeypatch.setattr(data, "SYSTEM_COPIES", {})


# Loading real formats


@pytest.mark.skipif(not SYSTEM_FASHION_MNIST.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_from_system_copy(tmp_path):
    train = data.load("fashion_mnist", "train", root=tmp_path, download=False)
    test = data.load("fashion_mnist", "test", root=tmp_path, download=False)
    assert train.x.shape == (60000, 1, 28, 28) and train.x.dtype == np.uint8
    assert test.x.shape == (10000, 1, 28, 28) and test.x.dtype == np.uint8
    for a, n in ((train, 60000), (test, 10000)):
        assert a.y.dtype == np.int64 and set(np.unique(a.y)) == set(range(10))
        np.testing.assert_array_equal(a.ids, np.arange(n))
        assert a.n_classes == 10 and not a.relabelled.any()
    assert (tmp_path / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").is_file()


def test_system_copy_is_decompressed_into_root(tmp_path, monkeypatch):
    system = tmp_path / "system"
    expected = _write_mnist(system, compress=True)
    monkeypatch.setattr(data, "SYSTEM_COPIES", {"fashion_mnist": system})
    a = data.load("fashion_mnist", "test", root=tmp_path / "root", download=False)
    np.testing.assert_array_equal(a.x[:, 0], expected["test"][0])
    np.testing.assert_array_equal(a.y, expected["test"][1])
    assert (tmp_path / "root" / "FashionMNIST" / "raw" / "t10k-labels-idx1-ubyte").is_file()


@pytest.mark.parametrize(("name", "folder"), [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_mnist_formats(tmp_path, no_system_copies, name, folder):
    expected = _write_mnist(tmp_path / folder / "raw")
    for split in ("train", "test"):
        a = data.load(name, split, root=tmp_path, download=False)
        images, labels = expected[split]
        assert a.x.shape == (len(labels), 1, 28, 28) and a.x.dtype == np.uint8
        np.testing.assert_array_equal(a.x[:, 0], images)
        np.testing.assert_array_equal(a.y, labels)
        np.testing.assert_array_equal(a.original_y, labels)
        np.testing.assert_array_equal(a.ids, np.arange(len(labels)))
        assert (a.name, a.split, a.n_classes) == (name, split, 10)


def test_data_root_from_environment(tmp_path, monkeypatch, no_system_copies):
    expected = _write_mnist(tmp_path / "MNIST" / "raw")
    monkeypatch.setenv("REPLICATE_DATA", str(tmp_path))
    np.testing.assert_array_equal(data.load("mnist", "test", download=False).y, expected["test"][1])


def test_load_is_cached_and_read_only(tmp_path, no_system_copies):
    _write_mnist(tmp_path / "MNIST" / "raw")
    a = data.load("mnist", root=tmp_path, download=False)
    assert data.load("mnist", root=str(tmp_path), download=False) is a
    for array in (a.x, a.y, a.ids, a.original_y, a.relabelled):
        assert not array.flags.writeable
    with pytest.raises(ValueError):
        a.x[0, 0, 0, 0] = 1


@pytest.mark.parametrize(
    ("name", "files"),
    [
        ("cifar10", {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}),
        ("cifar100", {"train": ["train"], "test": ["test"]}),
    ],
)
def test_cifar_formats(tmp_path, monkeypatch, name, files):
    monkeypatch.setattr(tvd.cifar, "check_integrity", _exists)
    cifar100 = name == "cifar100"
    folder = tmp_path / ("cifar-100-python" if cifar100 else "cifar-10-batches-py")
    folder.mkdir()
    label_key = "fine_labels" if cifar100 else "labels"
    expected = {}
    for split, names in files.items():
        images = _images(2 * len(names), seed=len(split))
        labels = np.random.default_rng(3).integers(0, 100 if cifar100 else 10, len(images))
        expected[split] = images, labels
        for i, filename in enumerate(names):
            rows = slice(2 * i, 2 * i + 2)
            _pickle(folder / filename, {"data": images[rows].reshape(2, -1), label_key: labels[rows].tolist()})
    meta_key = "fine_label_names" if cifar100 else "label_names"
    _pickle(folder / ("meta" if cifar100 else "batches.meta"), {meta_key: [str(i) for i in range(10)]})
    for split, (images, labels) in expected.items():
        a = data.load(name, split, root=tmp_path, download=False)
        assert a.x.dtype == np.uint8 and a.x.flags.c_contiguous
        np.testing.assert_array_equal(a.x, images)
        np.testing.assert_array_equal(a.y, labels)
        assert a.n_classes == (100 if cifar100 else 10)


def test_svhn_format(tmp_path, monkeypatch):
    monkeypatch.setattr(tvd.svhn, "check_integrity", _exists)
    images = _images(5, seed=4)
    digits = np.array([0, 3, 9, 0, 1])
    stored = np.where(digits == 0, 10, digits).astype(np.uint8)[:, None]
    scipy.io.savemat(tmp_path / "test_32x32.mat", {"X": images.transpose(2, 3, 1, 0), "y": stored})
    a = data.load("svhn", "test", root=tmp_path, download=False)
    np.testing.assert_array_equal(a.x, images)
    np.testing.assert_array_equal(a.y, digits)


# Errors


def test_missing_data_names_set_and_fix(tmp_path, no_system_copies):
    with pytest.raises(DataError, match="mnist") as raised:
        data.load("mnist", root=tmp_path, download=False)
    message = str(raised.value)
    assert str(tmp_path / "MNIST" / "raw") in message and "download=True" in message


def test_missing_fashion_mnist_mentions_debian_package(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "SYSTEM_COPIES", {"fashion_mnist": tmp_path / "nowhere"})
    with pytest.raises(DataError, match="dataset-fashion-mnist"):
        data.load("fashion_mnist", root=tmp_path, download=False)


def test_failed_download_becomes_data_error(tmp_path, monkeypatch, no_system_copies):
    def offline(self):
        raise RuntimeError("no network")

    monkeypatch.setattr(tvd.MNIST, "download", offline)
    with pytest.raises(DataError, match="no network"):
        data.load("mnist", root=tmp_path, download=True)


def test_bad_name_and_split():
    with pytest.raises(DataError, match="name='imagenet'.*fashion_mnist, mnist, cifar10"):
        data.load("imagenet")
    with pytest.raises(DataError, match="split='val'"):
        data.load("gaussians", "val")


def test_bad_parameters_are_named():
    a = _toy()
    with pytest.raises(DataError, match=r"n=61 .*1\.\.60"):
        data.subset(a, 61, seed=0)
    with pytest.raises(DataError, match="n=0"):
        data.subset(a, 0, seed=0)
    with pytest.raises(DataError, match="fraction=1.5"):
        data.label_noise(a, 1.5, seed=0)
    with pytest.raises(DataError, match="classes"):
        data.select_classes(a, [0, 3])
    with pytest.raises(DataError, match="seed"):
        data.subset(a, 5, seed=-1)
    with pytest.raises(DataError, match="train_fraction"):
        data.holdout_masks(10, 2, seed=0, train_fraction=1.0)
    with pytest.raises(DataError, match="n_parts"):
        data.partition_masks(3, 4, seed=0)


# Seeded views


def test_take_preserves_ids_and_flags():
    a = data.label_noise(_toy(), 0.5, seed=0)
    b = data.take(a, [5, 2])
    np.testing.assert_array_equal(b.ids, [5, 2])
    np.testing.assert_array_equal(b.y, a.y[[5, 2]])
    np.testing.assert_array_equal(b.relabelled, a.relabelled[[5, 2]])
    assert len(a.take(a.original_y == 0)) == 30


def test_subset_is_stratified_sorted_and_seeded():
    a = _toy()
    s = data.subset(a, 31, seed=0)
    assert len(s) == 31
    assert np.bincount(s.y, minlength=3).tolist() == [16, 10, 5]
    assert np.all(np.diff(s.ids) > 0)
    np.testing.assert_array_equal(s.y, a.y[s.ids])
    np.testing.assert_array_equal(s.x[:, 0, 0, 0], s.ids)
    np.testing.assert_array_equal(data.subset(a, 31, seed=0).ids, s.ids)
    assert not np.array_equal(data.subset(a, 31, seed=1).ids, s.ids)
    assert len(data.subset(a, 60, seed=0)) == 60


def test_repr_is_a_summary():
    assert repr(_toy()) == "Arrays(name='toy', split='train', n=60, n_classes=3, x=uint8(60, 1, 1, 1), relabelled=0)"


def test_select_classes_relabels_in_given_order():
    a = _toy()
    b = data.select_classes(a, [2, 0])
    assert len(b) == 40 and b.n_classes == 2
    np.testing.assert_array_equal(b.y, np.where(a.y[b.ids] == 2, 0, 1))
    np.testing.assert_array_equal(b.original_y, b.y)
    kept = data.select_classes(a, [2, 0], relabel=False)
    assert kept.n_classes == 3 and set(kept.y) == {0, 2}


def test_select_classes_after_noise_needs_relabel_false():
    noisy = data.label_noise(_toy(), 1.0, seed=0)
    with pytest.raises(DataError, match="before label_noise"):
        data.select_classes(noisy, [0, 1])
    assert len(data.select_classes(noisy, [0, 1], relabel=False)) == np.isin(noisy.y, [0, 1]).sum()


def test_label_noise_exact_count_and_always_wrong():
    a = _toy()
    b = data.label_noise(a, 0.25, seed=3)
    assert b.relabelled.sum() == 15
    assert np.all(b.y[b.relabelled] != a.y[b.relabelled])
    np.testing.assert_array_equal(b.y[~b.relabelled], a.y[~b.relabelled])
    np.testing.assert_array_equal(b.original_y, a.y)
    np.testing.assert_array_equal(data.label_noise(a, 0.25, seed=3).y, b.y)
    assert not data.label_noise(a, 0.0, seed=3).relabelled.any()
    assert np.all(data.label_noise(a, 1.0, seed=3).y != a.y)


def test_random_labels_roughly_uniform():
    a = data.take(_toy((3000, 1000, 2000)), np.arange(6000))
    b = data.random_labels(a, seed=0)
    assert b.relabelled.all()
    np.testing.assert_array_equal(b.original_y, a.y)
    counts = np.bincount(b.y, minlength=3)
    assert np.all(np.abs(counts - 2000) < 150)


def test_holdout_masks():
    masks = data.holdout_masks(101, 7, seed=0)
    assert masks.shape == (7, 101) and masks.dtype == bool
    assert np.all(masks.sum(axis=1) == 91)
    assert len({row.tobytes() for row in masks}) == 7
    np.testing.assert_array_equal(data.holdout_masks(101, 7, seed=0), masks)


def test_partition_masks():
    masks = data.partition_masks(10, 3, seed=0)
    assert masks.shape == (3, 10)
    assert np.all(masks.sum(axis=0) == 1)
    assert sorted(masks.sum(axis=1)) == [3, 3, 4]
    assert not np.array_equal(data.partition_masks(10, 3, seed=1), masks)


# Generated sets


def test_gabor():
    a = data.load("gabor", "train", seed=0)
    n_classes = len(data.GABOR_CLASSES)
    assert a.x.shape == (100 * n_classes, 3, 32, 32) and a.x.dtype == np.uint8
    assert np.bincount(a.y).tolist() == [100] * n_classes
    assert len(data.load("gabor", "test", seed=0)) == 20 * n_classes
    assert data.GABOR_CLASSES[0] == ("even", "R", 45) and data.GABOR_CLASSES[-1] == ("odd", "B", 180)
    deviates = (a.x != data.GABOR_GREY).any(axis=(2, 3))
    channels = np.array([data.GABOR_CHANNELS.index(c) for _, c, _ in data.GABOR_CLASSES])[a.y]
    np.testing.assert_array_equal(deviates, np.eye(3, dtype=bool)[channels])
    centred = a.x[np.arange(len(a)), channels].astype(int) - data.GABOR_GREY
    rotated = centred[:, ::-1, ::-1]
    odd = np.array([p == "odd" for p, _, _ in data.GABOR_CLASSES])[a.y]
    assert np.abs(centred[~odd] - rotated[~odd]).max() <= 1
    assert np.abs(centred[odd] + rotated[odd]).max() <= 1


def test_gabor_is_seeded_and_splits_differ():
    first = data._generate.__wrapped__("gabor", "test", 5)
    np.testing.assert_array_equal(first.x, data._generate.__wrapped__("gabor", "test", 5).x)
    assert not np.array_equal(first.x, data.load("gabor", "test", seed=6).x)
    assert not np.array_equal(first.x[:10], data.load("gabor", "train", seed=5).x[:10])


def test_gaussians():
    a = data.load("gaussians", "train", seed=0)
    assert a.x.shape == (5000, 3, 32, 32) and a.x.dtype == np.float32
    assert np.bincount(a.y).tolist() == [2500, 2500]
    assert abs(a.x[a.y == 0].mean()) < 0.003
    assert abs(a.x[a.y == 1].mean() - 0.1) < 0.003
    assert abs(a.x.std() - 1.0) < 0.01
    assert np.bincount(data.load("gaussians", "test", seed=0).y).tolist() == [500, 500]


def test_class_names():
    from replicate import data

    assert data.class_names("fashion_mnist", 10)[0] == "T-shirt/top"
    assert data.class_names("gaussians", 2) == ["0", "1"]


@pytest.mark.parametrize("damage", ["truncated", "not a pickle"])
def test_a_corrupt_local_file_names_the_files_and_the_fix(tmp_path, monkeypatch, no_system_copies, damage):
    if damage == "truncated":
        raw = tmp_path / "FashionMNIST" / "raw"
        _write_mnist(raw)
        images = raw / "t10k-images-idx3-ubyte"
        images.write_bytes(images.read_bytes()[:100])
        name, folder = "fashion_mnist", raw
    else:
        monkeypatch.setattr(tvd.cifar, "check_integrity", _exists)
        folder = tmp_path / "cifar-10-batches-py"
        folder.mkdir()
        for filename in ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch", "batches.meta"):
            (folder / filename).write_bytes(b"\x80\x04 not a pickle")
        name = "cifar10"
    with pytest.raises(DataError, match=rf"local files of {name} in {folder} are corrupt or truncated .*replicate data {name}"):
        data.load(name, "test", root=tmp_path, download=False)


@pytest.mark.parametrize("name", ["fashion_mnist", "gabor", "gaussians"])
def test_the_shapes_known_without_loading_are_the_loaded_ones(name):
    a = data.load(name, "test")
    assert (a.x.shape[1:], a.n_classes) == data.SHAPES[name]
    assert len(a.y) == data.SIZES[name]["test"]
