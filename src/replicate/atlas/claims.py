"""Claims of the atlas chapter (rows a1-a3 of FIGURES.md) that a figure notebook checks."""

from .. import curves
from ..verdicts import ClaimSpec, Figure, above, at_least, below, figures

FIGURES: dict[str, Figure] = figures(
    Figure(
        "atlas/a1",
        "One table per example: every difficulty score, their rank correlations and convergence",
        (
            ClaimSpec(
                "scores_rank_alike",
                "The ensemble-based scores rank examples alike: every pair of mean prediction depth (the training side), "
                "accessibility, the epoch of first true-positive agreement, forgetting events, EL2N and AUM has a Spearman "
                "correlation of at least 0.5 with the sign that 'harder' implies (every score turned so that higher = "
                "harder; value: the weakest pair's correlation, each pair over the examples that have both).",
                test=at_least(0.5, "FIGURES.md a1"),
                unit="examples",
            ),
            ClaimSpec(
                "statistics_explain_little",
                "Per example, each image statistic (segment count, edge strength, local entropy, DCT fraction) explains "
                "little of the difficulty: |Spearman| with mean prediction depth (the training side) below 0.3 (value: "
                "the largest |Spearman| of the four).",
                test=below(0.3, "FIGURES.md a1"),
                unit="examples",
            ),
        ),
    ),
    Figure(
        "atlas/a4",
        "Your own model: the atlas's scores from a hand-written training loop",
        (
            ClaimSpec(
                "agrees_with_atlas",
                "Networks of another architecture learn the examples in the same order (Hacohen et al. 2020, Sec. 4): "
                "the accessibility of the page's own torchvision ensemble, recorded from a plain training loop, "
                "ranks its training images like the atlas MLPs' accessibility (value: Spearman over the images).",
                test=at_least(0.5, "the line a1 uses for ranking alike (FIGURES.md a1)"),
                unit="examples",
            ),
        ),
    ),
    Figure(
        "atlas/a3",
        "Hacohen vs Pliushch on random labels: both metrics on the same runs",
        (
            ClaimSpec(
                "not_bimodal",
                "Hacohen's side: on h8's random-label networks, the bimodality of the training consistency of all "
                "networks stays at or above the not-bimodal line over the shared window (curves.not_bimodal_epochs: "
                "mean training accuracy between 10% and 90% of its rise from chance), the line being the natural-data "
                "(h1) collection's median over its own window plus 0.425; the paper's 1.07 belongs to 100 networks "
                "(value: the minimum over the window).",
                1.07,
                test=at_least("train line", curves.NOT_BIMODAL_SOURCE),
            ),
            ClaimSpec(
                "tpa_above_independent",
                "Pliushch's side: on the same networks and epochs, training TPa of the first five networks (the "
                "paper's K = 5) is above the normalised expected agreement of independent networks with their "
                "accuracies (value: the smallest difference over the window).",
                test=above(0, "the paper's direction (Pliushch Fig. 2b, App. B)"),
            ),
        ),
    ),
)
