"""Figures of Baldock et al. 2021: prediction depth histograms, 2-D histograms, marker plots, image grids."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import MaxNLocator

__all__ = [
    "depth_distributions",
    "depth_markers",
    "fraction_edges",
    "hist2d_panels",
    "image_rows",
    "nearest_points",
    "spearman_matrices",
]


def _grid(n: int, ncols: int | None, size: tuple[float, float], **kw) -> tuple[plt.Figure, np.ndarray]:
    ncols = min(n, ncols or n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False, **kw)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes


def depth_distributions(
    panels: dict[str, dict[str, np.ndarray]],
    n_layers: dict[str, int],
    suptitle: str = "",
    ncols: int | None = None,
) -> plt.Figure:
    """Baldock Fig. 1 (right): the probability of each prediction depth, one panel per title.

    ``panels[title][label]`` holds prediction depths (any shape; entries < 0 or nan, i.e. no
    depth or not counted, are dropped); ``n_layers[title]`` is the number of probes, so depths
    run 0 .. n_layers - 1. Each series is drawn as a step outline with its mean in the legend."""
    fig, axes = _grid(len(panels), ncols, (4.0, 3.0))
    for ax, (title, series) in zip(axes.flat, panels.items()):
        edges = np.arange(n_layers[title] + 1) - 0.5
        for i, (label, d) in enumerate(series.items()):
            d = np.asarray(d, dtype=np.float64).ravel()
            d = d[np.isfinite(d) & (d >= 0)]
            p = np.histogram(d, bins=edges)[0] / max(len(d), 1)
            colour = f"C{i}"
            ax.stairs(p, edges, color=colour, lw=1.8, label=f"{label} (mean {d.mean():.2f})" if len(d) else label)
            ax.stairs(p, edges, color=colour, alpha=0.15, fill=True)
        ax.set(title=title, xlabel="prediction depth", ylabel="probability")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_yscale("log")
        ax.legend(fontsize=8, frameon=False)
    if suptitle:
        fig.suptitle(suptitle, x=0.01, ha="left")
    fig.tight_layout()
    return fig


def hist2d_panels(panels: dict[str, dict], ncols: int | None = None, suptitle: str = "", size: tuple[float, float] = (3.4, 3.0)) -> plt.Figure:
    """2-D histograms (Baldock Fig. 2 right, 3, 4 left, 7): one panel per title.

    Each panel is a dict with ``x``, ``y`` (1-D; pairs with a nan are dropped), ``xbins``,
    ``ybins`` (edges), ``xlabel``, ``ylabel`` and optionally ``note`` (text at the top left),
    ``lines`` ({label: (xs, ys)} drawn on top, e.g. binned percentiles; ``legend_loc`` places
    their legend) and ``diagonal`` (draw y = x). The note and the number of points go under the
    title. Colour is the fraction of the panel's points in each cell, on a log scale; empty
    cells stay white."""
    fig, axes = _grid(len(panels), ncols, size)
    for ax, (title, p) in zip(axes.flat, panels.items()):
        x, y = np.asarray(p["x"], dtype=np.float64), np.asarray(p["y"], dtype=np.float64)
        ok = np.isfinite(x) & np.isfinite(y)
        counts = np.histogram2d(x[ok], y[ok], bins=(p["xbins"], p["ybins"]))[0] / max(int(ok.sum()), 1)
        shown = np.ma.masked_equal(counts.T, 0)
        if shown.count():
            mesh = ax.pcolormesh(p["xbins"], p["ybins"], shown, cmap="viridis", norm=LogNorm(vmin=max(shown.min(), 1e-4), vmax=shown.max()))
            fig.colorbar(mesh, ax=ax, fraction=0.046, pad=0.03).ax.tick_params(labelsize=7)
        if p.get("diagonal"):
            lo, hi = max(p["xbins"][0], p["ybins"][0]), min(p["xbins"][-1], p["ybins"][-1])
            ax.plot([lo, hi], [lo, hi], color="0.5", lw=0.8, ls=":")
        for i, (label, (lx, ly)) in enumerate((p.get("lines") or {}).items()):
            ax.plot(lx, ly, color=f"C{i + 1}", marker="o", ms=3, lw=1.5, label=label)
        if p.get("lines"):
            ax.legend(fontsize=7, frameon=True, loc=p.get("legend_loc", "lower left"))
        ax.set(xlabel=p["xlabel"], ylabel=p["ylabel"], xlim=(p["xbins"][0], p["xbins"][-1]), ylim=(p["ybins"][0], p["ybins"][-1]))
        ax.set_title(f"{title}\n", fontsize=10)
        note = ", ".join(filter(None, [p.get("note"), f"n = {int(ok.sum())}"]))
        ax.text(0.5, 1.01, note, transform=ax.transAxes, ha="center", va="bottom", fontsize=8)
        ax.grid(False)
    if suptitle:
        fig.suptitle(suptitle, x=0.01, ha="left")
    fig.tight_layout()
    return fig


def depth_markers(
    panels: dict[str, dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]],
    ylabel: dict[str, str],
    suptitle: str = "",
    ncols: int | None = None,
    max_size: float = 400.0,
) -> plt.Figure:
    """Baldock Fig. 4 (middle, right), 5 (left), C.21: the mean of a quantity at each prediction
    depth, the marker area proportional to the fraction of points at that depth.

    ``panels[title][label] = (levels, means, fractions)`` as :func:`replicate.difficulty.by_depth`
    returns them; ``ylabel[title]`` labels the y axis."""
    fig, axes = _grid(len(panels), ncols, (3.8, 3.1))
    for ax, (title, series) in zip(axes.flat, panels.items()):
        for i, (label, (levels, means, frac)) in enumerate(series.items()):
            ax.plot(levels, means, color=f"C{i}", lw=0.8, alpha=0.6)
            ax.scatter(levels, means, s=max_size * np.asarray(frac) + 4, color=f"C{i}", alpha=0.75, edgecolor="k", lw=0.4, label=label)
        ax.set(title=title, xlabel="prediction depth", ylabel=ylabel[title])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(series) > 1:
            ax.legend(fontsize=8, frameon=False, markerscale=0.4)
    if suptitle:
        fig.suptitle(suptitle, x=0.01, ha="left")
    fig.tight_layout()
    return fig


def spearman_matrices(names: list[str], matrices: dict[str, np.ndarray], suptitle: str = "") -> plt.Figure:
    """Baldock Fig. 2 (left): one annotated heatmap of correlations per split; the diagonal is an
    architecture against itself (independent seeds), the rest one architecture against another."""
    fig, axes = _grid(len(matrices), None, (2.9, 2.9), layout="constrained")
    lo = min(0.0, min(float(np.nanmin(m)) if np.isfinite(m).any() else 0.0 for m in matrices.values()))
    for c, (ax, (split, m)) in enumerate(zip(axes.flat, matrices.items())):
        im = ax.imshow(m, cmap="viridis", vmin=lo, vmax=1.0)
        for (i, j), v in np.ndenumerate(m):
            ax.text(j, i, "nan" if np.isnan(v) else f"{v:.2f}", ha="center", va="center", fontsize=9, color="w" if v < 0.55 else "k")
        ax.set_xticks(range(len(names)), names, rotation=30)
        ax.set_yticks(range(len(names)), names if c == 0 else [])
        ax.set_title(split)
        ax.grid(False)
    fig.colorbar(im, ax=list(axes.flat), fraction=0.03, pad=0.02, label="Spearman")
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def nearest_points(values: np.ndarray, targets, n: int) -> dict[float, np.ndarray]:
    """For each target, the indices of the ``n`` points whose value is nearest to it (nan never
    chosen; ties kept in index order): examples to show at each prediction depth."""
    values = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(values)
    out = {}
    for t in targets:
        dist = np.where(ok, np.abs(values - t), np.inf)
        out[t] = np.argsort(dist, kind="stable")[: min(n, int(ok.sum()))]
    return out


def image_rows(rows: dict[str, np.ndarray], titles: dict[str, np.ndarray] | None = None, suptitle: str = "", size: float = 1.0) -> plt.Figure:
    """A grid of images, one row per key (its name on the left): ``rows[name]`` is uint8
    (n, C, H, W); ``titles[name]`` an optional caption (a sequence of strings) above each image."""
    n = max((len(v) for v in rows.values()), default=1) or 1
    fig, axes = plt.subplots(len(rows), n, figsize=(size * n + 1.6, (size + 0.3) * len(rows) + 0.4), squeeze=False)
    for r, (name, imgs) in enumerate(rows.items()):
        for c in range(n):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if c < len(imgs):
                img = np.asarray(imgs[c]).transpose(1, 2, 0)
                ax.imshow(img.squeeze(-1) if img.shape[-1] == 1 else img, cmap="gray", vmin=0, vmax=255)
                if titles is not None and c < len(titles.get(name, [])):
                    ax.set_title(titles[name][c], fontsize=7, pad=2, fontweight="normal")
            else:
                ax.set_axis_off()
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    if suptitle:
        fig.suptitle(suptitle, x=0.01, ha="left")
    fig.tight_layout(h_pad=0.4, w_pad=0.2)
    return fig


def fraction_edges(n: int) -> np.ndarray:
    """Bin edges centred on 0, 1/n, ..., 1: the values a fraction of ``n`` models can take."""
    return (np.arange(n + 2) - 0.5) / n
