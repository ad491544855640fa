"""Figures of Baldock et al. 2021 across layers: inference learning curves, probe confidence."""

from __future__ import annotations

import matplotlib.patheffects as pe
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm

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
    ax.set_xticklabels(layers, rotation=90, fontsize=7)
    ax.set_xlabel(xlabel)


def _finish(fig, ax, layers, ylabel: str, title: str | None):
    """A one-axis per-layer figure's layer ticks, y label, legend beside the axis and title."""
    _layer_axis(ax, layers)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
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
    axes[1].set_ylabel("accuracy of the network")
    axes[1].set_title("training learning curve", fontsize=9)
    for name, v in inference.items():
        band(axes[2], np.arange(len(layers)), v, SPLIT_COLORS.get(name), name, marker="o")
    _layer_axis(axes[2], layers)
    axes[2].set_ylabel("k-NN probe accuracy")
    axes[2].set_title("inference learning curve", fontsize=9)
    for ax in axes[1:]:
        ax.set_ylim(-0.02, 1.02)
    axes[2].legend(fontsize=7, loc="best")
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
    ax.plot(centres, means, "-o", color="white", mec="black", mew=0.6, ms=4, lw=1.5, path_effects=[pe.withStroke(linewidth=2.6, foreground="black")], label="mean log margin")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"log10 {ylabel}")
    parts = [f"r = {r:.2f}" if r is not None else "", f"Spearman {rho:.2f}" if rho is not None else ""]
    ax.set_title(", ".join(p for p in parts if p), fontsize=9)
    ax.legend(fontsize=7, loc="upper right")


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
    axes[0, 0].legend(fontsize=7, loc="best")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def difficulty_forms(confidence, accuracy, layers, title=None):
    """Fig. 8: mean k-NN probe confidence (solid) and accuracy (dotted) per layer for the
    ground-truth class (left) and the consensus class (right) of each form of difficulty.
    ``confidence`` and ``accuracy``: {"ground truth" | "consensus": {form: (L,)}}."""
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.4), sharey=True)
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
    axes[0].legend(fontsize=8, loc="best")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


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
