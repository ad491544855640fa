"""Figure helpers: arrays in, matplotlib figures out; modelled on the papers' figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from . import metrics

COLORS = {
    "train": "#2166ac",
    "test": "#d6604d",
    "unseen": "#8073ac",
    "noise": "#5aae61",
    "random": "#999999",
    "independent": "#555555",
}


def style() -> None:
    """The book's plotting style."""
    sns.set_theme(context="notebook", style="whitegrid", font_scale=0.9)
    plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 110, "axes.titleweight": "bold"})


def consistency_histograms(
    panels: dict[str, np.ndarray],
    epochs: list[int],
    n_models: int,
    baseline: dict[str, np.ndarray] | None = None,
    suptitle: str = "",
    score: str = "consistency",
    baseline_label: str = "independent models, matched accuracy",
) -> plt.Figure:
    """Hacohen Fig. 1/12: one histogram of consistency per shown epoch, one row per split
    (train above test); ``baseline`` (same layout) is drawn as an outline, e.g. matched
    independent models. ``panels[split]`` is (len(epochs), n). With ``score="consensus"`` the
    same panels show consensus (Fig. 3), annotated with its mean instead of the bimodality."""
    rows = list(panels)
    fig, axes = plt.subplots(len(rows), len(epochs), figsize=(1.7 * len(epochs), 2.0 * len(rows)), sharex=True, sharey=True, squeeze=False)
    edges = (np.arange(n_models + 2) - 0.5) / n_models
    for r, split in enumerate(rows):
        for c, e in enumerate(epochs):
            ax = axes[r, c]
            values = panels[split][c]
            w = np.full(len(values), 1 / len(values))
            ax.hist(values, bins=edges, weights=w, color=COLORS.get(split, "C0"), alpha=0.85)
            if baseline is not None:
                ax.hist(baseline[split][c], bins=edges, weights=w, histtype="step", color=COLORS["independent"], lw=1.4, ls="--")
            note = f"B={metrics.bimodality(values):.2f}" if score == "consistency" else f"mean={values.mean():.2f}"
            ax.text(0.5, 0.97, note, transform=ax.transAxes, ha="center", va="top", fontsize=8)
            ax.set_ylim(0, 1)
            ax.set_xticks([0, 0.5, 1])
            if r == 0:
                ax.set_title(f"epoch {e}")
            if c == 0:
                ax.set_ylabel(f"{split}: fraction", fontsize=9)
            else:
                ax.tick_params(labelleft=False)
            if r == len(rows) - 1:
                ax.set_xlabel(score)
    if baseline is not None:
        handle = plt.Line2D([], [], color=COLORS["independent"], ls="--", lw=1.4)
        fig.legend([handle], [baseline_label], loc="upper right", fontsize=8, frameon=False)
    if suptitle:
        fig.suptitle(suptitle, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def _epoch_lines(ax: plt.Axes, epochs: np.ndarray, curves: dict[str, np.ndarray]) -> None:
    """One line per curve, coloured by the split in its label, dashed for 'independent' ones."""
    for label, y in curves.items():
        colour = next((c for name, c in COLORS.items() if name in label), "C0")
        ax.plot(epochs, y, marker="o", ms=3, color=colour, ls="--" if "independent" in label else "-", label=label)
    ax.legend(fontsize=8, frameon=False)


def epoch_curves(epochs: np.ndarray, curves: dict[str, np.ndarray], ylabel: str, title: str) -> plt.Figure:
    """A per-epoch summary (e.g. mean consensus) of each split beside its independent baseline."""
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    _epoch_lines(ax, epochs, curves)
    ax.set(xlabel="epoch", ylabel=ylabel, title=title)
    fig.tight_layout()
    return fig


def bimodality_curves(epochs: np.ndarray, curves: dict[str, np.ndarray], accuracy: dict[str, np.ndarray] | None = None) -> plt.Figure:
    """Bimodality measure per epoch (lower is more bimodal; 0 for two points, 2 for a normal),
    optionally beside the mean accuracy per epoch. Labels containing 'independent' are dashed."""
    fig, axes = plt.subplots(1, 2 if accuracy else 1, figsize=(10 if accuracy else 5.5, 3.4), squeeze=False)
    ax = axes[0, 0]
    _epoch_lines(ax, epochs, curves)
    ax.axhline(0, color="k", lw=0.6)
    ax.set(xlabel="epoch", ylabel="kurtosis - skewness² - 1", title="bimodality of consistency")
    if accuracy:
        ax = axes[0, 1]
        for split, acc in accuracy.items():
            ax.plot(epochs, acc.mean(0), marker="o", ms=3, color=COLORS[split], label=split)
            ax.fill_between(epochs, acc.min(0), acc.max(0), color=COLORS[split], alpha=0.2)
        ax.set(xlabel="epoch", ylabel="accuracy", title="accuracy (mean, min-max over models)", ylim=(0, 1))
        ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig

def class_coloured_histograms(panels: np.ndarray, epochs: list[int], n_models: int, label: np.ndarray, class_names: list[str]) -> plt.Figure:
    """Hacohen App. E Fig. 27: consistency histograms per shown epoch, each bar stacked by the
    examples' most frequent predicted label. ``panels`` is (len(epochs), n)."""
    fig, axes = plt.subplots(1, len(epochs), figsize=(1.9 * len(epochs), 2.8), sharey=True, squeeze=False)
    edges = (np.arange(n_models + 2) - 0.5) / n_models
    palette = sns.color_palette("tab10", len(class_names))
    for ax, values, e in zip(axes[0], panels, epochs):
        stacks = [values[label == c] for c in range(len(class_names))]
        ax.hist(stacks, bins=edges, stacked=True, color=palette, weights=[np.full(len(v), 1 / len(values)) for v in stacks], edgecolor="none", rwidth=0.9)
        ax.set(title=f"epoch {e}", xlabel="consistency", xticks=[0, 0.5, 1], ylim=(0, 1))
    axes[0, 0].set_ylabel("fraction of examples")
    handles = [plt.Rectangle((0, 0), 1, 1, color=palette[c]) for c in range(len(class_names))]
    fig.legend(handles, class_names, loc="upper center", ncol=min(len(class_names), 10), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.88))
    return fig


def trajectories(epochs: np.ndarray, curves: dict[str, np.ndarray], images: dict[str, np.ndarray] | None = None) -> plt.Figure:
    """Hacohen App. E Fig. 29: the consistency of individual examples over epochs, with the
    example images beside the plot when given (keyed like ``curves``)."""
    n_img = len(images or {})
    fig = plt.figure(figsize=(8, 3.6))
    grid = fig.add_gridspec(n_img or 1, 2, width_ratios=(6, 1 if n_img else 0.01), hspace=0.35, wspace=0.02)
    ax = fig.add_subplot(grid[:, 0])
    palette = sns.color_palette("deep", len(curves))
    for (name, y), colour in zip(curves.items(), palette):
        ax.plot(epochs, y, marker="o", ms=3, color=colour, label=name)
    ax.set(xlabel="epoch", ylabel="consistency", ylim=(-0.03, 1.03), title="consistency of individual training images")
    ax.legend(fontsize=8, frameon=False, loc="center right")
    for row, ((name, img), colour) in enumerate(zip((images or {}).items(), palette)):
        iax = fig.add_subplot(grid[row, 1])
        iax.imshow(img.transpose(1, 2, 0).squeeze(), cmap="gray")
        iax.set_xticks([])
        iax.set_yticks([])
        for side in iax.spines.values():
            side.set_color(colour)
            side.set_linewidth(2)
    return fig


def score_panels(values: dict[str, np.ndarray], n_models: int, score: str, title: str = "") -> plt.Figure:
    """One histogram per evaluation set, side by side, each annotated with its mean (Hacohen Fig. 5)."""
    fig, axes = plt.subplots(1, len(values), figsize=(2.4 * len(values), 2.6), sharey=True, squeeze=False)
    edges = (np.arange(n_models + 2) - 0.5) / n_models
    for ax, (name, v) in zip(axes[0], values.items()):
        colour = next((c for key, c in COLORS.items() if key in name), "C0")
        ax.hist(v, bins=edges, weights=np.full(len(v), 1 / len(v)), color=colour, alpha=0.85)
        ax.set(title=name, xlabel=score, xticks=[0, 0.5, 1], ylim=(0, 1))
        ax.text(0.5, 0.97, f"mean={v.mean():.2f}", transform=ax.transAxes, ha="center", va="top", fontsize=8)
    axes[0, 0].set_ylabel("fraction of examples")
    if title:
        fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout()
    return fig
