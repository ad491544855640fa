"""Figures of the atlas chapter: Hacohen's and Pliushch's measures side by side (a3)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..plotting import COLORS, integer_epochs

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
    axes[0, 0].legend(fontsize=8, frameon=False)
    return fig
