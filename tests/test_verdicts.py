import json
import math
import re
from configparser import ConfigParser
from pathlib import Path

import numpy as np
import pytest

from replicate import bootstrap, metrics, verdicts
from replicate.book import catalogue
from replicate.runs import Record

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
    verdicts.report(catalogue.figure(FIG), lambda d: values, {"run": FakeRun()}, references={"1/K": 0.1}, root=tmp_path)
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


@pytest.mark.parametrize(
    ("test", "interval", "expected"),
    [
        (verdicts.above(0, "s"), (0.1, 0.3), "replicated"),
        (verdicts.above(0, "s"), (-0.3, -0.1), "not replicated"),
        (verdicts.above(0, "s"), (-0.1, 0.1), "inconclusive"),
        (verdicts.below(0.645, "s"), (0.5, 0.7), "inconclusive"),
        (verdicts.within(0.05, 0.1, "s"), (0.07, 0.13), "replicated"),
        (verdicts.within(0.05, 0.1, "s"), (0.12, 0.2), "inconclusive"),
        (verdicts.within(0.05, 0.1, "s"), (0.16, 0.2), "not replicated"),
    ],
)
def test_the_interval_decides_and_straddling_the_line_is_inconclusive(test, interval, expected):
    claim = verdicts.ClaimSpec("c", "statement", test=test, learning=False)
    draws = [(v, {}) for v in np.linspace(*interval, 201)]
    got = verdicts.check(claim, float(np.mean(interval)), resampled=draws)
    assert got.verdict == expected
    assert got.low == pytest.approx(interval[0], abs=0.01) and got.high == pytest.approx(interval[1], abs=0.01)
    assert ("straddles the line" in got.reason) == (expected == "inconclusive")


def test_a_statistic_tested_against_another_is_compared_draw_by_draw():
    """r_same > r_cross: two statistics that move together on every draw differ surely even
    when their intervals overlap."""
    claim = verdicts.ClaimSpec("c", "s", test=verdicts.above("r_cross", "s"), learning=False)
    shared = np.linspace(0.5, 0.9, 200)
    got = verdicts.check(claim, 0.75, {"r_cross": 0.7}, resampled=[(v + 0.05, {"r_cross": v}) for v in shared])
    assert got.verdict == "replicated" and got.low < 0.9


def _mean_above(line: float, xs: np.ndarray, tmp_path) -> dict:
    fig = verdicts.Figure(
        "testpaper/t2", "t", (verdicts.ClaimSpec("m", "s", test=verdicts.above(line, "s"), unit="examples", learning=False),)
    )
    verdicts.report(fig, lambda d: {"m": xs[d.examples["x"]].mean()}, examples={"x": len(xs)}, root=tmp_path)
    return json.loads((tmp_path / "results/testpaper/t2/claims.json").read_text())["claims"][0]


def test_report_resamples_the_declared_unit(tmp_path, monkeypatch):
    monkeypatch.setattr("IPython.display.publish_display_data", lambda data, metadata=None: None)
    xs = np.random.default_rng(0).normal(1.0, 1.0, 400)  # mean 1, standard error 0.05
    far_above, far_below, on_line = (_mean_above(line, xs, tmp_path) for line in (0.5, 1.5, xs.mean()))
    assert (far_above["verdict"], far_below["verdict"], on_line["verdict"]) == ("replicated", "not replicated", "inconclusive")
    assert far_above["resamples"] == 200 and far_above["low"] < xs.mean() < far_above["high"]
    assert 0.15 < far_above["high"] - far_above["low"] < 0.25  # about 2 x 1.96 x 0.05


def test_the_interval_covers_a_known_mean_at_about_its_nominal_rate():
    """The percentile interval of the mean of 100 normal draws covers the true mean in about 95%
    of 300 simulated data sets (a binomial sd of 1.3 points)."""
    rng = np.random.default_rng(1)
    f = bootstrap.Frame(examples={"x": 100})
    covered = 0
    for trial in range(300):
        xs = rng.normal(0.0, 1.0, 100)
        lo, hi = bootstrap.interval(xs.mean(), [xs[d.examples["x"]].mean() for d in bootstrap.draws(f, "examples", seed=trial)])
        covered += lo <= 0.0 <= hi
    assert 0.89 <= covered / 300 <= 0.99


def test_resampled_networks_agree_with_themselves_and_the_interval_also_covers_itself_moved_onto_the_point():
    """Ten simulated networks that each get an example right with its own fixed chance: on draws
    with repeated networks the bimodality of consistency falls below the point estimate; the
    interval, widened to cover itself moved onto the point, still covers the statistic's mean over
    fresh ensembles."""
    rng = np.random.default_rng(0)
    chance = rng.beta(0.5, 0.3, 1000)
    expected = np.mean([metrics.bimodality((rng.random((10, 1000)) < chance).mean(0)) for _ in range(300)])
    f = bootstrap.Frame({"run": 10})
    covered = 0
    for trial in range(20):
        right = rng.random((10, 1000)) < chance
        point = metrics.bimodality(right.mean(0))
        drawn = np.array([metrics.bimodality(right[d.networks["run"]].mean(0)) for d in bootstrap.draws(f, "networks", seed=trial)])
        assert np.median(drawn) < point
        lo, hi = bootstrap.interval(point, drawn)
        assert lo < point < hi
        covered += lo <= expected <= hi
    assert covered >= 18


def test_the_interval_is_the_hull_of_the_percentile_interval_and_its_move_onto_the_point():
    draws = np.linspace(0.0, 1.0, 201)  # percentile interval [0.025, 0.975], median 0.5
    assert bootstrap.interval(0.5, draws) == pytest.approx((0.025, 0.975))
    assert bootstrap.interval(0.9, draws) == pytest.approx((0.025, 1.375))  # the point high in its draws
    assert bootstrap.interval(0.1, draws) == pytest.approx((-0.375, 0.975))
    assert bootstrap.interval(0.9, draws, bounds=(-1, 1)) == pytest.approx((0.025, 1.0))  # a correlation stays within [-1, 1]


def test_draws_are_seeded_and_resample_only_their_unit():
    f = bootstrap.Frame({"a": 5}, {"test": 7})
    one, two = list(bootstrap.draws(f, "networks", 3, seed=4)), list(bootstrap.draws(f, "networks", 3, seed=4))
    assert all((x.networks["a"] == y.networks["a"]).all() for x, y in zip(one, two))
    assert all((d.examples["test"] == np.arange(7)).all() for d in one)
    assert any(len(set(d.networks["a"])) < 5 for d in bootstrap.draws(f, "networks", 20))
    examples = next(bootstrap.draws(f, "examples"))
    assert (examples.networks["a"] == np.arange(5)).all() and examples.examples["test"].shape == (7,)
    with pytest.raises(ValueError, match="cannot resample networks"):
        next(bootstrap.draws(bootstrap.Frame(examples={"x": 3}), "networks"))


def test_a_draw_sees_a_record_through_its_members_and_examples():
    run = FakeRun(n_models=3, n=10)
    run.arrays["preds/train"] = np.arange(3 * 2 * 10).reshape(3, 2, 10)
    run.arrays["masks"] = np.arange(30).reshape(3, 10) % 3 == 0
    run.arrays["weights/fc"] = np.zeros((3, 4))
    f = bootstrap.frame({"run": run})
    assert (f.networks, f.examples) == ({"run": 3}, {"train": 10})
    d = bootstrap.Draw({"run": np.array([2, 2])}, {"train": np.array([9, 0])})
    seen = d.record("run", run)
    assert seen.arrays["preds/train"].tolist() == [[[49, 40], [59, 50]]] * 2
    assert seen.arrays["labels/train"].tolist() == [9, 0] and seen.arrays["masks"].shape == (2, 2)  # members x drawn examples
    assert seen.arrays["masks"].tolist() == [[False, False], [False, False]]  # member 2: examples 9 and 0 are 29 and 20
    assert "weights/fc" not in seen.arrays
    assert bootstrap.identity(f).record("run", run) is run
    for head in ("margins", "probs", "el2n"):  # kept with keep_margins: (members, epochs, examples) like the predictions
        run.arrays[f"{head}/train"] = run.arrays["preds/train"] + 0.5
        assert d.record("run", run).arrays[f"{head}/train"].tolist() == [[[49.5, 40.5], [59.5, 50.5]]] * 2
    with pytest.raises(ValueError, match="has 4 train examples"):
        bootstrap.frame({"run": run, "other": FakeRun(n=4)})


def FakeRun(n_models=3, accuracy=1.0, loss=1.0, n=100, n_classes=10) -> Record:
    """A trained ensemble as the guards and draws read it: arrays and metadata."""
    labels = np.arange(n) % n_classes
    preds = np.where(np.arange(n) < accuracy * n, labels, (labels + 1) % n_classes)
    arrays = {
        "masks": np.ones((n_models, n), bool),
        "loss": np.full((n_models, 2), loss),
        "preds/train": np.tile(preds, (n_models, 2, 1)),
        "labels/train": labels,
    }
    return Record(None, "fake", arrays, {"n_classes": n_classes})


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
        verdicts.report(catalogue.figure(FIG), lambda d: {IDS[0]: 1.0}, root=tmp_path)
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
    verdicts.report(catalogue.figure("pliushch2022/p6"), lambda d: {}, root=tmp_path)
    assert published == [o["data"] for o in verdicts.reference_outputs(catalogue.figure("pliushch2022/p6"))]
    assert "no claim" in published[0]["text/plain"]
    with pytest.raises(ValueError, match="must be exactly"):
        verdicts.report(catalogue.figure("pliushch2022/p6"), lambda d: {"x": 1.0}, root=tmp_path)


def test_guards_can_name_the_records_of_each_claim(tmp_path, monkeypatch):
    monkeypatch.setattr("IPython.display.publish_display_data", lambda data, metadata=None: None)
    fig = verdicts.Figure(
        "testpaper/t1",
        "t",
        (verdicts.ClaimSpec("a", "s", test=verdicts.above(0, "s")), verdicts.ClaimSpec("b", "s", test=verdicts.above(0, "s"))),
    )
    runs = {"good": FakeRun(), "at chance": FakeRun(accuracy=0.1)}
    verdicts.report(fig, lambda d: {"a": 1.0, "b": 1.0}, runs, guards={"a": ["good"]}, root=tmp_path)
    saved = json.loads((tmp_path / "results/testpaper/t1/claims.json").read_text())
    assert [c["verdict"] for c in saved["claims"]] == ["replicated", "inconclusive"]


def test_a_figure_summarises_its_verdicts_in_one_word():
    assert verdicts.summary(["replicated", "replicated"]) == "all replicated"
    assert verdicts.summary(["replicated", "inconclusive"]) == "partly"
    assert verdicts.summary(["not replicated", "inconclusive"]) == "not replicated"
    assert verdicts.summary(["inconclusive"]) == "inconclusive"
    assert verdicts.summary([]) == "no claims"


def test_a_threshold_that_is_another_claims_statistic_is_drawn_with_it(tmp_path, monkeypatch):
    """r_same > r_cross, both claims of one figure: the threshold of r_same is r_cross of the same draw."""
    monkeypatch.setattr("IPython.display.publish_display_data", lambda data, metadata=None: None)
    fig = verdicts.Figure(
        "testpaper/t3",
        "t",
        (
            verdicts.ClaimSpec("r_same", "s", test=verdicts.above("r_cross", "s"), unit="examples", learning=False),
            verdicts.ClaimSpec("r_cross", "s", test=verdicts.above(0, "s"), unit="examples", learning=False),
        ),
    )
    xs = np.random.default_rng(0).normal(0.5, 0.2, 200)
    verdicts.report(
        fig,
        lambda d: {"r_same": xs[d.examples["x"]].mean() + 0.01, "r_cross": xs[d.examples["x"]].mean()},
        examples={"x": 200},
        root=tmp_path,
    )
    same = json.loads((tmp_path / "results/testpaper/t3/claims.json").read_text())["claims"][0]
    assert same["verdict"] == "replicated" and same["threshold"] == pytest.approx(xs.mean())  # 0.01 above on every draw


def test_the_chance_guard_skips_a_run_evaluated_on_no_labelled_split():
    run = FakeRun()
    run.arrays = {k: v for k, v in run.arrays.items() if not k.startswith("preds/")}
    assert verdicts.degenerate([run], learning=True, needs=2) == ""


def test_claims_files_are_written_whole_and_readable_by_all(tmp_path):
    path = tmp_path / "results" / "claims.json"
    verdicts.write_json(path, {"claims": []})
    assert json.loads(path.read_text()) == {"claims": []}
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["claims.json"]  # no temporary file left
