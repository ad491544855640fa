"""Claims of the atlas chapter (rows a1-a3 of FIGURES.md) that a figure notebook checks."""

from .. import curves
from ..verdicts import ClaimSpec, Figure, above, at_least, figures

FIGURES: dict[str, Figure] = figures(
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
