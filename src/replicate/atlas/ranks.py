"""How the atlas's scores rank the same examples (FIGURES.md a1): every score turned so that higher
means harder, their Spearman matrix, the groups of scores that tell the same story, and the
examples that show it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

from .release import Score

CLAIMED = ("pd_train", "accessibility", "first_agreement_epoch", "forgetting_events", "el2n", "aum")
"""a1's ensemble-based scores that should rank alike (FIGURES.md a1): mean prediction depth (the
training side, like the five others: the same members' view of the same examples), accessibility,
the epoch of first true-positive agreement, forgetting events, EL2N and AUM."""
DEPTH = "pd_train"
"""The prediction depth a1's image statistics are compared with: the same column as in CLAIMED."""
SAME_STORY = 0.5
"""Scores whose oriented Spearman is at least this (FIGURES.md a1's line for ranking alike) on
average linkage form one group."""


def oriented(table: pd.DataFrame, scores: Sequence[Score]) -> pd.DataFrame:
    """The table's difficulty scores turned so that higher = harder (a "lower = harder" score is
    negated); scores without a direction (data-map variability, the image statistics) are left out."""
    sign = {"higher = harder": 1.0, "lower = harder": -1.0}
    return pd.DataFrame({s.name: sign[s.sign] * table[s.name].astype(np.float64) for s in scores if s.sign in sign})


def spearman(frame: pd.DataFrame) -> pd.DataFrame:
    """Spearman's rank correlation between every pair of columns, each over the rows where both are
    defined (tied values share their mean rank)."""
    return frame.corr(method="spearman", min_periods=3)


def weakest_pair(frame: pd.DataFrame, names: Sequence[str] = CLAIMED) -> tuple[float, tuple[str, str]]:
    """The smallest Spearman correlation between two of the oriented scores ``names``, and the pair:
    a1's claim that they all rank examples alike asks it to be at least 0.5."""
    rho = spearman(frame[list(names)])
    pairs = [(rho.loc[a, b], (a, b)) for i, a in enumerate(names) for b in names[i + 1 :]]
    return min(pairs, key=lambda p: p[0])


def strongest_statistic(table: pd.DataFrame, stats: Sequence[str], depth: str = DEPTH) -> tuple[float, str]:
    """The largest \\|Spearman\\| between an image statistic and mean prediction depth over the
    examples that have both, and its statistic: a1's claim asks it to stay below 0.3."""
    rho = table[[depth, *stats]].corr(method="spearman", min_periods=3)[depth].drop(depth).abs()
    return float(rho.max()), str(rho.idxmax())


def tree(rho: pd.DataFrame) -> np.ndarray:
    """The average-linkage tree of ``rho``'s columns at distance 1 - Spearman (an undefined
    correlation counts as the largest distance, 2)."""
    distance = np.clip(1 - rho.to_numpy(np.float64), 0, 2)
    np.fill_diagonal(distance, 0)
    return hierarchy.average(squareform(np.nan_to_num((distance + distance.T) / 2, nan=2.0), checks=False))


def groups(rho: pd.DataFrame, line: float = SAME_STORY) -> list[list[str]]:
    """The scores that tell the same story: average-linkage clusters of ``rho`` cut where the mean
    correlation between two groups falls below ``line``, largest group first, each in leaf order."""
    names = list(rho.columns)
    if len(names) < 2:
        return [names]
    linkage = tree(rho)
    labels = hierarchy.fcluster(linkage, t=1 - line, criterion="distance")
    found: dict[int, list[str]] = {}
    for i in hierarchy.leaves_list(linkage):
        found.setdefault(labels[i], []).append(names[i])
    return sorted(found.values(), key=len, reverse=True)


def leaf_order(rho: pd.DataFrame) -> list[str]:
    """The scores in the order of their average-linkage tree, so that groups sit together."""
    return [rho.columns[i] for i in hierarchy.leaves_list(tree(rho))]


def mean_rank(frame: pd.DataFrame, names: Sequence[str]) -> pd.Series:
    """Each example's mean percentile rank (0 easiest .. 1 hardest) over the oriented scores
    ``names``, over the examples that have all of them."""
    return frame[list(names)].dropna().rank(pct=True).mean(axis=1)


def specimens(frame: pd.DataFrame, names: Sequence[str], n: int) -> np.ndarray:
    """Row labels of ``n`` examples spread over the scores' common ranking: the examples closest to
    the n evenly spaced quantiles of :func:`mean_rank`, easiest first."""
    consensus = mean_rank(frame, names).sort_values()
    at = np.linspace(0.5 / n, 1 - 0.5 / n, n)
    return consensus.index.to_numpy()[np.round(at * (len(consensus) - 1)).astype(int)]


def orders(frame: pd.DataFrame, rows: np.ndarray, names: Sequence[str]) -> dict[str, np.ndarray]:
    """For every score, the positions in ``rows`` sorted from easiest to hardest by that score (ties
    keep the common order of ``rows``)."""
    return {name: np.argsort(frame.loc[rows, name].to_numpy(), kind="stable") for name in names}
