"""The four image statistics Pliushch et al. (2022, Sec. 4 and App. D) correlate with agreement.

Each takes one image (H x W, or H x W x C with C in 1 or 3) or a batch (N x H x W[x C]) of uint8
values 0..255 and returns one float per image ((N,) for a batch). Batches are processed in
chunks of bounded size, vectorised within a chunk and spread over a pool of processes when
there is more than one chunk. Ground floor: numpy, scipy and scikit-image only.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import ndimage
from scipy.fft import dctn
from skimage.segmentation import felzenszwalb

STATS = ("segment_count", "edge_strength", "local_entropy", "dct_fraction")
WINDOW = 10
ENERGY = 0.9998
SIGMA = 0.5
SCALE = 500.0
MIN_SIZE = 20
DEFAULTS = {"window": WINDOW, "energy": ENERGY, "sigma": SIGMA, "scale": SCALE, "min_size": MIN_SIZE}
"""The paper's settings (App. D): 10 x 10 entropy windows, 99.98% of the DCT energy, and
Felzenszwalb and Huttenlocher's default sigma, scale k and minimum size."""

GREY_WEIGHTS = (0.2989, 0.5870, 0.1140)
CHUNK_PIXELS = 1 << 21
"""Pixels per chunk handed to one worker: bounds memory (a float64 copy is 16 MB)."""
ENTROPY_ROWS = 1216
"""Window rows slid together when computing local entropy: their histograms stay in cache."""

_SOBEL = np.outer([1.0, 0.0, -1.0], [1.0, 2.0, 1.0]) / 4


def _as_batch(img: np.ndarray) -> tuple[np.ndarray, bool]:
    """(batch N x H x W or N x H x W x 3, whether a single image was given); channels of 1 are dropped."""
    a = np.asarray(img)
    if a.dtype != np.uint8:
        raise ValueError(f"images must be uint8 values 0..255; got dtype {a.dtype}. Convert with .astype(np.uint8) first.")
    single = a.ndim == 2 or (a.ndim == 3 and a.shape[-1] in (1, 3))
    batch = a[None] if single else a
    if batch.ndim == 4 and batch.shape[-1] == 1:
        batch = batch[..., 0]
    if batch.ndim not in (3, 4) or (batch.ndim == 4 and batch.shape[-1] != 3):
        raise ValueError(
            f"expected H x W, H x W x C or N x H x W[x C] with C in 1 or 3; got shape {a.shape}. "
            "Move channels last (np.moveaxis(x, 1, -1) for N x C x H x W)."
        )
    return batch, single


def grey(images: np.ndarray) -> np.ndarray:
    """Grey values 0.2989 R + 0.5870 G + 0.1140 B of the 8-bit channels, kept as unrounded floats, as
    the authors' code computes them (App. D); grey input is used as it is (as floats)."""
    batch, single = _as_batch(images)
    out = _grey(batch)
    return out[0] if single else out


def _grey(batch: np.ndarray) -> np.ndarray:
    if batch.ndim == 3:
        return batch.astype(np.float64)
    r, g, b = GREY_WEIGHTS
    return r * batch[..., 0] + g * batch[..., 1] + b * batch[..., 2]


def _ranks(g: np.ndarray) -> np.ndarray:
    """(N, H, W) int: each pixel's rank among its image's distinct grey values (0, 1, ...), so that
    windows can count distinct float values in a histogram of at most H * W bins."""
    n = len(g)
    flat = g.reshape(n, -1)
    order = np.argsort(flat, axis=1, kind="stable")
    ordered = np.take_along_axis(flat, order, axis=1)
    rank = np.concatenate([np.zeros((n, 1), np.intp), np.cumsum(ordered[:, 1:] != ordered[:, :-1], axis=1)], axis=1)
    out = np.empty_like(rank)
    np.put_along_axis(out, order, rank, axis=1)
    return out.reshape(g.shape)


def _rgb(batch: np.ndarray) -> np.ndarray:
    """Colour images as they are, grey ones as three equal channels (the authors' segmentation
    program takes RGB only)."""
    return batch if batch.ndim == 4 else np.repeat(batch[..., None], 3, axis=-1)


def _entropy_rows(g: np.ndarray, window: int, levels: int) -> np.ndarray:
    """Sum over each image's windows of sum_v c_v log2 c_v, sliding every window row's histogram one
    column at a time; ``g`` holds values 0 .. ``levels`` - 1."""
    n, h, w = g.shape
    rows, cols = h - window + 1, w - window + 1
    m = n * rows
    j = np.arange(window * window + 1, dtype=np.float64)
    up = np.diff(j * np.log2(np.maximum(j, 1)))  # up[c]: change of c log2 c when a count goes from c to c + 1
    counts = np.zeros(m * levels, np.uint8 if window * window < 256 else np.uint16)
    base = np.arange(m, dtype=np.intp) * levels
    strips = sliding_window_view(g, window, axis=1)  # strips[k, r, x, i] = g[k, r + i, x]

    def column(x: int) -> np.ndarray:
        return np.ascontiguousarray(strips[:, :, x, :].transpose(2, 0, 1)).reshape(window, m) + base

    total = np.zeros(m)
    for x in range(window):
        for ix in column(x):
            c = counts[ix]
            total += up[c]
            counts[ix] = c + 1
    total *= cols
    for x in range(1, cols):
        delta = np.zeros(m)
        for ix in column(x - 1):
            c = counts[ix] - 1
            delta -= up[c]
            counts[ix] = c
        for ix in column(x + window - 1):
            c = counts[ix]
            delta += up[c]
            counts[ix] = c + 1
        total += (cols - x) * delta  # the change reaches this window and the cols - x - 1 after it
    return total.reshape(n, rows).sum(1)


def _entropy(g: np.ndarray, window: int) -> np.ndarray:
    n, h, w = g.shape
    if not 1 <= window <= min(h, w):
        raise ValueError(f"window must be between 1 and the image's smaller side {min(h, w)}; got {window}.")
    size, n_windows = window * window, (h - window + 1) * (w - window + 1)
    step = max(1, ENTROPY_ROWS // (h - window + 1))
    ranks = _ranks(g)
    levels = int(ranks.max()) + 1 if ranks.size else 1
    clogc = np.concatenate([_entropy_rows(ranks[s : s + step], window, levels) for s in range(0, n, step)])
    return np.log2(size) - clogc / (size * n_windows)


def _dct_fraction(g: np.ndarray, energy: float) -> np.ndarray:
    if not 0 < energy <= 1:
        raise ValueError(f"energy must be in (0, 1]; got {energy}.")
    coef = dctn(g, axes=(1, 2), norm="ortho").reshape(len(g), -1)  # float64: scipy.fft promotes integers
    sq = coef * coef
    sq.sort(axis=1)
    norms = np.cumsum(sq[:, ::-1], axis=1)  # squared norms of the c largest, c = 1, 2, ...
    np.sqrt(norms, out=norms)
    c = (norms < energy * norms[:, -1:]).sum(1) + 1
    return c / sq.shape[1]


def _edge_maps(g: np.ndarray) -> np.ndarray:
    """Sobel gradient magnitude of each grey image of the batch, scaled to [0, 1], reflected borders."""
    f = g / 255.0
    gy = ndimage.convolve(f, _SOBEL[None], mode="reflect")
    gx = ndimage.convolve(f, _SOBEL.T[None], mode="reflect")
    return np.sqrt((gy * gy + gx * gx) / 2)


def _edge_strength(g: np.ndarray) -> np.ndarray:
    return _edge_maps(g).sum((1, 2))


def _segment_count(batch: np.ndarray, sigma: float, scale: float, min_size: int) -> np.ndarray:
    return np.array(
        [np.unique(felzenszwalb(im, scale=scale, sigma=sigma, min_size=min_size, channel_axis=-1)).size for im in _rgb(batch)],
        dtype=np.float64,
    )


def _entropy_chunk(batch: np.ndarray, window: int) -> np.ndarray:
    return _entropy(_grey(batch), window)


def _dct_chunk(batch: np.ndarray, energy: float) -> np.ndarray:
    return _dct_fraction(_grey(batch), energy)


def _edge_chunk(batch: np.ndarray) -> np.ndarray:
    return _edge_strength(_grey(batch))


def _all_chunk(batch: np.ndarray, window: int, energy: float, sigma: float, scale: float, min_size: int) -> np.ndarray:
    g = _grey(batch)
    return np.stack([_segment_count(batch, sigma, scale, min_size), _edge_strength(g), _entropy(g, window), _dct_fraction(g, energy)])


def _imap(fn: Callable[[np.ndarray], np.ndarray], batch: np.ndarray, workers: int | None) -> Iterator[np.ndarray]:
    """fn of each chunk of the batch, in order; several chunks run in forked worker processes, a few at a time.

    Forked, not spawned: a spawned worker re-imports the caller's main script, which breaks
    scripts without a ``__main__`` guard; the workers run only numpy/scipy/skimage code."""
    step = max(1, CHUNK_PIXELS // int(np.prod(batch.shape[1:])))
    chunks = [slice(s, s + step) for s in range(0, len(batch), step)]
    workers = min(workers or os.cpu_count() or 1, len(chunks))
    if workers <= 1:
        yield from (fn(batch[s]) for s in chunks)
        return
    pending: deque = deque()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        for s in chunks:
            pending.append(pool.submit(fn, batch[s]))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _run(
    fn: Callable[[np.ndarray], np.ndarray], batch: np.ndarray, workers: int | None, progress: Callable[[int], object] | None = None
) -> np.ndarray:
    """fn over the batch's chunks, concatenated along the last (image) axis."""
    parts = []
    for part in _imap(fn, batch, workers):
        parts.append(part)
        if progress is not None:
            progress(part.shape[-1])
    return np.concatenate(parts, axis=-1)


def _per_image(fn: Callable[[np.ndarray], np.ndarray], img: np.ndarray, workers: int | None) -> float | np.ndarray:
    """fn's value for one image as a float, or for a batch as an (N,) array."""
    batch, single = _as_batch(img)
    out = _run(fn, batch, workers)
    return float(out[0]) if single else out


def segment_count(
    img: np.ndarray, sigma: float = SIGMA, scale: float = SCALE, min_size: int = MIN_SIZE, *, workers: int | None = None
) -> float | np.ndarray:
    """Number of Felzenszwalb-Huttenlocher regions (App. D): clutter. Images are segmented in RGB
    (Euclidean colour distance); a grey image as three equal channels, as the authors' program sees it.

    skimage's ``felzenszwalb`` rescales uint8 to [0, 1] and divides ``scale`` by 255, so
    ``scale`` is the paper's k in 0..255 intensity units."""
    return _per_image(partial(_segment_count, sigma=sigma, scale=scale, min_size=min_size), img, workers)


def edge_strength(img: np.ndarray, *, workers: int | None = None) -> float | np.ndarray:
    """Summed Sobel gradient magnitude of the grey image scaled to [0, 1]: amount of edges (App. D).

    A substitute: the paper sums Isola et al.'s PMI boundary strengths, whose code is MATLAB
    only. The magnitude is skimage.filters.sobel's, sqrt((Gx^2 + Gy^2) / 2) with reflected
    borders, computed for the whole batch at once."""
    return _per_image(_edge_chunk, img, workers)


def local_entropy(img: np.ndarray, window: int = WINDOW, *, workers: int | None = None) -> float | np.ndarray:
    """Mean Shannon entropy (bits) of the distinct grey values (unrounded floats, :func:`grey`) in
    every window x window window inside the image (App. D).

    Windows lie wholly inside the image (no padding). Not skimage.filters.rank.entropy: that
    centres a window on every pixel (padding at the borders) and took 0.7 ms per 28 x 28
    image here; its interior values equal ours (tested). Instead each window row's histogram
    slides one column at a time, vectorised over all window rows of a chunk, using
    H = log2(n) - sum_v c_v log2(c_v) / n: about 0.1 ms per 28 x 28 image."""
    return _per_image(partial(_entropy_chunk, window=window), img, workers)


def dct_fraction(img: np.ndarray, energy: float = ENERGY, *, workers: int | None = None) -> float | np.ndarray:
    """Fraction of orthonormal 2-D DCT-II coefficients needed to keep `energy` of the grey image's norm (App. D).

    The smallest c such that the L2 norm of the c largest-magnitude coefficients is at least
    `energy` times the norm of all of them, over the number of coefficients. The authors' code
    reports (c - 1) / total; we do not copy that off-by-one."""
    return _per_image(partial(_dct_chunk, energy=energy), img, workers)


def all_stats(
    images: np.ndarray,
    window: int = WINDOW,
    energy: float = ENERGY,
    sigma: float = SIGMA,
    scale: float = SCALE,
    min_size: int = MIN_SIZE,
    *,
    workers: int | None = None,
    progress: Callable[[int], object] | None = None,
) -> dict[str, np.ndarray]:
    """The four statistics (keys STATS) of every image in one pass over the chunks; `progress` gets each chunk's size."""
    fn = partial(_all_chunk, window=window, energy=energy, sigma=sigma, scale=scale, min_size=min_size)
    batch, _ = _as_batch(images)
    out = _run(fn, batch, workers, progress)
    return dict(zip(STATS, out, strict=True))


def segment_map(img: np.ndarray, sigma: float = SIGMA, scale: float = SCALE, min_size: int = MIN_SIZE) -> np.ndarray:
    """The Felzenszwalb-Huttenlocher region labels of one image (what :func:`segment_count` counts; Fig. 3)."""
    batch, _ = _as_batch(img)
    return felzenszwalb(_rgb(batch[:1])[0], scale=scale, sigma=sigma, min_size=min_size, channel_axis=-1)


def edge_map(img: np.ndarray) -> np.ndarray:
    """The Sobel gradient magnitude of one image (what :func:`edge_strength` sums; Fig. 3)."""
    batch, _ = _as_batch(img)
    return _edge_maps(_grey(batch)[:1])[0]


def entropy_map(img: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """The entropy (bits) of every window x window window inside one image, (H - w + 1, W - w + 1):
    what :func:`local_entropy` averages (Fig. 3)."""
    batch, _ = _as_batch(img)
    g = _ranks(_grey(batch[:1]))[0]
    levels = g.size
    win = sliding_window_view(g, (window, window)).reshape(-1, window * window).astype(np.int64)
    rows = np.arange(len(win))[:, None] * levels
    counts = np.bincount((rows + win).ravel(), minlength=len(win) * levels).reshape(len(win), levels)
    p = counts / (window * window)
    h = -(p * np.log2(np.where(p > 0, p, 1))).sum(1)
    return h.reshape(g.shape[0] - window + 1, g.shape[1] - window + 1)


def dct_map(img: np.ndarray) -> np.ndarray:
    """log10 of the magnitude of one grey image's orthonormal DCT-II coefficients (what
    :func:`dct_fraction` ranks; App. D shows this matrix), floored at 1e-6."""
    batch, _ = _as_batch(img)
    coef = dctn(_grey(batch[:1])[0], norm="ortho")
    return np.log10(np.maximum(np.abs(coef), 1e-6))


def maps(
    img: np.ndarray, window: int = WINDOW, sigma: float = SIGMA, scale: float = SCALE, min_size: int = MIN_SIZE
) -> dict[str, np.ndarray]:
    """The grey image and, keyed like STATS, the map behind each statistic (Fig. 3)."""
    return {
        "grey": grey(img),
        "segment_count": segment_map(img, sigma, scale, min_size),
        "edge_strength": edge_map(img),
        "local_entropy": entropy_map(img, window),
        "dct_fraction": dct_map(img),
    }
