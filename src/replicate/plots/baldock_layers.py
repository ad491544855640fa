"""Figures of Baldock et al. 2021 across layers: inference learning curves, probe confidence."""

from __future__ import annotations
