"""How many networks a per-example score needs (issue 15, part 2): each ensemble score computed from
N members against the same score from the *other* half of the ensemble, and the width of its
bootstrap interval, as N grows.

The reference is the other half rather than the whole ensemble: a subset of the whole ensemble
shares members with it, so its correlation would reach 1 at N = M by construction. Against a
disjoint half of M/2 members, the correlation at N = M/2 is the split-half reliability of an
M/2-member score; it measures how well N networks agree with *other* networks, which is what a
reader who trains their own ensemble gets."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import ConstantInputWarning

from ..bootstrap import Draw
from ..runs import Record
from . import table as atlas_table

CONVERGING = (
    "accessibility",
    "consistency",
    "consensus",
    "iteration_learned",
    "first_agreement_epoch",
    "forgetting_events",
    "el2n",
    "aum",
    "confidence",
    "variability",
)
"""The training-side ensemble scores whose convergence is measured: the held-out side's scores have
about one member in ten per example (too few to split), and prediction depth has only the probed
members."""
LEVEL = 0.95


def scores_of(record: Record, members: np.ndarray, rows: np.ndarray, names: Sequence[str], el2n_at: int) -> pd.DataFrame:
    """The scores ``names`` of the pool rows ``rows`` from the members ``members`` of a pooled 90:10
    ``record`` (``table.ensemble_scores`` of the record seen through those members and rows)."""
    seen = Draw({"atlas": np.asarray(members)}, {"train": np.asarray(rows)}).record("atlas", record)
    side = next(s for s in atlas_table.sides(seen) if s.record_split == "train")
    values = atlas_table.ensemble_scores(seen, side, el2n_at)
    return pd.DataFrame({n: values[n] for n in names})


def curves(
    record: Record, sizes: Sequence[int], rows: np.ndarray, repeats: int, seed: int = 0, names: Sequence[str] = CONVERGING
) -> pd.DataFrame:
    """One row per (score, N, repeat): Spearman's rank correlation between the score from N members
    of one random half of the ensemble and the score from the other half, over the pool rows
    ``rows``; each repeat draws a new split into halves (seeded)."""
    m = record.masks.shape[0]
    if max(sizes) > m // 2:
        raise ValueError(f"sizes go up to {max(sizes)} members, but a half of the {m}-member ensemble has {m // 2}")
    el2n_at = atlas_table.el2n_epoch(atlas_table.epochs_of(record))
    rng = np.random.default_rng([seed, 15])
    out = []
    for r in range(repeats):
        order = rng.permutation(m)
        half, other = order[: m // 2], order[m // 2 :]
        reference = scores_of(record, other, rows, names, el2n_at)
        for n in sizes:
            with warnings.catch_warnings():  # a score constant over the rows (consensus of one network) has no ranks: NaN
                warnings.simplefilter("ignore", ConstantInputWarning)
                rho = scores_of(record, half[:n], rows, names, el2n_at).corrwith(reference, method="spearman")
            out += [{"score": name, "n": n, "repeat": r, "spearman": float(rho[name])} for name in names]
    return pd.DataFrame(out)


def widths(
    record: Record, sizes: Sequence[int], rows: np.ndarray, resamples: int, seed: int = 0, names: Sequence[str] = CONVERGING
) -> pd.DataFrame:
    """One row per (score, N): the mean over ``rows`` of the 95% bootstrap interval of each example's
    score from N networks, N drawn with replacement from all M members ``resamples`` times (the
    m-out-of-n bootstrap: how far the score of N networks trained like these can fall), divided by
    the standard deviation of the whole ensemble's score over the same examples, so that scores in
    different units compare; NaN where the score of N networks ranks nothing (the consensus of one
    network is always 1). (Resampling only the N networks themselves would be degenerate at small
    N: one network resampled is always itself.)"""
    m = record.masks.shape[0]
    el2n_at = atlas_table.el2n_epoch(atlas_table.epochs_of(record))
    spread = scores_of(record, np.arange(m), rows, names, el2n_at).std()
    rng = np.random.default_rng([seed, 16])
    out = []
    for n in sizes:
        draws = [scores_of(record, rng.choice(m, n), rows, names, el2n_at) for _ in range(resamples)]
        for name in names:
            values = np.stack([d[name].to_numpy() for d in draws])
            if not (np.nanstd(values, axis=1) > 0).any():  # constant over the examples on every draw (consensus of one network)
                out.append({"score": name, "n": n, "width": np.nan})
                continue
            seen = np.isfinite(values).any(0)
            lo, hi = np.nanpercentile(values[:, seen], [50 * (1 - LEVEL), 50 * (1 + LEVEL)], axis=0)
            out.append({"score": name, "n": n, "width": float(np.mean(hi - lo) / spread[name])})
    return pd.DataFrame(out)


def sentences(found: pd.DataFrame, target: float = 0.9) -> dict[str, str]:
    """Per score, a sentence from :func:`curves`: the mean correlation with the other half at the
    largest N, and the smallest N whose mean correlation reaches ``target``."""
    mean = found.groupby(["score", "n"])["spearman"].mean().unstack()
    largest = int(mean.columns.max())
    out = {}
    for name, row in mean.iterrows():
        reached = row[row >= target]
        first = int(reached.index.min()) if len(reached) else None
        when = f"{first} network{'s' * (first != 1)} reach{'es' * (first == 1)} {target}" if first else f"{largest} do not reach {target}"
        out[str(name)] = f"{largest} networks give rank correlation {row[largest]:.2f} with another {largest}; {when}"
    return out
