"""Figures of Baldock et al. 2021: prediction depth histograms, 2-D histograms, marker plots, image
grids, and curves across layers (inference learning curves, probe confidence)."""

from __future__ import annotations

import matplotlib.patheffects as pe
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import LogFormatterSciNotation, LogLocator, MaxNLocator, NullFormatter
from matplotlib.transforms import offset_copy


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
    run 0 .. n_layers - 1. Each series is drawn as a step outline with its mean in the legend,
    which sits under the panel's x label, off the bars."""
    fig, axes = _grid(len(panels), ncols, (4.0, 3.4))
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
        _log_ticks(ax.yaxis)
        under_label = offset_copy(ax.transAxes, fig=fig, y=-40, units="points")  # below the ticks and the x label
        ax.legend(fontsize=9, frameon=False, loc="upper center", bbox_to_anchor=(0.5, 0), bbox_transform=under_label)
    if suptitle:
        fig.suptitle(suptitle, x=0.01, ha="left")
    fig.tight_layout()
    return fig


def hist2d_panels(
    panels: dict[str, dict], ncols: int | None = None, suptitle: str = "", size: tuple[float, float] = (3.4, 3.0)
) -> plt.Figure:
    """2-D histograms (Baldock Fig. 2 right, 3, 4 left, 7): one panel per title.

    Each panel is a dict with ``x``, ``y`` (1-D; pairs with a nan are dropped), ``xbins``,
    ``ybins`` (edges), ``xlabel``, ``ylabel`` and optionally ``note`` (text at the top left),
    ``lines`` ({label: (xs, ys)} drawn on top, e.g. binned percentiles; ``legend_loc`` places
    their legend) and ``diagonal`` (draw y = x). The note and the number of points go under the
    title. Colour is the fraction of the panel's points in each cell, on a log scale (a labelled
    colourbar per panel); empty cells stay white. Constrained layout keeps each panel's y label
    clear of the colourbar beside it."""
    fig, axes = _grid(len(panels), ncols, size, layout="constrained")
    fig.get_layout_engine().set(wspace=0.08)  # room between a colourbar's label and the next panel's y label
    for ax, (title, p) in zip(axes.flat, panels.items()):
        x, y = np.asarray(p["x"], dtype=np.float64), np.asarray(p["y"], dtype=np.float64)
        ok = np.isfinite(x) & np.isfinite(y)
        counts = np.histogram2d(x[ok], y[ok], bins=(p["xbins"], p["ybins"]))[0] / max(int(ok.sum()), 1)
        shown = np.ma.masked_equal(counts.T, 0)
        if shown.count():
            mesh = ax.pcolormesh(p["xbins"], p["ybins"], shown, cmap="viridis", norm=LogNorm(vmin=max(shown.min(), 1e-4), vmax=shown.max()))
            _fraction_colorbar(fig, mesh, ax)
        if p.get("diagonal"):
            lo, hi = max(p["xbins"][0], p["ybins"][0]), min(p["xbins"][-1], p["ybins"][-1])
            ax.plot([lo, hi], [lo, hi], color="0.5", lw=0.8, ls=":")
        for i, (label, (lx, ly)) in enumerate((p.get("lines") or {}).items()):
            ax.plot(lx, ly, color=f"C{i + 1}", marker="o", ms=3, lw=1.5, label=label)
        if p.get("lines"):
            ax.legend(fontsize=9, frameon=True, loc=p.get("legend_loc", "lower left"))
        ax.set(xlabel=p["xlabel"], ylabel=p["ylabel"], xlim=(p["xbins"][0], p["xbins"][-1]), ylim=(p["ybins"][0], p["ybins"][-1]))
        ax.set_title(f"{title}\n", fontsize=10)
        note = ", ".join(filter(None, [p.get("note"), f"n = {int(ok.sum())}"]))
        ax.text(0.5, 1.01, note, transform=ax.transAxes, ha="center", va="bottom", fontsize=9)
        ax.grid(False)
    if suptitle:
        fig.suptitle(suptitle, x=0.01, ha="left")
    return fig


def _fraction_colorbar(fig: plt.Figure, mesh, ax: plt.Axes) -> None:
    """A colourbar labelled "fraction of points", ticks at 1 and 3 times powers of ten in 9-pt
    text (matplotlib's default labels every minor tick of a log bar, in 7-pt clutter)."""
    cb = fig.colorbar(mesh, ax=ax, fraction=0.046, pad=0.03)
    cb.set_label("fraction of points", fontsize=9)
    _log_ticks(cb.ax.yaxis)
    cb.ax.tick_params(labelsize=9)


def _log_ticks(axis) -> None:
    """Labels at 1 and 3 times powers of ten only on a log axis: matplotlib labels every minor
    tick of a range shorter than two decades, and the labels run into each other."""
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 3.0)))
    axis.set_major_formatter(LogFormatterSciNotation(labelOnlyBase=False))
    axis.set_minor_formatter(NullFormatter())


def depth_markers(
    panels: dict[str, dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]],
    ylabel: dict[str, str],
    suptitle: str = "",
    ncols: int | None = None,
    max_size: float = 400.0,
) -> plt.Figure:
    """Baldock Fig. 4 (middle, right), 5 (left), C.21: the mean of a quantity at each prediction
    depth, the marker area proportional to the fraction of points at that depth.

    ``panels[title][label] = (levels, means, fractions)`` as :func:`replicate.baldock2021.difficulty.by_depth`
    returns them; ``ylabel[title]`` labels the y axis."""
    fig, axes = _grid(len(panels), ncols, (3.8, 3.1))
    for ax, (title, series) in zip(axes.flat, panels.items()):
        for i, (label, (levels, means, frac)) in enumerate(series.items()):
            ax.plot(levels, means, color=f"C{i}", lw=0.8, alpha=0.6)
            ax.scatter(levels, means, s=max_size * np.asarray(frac) + 4, color=f"C{i}", alpha=0.75, edgecolor="k", lw=0.4, label=label)
        ax.set(title=title, xlabel="prediction depth", ylabel=ylabel[title])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(series) > 1:
            ax.legend(fontsize=9, frameon=False, markerscale=0.4)
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


def image_rows(
    rows: dict[str, np.ndarray], titles: dict[str, np.ndarray] | None = None, suptitle: str = "", size: float = 1.0
) -> plt.Figure:
    """A grid of images, one row per key (its name on the left): ``rows[name]`` is uint8
    (n, C, H, W); ``titles[name]`` an optional caption (a sequence of strings) above each image.
    Each row is as tall as its image plus its longest caption (in lines), so two-line captions do
    not run into the images above."""
    n = max((len(v) for v in rows.values()), default=1) or 1
    lines = max((str(c).count("\n") + 1 for cs in (titles or {}).values() for c in cs), default=0)
    row = size + 0.1 + 0.2 * lines
    fig, axes = plt.subplots(len(rows), n, figsize=(size * n + 1.6, row * len(rows) + 0.5), squeeze=False)
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
                    ax.set_title(titles[name][c], fontsize=9, pad=2, fontweight="normal")
            else:
                ax.set_axis_off()
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    if suptitle:
        fig.suptitle(suptitle, x=0.01, ha="left")
    fig.tight_layout(h_pad=0.4, w_pad=0.2)
    return fig


def fraction_edges(n: int) -> np.ndarray:
    """Bin edges centred on 0, 1/n, ..., 1: the values a fraction of ``n`` models can take."""
    return (np.arange(n + 2) - 0.5) / n


SPLIT_COLORS = {
    "clean train": "#2166ac",
    "relabelled (new label)": "#e08214",
    "relabelled (original label)": "#1b7837",
    "test": "#b2182b",
}
"""Fig. 5's colours: blue, yellow, green for the parts of the training split, red for the test split."""

FORM_COLORS = {
    "easy": "#1b7837",
    "looks like another class": "#e08214",
    "ambiguous unless labelled": "#762a83",
    "ambiguous": "#b2182b",
}

CONFIG_COLORS = {
    "untrained": "#762a83",
    "CE, SGD": "#2166ac",
    "CE, GD": "#67a9cf",
    "0-Hinge, SGD": "#f4a582",
    "0-Hinge, GD": "#b2182b",
}


def band(ax, x, values, color=None, label=None, linestyle="-", marker=None, alpha=0.2) -> None:
    """Mean over the rows of ``values`` (M, T) with a band of +- one standard deviation; a 1-D
    ``values`` is drawn as a plain line. Rows that are all nan (members with no point) are skipped."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 1:
        ax.plot(x, v, color=color, label=label, linestyle=linestyle, marker=marker, ms=3)
        return
    v = v[~np.isnan(v).all(1)]
    mean, sd = np.nanmean(v, 0), np.nanstd(v, 0)
    line = ax.plot(x, mean, color=color, label=label, linestyle=linestyle, marker=marker, ms=3)[0]
    ax.fill_between(x, mean - sd, mean + sd, color=line.get_color(), alpha=alpha, linewidth=0)


def _layer_axis(ax, layers, xlabel="probe (input ... softmax)") -> None:
    ax.set_xticks(range(len(layers)))
    ax.set_xticklabels(layers, rotation=90, fontsize=9)
    ax.set_xlabel(xlabel)


def _finish(fig, ax, layers, ylabel: str, title: str | None):
    """A one-axis per-layer figure's layer ticks, y label, legend beside the axis and title."""
    _layer_axis(ax, layers)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1))
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def iteration_learned_by_depth(ax, levels, means, fractions, color="#2166ac", label=None, scale=600) -> None:
    """Fig. 5 (left): mean iteration learned at each prediction depth, marker area = the fraction
    of (member, point) pairs at that depth."""
    ax.plot(levels, means, color=color, lw=1, alpha=0.6, marker="o", ms=3, label=label)
    ax.scatter(levels, means, s=np.asarray(fractions) * scale + 4, color=color, alpha=0.6, zorder=3)
    ax.set_xlabel("prediction depth (held-out)")
    ax.set_ylabel("mean iteration learned (95th pct = 1)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def learning_order(by_depth, training, inference, epochs, layers, title=None, depth_label=None):
    """Fig. 5: iteration learned per prediction depth (left), training learning curve over epochs
    (middle) and inference learning curve over probe layers (right), the last two on the four
    splits of a run with label noise, mean +- sd over members."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), gridspec_kw={"width_ratios": [1, 1.1, 1.3]})
    iteration_learned_by_depth(axes[0], *by_depth, label=depth_label)
    if depth_label:
        axes[0].set_title(depth_label, fontsize=9)
    for name, v in training.items():
        band(axes[1], epochs, v, SPLIT_COLORS.get(name), name, marker="o")
    axes[1].set_xlabel("epoch")
    axes[1].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[1].set_ylabel("accuracy of the network")
    axes[1].set_title("training learning curve", fontsize=9)
    for name, v in inference.items():
        band(axes[2], np.arange(len(layers)), v, SPLIT_COLORS.get(name), name, marker="o")
    _layer_axis(axes[2], layers)
    axes[2].set_ylabel("k-NN probe accuracy")
    axes[2].set_title("inference learning curve", fontsize=9)
    for ax in axes[1:]:
        ax.set_ylim(-0.02, 1.02)
    axes[2].legend(fontsize=9, loc="best")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def depth_vs_margin(ax, depth, margin, r=None, rho=None, xlabel="mean prediction depth", ylabel="margin", bins=40):
    """Fig. 6 (left, middle): 2-D histogram of mean prediction depth against the mean margin on a
    log axis, with the mean log margin per depth bin and the correlations in the title."""
    depth, margin = np.asarray(depth, dtype=np.float64), np.asarray(margin, dtype=np.float64)
    ok = np.isfinite(depth) & np.isfinite(margin) & (margin > 0)
    d, m = depth[ok], np.log10(margin[ok])
    xb = np.linspace(np.floor(d.min()) - 0.5, np.ceil(d.max()) + 0.5, min(bins, 4 * int(np.ptp(d) + 2)) + 1)
    yb = np.linspace(m.min(), m.max() + 1e-9, bins + 1)
    h = ax.hist2d(d, m, bins=[xb, yb], cmap="viridis", norm=LogNorm(), cmin=1)
    plt.colorbar(h[3], ax=ax, label="points")
    idx = np.digitize(d, xb[1:-1])
    centres = np.array([(xb[i] + xb[i + 1]) / 2 for i in np.unique(idx)])
    means = np.array([m[idx == i].mean() for i in np.unique(idx)])
    ax.plot(
        centres,
        means,
        "-o",
        color="white",
        mec="black",
        mew=0.6,
        ms=4,
        lw=1.5,
        path_effects=[pe.withStroke(linewidth=2.6, foreground="black")],
        label="mean log margin",
    )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"log10 {ylabel}")
    parts = [f"r = {r:.2f}" if r is not None else "", f"Spearman {rho:.2f}" if rho is not None else ""]
    ax.set_title(", ".join(p for p in parts if p), fontsize=9)
    ax.legend(fontsize=9, loc="upper right")


def probe_accuracy_by_config(curves, layers, title=None, colors=None, chance=None):
    """Fig. 6 (right) and A.12: k-NN probe accuracy per layer for each training configuration,
    mean +- sd over members, training split (left panel) and test split (right panel).
    ``curves``: config -> {"train": (M, L), "test": (M, L)}."""
    colors = colors or CONFIG_COLORS
    splits = [s for s in ("train", "test") if any(s in c for c in curves.values())]
    fig, axes = plt.subplots(1, len(splits), figsize=(6.5 * len(splits), 4.2), sharey=True, squeeze=False)
    x = np.arange(len(layers))
    for ax, split in zip(axes[0], splits):
        for name, c in curves.items():
            if split in c:
                band(ax, x, c[split], colors.get(name), name, marker="o")
        if chance is not None:
            ax.axhline(chance, color="grey", lw=0.8, ls="--")
        _layer_axis(ax, layers)
        ax.set_title(f"{split} split", fontsize=10)
    axes[0, 0].set_ylabel("k-NN probe accuracy")
    axes[0, 0].legend(fontsize=9, loc="best")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def difficulty_forms(confidence, accuracy, layers, title=None):
    """Fig. 8: mean k-NN probe confidence (solid) and accuracy (dotted) per layer for the
    ground-truth class (left) and the consensus class (right) of each form of difficulty.
    ``confidence`` and ``accuracy``: {"ground truth" | "consensus": {form: (L,)}}. The legend
    sits in a row under the panels, clear of the curves, which fill both panels."""
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.9), sharey=True)
    x = np.arange(len(layers))
    for ax, which in zip(axes, ("ground truth", "consensus")):
        for form, c in confidence[which].items():
            color = FORM_COLORS.get(form)
            ax.plot(x, c, color=color, lw=1.8, label=f"{form}")
            ax.plot(x, accuracy[which][form], color=color, lw=1.4, ls=":")
        _layer_axis(ax, layers)
        ax.set_title(f"{which} class", fontsize=10)
        ax.set_ylim(-0.02, 1.02)
    axes[0].set_ylabel("confidence (solid), accuracy (dotted)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=9, loc="lower center", ncol=len(labels), frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def cross_fit_accuracy(per_layer, network: float, layers, candidates, chosen, title=None):
    """Sec. 4's comparison, cross-fitted over members (:func:`difficulty.member_cross_fit`): every
    probe's accuracy on the scored pairs, the network's on the same pairs (a line) and the input
    probe's (dashed: the control that needs no network); the candidate middle probes shaded, the
    chosen ones ringed."""
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    x = np.arange(len(layers))
    ax.axvspan(min(candidates) - 0.5, max(candidates) + 0.5, color="0.9", lw=0, label="middle-layer candidates")
    ax.plot(x, per_layer, color="#2166ac", marker="o", ms=4, lw=1.6, label="k-NN probe")
    ax.plot(sorted(set(chosen)), np.asarray(per_layer)[sorted(set(chosen))], "o", ms=11, mfc="none", mec="#b2182b", mew=1.5, label="chosen")
    ax.axhline(network, color="#b2182b", lw=1.4, label="network")
    ax.axhline(per_layer[0], color="0.3", lw=1.2, ls="--", label="input probe (control)")
    ax.set_ylim(-0.02, 1.02)
    return _finish(fig, ax, layers, "accuracy on the scored pairs", title)


def k_sensitivity(curves, layers, title=None):
    """Fig. A.10: k-NN probe accuracy per layer for several k, training split solid (with a faint
    +- sd band over members), test dotted. ``curves``: k -> {"train": (L,) or (M, L), "test": ...}."""
    fig, ax = plt.subplots(figsize=(10, 4))
    x = np.arange(len(layers))
    cmap = plt.get_cmap("viridis")
    for j, (k, c) in enumerate(curves.items()):
        color = cmap(j / max(len(curves) - 1, 1) * 0.85)
        band(ax, x, c["train"], color, f"k = {k} (train)", marker="o", alpha=0.08)
        band(ax, x, c["test"], color, f"k = {k} (test)", linestyle=":", alpha=0)
    return _finish(fig, ax, layers, "k-NN probe accuracy", title)


def knn_vs_logistic(knn, logistic, layers, title=None):
    """Fig. E.48: k-NN and logistic-regression probe accuracy per layer for one member: k-NN on
    the training points (each leaving itself out) and on the test set; logistic regression fit on
    the training points scored on them, on the test set, and fit on half scored on the other half."""
    fig, ax = plt.subplots(figsize=(10, 4))
    x = np.arange(len(layers))
    ax.plot(x, knn["train"], "o-", color="#2166ac", label="k-NN, train (self left out)")
    ax.plot(x, knn["test"], "o:", color="#2166ac", label="k-NN, test")
    ax.plot(x, logistic["train"], "s-", color="#1b7837", label="LR, fit and scored on train")
    ax.plot(x, logistic["test"], "s:", color="#1b7837", label="LR, test")
    ax.plot(x, logistic["half"], "^-", color="#b2182b", label="LR, fit on half, scored on the other half")
    return _finish(fig, ax, layers, "probe accuracy", title)
