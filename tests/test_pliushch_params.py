"""Pliushch figures share runs through the store: their parameters must name the same runs."""

from pathlib import Path

import pytest

from replicate.book import pipeline
from replicate.hacohen2020 import specs as hacohen_specs

ROOT = Path(__file__).resolve().parents[1]
H8_KEYS = ("dataset", "classes", "arch", "width", "n_models", "n_train", "n_test", "epochs", "batch_size", "lr", "seed")
RUN_KEYS = ("dataset", "arch", "width", "n_models", "n_repeats", "n_train", "n_test", "epochs", "batch_size", "lr", "seed")


def params(fig: str, scale: str) -> dict:
    return pipeline.resolved(pipeline.notebooks(ROOT)[fig], scale)


@pytest.mark.parametrize("scale", ["laptop", "smoke", "paper"])
def test_p2_reads_h8s_networks(scale):
    h8, p2 = params("hacohen2020/h8", scale), params("pliushch2022/p2", scale)
    assert {k: p2["h8"][k] for k in H8_KEYS} == {k: h8[k] for k in H8_KEYS}
    assert hacohen_specs.random_labels_spec(p2["h8"]) == hacohen_specs.random_labels_spec(h8)


@pytest.mark.parametrize("fig", ["p4", "p5", "p7"])
@pytest.mark.parametrize("scale", ["laptop", "smoke", "paper"])
def test_shared_agreement_run(fig, scale):
    p1, ours = params("pliushch2022/p1", scale), params(f"pliushch2022/{fig}", scale)
    assert {k: ours[k] for k in RUN_KEYS} == {k: p1[k] for k in RUN_KEYS}
