"""The claims every figure notebook checks (from FIGURES.md), in one place.

Notebooks compute each claim's value and whether it holds; the statement and the paper's
number come from here, so the scorecard, the chapter tables and the CI check agree.
"""

from __future__ import annotations

from dataclasses import dataclass

PAPERS = {
    "hacohen2020": "Hacohen, Choshen, Weinshall 2020: All Neural Networks Are Created Equal",
    "baldock2021": "Baldock, Maennel, Neyshabur 2021: Deep Learning Through the Lens of Example Difficulty",
    "pliushch2022": "Pliushch, Mundt, Lupp, Ramesh 2022: When Deep Classifiers Agree",
}


@dataclass(frozen=True)
class ClaimSpec:
    id: str
    statement: str
    paper: float | None = None


@dataclass(frozen=True)
class Figure:
    title: str
    claims: tuple[ClaimSpec, ...]


FIGURES: dict[str, Figure] = {
    "hacohen2020/h1": Figure(
        "Consistency histograms through training",
        (
            ClaimSpec(
                "init_mean",
                "At initialisation the mean test consistency is chance, 1/K (within 0.05).",
                0.1,
            ),
            ClaimSpec(
                "init_unimodal",
                "At initialisation the test consistency is unimodal: bimodality >= 1 (a normal gives 2, two points 0).",
            ),
            ClaimSpec(
                "bimodal_train",
                "Once learning is under way (every epoch from the notebook's first_checked_epoch), the train "
                "consistency is bimodal: its bimodality measure stays closer to the paper's bimodal collections "
                "(at most 0.22) than to its non-bimodal ones (at least 1.07), i.e. below 0.645 (value: the largest).",
                0.22,
            ),
            ClaimSpec(
                "bimodal_test",
                "The same for the test set: bimodality below 0.645 at every checked epoch (value: the largest).",
                0.22,
            ),
            ClaimSpec(
                "below_independent",
                "At every checked epoch, on train and test, the bimodality measure is at least 1 below that "
                "of independent models with matched accuracy (value: the largest difference, ours - independent).",
            ),
        ),
    ),
    "hacohen2020/h2": Figure(
        "Consensus histograms against independent models",
        (
            ClaimSpec(
                "above_independent_train",
                "At every epoch after 0 the mean train consensus is above that of independent models with "
                "matched accuracy (value: the smallest difference, ours - independent).",
            ),
            ClaimSpec(
                "above_independent_test",
                "The same on the test set (value: the smallest difference, ours - independent).",
            ),
        ),
    ),
    "hacohen2020/h3": Figure(
        "Networks trained on different parts of the training set",
        (
            ClaimSpec(
                "test_bimodal",
                "Networks each trained on its own disjoint part of the training set still have a bimodal "
                "consistency on the shared test set at every checked epoch: bimodality below 0.645, the "
                "midpoint of the paper's bimodal (0.22) and non-bimodal (1.07) values (value: the largest).",
            ),
            ClaimSpec(
                "below_independent",
                "At every checked epoch the test bimodality is at least 1 below that of independent models "
                "with matched accuracy (value: the largest difference, ours - independent).",
            ),
        ),
    ),
    "hacohen2020/h4": Figure(
        "Consensus on out-of-sample test sets",
        (
            ClaimSpec(
                "test_above_unseen",
                "After training, mean consensus on the in-distribution test set is above that on natural "
                "images of classes never trained on (value: the difference).",
            ),
            ClaimSpec(
                "unseen_above_noise",
                "Mean consensus on unseen-class images is above that on Gaussian-noise images (value: the difference).",
            ),
            ClaimSpec(
                "noise_above_random",
                "Mean consensus on Gaussian-noise images is above that of independent random classifiers "
                "(value: the difference).",
            ),
        ),
    ),
    "hacohen2020/h11": Figure(
        "Induced class order and individual trajectories",
        (
            ClaimSpec(
                "class_order",
                "Some classes reach consistency 1 before others: the first epochs at which half of each "
                "class's training images have consistency 1 span at least 2 epochs (value: that span; a "
                "class that never gets there counts as one epoch past the last).",
            ),
            ClaimSpec(
                "fewer_labels_early",
                "Early in training the collection uses fewer labels: fewer classes are the majority vote of "
                "at least 2% of the training images after epoch 1 than after the last epoch (value: the "
                "difference, last - epoch 1).",
            ),
        ),
    ),
}


def figure(fig: str) -> Figure:
    """The catalogue entry of ``fig`` ("<paper>/<id>"); a clear error for unknown ids."""
    if fig not in FIGURES:
        raise KeyError(f"figure {fig!r} is not in the catalogue; known: {', '.join(sorted(FIGURES))}")
    return FIGURES[fig]
