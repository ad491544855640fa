import json
import math
import re
from configparser import ConfigParser
from pathlib import Path

import pytest

from replicate import verdicts
from replicate.book import catalogue

FIG = "hacohen2020/h1"


@pytest.fixture(autouse=True)
def results_under_root(monkeypatch):
    """These tests pass ``root``: the CI's REPLICATE_RESULTS must not redirect them."""
    monkeypatch.delenv("REPLICATE_RESULTS", raising=False)


IDS = [c.id for c in catalogue.figure(FIG).claims]


def sanitise(text: str) -> str:
    cfg = ConfigParser()
    cfg.read(Path(__file__).parent / "nbval_sanitize.cfg")
    for section in cfg.sections():
        text = re.sub(cfg[section]["regex"], cfg[section]["replace"], text)
    return text


def test_verdicts_follow_the_data():
    assert verdicts.verdict(True) == "replicated"
    assert verdicts.verdict(False) == "not replicated"
    assert verdicts.verdict(None) == "inconclusive"


def test_report_writes_json_and_outputs_matching_the_reference(tmp_path, monkeypatch):
    published = []
    monkeypatch.setattr("IPython.display.publish_display_data", lambda data, metadata=None: published.append(data))
    results = {i: (0.1 * n, n % 2 == 0) for n, i in enumerate(IDS)}
    results[IDS[-1]] = (math.nan, None)
    verdicts.report(catalogue.figure(FIG), results, root=tmp_path)
    saved = json.loads((tmp_path / "results" / FIG / "claims.json").read_text())
    assert [c["id"] for c in saved["claims"]] == IDS
    assert [c["verdict"] for c in saved["claims"]] == ["replicated", "not replicated", "replicated", "not replicated", "inconclusive"][
        : len(IDS)
    ]
    reference = verdicts.reference_outputs(catalogue.figure(FIG))
    assert len(published) == len(reference)
    for got, ref in zip(published, reference):
        assert set(got) == set(ref["data"])
        for mime in got:
            assert sanitise(got[mime]) == sanitise(ref["data"][mime])


def test_reference_differs_when_a_claim_is_missing_or_renamed(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="must be exactly"):
        verdicts.report(catalogue.figure(FIG), {IDS[0]: (1.0, True)}, root=tmp_path)
    with pytest.raises(KeyError, match="not in the catalogue"):
        catalogue.figure("hacohen2020/h99")


def test_sanitiser_keeps_structure_but_not_values():
    assert sanitise("x: replicated (paper 0.1, ours -1.2e-3)") == sanitise("x: not replicated (paper 7, ours nan)")
    assert sanitise("x: replicated") != sanitise("y: replicated")
    assert sanitise("x: maybe") != sanitise("x: replicated")


def test_a_figure_without_claims_says_so(tmp_path, monkeypatch):
    published = []
    monkeypatch.setattr("IPython.display.publish_display_data", lambda data, metadata=None: published.append(data))
    verdicts.report(catalogue.figure("pliushch2022/p6"), {}, root=tmp_path)
    assert published == [o["data"] for o in verdicts.reference_outputs(catalogue.figure("pliushch2022/p6"))]
    assert "no claim" in published[0]["text/plain"]
    with pytest.raises(ValueError, match="must be exactly"):
        verdicts.report(catalogue.figure("pliushch2022/p6"), {"x": (1.0, True)}, root=tmp_path)
