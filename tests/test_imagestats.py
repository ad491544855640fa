"""Tests of replicate.imagestats (known answers on tiny images), its store cache and its benchmark."""

import re

import numpy as np
import pytest
from scipy.fft import idctn
from skimage.filters import sobel
from skimage.filters.rank import entropy as rank_entropy
from skimage.segmentation import felzenszwalb

from replicate import data, imagestats, runs
from replicate.bench import imagestats as bench_imagestats
from replicate.store import Store


def _h(*p: float) -> float:
    """Shannon entropy in bits of the distribution p."""
    p = np.asarray(p)
    return float(-(p * np.log2(p)).sum())


def _random(shape, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def test_constant_image_has_no_entropy_one_coefficient_and_one_segment():
    img = np.full((12, 15), 77, np.uint8)
    assert imagestats.local_entropy(img) == 0.0
    assert imagestats.dct_fraction(img) == 1 / (12 * 15)
    assert imagestats.segment_count(img) == 1.0
    assert imagestats.edge_strength(img) == pytest.approx(0.0, abs=1e-12)


def test_entropy_of_windows_straddling_two_halves():
    img = np.zeros((4, 6), np.uint8)
    img[:, :3], img[:, 3:] = 40, 200  # 4 x 4 windows start at columns 0, 1, 2: 3/1, 2/2, 1/3 columns of each value
    expected = (_h(0.75, 0.25) + _h(0.5, 0.5) + _h(0.25, 0.75)) / 3
    assert imagestats.local_entropy(img, window=4) == pytest.approx(expected, abs=1e-12)
    assert imagestats.local_entropy(img, window=3) == pytest.approx((0 + _h(2 / 3, 1 / 3) + _h(1 / 3, 2 / 3) + 0) / 4, abs=1e-12)


@pytest.mark.parametrize("window", [10, 5, 1])
def test_entropy_is_the_mean_of_the_brute_force_window_entropies(window):
    img = _random((17, 23), seed=window) // 32  # few values, so windows share some
    windows = [img[i : i + window, j : j + window] for i in range(17 - window + 1) for j in range(23 - window + 1)]
    brute = np.mean([_h(*(np.unique(w, return_counts=True)[1] / w.size)) for w in windows])
    assert imagestats.local_entropy(img, window=window) == pytest.approx(brute, abs=1e-12)


@pytest.mark.parametrize("window", [10, 5])
def test_entropy_equals_skimage_rank_entropy_on_its_windows_inside_the_image(window):
    img = _random((28, 31), seed=3)
    h, w = img.shape
    lo = window // 2
    inside = rank_entropy(img, np.ones((window, window), bool))[lo : h - window + lo + 1, lo : w - window + lo + 1]
    assert imagestats.local_entropy(img, window=window) == pytest.approx(inside.mean(), abs=1e-12)


def test_one_hot_dct_needs_one_coefficient():
    onehot = np.zeros((16, 16))
    onehot[3, 5] = 100.0
    assert imagestats._dct_fraction(idctn(onehot, norm="ortho")[None], 0.9998)[0] == 1 / 256


def test_dct_fraction_counts_the_coefficients_to_reach_the_energy():
    img = np.array([[200, 100], [200, 100]], np.uint8)  # DCT: DC 300 and one coefficient 100; 300 / sqrt(300^2 + 100^2) = 0.949
    assert imagestats.dct_fraction(img) == 2 / 4
    assert imagestats.dct_fraction(img, energy=0.94) == 1 / 4
    with pytest.raises(ValueError, match="energy"):
        imagestats.dct_fraction(img, energy=1.5)


def test_two_regions_are_two_segments():
    img = np.zeros((16, 24), np.uint8)
    img[:, 12:] = 255  # smoothing blurs the two columns at the step; 16-pixel strips fall under min_size 20 and merge
    assert imagestats.segment_count(img) == 2.0
    assert imagestats.segment_count(np.stack([img] * 3, axis=-1)) == 2.0
    assert imagestats.segment_count(img, scale=1e6) == 1.0  # a huge scale k merges everything


def test_grey_of_known_pixels_is_unrounded():
    rgb = np.array([[[100, 150, 200], [255, 255, 255], [1, 0, 0], [0, 0, 255]]], np.uint8)
    assert np.allclose(imagestats.grey(rgb), [[140.74, 254.9745, 0.2989, 29.07]], rtol=0, atol=1e-12)
    grey = _random((5, 6))
    assert np.array_equal(imagestats.grey(grey), grey) and imagestats.grey(grey).dtype == np.float64
    assert np.array_equal(imagestats.grey(grey[..., None]), grey)


def test_colour_entropy_counts_distinct_unrounded_grey_values():
    """Four pixels (1,0,0), (0,0,0), (0,1,0), (0,0,1) have grey 0.2989, 0, 0.587, 0.114: four distinct
    values, 2 bits in a 2 x 2 window. Rounded to 8 bits they would be 0, 0, 1, 0: 0.811 bits."""
    rgb = np.array([[[1, 0, 0], [0, 0, 0]], [[0, 1, 0], [0, 0, 1]]], np.uint8)
    assert imagestats.local_entropy(rgb, window=2) == pytest.approx(2.0)
    assert imagestats.entropy_map(rgb, window=2).tolist() == [[pytest.approx(2.0)]]
    same = np.array([[[3, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]]], np.uint8)  # grey 0.8967 and three 0s
    assert imagestats.local_entropy(same, window=2) == pytest.approx(-(0.25 * np.log2(0.25) + 0.75 * np.log2(0.75)))


def test_colour_dct_uses_unrounded_grey():
    """A colour image whose grey is 0.2989 everywhere has one DCT coefficient, 0.2989 * sqrt(HW);
    rounded to 8 bits it would be all zeros."""
    img = np.zeros((4, 4, 3), np.uint8)
    img[..., 0] = 1
    assert imagestats.dct_map(img).max() == pytest.approx(np.log10(0.2989 * 4))
    assert imagestats.dct_fraction(img) == 1 / 16


def test_grey_images_are_segmented_as_three_equal_channels():
    imgs = _random((4, 16, 16), seed=7)
    rgb = np.repeat(imgs[..., None], 3, axis=-1)
    assert imagestats.segment_count(imgs, scale=50).tolist() == imagestats.segment_count(rgb, scale=50).tolist()
    assert np.array_equal(imagestats.segment_map(imgs[0], scale=50), imagestats.segment_map(rgb[0], scale=50))
    single = [np.unique(felzenszwalb(im, scale=50, sigma=0.5, min_size=20)).size for im in imgs]
    assert single != imagestats.segment_count(imgs, scale=50).tolist()  # one channel would segment them otherwise


def test_edge_strength_is_the_summed_skimage_sobel_magnitude():
    imgs = _random((3, 19, 24), seed=4)
    expected = [sobel(im / 255.0).sum() for im in imgs]
    assert np.allclose(imagestats.edge_strength(imgs), expected, rtol=1e-12)


@pytest.mark.parametrize("shape", [(6, 20, 24), (6, 20, 24, 3)])
def test_batch_equals_per_image_and_all_stats(shape, monkeypatch):
    batch = _random(shape, seed=5)
    stats = imagestats.all_stats(batch, window=6, energy=0.99, scale=100)
    singles = {
        "segment_count": [imagestats.segment_count(im, scale=100) for im in batch],
        "edge_strength": [imagestats.edge_strength(im) for im in batch],
        "local_entropy": [imagestats.local_entropy(im, window=6) for im in batch],
        "dct_fraction": [imagestats.dct_fraction(im, energy=0.99) for im in batch],
    }
    assert set(stats) == set(imagestats.STATS)
    for name, values in singles.items():
        assert isinstance(values[0], float)
        assert np.allclose(stats[name], values, rtol=1e-12, atol=1e-12), name
    monkeypatch.setattr(imagestats, "CHUNK_PIXELS", 2 * batch[0].size)  # three chunks of two images, two worker processes
    done = []
    pooled = imagestats.all_stats(batch, window=6, energy=0.99, scale=100, workers=2, progress=done.append)
    assert done == [2, 2, 2]
    assert all(np.array_equal(pooled[k], stats[k]) for k in stats)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="uint8"):
        imagestats.local_entropy(np.zeros((8, 8)))
    with pytest.raises(ValueError, match="window"):
        imagestats.local_entropy(np.zeros((8, 8), np.uint8), window=9)
    with pytest.raises(ValueError, match="shape"):
        imagestats.edge_strength(np.zeros((2, 8, 8, 4), np.uint8))


@pytest.mark.parametrize("shape", [(13, 17), (12, 14, 3)])
def test_bench_baselines_agree_with_ours(shape):
    imgs = _random((4, *shape), seed=6)
    assert np.allclose([bench_imagestats.entropy_loop(im) for im in imgs], imagestats.local_entropy(imgs), atol=1e-12)
    assert np.array_equal([bench_imagestats.dct_loop(im) for im in imgs], imagestats.dct_fraction(imgs))
    assert np.array_equal([bench_imagestats.dct_running_sum(im) for im in imgs], imagestats.dct_fraction(imgs))


def _tiny_set(name: str, split: str = "train", root=None, download=True, seed=0) -> data.Arrays:
    """A stand-in for data.load: 12 random 3 x 16 x 16 images in the data module's N x C x H x W layout."""
    y = np.arange(12) % 3
    return data.Arrays(x=_random((12, 3, 16, 16), seed=7), y=y, ids=np.arange(12), original_y=y, n_classes=3, name=name, split=split)


def test_image_stats_are_computed_once_then_read_from_the_store(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "load", _tiny_set)
    store = Store(tmp_path)
    first = runs.image_stats("cifar10", store=store, progress=False, window=5)
    expected = imagestats.all_stats(np.moveaxis(_tiny_set("cifar10").x, 1, -1), window=5)
    assert set(first) == {*imagestats.STATS, "ids"}
    assert np.array_equal(first["ids"], np.arange(12))
    assert all(np.array_equal(first[k], expected[k]) for k in imagestats.STATS)

    def fail(*args, **kwargs):
        raise AssertionError("recomputed instead of read from the store")

    monkeypatch.setattr(imagestats, "all_stats", fail)
    second = runs.image_stats("cifar10", store=store, window=5.0)  # the same key as window=5
    assert all(np.array_equal(first[k], second[k]) for k in first)
    with pytest.raises(AssertionError, match="recomputed"):
        runs.image_stats("cifar10", store=store, window=6)


def test_image_stats_of_a_subset_and_bad_parameters(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "load", _tiny_set)
    sub = runs.image_stats("cifar10", n=6, seed=1, store=Store(tmp_path), progress=False)
    assert np.array_equal(sub["ids"], data.subset(_tiny_set("cifar10"), 6, 1).ids)
    assert all(len(sub[k]) == 6 for k in imagestats.STATS)
    with pytest.raises(TypeError, match="windw"):
        runs.image_stats("cifar10", store=Store(tmp_path), windw=5)
    with pytest.raises(ValueError, match="whole number"):
        runs.image_stats("cifar10", store=Store(tmp_path), window=5.5)


def test_bench_imagestats_prints_its_summary_line_last(capsys, monkeypatch):
    def tiny_fashion_mnist(name, split="train", root=None, download=True, seed=0):
        y = np.arange(120) % 10
        x = _random((120, 1, 28, 28), seed=8)
        return data.Arrays(x=x, y=y, ids=np.arange(120), original_y=y, n_classes=10, name=name, split=split)

    monkeypatch.setattr(data, "load", tiny_fashion_mnist)
    res = bench_imagestats.main(quick=True)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"bench imagestats: entropy_speedup=\d+\.\d\d dct_speedup=\d+\.\d\d fmnist_train_seconds=\d+\.\d\d", last)
    assert res["n_all"] == 120


def test_maps_are_what_the_statistics_summarise():
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (28, 28), dtype=np.uint8)
    assert imagestats.entropy_map(img).shape == (19, 19)
    assert imagestats.entropy_map(img).mean() == pytest.approx(imagestats.local_entropy(img))
    assert imagestats.edge_map(img).sum() == pytest.approx(imagestats.edge_strength(img))
    assert len(np.unique(imagestats.segment_map(img))) == imagestats.segment_count(img)
    coef = 10 ** imagestats.dct_map(img)
    assert (coef**2).sum() == pytest.approx((img.astype(float) ** 2).sum(), rel=1e-6)  # orthonormal: energy kept
