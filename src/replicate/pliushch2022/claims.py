"""Claims of Pliushch, Mundt, Lupp, Ramesh 2022 (rows p1-p7 of FIGURES.md)."""

from .. import curves
from ..verdicts import ClaimSpec, Figure, above, at_least, below, figures, significant

STATISTICS = {  # keyed like replicate.imagestats.STATS
    "segment_count": "Felzenszwalb segment count",
    "edge_strength": "summed edge strength (Sobel substitute)",
    "local_entropy": "mean local entropy (10 x 10)",
    "dct_fraction": "fraction of DCT coefficients holding 99.98% of the energy",
}


def _r(stat: str, name: str) -> ClaimSpec:
    return ClaimSpec(
        f"r_{stat}",
        f"Training TPa correlates with the mean {name} of the agreed-upon training images, per epoch "
        "from first_epoch on: two-tailed p < 0.001 (value: Pearson r).",
        test=significant(1e-3, "two-tailed p < 0.001 (Sec. 5)"),
    )


FIGURES: dict[str, Figure] = figures(
    Figure(
        "pliushch2022/p1",
        "True-positive agreement, its lower bound and accuracy",
        (
            ClaimSpec(
                "gap_while_rising",
                "The gap between TPa and its lower bound is large while accuracy rises: its mean over the epochs "
                "at which training accuracy has covered less than 90% of its rise exceeds the gap after the last "
                "epoch (value: the difference, train).",
                test=above(0, "the paper's direction: the gap over the lower bound is largest while accuracy rises (Fig. 2a)"),
            ),
            ClaimSpec(
                "above_expected_train",
                "At every epoch after the first, training TPa is above both expected-random agreements (value: "
                "the smallest TPa minus the normalised one, the larger baseline).",
                test=above(0, "the paper's direction: above the agreement of independent networks (App. B)"),
            ),
            ClaimSpec(
                "above_expected_test",
                "The same on the test set (value: the smallest difference).",
                test=above(0, "the paper's direction: above the agreement of independent networks (App. B)"),
            ),
        ),
    ),
    Figure(
        "pliushch2022/p2",
        "Agreement with random labels, beside Hacohen's bimodality on the same networks",
        (
            ClaimSpec(
                "agreement_when_rising",
                "With random labels, once training accuracy rises (the window of curves.not_bimodal_epochs on all "
                "ten networks: mean training accuracy between 10% and 90% of its rise from chance, as in h8), "
                "training TPa is above the normalised expected-random agreement of independent networks (value: "
                "the smallest difference).",
                test=above(0, "the paper's direction (Fig. 2b)"),
            ),
            ClaimSpec(
                "hacohen_not_bimodal",
                "On the same networks and epochs, Hacohen's bimodality of the training consistency stays at or "
                "above the not-bimodal line of h8, the natural-data (h1) collection's median over its own window "
                "plus 0.425 (value: its minimum, h8's not_bimodal_train).",
                1.07,
                test=at_least("train line", curves.NOT_BIMODAL_SOURCE),
            ),
        ),
    ),
    Figure(
        "pliushch2022/p3",
        "Agreement across architectures and batch sizes",
        (
            ClaimSpec(
                "across_architectures",
                "One network of each architecture, taken as one collection: training TPa is above its lower bound "
                "and above the normalised expected-random agreement at every epoch after the first (value: the "
                "smallest TPa minus the normalised expected agreement).",
                test=above(0, "the paper's direction (Fig. 2c)"),
            ),
            ClaimSpec(
                "each_architecture",
                "The same for each architecture's own networks (value: the smallest difference over architectures and epochs).",
                test=above(0, "the paper's direction (Fig. 2c)"),
            ),
            ClaimSpec(
                "batch_sizes",
                "The same for each batch size (value: the smallest difference over batch sizes and epochs).",
                test=above(0, "the paper's direction (Fig. 2d)"),
            ),
        ),
    ),
    Figure("pliushch2022/p4", "Image statistics drawn on easy and hard images", ()),
    Figure(
        "pliushch2022/p5",
        "Agreement against the image statistics of the agreed-upon images",
        tuple(_r(stat, name) for stat, name in STATISTICS.items()),
    ),
    Figure("pliushch2022/p6", "Histograms of the image statistics", ()),
    Figure(
        "pliushch2022/p7",
        "Spread of agreement over repeats, and PABAK",
        (
            ClaimSpec(
                "std_small",
                "Over 5 repeats of 5 networks, training TPa's standard deviation is small beside the agreement - "
                "lower bound gap: its largest value over the epochs after the first is below a tenth of the mean "
                "gap over those epochs (value: the ratio).",
                test=below(0.1, "small beside the agreement - lower bound gap: a standard deviation below a tenth of it (App. Fig. 2)"),
            ),
        ),
    ),
)
