"""Claims of Baldock, Maennel, Neyshabur 2021 (rows b1-b9 of FIGURES.md)."""

from .base import ClaimSpec, Figure

FIGURES: dict[str, Figure] = {}
