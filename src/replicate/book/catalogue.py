"""Every paper of the book and every figure's claim declarations, gathered from the papers'
``claims`` modules: what the pipeline, the scorecard and the CLI look figures up in."""

from __future__ import annotations

from ..atlas import claims as atlas
from ..baldock2021 import claims as baldock2021
from ..hacohen2020 import claims as hacohen2020
from ..pliushch2022 import claims as pliushch2022
from ..verdicts import Figure

PAPERS = {
    "hacohen2020": "Hacohen, Choshen, Weinshall 2020: All Neural Networks Are Created Equal",
    "baldock2021": "Baldock, Maennel, Neyshabur 2021: Deep Learning Through the Lens of Example Difficulty",
    "pliushch2022": "Pliushch, Mundt, Lupp, Ramesh 2022: When Deep Classifiers Agree",
    "atlas": "The atlas: the three papers' measures side by side",
}

FIGURES: dict[str, Figure] = {**hacohen2020.FIGURES, **baldock2021.FIGURES, **pliushch2022.FIGURES, **atlas.FIGURES}


def figure(fig: str) -> Figure:
    """The declaration of ``fig`` ("<paper>/<id>"); a clear error for unknown ids."""
    if fig not in FIGURES:
        raise KeyError(f"figure {fig!r} is not in the catalogue; known: {', '.join(sorted(FIGURES))}")
    return FIGURES[fig]
