"""The types of catalogue entries: a figure and the claims its notebook checks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClaimSpec:
    id: str
    statement: str
    paper: float | None = None


@dataclass(frozen=True)
class Figure:
    title: str
    claims: tuple[ClaimSpec, ...]
