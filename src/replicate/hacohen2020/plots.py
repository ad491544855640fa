"""Figures of Hacohen et al. 2020: consistency histograms, bimodality curves, comparisons."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from .. import metrics
from ..plotting import COLORS, epoch_lines, integer_epochs


def _legend_outside(ax: plt.Axes) -> None:
    """Move the axes' legend to the right of it, so that it never covers a curve."""
    ax.legend(fontsize=9, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def consistency_histograms(
    panels: dict[str, np.ndarray],
    epochs: list[int],
    n_models: int,
    baseline: dict[str, np.ndarray] | None = None,
    suptitle: str = "",
    score: str = "consistency",
    baseline_label: str = "independent models, matched accuracy",
    panel_width: float = 1.7,
) -> plt.Figure:
    """Hacohen Fig. 1/12: one histogram of consistency per shown epoch, one row per split
    (train above test); ``baseline`` (same layout) is drawn as an outline, e.g. matched
    independent models, and named in a legend below the panels (clear of the title at any
    width). ``panels[split]`` is (len(epochs), n). With ``score="consensus"`` the same panels
    show consensus (Fig. 3), annotated with its mean instead of the bimodality."""
    rows = list(panels)
    below = 0.35 if baseline is not None else 0.0
    height = 2.0 * len(rows) + 0.7 + below
    fig, axes = plt.subplots(
        len(rows), len(epochs), figsize=(max(panel_width * len(epochs), 6.0), height), sharex=True, sharey=True, squeeze=False
    )
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
            ax.text(0.5, 0.97, note, transform=ax.transAxes, ha="center", va="top", fontsize=9)
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
        fig.legend([handle], [baseline_label], loc="lower center", fontsize=9, frameon=False)
    if suptitle:
        fig.suptitle(suptitle, x=0.01, ha="left")
    fig.tight_layout(rect=(0, below / height, 1, 1 - 0.3 / height))
    return fig


def epoch_curves(
    epochs: np.ndarray, curves: dict[str, np.ndarray], ylabel: str, title: str, window: np.ndarray | None = None
) -> plt.Figure:
    """A per-epoch summary (e.g. mean consensus) of each split beside its independent baseline;
    ``window``, if given, shades the epochs a claim averages over (h4: the last third of training)."""
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    epoch_lines(ax, epochs, curves)
    if window is not None and len(window):
        ax.axvspan(min(window) - 0.5, max(window) + 0.5, color="0.9", zorder=0, label="epochs the claims average")
    ax.set(xlabel="epoch", ylabel=ylabel, title=title)
    _legend_outside(ax)
    integer_epochs(fig)
    fig.tight_layout()
    return fig


def class_coloured_histograms(
    panels: np.ndarray, epochs: list[int], n_models: int, label: np.ndarray, class_names: list[str]
) -> plt.Figure:
    """Hacohen App. E Fig. 27: consistency histograms per shown epoch, each bar stacked by the
    examples' most frequent predicted label. ``panels`` is (len(epochs), n)."""
    fig, axes = plt.subplots(1, len(epochs), figsize=(1.9 * len(epochs), 2.8), sharey=True, squeeze=False)
    edges = (np.arange(n_models + 2) - 0.5) / n_models
    palette = sns.color_palette("tab10", len(class_names))
    for ax, values, e in zip(axes[0], panels, epochs):
        stacks = [values[label == c] for c in range(len(class_names))]
        ax.hist(
            stacks,
            bins=edges,
            stacked=True,
            color=palette,
            weights=[np.full(len(v), 1 / len(values)) for v in stacks],
            edgecolor="none",
            rwidth=0.9,
        )
        ax.set(title=f"epoch {e}", xlabel="consistency", xticks=[0, 0.5, 1], ylim=(0, 1))
    axes[0, 0].set_ylabel("fraction of examples")
    handles = [plt.Rectangle((0, 0), 1, 1, color=palette[c]) for c in range(len(class_names))]
    fig.legend(handles, class_names, loc="upper center", ncol=min(len(class_names), 10), fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.88))
    return fig


def trajectories(epochs: np.ndarray, curves: dict[str, np.ndarray], images: dict[str, np.ndarray] | None = None) -> plt.Figure:
    """Hacohen App. E Fig. 29: the consistency of individual examples over epochs, with the
    example images beside the plot when given (keyed like ``curves``)."""
    n_img = len(images or {})
    fig = plt.figure(figsize=(8, 4.4))
    grid = fig.add_gridspec(n_img or 1, 2, width_ratios=(6, 1 if n_img else 0.01), hspace=0.35, wspace=0.02)
    ax = fig.add_subplot(grid[:, 0])
    palette = sns.color_palette("deep", len(curves))
    for (name, y), colour in zip(curves.items(), palette):
        ax.plot(epochs, y, marker="o", ms=3, color=colour, label=name)
    ax.set(xlabel="epoch", ylabel="consistency", ylim=(-0.03, 1.03), title="consistency of individual training images")
    ax.legend(fontsize=9, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    for row, (img, colour) in enumerate(zip((images or {}).values(), palette)):
        iax = fig.add_subplot(grid[row, 1])
        iax.imshow(img.transpose(1, 2, 0).squeeze(), cmap="gray")
        iax.set_xticks([])
        iax.set_yticks([])
        for side in iax.spines.values():
            side.set_color(colour)
            side.set_linewidth(2)
    return integer_epochs(fig)


def score_panels(values: dict[str, np.ndarray], n_models: int, score: str, title: str = "") -> plt.Figure:
    """One histogram per evaluation set, side by side, each annotated with its mean (Hacohen Fig. 5)."""
    fig, axes = plt.subplots(1, len(values), figsize=(2.4 * len(values), 2.6), sharey=True, squeeze=False)
    edges = (np.arange(n_models + 2) - 0.5) / n_models
    for ax, (name, v) in zip(axes[0], values.items()):
        colour = next((c for key, c in COLORS.items() if key in name), "C0")
        ax.hist(v, bins=edges, weights=np.full(len(v), 1 / len(v)), color=colour, alpha=0.85)
        ax.set(title=name, xlabel=score, xticks=[0, 0.5, 1], ylim=(0, 1))
        ax.text(0.5, 0.97, f"mean={v.mean():.2f}", transform=ax.transAxes, ha="center", va="top", fontsize=9)
    axes[0, 0].set_ylabel("fraction of examples")
    if title:
        fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout()
    return fig


def matched_histograms(
    panels: dict[str, np.ndarray], titles: list[str], n_models: int, baseline: dict[str, np.ndarray] | None = None, suptitle: str = ""
) -> plt.Figure:
    """Hacohen Fig. 6a,b / 23: cross-consistency histograms, one panel per accuracy-matched
    epoch pair (titled by ``titles``), one row per split; ``n_models`` counts both collections."""
    fig = consistency_histograms(panels, list(range(len(titles))), n_models, baseline=baseline, suptitle=suptitle, panel_width=2.4)
    for ax, title in zip(fig.axes, titles):
        ax.set_title(title, fontsize=9)
    fig.tight_layout(rect=(0, (0.35 if baseline is not None else 0.0) / fig.get_figheight(), 1, 1 - 0.3 / fig.get_figheight()))
    return fig


def _p_text(p: float) -> str:
    """A p-value as the paper prints it: below 1e-50 only the bound."""
    return "p < 1e-50" if p < 1e-50 else f"p = {p:.1g}"


def accessibility_scatter(panels: dict[str, tuple[np.ndarray, np.ndarray, float, float]], xlabel: str, ylabels: list[str]) -> plt.Figure:
    """Hacohen Fig. 6c-e / 24 / 25: accessibility of each example in one collection against
    another, one panel per pair of collections: ``panels[title] = (x, y, r, p)``, the Pearson
    r and p printed in the title."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.0 * len(panels), 4.0), squeeze=False)
    for ax, (name, (x, y, r, p)), ylabel in zip(axes[0], panels.items(), ylabels):
        ax.scatter(x, y, s=5, alpha=0.25, color=COLORS["test"], edgecolors="none")
        ax.plot([0, 1], [0, 1], color="k", lw=0.6, ls=":")
        wrap = {"width": 34, "break_long_words": False}
        ax.set(
            xlim=(-0.02, 1.02),
            ylim=(-0.02, 1.02),
            xlabel=textwrap.fill(xlabel, **wrap),
            ylabel=textwrap.fill(ylabel, **wrap),
            aspect="equal",
        )
        ax.set_title(f"{name}\nr = {r:.2f}, {_p_text(p)}", fontsize=9)
    fig.tight_layout()
    return fig


def easy_overlap_bars(
    epochs: np.ndarray, counts: dict[str, np.ndarray], names: tuple[str, str] = ("non-linear", "linear"), threshold: float = 0.9
) -> plt.Figure:
    """Hacohen Fig. 7b: per epoch, stacked bars of the easy sets of two collections (A, B):
    |A & B| (red), |A - B| (blue) on top, |B - A| (dark red) on top; ``counts[split]`` is
    (n_epochs, 3) as ``compare.easy_overlap`` returns."""
    a, b = names
    parts = (("easy for both", "#e31a1c"), (f"easy for {a} only", "#1f78b4"), (f"easy for {b} only", "#67000d"))
    fig, axes = plt.subplots(1, len(counts), figsize=(5.0 * len(counts), 3.4), sharey=True, squeeze=False)
    for ax, (split, c) in zip(axes[0], counts.items()):
        bottom = np.zeros(len(epochs))
        for k, (label, colour) in enumerate(parts):
            ax.bar(epochs, c[:, k], bottom=bottom, color=colour, width=0.8, label=label)
            bottom += c[:, k]
        ax.set(xlabel="epoch", title=f"{split}: easy examples (consistency > {threshold:g})")
    axes[0, 0].set_ylabel("number of examples")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour) for _, colour in parts]
    fig.legend(handles, [label for label, _ in parts], loc="upper center", ncol=3, fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    return fig


def collection_curves(epochs: np.ndarray, curves: dict[str, dict[str, np.ndarray]], ylabel: str, title: str) -> plt.Figure:
    """A per-epoch summary of several collections on each split: colour by split, line style by
    collection (``curves[collection][split]``), e.g. bimodality of non-linear vs linear nets."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    for dash, (name, by_split) in zip(("-", "--", ":", "-."), curves.items()):
        for split, y in by_split.items():
            ax.plot(epochs, y, marker="o", ms=3, ls=dash, color=COLORS.get(split, "C0"), label=f"{name}, {split}")
    ax.set(xlabel="epoch", ylabel=ylabel, title=title)
    _legend_outside(ax)
    integer_epochs(fig)
    fig.tight_layout()
    return fig


def _run_style(label: str, first: str, split: str) -> dict:
    """Line style of one run in the bimodality figures: the first run solid in its split's colour,
    runs labelled 'independent' dashed grey, the others dotted green."""
    if label == first:
        return {"color": COLORS.get(split, "C0"), "ls": "-", "marker": "o"}
    if "independent" in label:
        return {"color": COLORS["independent"], "ls": "--", "marker": None}
    return {"color": "#1b7837", "ls": ":", "marker": "s"}


def bimodality_comparison(
    curves: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]],
    lines: dict[str, dict[str, float]] | None = None,
    accuracy: dict[str, np.ndarray] | None = None,
    title: str = "",
    ylim: tuple[float, float] | None = None,
) -> plt.Figure:
    """Hacohen Sec. 5: bimodality per epoch of several runs, one panel per split, e.g. a run beside
    the natural-data run and matched-independent models. ``curves`` maps a run's label to (epochs,
    {split: bimodality per epoch}); the first run is solid in its split's colour, runs labelled
    'independent' dashed grey, the others dotted green. ``lines[split]`` maps a label to a
    horizontal reference value (e.g. the not-bimodal threshold); ``accuracy`` ({split: (n_models,
    n_epochs + 1)} on the first run's epochs) adds a panel of accuracy; ``ylim`` clips the
    bimodality axes (the measure can reach tens for a heavily skewed histogram)."""
    splits = list(dict.fromkeys(s for _, per in curves.values() for s in per))
    n = len(splits) + bool(accuracy)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 4.4), squeeze=False)
    first = next(iter(curves))
    for ax, split in zip(axes[0], splits):
        for label, (epochs, per) in curves.items():
            if split not in per:
                continue
            style = _run_style(label, first, split)
            ax.plot(epochs, per[split], ms=3, lw=1.5, label=label, **style)
        for (name, value), colour in zip((lines or {}).get(split, {}).items(), ("#b2182b", "#762a83", "#e08214")):
            ax.axhline(value, color=colour, lw=0.9, ls="-.", label=f"{name} ({value:.2f})")
        ax.axhline(0, color="k", lw=0.6)
        ax.set(xlabel="epoch", ylabel="kurtosis - skewness² - 1", title=f"bimodality of {split} consistency")
        ax.set_ylim(ylim or (min(0, ax.get_ylim()[0]), None))
        ax.legend(fontsize=9, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    if accuracy:
        ax = axes[0, -1]
        epochs = curves[first][0]
        for split, acc in accuracy.items():
            colour = COLORS.get(split, "C0")
            ax.plot(epochs, acc.mean(0), marker="o", ms=3, color=colour, label=split)
            ax.fill_between(epochs, acc.min(0), acc.max(0), color=colour, alpha=0.2)
        ax.set(xlabel="epoch", ylabel="accuracy", title=f"{first}: accuracy (mean, min-max)", ylim=(0, 1))
        ax.legend(fontsize=9, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    integer_epochs(fig)
    if title:
        fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout()
    return fig


GROUP_COLORS = {"easy": "#1b7837", "intermediate": "#e08214", "hard": "#b2182b"}


def group_accuracy_bars(
    acc: dict[str, np.ndarray], groups: tuple[str, ...], overall: dict[str, float] | None = None, title: str = ""
) -> plt.Figure:
    """Hacohen App. F: each learner's accuracy on the easy / intermediate / hard groups, one
    cluster of bars per learner (``acc[learner]`` is (len(groups),)); ``overall`` marks each
    learner's accuracy on all examples with a black tick."""
    names = list(acc)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.15 * len(names)), 3.6))
    width = 0.8 / len(groups)
    x = np.arange(len(names))
    for g, group in enumerate(groups):
        ax.bar(
            x + (g - (len(groups) - 1) / 2) * width, [acc[n][g] for n in names], width, color=GROUP_COLORS.get(group, f"C{g}"), label=group
        )
    if overall:
        ax.scatter(x, [overall[n] for n in names], marker="_", s=900, color="k", lw=1.6, zorder=3, label="all examples")
    ax.set_xticks(x, names, rotation=20, ha="right")
    ax.set(ylabel="accuracy", ylim=(0, 1.05), title=title)
    ax.legend(fontsize=9, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0), markerscale=0.35)
    fig.tight_layout()
    return fig


def boosting_curves(panels: dict[str, np.ndarray], groups: tuple[str, ...], overall: dict[str, np.ndarray] | None = None) -> plt.Figure:
    """Hacohen Fig. 30a: AdaBoost accuracy against the number of weak learners k, one line per
    difficulty group, one panel per (weak learner, split): ``panels[title]`` is (K, len(groups))
    for k = 1..K; ``overall[title]`` (K,) is drawn dashed black."""
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.3), sharey=True, squeeze=False)
    for ax, (name, curves) in zip(axes[0], panels.items()):
        k = np.arange(1, len(curves) + 1)
        for g, group in enumerate(groups):
            ax.plot(k, curves[:, g], color=GROUP_COLORS.get(group, f"C{g}"), lw=1.6, label=group)
        if overall is not None:
            ax.plot(k, overall[name], color="k", ls="--", lw=1.1, label="all examples")
        ax.set(xscale="log", xlabel="number of weak learners k", title=name, ylim=(0, 1.02))
    axes[0, 0].set_ylabel("accuracy")
    axes[0, 0].legend(fontsize=9, frameon=False, loc="lower right")
    fig.tight_layout()
    return fig


def bimodality_by_accuracy(
    curves: dict[str, tuple[dict[str, np.ndarray], dict[str, np.ndarray]]],
    pairs: dict[str, list[float]] | None = None,
    title: str = "",
) -> plt.Figure:
    """Hacohen Sec. 5 (h7) at matched accuracy: each run's bimodality against its mean accuracy, one
    panel per split, so that runs learning at different paces are compared at one stage of learning
    (Sec. 4.1). ``curves`` maps a run's label to ({split: mean accuracy per epoch}, {split: bimodality
    per epoch}), styled as in :func:`bimodality_comparison` (first run solid, 'independent' dashed
    grey, others dotted green); ``pairs[split]`` lists the mean accuracies of matched epochs, marked
    by vertical lines."""
    splits = list(dict.fromkeys(s for _, per in curves.values() for s in per))
    fig, axes = plt.subplots(1, len(splits), figsize=(4.6 * len(splits), 4.4), squeeze=False)
    first = next(iter(curves))
    for ax, split in zip(axes[0], splits):
        for label, (acc, per) in curves.items():
            if split not in per:
                continue
            style = _run_style(label, first, split)
            ax.plot(acc[split], per[split], ms=3, lw=1.5, label=label, **style)
        for i, x in enumerate((pairs or {}).get(split, [])):
            ax.axvline(x, color="#b2182b", lw=0.8, ls="-.", label="matched epochs (±1%)" if i == 0 else None)
        ax.axhline(0, color="k", lw=0.6)
        ax.set(xlabel=f"mean {split} accuracy", ylabel="kurtosis - skewness² - 1", title=f"bimodality of {split} consistency", xlim=(0, 1))
        ax.set_ylim(min(0, ax.get_ylim()[0]), None)
        ax.legend(fontsize=9, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    if title:
        fig.suptitle(title, x=0.01, ha="left")
    fig.tight_layout()
    return fig
