import json
import math
import re
from configparser import ConfigParser
from pathlib import Path

import numpy as np
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


def test_report_checks_the_declared_tests_and_matches_the_reference(tmp_path, monkeypatch):
    published = []
    monkeypatch.setattr("IPython.display.publish_display_data", lambda data, metadata=None: published.append(data))
    values = {"init_mean": 0.12, "init_unimodal": 0.5, "bimodal_train": 0.3, "bimodal_test": 1.0, "below_independent": math.nan}
    verdicts.report(catalogue.figure(FIG), values, references={"1/K": 0.1}, root=tmp_path)
    saved = json.loads((tmp_path / "results" / FIG / "claims.json").read_text())
    assert [c["id"] for c in saved["claims"]] == IDS
    assert [c["verdict"] for c in saved["claims"]] == ["replicated", "not replicated", "replicated", "not replicated", "inconclusive"]
    first = saved["claims"][0]
    assert first["test"] == "within 0.05 of 1/K" and first["threshold"] == 0.1 and "chance" in first["source"]
    assert saved["claims"][-1]["reason"] == "the statistic is undefined on this run"
    reference = verdicts.reference_outputs(catalogue.figure(FIG))
    assert len(published) == len(reference)
    for got, ref in zip(published, reference):
        assert set(got) == set(ref["data"])
        for mime in got:
            assert sanitise(got[mime]) == sanitise(ref["data"][mime])


@pytest.mark.parametrize(
    ("test", "value", "expected"),
    [
        (verdicts.below(0.645, "s"), 0.2, True),
        (verdicts.below(0.645, "s"), 0.645, False),
        (verdicts.at_most(-1, "s"), -1.0, True),
        (verdicts.above(0, "s"), -0.01, False),
        (verdicts.at_least(0.95, "s"), 0.95, True),
        (verdicts.within(0.05, 0.1, "s"), 0.149, True),
        (verdicts.within(0.05, 0.1, "s"), 0.151, False),
        (verdicts.significant(1e-3, "s"), (-0.5, 1e-4), True),
        (verdicts.significant(1e-3, "s", positive=True), (-0.5, 1e-4), False),
        (verdicts.significant(1e-3, "s", positive=True), (0.5, 0.01), False),
    ],
)
def test_a_declared_test_decides_far_from_and_on_its_line(test, value, expected):
    claim = verdicts.ClaimSpec("c", "statement", test=test, learning=False)
    assert verdicts.check(claim, value).verdict == verdicts.verdict(expected)


class FakeRun:
    """A trained ensemble as the guards read it: arrays and metadata."""

    def __init__(self, n_models=3, accuracy=1.0, loss=1.0, n=100, n_classes=10):
        labels = np.arange(n) % n_classes
        preds = np.where(np.arange(n) < accuracy * n, labels, (labels + 1) % n_classes)
        self.key = "fake"
        self.meta = {"n_classes": n_classes}
        self.arrays = {
            "masks": np.ones((n_models, n), bool),
            "loss": np.full((n_models, 2), loss),
            "preds/train": np.tile(preds, (n_models, 2, 1)),
            "labels/train": labels,
        }


def test_degenerate_runs_make_a_claim_inconclusive_with_the_reason():
    learns = verdicts.ClaimSpec("c", "s", test=verdicts.above(0, "s"))
    initial = verdicts.ClaimSpec("c", "s", test=verdicts.above(0, "s"), learning=False)
    assert verdicts.check(learns, 1.0, records=[FakeRun()]).verdict == "replicated"
    cases = {
        "non-finite training values (loss)": FakeRun(loss=math.nan),
        "has 1 network(s); the claim needs at least 2": FakeRun(n_models=1),
        "a network ends at chance (train accuracy 0.100": FakeRun(accuracy=0.1),
    }
    for reason, run in cases.items():
        got = verdicts.check(learns, 1.0, records=[FakeRun(), run])
        assert got.verdict == "inconclusive" and reason in got.reason, got.reason
    assert verdicts.check(initial, 1.0, records=[FakeRun(accuracy=0.1)]).verdict == "replicated"  # it presumes no learning


def test_named_thresholds_need_their_reference_and_undecided_values_say_why():
    claim = verdicts.ClaimSpec("c", "s", test=verdicts.above("r_cross", "s"), learning=False)
    assert verdicts.check(claim, 0.9, {"r_cross": 0.8}).verdict == "replicated"
    missing = verdicts.check(claim, 0.9)
    assert missing.verdict == "inconclusive" and "reference 'r_cross' is undefined" in missing.reason
    held = verdicts.check(claim, verdicts.Undecided(0.9, "needs the full training set"), {"r_cross": 0.8})
    assert (held.verdict, held.ours, held.reason) == ("inconclusive", 0.9, "needs the full training set")


def test_every_declared_claim_says_where_its_threshold_comes_from():
    for fig in catalogue.FIGURES.values():
        for c in fig.claims:
            assert c.test.source.strip() and c.unit in verdicts.UNITS, (fig.id, c.id)
    with pytest.raises(ValueError, match="declares no test"):
        verdicts.ClaimSpec("c", "s")


def test_reference_differs_when_a_claim_is_missing_or_renamed(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="must be exactly"):
        verdicts.report(catalogue.figure(FIG), {IDS[0]: 1.0}, root=tmp_path)
    with pytest.raises(KeyError, match="not in the catalogue"):
        catalogue.figure("hacohen2020/h99")


def test_sanitiser_keeps_structure_but_not_values():
    assert sanitise("x: replicated (paper 0.1, ours -1.2e-3)") == sanitise("x: not replicated (paper 7, ours nan)")
    assert sanitise("x: inconclusive [why: run k: a network ends at chance] (paper 1)") == sanitise("x: replicated (paper 2)")
    assert sanitise("x: replicated") != sanitise("y: replicated")
    assert sanitise("x: maybe") != sanitise("x: replicated")


def test_a_figure_without_claims_says_so(tmp_path, monkeypatch):
    published = []
    monkeypatch.setattr("IPython.display.publish_display_data", lambda data, metadata=None: published.append(data))
    verdicts.report(catalogue.figure("pliushch2022/p6"), {}, root=tmp_path)
    assert published == [o["data"] for o in verdicts.reference_outputs(catalogue.figure("pliushch2022/p6"))]
    assert "no claim" in published[0]["text/plain"]
    with pytest.raises(ValueError, match="must be exactly"):
        verdicts.report(catalogue.figure("pliushch2022/p6"), {"x": 1.0}, root=tmp_path)


def test_records_can_be_given_per_claim(tmp_path, monkeypatch):
    monkeypatch.setattr("IPython.display.publish_display_data", lambda data, metadata=None: None)
    fig = verdicts.Figure(
        "testpaper/t1",
        "t",
        (verdicts.ClaimSpec("a", "s", test=verdicts.above(0, "s")), verdicts.ClaimSpec("b", "s", test=verdicts.above(0, "s"))),
    )
    verdicts.report(fig, {"a": 1.0, "b": 1.0}, records={"a": [FakeRun()], "b": [FakeRun(accuracy=0.1)]}, root=tmp_path)
    saved = json.loads((tmp_path / "results/testpaper/t1/claims.json").read_text())
    assert [c["verdict"] for c in saved["claims"]] == ["replicated", "inconclusive"]


def test_a_figure_summarises_its_verdicts_in_one_word():
    assert verdicts.summary(["replicated", "replicated"]) == "all replicated"
    assert verdicts.summary(["replicated", "inconclusive"]) == "partly"
    assert verdicts.summary(["not replicated", "inconclusive"]) == "not replicated"
    assert verdicts.summary(["inconclusive"]) == "inconclusive"
    assert verdicts.summary([]) == "no claims"
