"""Claims of Pliushch, Mundt, Lupp, Ramesh 2022 (rows p1-p7 of FIGURES.md)."""

from .base import ClaimSpec, Figure

FIGURES: dict[str, Figure] = {}
