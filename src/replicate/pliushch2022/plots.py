"""Figures of Pliushch et al. 2022: agreement curves, image statistics."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from ..plotting import integer_epochs

AGREEMENT = {"tpa": "#2166ac", "accuracy": "#b2182b", "expected": "#777777"}


def agreement_panel(ax: plt.Axes, epochs: np.ndarray, curves: dict[str, np.ndarray], title: str = "", expected: bool = True) -> None:
    """Pliushch Fig. 2a on one axis: TPa (blue) over its lower bound with the gap shaded blue, mean
    accuracy (red) with +- one standard deviation shaded red, and the expected-random agreements of
    App. Fig. 1 (grey) from :func:`replicate.pliushch2022.agreement.curves`."""
    blue, red, grey = AGREEMENT["tpa"], AGREEMENT["accuracy"], AGREEMENT["expected"]
    tpa, lb = curves["tpa"], curves["lower_bound"]
    ax.fill_between(epochs, lb, tpa, where=np.isfinite(tpa), color=blue, alpha=0.2, lw=0, label="agreement - lower bound")
    ax.plot(epochs, tpa, color=blue, marker="o", ms=3, label="true-positive agreement")
    ax.plot(epochs, lb, color=blue, ls="--", lw=1, label="lower bound")
    acc, sd = curves["accuracy"], curves["accuracy_std"]
    ax.fill_between(epochs, acc - sd, acc + sd, color=red, alpha=0.25, lw=0)
    ax.plot(epochs, acc, color=red, marker="s", ms=2.5, label="accuracy (mean +- std)")
    if expected:
        ax.plot(epochs, curves["expected"], color=grey, ls=":", label="expected random, prod(acc)")
        ax.plot(epochs, curves["expected_normalized"], color=grey, ls="-.", lw=1, label="expected random, normalised")
    ax.set(xlabel="epoch", ylim=(0, 1.02), title=title)


def agreement_curves(
    panels: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]], suptitle: str = "", expected: bool = True, ncols: int | None = None
) -> plt.Figure:
    """One :func:`agreement_panel` per entry ``title -> (epochs, curves)``, sharing one legend below
    the panels (as many columns as fit their width, so that it never overhangs a single panel)."""
    n = len(panels)
    ncols = ncols or min(n, 4)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 3.2 * nrows + 0.6), squeeze=False, sharey=True, layout="constrained")
    for ax, (title, (epochs, curves)) in zip(axes.flat, panels.items()):
        agreement_panel(ax, epochs, curves, title, expected)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    axes[0, 0].set_ylabel("fraction")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 2 * ncols, 5), fontsize=9, frameon=False)
    if suptitle:
        fig.suptitle(suptitle, fontweight="bold")
    return integer_epochs(fig)


def _r_text(r: float, p: float) -> str:
    """Pearson r as the paper prints it: in brackets when the two-tailed p >= 0.001 (Fig. 6a)."""
    return f"r = {r:.2f}" if p < 0.001 else f"r = [{r:.2f}]"


def agreement_vs_statistics(
    epochs: np.ndarray, tpa: np.ndarray, means: dict[str, np.ndarray], rs: dict[str, tuple[float, float]], first_epoch: int, ncols: int = 2
) -> plt.Figure:
    """Pliushch Fig. 6/7: per statistic, agreement (blue, left axis) and the mean statistic of the
    agreed-upon training images (purple, right axis, labelled) per epoch from ``first_epoch``, with
    Pearson r."""
    nrows = -(-len(means) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.2 * nrows), squeeze=False)
    shown = epochs >= first_epoch
    for ax, (name, m) in zip(axes.flat, means.items()):
        ax.plot(epochs[shown], tpa[shown], color=AGREEMENT["tpa"], marker="o", ms=3)
        ax.set(xlabel="epoch", title=f"{name}\n{_r_text(*rs[name])}")
        ax.set_ylabel("true-positive agreement", color=AGREEMENT["tpa"])
        ax.tick_params(axis="y", colors=AGREEMENT["tpa"])
        twin = ax.twinx()
        twin.plot(epochs[shown], m[shown], color="#762a83", marker="^", ms=3)
        twin.set_ylabel("mean of agreed images", color="#762a83")
        twin.tick_params(axis="y", colors="#762a83")
        twin.grid(False)
    for ax in axes.flat[len(means) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return integer_epochs(fig)


def class_fractions(epochs: np.ndarray, fractions: np.ndarray, class_names: list[str], title: str) -> plt.Figure:
    """Pliushch Fig. 6c analogue: per class, the fraction of its training images agreed upon per epoch
    (legend beside the axes, where it covers no curve)."""
    fig, ax = plt.subplots(figsize=(7.4, 3.6), layout="constrained")
    colours = sns.color_palette("tab10", len(class_names))
    for k, name in enumerate(class_names):
        ax.plot(epochs, fractions[:, k], marker="o", ms=2.5, color=colours[k], label=name)
    ax.set(xlabel="epoch", ylabel="fraction agreed upon", ylim=(0, 1.02), title=title)
    ax.legend(fontsize=9, frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return integer_epochs(fig)


def statistic_histograms(values: dict[str, np.ndarray], title: str = "") -> plt.Figure:
    """Pliushch App. E: one histogram per image statistic, its name wrapped so that neighbouring
    labels never collide; whole-number statistics (segment counts) get one bar per value."""
    fig, axes = plt.subplots(1, len(values), figsize=(3.4 * len(values), 3.2), squeeze=False, layout="constrained")
    for ax, (name, v) in zip(axes[0], values.items()):
        v = np.asarray(v, dtype=np.float64)
        whole = v.size and np.array_equal(v, np.round(v)) and v.max() - v.min() <= 100
        bins = np.arange(v.min() - 0.5, v.max() + 1.5) if whole else 40
        ax.hist(v, bins=bins, color="#762a83", alpha=0.8)
        ax.set(xlabel=textwrap.fill(name, 28), ylabel="images" if ax is axes[0, 0] else None)
    if title:
        fig.suptitle(title, fontweight="bold")
    return fig


def image_maps(
    rows: dict[str, dict[str, np.ndarray]], values: dict[str, dict[str, float]], labels: dict[str, str] | None = None
) -> plt.Figure:
    """Pliushch Fig. 3: one row per image (title -> {panel name: 2-D map}), each panel titled with
    its label (``labels``, default the name) and the image's value of that statistic
    (``values[title][panel]``) when there is one."""
    names = list(next(iter(rows.values())))
    labels = labels or {}
    fig, axes = plt.subplots(len(rows), len(names), figsize=(2.1 * len(names), 2.3 * len(rows)), squeeze=False)
    for i, (title, maps) in enumerate(rows.items()):
        for j, name in enumerate(names):
            ax = axes[i, j]
            ax.imshow(maps[name], cmap="gray" if j == 0 else "magma", interpolation="nearest")
            value = values.get(title, {}).get(name)
            label = labels.get(name, name)
            ax.set_title(label if value is None else f"{label}\n{value:.4g}", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[i, 0].set_ylabel(title, fontsize=9)
    fig.tight_layout()
    return fig


def repeat_bands(epochs: np.ndarray, repeats: dict[str, dict[str, np.ndarray]]) -> plt.Figure:
    """App. Fig. 2: per split (one panel each), the mean over repeats of TPa, its lower bound, the
    normalised expected-random agreement and accuracy, each with +- one standard deviation shaded;
    ``repeats[split][curve]`` is (n_repeats, n_checkpoints) as :func:`replicate.pliushch2022.agreement.repeat_curves` gives."""
    styles = (
        ("tpa", AGREEMENT["tpa"], "-", "true-positive agreement"),
        ("lower_bound", AGREEMENT["tpa"], "--", "lower bound"),
        ("expected_normalized", AGREEMENT["expected"], "-.", "expected random, normalised"),
        ("accuracy", AGREEMENT["accuracy"], "-", "accuracy"),
    )
    fig, axes = plt.subplots(1, len(repeats), figsize=(5 * len(repeats), 3.9), sharey=True, squeeze=False, layout="constrained")
    for ax, (split, r) in zip(axes[0], repeats.items()):
        for name, colour, ls, label in styles:
            mean, sd = r[name].mean(0), r[name].std(0)
            ax.plot(epochs, mean, color=colour, ls=ls, label=label)
            ax.fill_between(epochs, mean - sd, mean + sd, color=colour, alpha=0.25, lw=0)
        ax.set(title=f"{split} ({r['tpa'].shape[0]} repeats)", xlabel="epoch", ylim=(0, 1.02))
    axes[0, 0].set_ylabel("fraction")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=9, frameon=False)
    return integer_epochs(fig)


def pabak_curves(epochs: np.ndarray, curves: dict[str, dict[str, np.ndarray]], colours: dict[str, str]) -> plt.Figure:
    """App. Fig. 3: PABAK (solid, range -1..1) beside TPa (dashed) per split; ``curves[split]`` as
    :func:`replicate.pliushch2022.agreement.curves` gives."""
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for split, c in curves.items():
        ax.plot(epochs, c["pabak"], color=colours[split], marker="o", ms=3, label=f"PABAK {split}")
        ax.plot(epochs, c["tpa"], color=colours[split], ls="--", label=f"TPa {split}")
    ax.axhline(0, color="k", lw=0.6)
    ax.set(xlabel="epoch", ylabel="agreement", ylim=(-1, 1.02), title="PABAK and true-positive agreement")
    ax.legend(fontsize=9, frameon=False)
    fig.tight_layout()
    return integer_epochs(fig)
