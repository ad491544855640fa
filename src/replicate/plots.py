"""Figure helpers: arrays in, matplotlib figures out; modelled on the papers' figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from . import metrics

COLORS = {"train": "#2166ac", "test": "#d6604d", "independent": "#555555"}


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
) -> plt.Figure:
    """Hacohen Fig. 1/12: one histogram of consistency per shown epoch, one row per split
    (train above test); ``baseline`` (same layout) is drawn as an outline, e.g. matched
    independent models. ``panels[split]`` is (len(epochs), n)."""
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
            ax.text(0.5, 0.97, f"B={metrics.bimodality(values):.2f}", transform=ax.transAxes, ha="center", va="top", fontsize=8)
            ax.set_ylim(0, 1)
            ax.set_xticks([0, 0.5, 1])
            if r == 0:
                ax.set_title(f"epoch {e}")
            if c == 0:
                ax.set_ylabel(f"{split}: fraction", fontsize=9)
            else:
                ax.tick_params(labelleft=False)
            if r == len(rows) - 1:
                ax.set_xlabel("consistency")
    if baseline is not None:
        handle = plt.Line2D([], [], color=COLORS["independent"], ls="--", lw=1.4)
        fig.legend([handle], ["independent models, matched accuracy"], loc="upper right", fontsize=8, frameon=False)
    if suptitle:
        fig.suptitle(suptitle, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def bimodality_curves(epochs: np.ndarray, curves: dict[str, np.ndarray], accuracy: dict[str, np.ndarray] | None = None) -> plt.Figure:
    """Bimodality measure per epoch (lower is more bimodal; 0 for two points, 2 for a normal),
    optionally beside the mean accuracy per epoch. Labels containing 'independent' are dashed."""
    fig, axes = plt.subplots(1, 2 if accuracy else 1, figsize=(10 if accuracy else 5.5, 3.4), squeeze=False)
    ax = axes[0, 0]
    for label, y in curves.items():
        split = next((s for s in ("train", "test") if s in label), "train")
        ax.plot(epochs, y, marker="o", ms=3, color=COLORS[split], ls="--" if "independent" in label else "-", label=label)
    ax.axhline(0, color="k", lw=0.6)
    ax.set(xlabel="epoch", ylabel="kurtosis - skewness² - 1", title="bimodality of consistency")
    ax.legend(fontsize=8, frameon=False)
    if accuracy:
        ax = axes[0, 1]
        for split, acc in accuracy.items():
            ax.plot(epochs, acc.mean(0), marker="o", ms=3, color=COLORS[split], label=split)
            ax.fill_between(epochs, acc.min(0), acc.max(0), color=COLORS[split], alpha=0.2)
        ax.set(xlabel="epoch", ylabel="accuracy", title="accuracy (mean, min-max over models)", ylim=(0, 1))
        ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
