"""The runs the atlas chapter's figures read, as ensemble specs built from a notebook's parameters:
a3 reads h8's random-label networks and h1's natural-data collection back from the run store."""

from __future__ import annotations

from collections.abc import Callable

from ..hacohen2020.specs import natural_spec, random_labels_spec
from ..runs import EnsembleSpec

PLANNED: dict[str, Callable[[dict], dict[str, EnsembleSpec]]] = {
    "a3": lambda p: {"random labels": random_labels_spec(p["h8"]), "natural": natural_spec(p["natural"])},
}
"""The ensembles each figure trains or reads, by label, from its parameter values: what
``replicate plan`` prices (both of a3's are h8's and h1's, counted once in the book's total)."""
