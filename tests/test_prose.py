"""Pages that follow their parameters: every number a figure page's "What we find" quotes is
glued by the notebook (or is one of the paper's numbers that the figure's claims declare)."""

import re
from pathlib import Path

import numpy as np
import pytest

from replicate import prose
from replicate.book import catalogue, pipeline

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("value", "text"),
    [(3, "3"), (np.int64(7), "7"), (0.25, "0.25"), (np.float32(0.5), "0.5"), (float("nan"), "nan"), ("coats", "coats")],
)
def test_glued_text_reads_back_as_the_number(value, text):
    assert prose.plain(value) == text


@pytest.mark.parametrize("value", [True, np.bool_(False), [1, 2], None])
def test_only_numbers_and_strings_are_glued(value):
    with pytest.raises(TypeError):
        prose.plain(value)


def test_roles_name_what_they_read():
    text = "r is {glue:text}`r_lin:.2f` ({glue:text}`h10_r_linear_interval`), {glue}`n` and {doc}`h1 <h1_x>`"
    assert prose.quoted(text) == {"r_lin", "h10_r_linear_interval", "n"}


def test_an_executed_notebook_lacks_exactly_the_names_it_quotes_but_never_glued():
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": "{glue:text}`a:.2f` and {glue:text}`b`"},
            {"cell_type": "code", "source": "prose.glue(a=1.0)", "outputs": [prose.output("a", "1.0")]},
        ]
    }
    assert prose.unglued(nb) == ["b"]


def test_loose_numbers_are_the_ones_written_out():
    text = (
        "Test r is 0.59, {glue:text}`r:.2f` in `n_models=3` (Fig. 30a; Figs. 3-4, Table 2, Sec. 5), "
        "Toneva et al. 2019, its 95% interval, 4,000 images of ResNet18 on h1 and CIFAR-10, $x_1$, −0.5, 0.28-0.43, [link](b4_x.md)."
    )
    assert prose.loose(text) == ["0.59", "4,000", "−0.5", "0.28", "0.43"]
    assert prose.value("4,000") == 4000 and prose.value("−0.5") == -0.5


def _findings(path: Path) -> str:
    """The "What we find" section of a figure notebook."""
    text = path.read_text()
    found = re.search(r"^## What we find\n(.*?)(?=^## |\Z)", text, flags=re.S | re.M)
    assert found, f"{path.name} has no 'What we find' section"
    return found.group(1)


def _declared(fig: str) -> set[float]:
    """The numbers the figure's claims declare: the paper's values, thresholds and their sources."""
    spec = catalogue.figure(fig)
    text = " ".join(f"{c.statement} {c.test} {c.test.source}" for c in spec.claims)
    return {prose.value(t) for t in prose.loose(text)} | {c.paper for c in spec.claims if c.paper is not None}


def written_out(fig: str) -> list[str]:
    """The numbers that ``fig``'s What we find writes out although they are neither glued nor declared."""
    return [t for t in prose.loose(_findings(pipeline.notebooks(ROOT)[fig])) if prose.value(t) not in _declared(fig)]


@pytest.mark.parametrize("fig", list(pipeline.notebooks(ROOT)))
def test_what_we_find_quotes_its_run_through_glue(fig):
    written = written_out(fig)
    assert not written, f"{fig}: What we find writes out {written}; glue them (prose.glue) or declare them in the claims"
