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
}


def figure(fig: str) -> Figure:
    """The catalogue entry of ``fig`` ("<paper>/<id>"); a clear error for unknown ids."""
    if fig not in FIGURES:
        raise KeyError(f"figure {fig!r} is not in the catalogue; known: {', '.join(sorted(FIGURES))}")
    return FIGURES[fig]
