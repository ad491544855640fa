"""Figures of the atlas chapter: Hacohen's and Pliushch's measures side by side (a3)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..plotting import COLORS, integer_epochs
from . import ranks

WINDOW = "#fdb863"


def _shade(ax: plt.Axes, window: np.ndarray) -> None:
    """Shade the epochs of ``window`` (nothing when it is empty)."""
    w = np.asarray(window)
    if w.size:
        ax.axvspan(w.min() - 0.5, w.max() + 0.5, color=WINDOW, alpha=0.25, lw=0, label="shared window")


def both_ways(
    epochs: np.ndarray,
    bimodality: np.ndarray,
    independent: np.ndarray,
    line: float,
    n_models: int,
    agreement: dict[str, np.ndarray],
    window: np.ndarray,
) -> plt.Figure:
    """Left, Hacohen's measure per epoch: the training bimodality, independent networks with the same
    accuracies (dashed), their level 2 - 2/N at equal accuracies (dotted) and the not-bimodal line
    (dash-dotted). Right, Pliushch's: TPa against the agreement expected of independent networks
    (``agreement`` maps a label to a curve, the first one drawn solid). The shared window is shaded."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
    ax = axes[0]
    _shade(ax, window)
    ax.plot(epochs, bimodality, color=COLORS["train"], marker="o", ms=3, label=f"train, {n_models} networks")
    ax.plot(epochs, independent, color=COLORS["independent"], ls="--", label="independent, same accuracies")
    ax.axhline(2 - 2 / n_models, color=COLORS["independent"], ls=":", lw=1, label="independent, 2 - 2/N")
    ax.axhline(line, color="k", ls="-.", lw=1, label="not-bimodal line")
    ax.set(xlabel="epoch", ylabel="kurtosis - skewness² - 1", title="Hacohen: bimodality of consistency")
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    ax = axes[1]
    _shade(ax, window)
    for i, (label, y) in enumerate(agreement.items()):
        style = (
            {"color": COLORS["train"], "marker": "o", "ms": 3}
            if i == 0
            else {"color": COLORS["independent"], "ls": ("-.", ":", "--")[(i - 1) % 3]}
        )
        ax.plot(epochs, y, label=label, **style)
    ax.set(xlabel="epoch", ylabel="fraction", title="Pliushch: true-positive agreement", ylim=(0, None))
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    return integer_epochs(fig)


def histograms(panels: dict[str, tuple[np.ndarray, np.ndarray]], epoch: int) -> plt.Figure:
    """One panel per entry ``title -> (observed, independent)``: the share of training examples right
    for exactly k of N networks after ``epoch`` (bars) against the Poisson-binomial shares of
    independent networks with the same accuracies (points; log scale, so that the end bars TPa reads
    stay visible)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.4), squeeze=False, layout="constrained")
    for ax, (title, (observed, independent)) in zip(axes.flat, panels.items()):
        k = np.arange(len(observed))
        ax.bar(k, observed, color=COLORS["train"], alpha=0.7, label="our networks")
        ax.plot(k, independent, color=COLORS["independent"], marker="o", ls="--", label="independent, same accuracies")
        ax.set(xlabel=f"networks right (of {len(observed) - 1})", yscale="log", title=title)
        ax.set_xticks(k)
    axes[0, 0].set_ylabel(f"share of training images, epoch {epoch}")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), fontsize=8, frameon=False, loc="outside lower center", ncol=2)
    return fig


def spearman_matrix(rho, groups: list[list[str]], labels: dict[str, str]) -> plt.Figure:
    """The Spearman matrix between the oriented scores (higher = harder) in the order of their
    average-linkage tree (drawn above it, height = 1 - mean Spearman), the groups that tell the
    same story outlined."""
    import seaborn as sns
    from scipy.cluster import hierarchy

    fig = plt.figure(figsize=(8.8, 8.6), layout="constrained")
    grid = fig.add_gridspec(2, 2, height_ratios=(1.2, 6), width_ratios=(30, 1))
    top, ax, bar = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])
    drawn = hierarchy.dendrogram(ranks.tree(rho), ax=top, no_labels=True, color_threshold=0, above_threshold_color="#555555")
    leaves = [rho.columns[i] for i in drawn["leaves"]]
    shown = rho.loc[leaves, leaves]
    top.set(xlim=(0, 10 * len(leaves)), ylabel="1 - Spearman", xticks=[])
    top.grid(False)
    for side in ("top", "right", "bottom"):
        top.spines[side].set_visible(False)
    names = [labels.get(name, name) for name in leaves]
    sns.heatmap(
        shown,
        ax=ax,
        cbar_ax=bar,
        cmap="RdBu_r",
        vmin=-1,
        vmax=1,
        center=0,
        annot=True,
        fmt=".2f",
        annot_kws={"size": 7},
        xticklabels=names,
        yticklabels=names,
        cbar_kws={"label": "Spearman (both turned: higher = harder)"},
    )
    for g in groups:  # clusters cut from the tree are subtrees: contiguous among its leaves
        lo = min(leaves.index(name) for name in g)
        ax.add_patch(plt.Rectangle((lo, lo), len(g), len(g), fill=False, ec="k", lw=1.6))
    top.set_title("How the scores rank the same examples")
    ax.tick_params(labelsize=8)
    return fig


def specimens(images: np.ndarray, orders: dict[str, np.ndarray], labels: dict[str, str]) -> plt.Figure:
    """The same images, one row per score, each row sorted from easiest (left) to hardest (right) by
    that score; an image keeps its colour (its place in the scores' common ranking, light = easy)
    in every row, so a row that shuffles the colours disagrees with the others."""
    n = len(images)
    colours = plt.get_cmap("viridis_r")(np.linspace(0.05, 0.95, n))
    fig, axes = plt.subplots(len(orders), n, figsize=(0.78 * n + 2.2, 0.8 * len(orders) + 0.6), squeeze=False, layout="constrained")
    for r, (name, order) in enumerate(orders.items()):
        for c, i in enumerate(order):
            ax = axes[r, c]
            img = images[i]
            ax.imshow(img.squeeze(-1) if img.ndim == 3 and img.shape[-1] == 1 else img, cmap="gray_r", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set(color=colours[i], lw=3.5, visible=True)
        axes[r, 0].set_ylabel(labels.get(name, name), rotation=0, ha="right", va="center", fontsize=8)
    axes[0, 0].set_title("easiest", fontsize=8, loc="left")
    axes[0, -1].set_title("hardest", fontsize=8, loc="right")
    return fig


def convergence(curves, widths, labels: dict[str, str], half: int) -> plt.Figure:
    """Left: Spearman between each score from N networks and the same score from the other
    ``half`` networks (mean over repeats, with their range). Right: the mean width of a per-example
    95% bootstrap interval from N networks, in units of the score's spread over examples."""
    import seaborn as sns

    names = list(dict.fromkeys(curves["score"]))
    palette = dict(zip(names, sns.color_palette("tab10", len(names))))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
    ax = axes[0]
    for name in names:
        g = curves[curves["score"] == name].groupby("n")["spearman"]
        mean, lo, hi = g.mean(), g.min(), g.max()
        ax.plot(mean.index, mean, marker="o", ms=3, color=palette[name], label=labels.get(name, name))
        ax.fill_between(mean.index, lo, hi, color=palette[name], alpha=0.15, lw=0)
    ax.axhline(0.9, color="k", ls=":", lw=1)
    ax.set(xlabel="networks N", ylabel=f"Spearman with the other {half} networks", title="Rank agreement with other networks")
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(set(curves["n"])), [str(n) for n in sorted(set(curves["n"]))])
    ax = axes[1]
    for name in names:
        w = widths[widths["score"] == name]
        ax.plot(w["n"], w["width"], marker="o", ms=3, color=palette[name], label=labels.get(name, name))
    ax.set(xlabel="networks N", ylabel="95% interval width / spread over examples", title="Per-example bootstrap interval", ylim=(0, None))
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(set(widths["n"])), [str(n) for n in sorted(set(widths["n"]))])
    fig.legend(*axes[0].get_legend_handles_labels(), fontsize=8, frameon=False, loc="outside lower center", ncol=5)
    return fig


def own_agreement(agreement, own: np.ndarray, atlas: np.ndarray, labels: dict[str, str], line: float) -> plt.Figure:
    """a4. Left: per score, the Spearman correlation between the own model's values and the atlas's
    over the examples that have both (``own.agreement``; the dotted line at ``line``). Right: the
    training images' accessibility from the own model against the atlas's (hexagonal bins, log
    counts)."""
    shown = agreement.dropna(subset=["spearman"]).sort_values("spearman")
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 0.3 * len(shown) + 2.4), width_ratios=(1.3, 1), layout="constrained")
    ax = axes[0]
    ax.barh(np.arange(len(shown)), shown["spearman"], color=COLORS["train"], alpha=0.8)
    ax.set_yticks(np.arange(len(shown)), [f"{labels.get(n, n)} ({k})" for n, k in zip(shown.index, shown["examples"])], fontsize=8)
    ax.axvline(line, color="k", ls=":", lw=1)
    ax.axvline(0, color=COLORS["independent"], lw=0.8)
    ax.set(xlabel="Spearman, own model vs atlas", xlim=(min(-0.1, shown["spearman"].min() - 0.05), 1), title="Same score, same examples")
    ax = axes[1]
    both = np.isfinite(own) & np.isfinite(atlas)
    drawn = ax.hexbin(atlas[both], own[both], gridsize=20, bins="log", cmap="Blues", mincnt=1, extent=(0, 1, 0, 1))
    fig.colorbar(drawn, ax=ax, label="training images")
    ax.set(xlabel="accessibility, atlas MLPs", ylabel="accessibility, own model", title="Accessibility of the training images")
    return fig
