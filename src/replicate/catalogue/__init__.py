"""The claims every figure notebook checks (from FIGURES.md), one module per paper.

Notebooks compute each claim's value and whether it holds; the statement and the paper's
number come from here, so the scorecard, the chapter tables and the CI check agree.
"""

from __future__ import annotations

from . import baldock2021, hacohen2020, pliushch2022
from .base import ClaimSpec, Figure

PAPERS = {
    "hacohen2020": "Hacohen, Choshen, Weinshall 2020: All Neural Networks Are Created Equal",
    "baldock2021": "Baldock, Maennel, Neyshabur 2021: Deep Learning Through the Lens of Example Difficulty",
    "pliushch2022": "Pliushch, Mundt, Lupp, Ramesh 2022: When Deep Classifiers Agree",
}

FIGURES: dict[str, Figure] = {**hacohen2020.FIGURES, **baldock2021.FIGURES, **pliushch2022.FIGURES}

__all__ = ["PAPERS", "FIGURES", "ClaimSpec", "Figure", "figure"]


def figure(fig: str) -> Figure:
    """The catalogue entry of ``fig`` ("<paper>/<id>"); a clear error for unknown ids."""
    if fig not in FIGURES:
        raise KeyError(f"figure {fig!r} is not in the catalogue; known: {', '.join(sorted(FIGURES))}")
    return FIGURES[fig]
