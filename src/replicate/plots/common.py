"""The book's plotting style and colours, shared by every paper's figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import seaborn as sns

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
