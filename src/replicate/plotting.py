"""The book's plotting style and colours, and the figures more than one paper draws (bimodality
curves: Hacohen's measure, also read beside Pliushch's agreement)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.ticker import MaxNLocator

COLORS = {
    "train": "#2166ac",
    "test": "#d6604d",
    "unseen": "#8073ac",
    "noise": "#5aae61",
    "random": "#999999",
    "independent": "#555555",
}


NAMES = {
    "fashion_mnist": "Fashion-MNIST",
    "mnist": "MNIST",
    "cifar10": "CIFAR-10",
    "cifar100": "CIFAR-100",
    "svhn": "SVHN",
    "gabor": "Gabor patches",
    "gaussians": "Gaussians",
    "mlp": "MLP",
    "fc": "fully connected net",
    "vgg16": "VGG16",
    "resnet18": "ResNet18",
    "stvgg": "st-VGG",
    "small_stvgg": "small st-VGG",
    "lenet5": "LeNet-5",
}


def name(identifier: str, plural: bool = False) -> str:
    """A data set's or architecture's name as a reader knows it, for titles and legends
    ("small_stvgg" -> "small st-VGG"; ``plural`` adds an "s": "small st-VGGs")."""
    shown = NAMES.get(identifier, identifier.replace("_", " "))
    return f"{shown}s" if plural else shown


def style() -> None:
    """The book's plotting style."""
    sns.set_theme(context="notebook", style="whitegrid", font_scale=1.0)
    plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 110, "axes.titleweight": "bold"})


def bimodality_curves(epochs: np.ndarray, curves: dict[str, np.ndarray], accuracy: dict[str, np.ndarray] | None = None) -> plt.Figure:
    """Bimodality measure per epoch (lower is more bimodal; 0 for two points, 2 for a normal),
    optionally beside the mean accuracy per epoch. Labels containing 'independent' are dashed."""
    fig, axes = plt.subplots(1, 2 if accuracy else 1, figsize=(10 if accuracy else 5.5, 3.4), squeeze=False)
    ax = axes[0, 0]
    epoch_lines(ax, epochs, curves)
    ax.axhline(0, color="k", lw=0.6)
    ax.set(xlabel="epoch", ylabel="kurtosis - skewness² - 1", title="bimodality of consistency")
    if accuracy:
        ax = axes[0, 1]
        for split, acc in accuracy.items():
            ax.plot(epochs, acc.mean(0), marker="o", ms=3, color=COLORS[split], label=split)
            ax.fill_between(epochs, acc.min(0), acc.max(0), color=COLORS[split], alpha=0.2)
        ax.set(xlabel="epoch", ylabel="accuracy", title="accuracy (mean, min-max over models)", ylim=(0, 1))
        ax.legend(fontsize=9, frameon=False)
    fig.tight_layout()
    return integer_epochs(fig)


def integer_epochs(fig: plt.Figure) -> plt.Figure:
    """Put integer ticks on every epoch axis of ``fig``: epochs are whole numbers, and matplotlib's
    default locator would write 2.5 or 7.5 on a short run."""
    for ax in fig.axes:
        if ax.get_xlabel() == "epoch":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def epoch_lines(ax: plt.Axes, epochs: np.ndarray, curves: dict[str, np.ndarray]) -> None:
    """One line per curve, coloured by the split in its label, dashed for 'independent' ones."""
    for label, y in curves.items():
        colour = next((c for name, c in COLORS.items() if name in label), "C0")
        ax.plot(epochs, y, marker="o", ms=3, color=colour, ls="--" if "independent" in label else "-", label=label)
    ax.legend(fontsize=9, frameon=False)
