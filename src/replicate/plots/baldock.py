"""Figures of Baldock et al. 2021: prediction depth histograms, per-layer curves, image grids."""

from __future__ import annotations
