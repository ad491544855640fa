"""The atlas's comparisons between scores (a1): orientation, rank correlations, groups, specimens,
and the convergence of a score with the number of networks, on small cases with known answers."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from replicate import runs
from replicate.atlas import convergence, ranks
from replicate.atlas import table as atlas_table
from replicate.atlas.release import Score
from replicate.bootstrap import PER_MEMBER
from replicate.store import Store
from replicate.train import TrainConfig


def test_oriented_turns_lower_harder_scores_and_drops_undirected_ones():
    table = pd.DataFrame({"up": [1.0, 2.0], "down": [3.0, 4.0], "free": [5.0, 6.0]})
    scores = [
        Score("up", "u", "higher = harder", "s", "x"),
        Score("down", "d", "lower = harder", "s", "x"),
        Score("free", "f", "no direction", "s", "x"),
    ]
    o = ranks.oriented(table, scores)
    assert list(o.columns) == ["up", "down"] and o["down"].tolist() == [-3.0, -4.0] and o["up"].tolist() == [1.0, 2.0]


def test_weakest_pair_is_the_smallest_spearman_over_rows_both_have():
    # rho(a, b) = 1 - 6 * 2 / (5 * 24) = 0.9; rho(a, c) = -1; rho(b, c) = -0.9; a NaN row is skipped pairwise
    frame = pd.DataFrame({"a": [1, 2, 3, 4, 5, np.nan], "b": [1, 2, 3, 5, 4, 9], "c": [5, 4, 3, 2, 1, 0]}, dtype=float)
    value, pair = ranks.weakest_pair(frame, ("a", "b", "c"))
    assert value == pytest.approx(-1.0) and pair == ("a", "c")
    assert ranks.weakest_pair(frame, ("a", "b"))[0] == pytest.approx(0.9)


def test_strongest_statistic_is_the_largest_absolute_spearman_with_depth():
    table = pd.DataFrame({"pd_train": [1, 2, 3, 4, 5, np.nan], "s1": [1, 2, 3, 5, 4, 0], "s2": [5, 4, 3, 2, 1, 7]}, dtype=float)
    assert ranks.strongest_statistic(table, ["s1", "s2"]) == (pytest.approx(1.0), "s2")  # |-1| beats 0.9


def test_groups_cut_the_average_linkage_tree_at_the_line():
    names = ["a", "b", "c", "d"]
    rho = pd.DataFrame(
        [[1, 0.9, 0.1, 0.2], [0.9, 1, 0.2, 0.1], [0.1, 0.2, 1, 0.6], [0.2, 0.1, 0.6, 1]], index=names, columns=names, dtype=float
    )
    assert sorted(map(sorted, ranks.groups(rho, 0.5))) == [["a", "b"], ["c", "d"]]
    assert sorted(map(sorted, ranks.groups(rho, 0.7))) == [["a", "b"], ["c"], ["d"]]  # c-d at 0.6 falls below 0.7
    assert sorted(ranks.leaf_order(rho)) == names and len(ranks.groups(rho, -1.0)) == 1


def test_specimens_sit_at_even_quantiles_of_the_common_ranking():
    frame = pd.DataFrame({"x": np.arange(100.0), "y": np.arange(100.0) * 2})
    rows = ranks.specimens(frame.iloc[::-1], ["x", "y"], 4)  # row order does not matter, the ranking does
    assert rows.tolist() == [12, 37, 62, 87]  # round(q * 99) at q = 1/8, 3/8, 5/8, 7/8
    flipped = frame.assign(y=-frame["y"])
    assert ranks.orders(flipped, rows, ["x", "y"]) == {"x": pytest.approx([0, 1, 2, 3]), "y": pytest.approx([3, 2, 1, 0])}


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("store"))
    cfg = TrainConfig("mlp", n_models=4, epochs=3, arch_options=(("depth", 2), ("hidden", 16)), batch_size=50, keep_margins=True)
    spec = runs.EnsembleSpec(runs.DataSpec("gaussians", n_train=160, n_test=40, split="holdout", pool=True), cfg)
    return runs.ensemble(spec, store)


def test_scores_of_all_members_are_the_ensemble_scores(record):
    rows = np.array([3, 0, 150, 7])
    got = convergence.scores_of(record, np.arange(4), rows, convergence.CONVERGING, 1)
    side = next(s for s in atlas_table.sides(record) if s.record_split == "train")
    whole = atlas_table.ensemble_scores(record, side, 1)
    for name in convergence.CONVERGING:
        np.testing.assert_allclose(got[name].to_numpy(), whole[name][rows], equal_nan=True)


def test_copies_of_one_network_agree_perfectly_and_have_no_bootstrap_width(record):
    copies = {k: np.repeat(a[:1], 4, axis=0) for k, a in record.arrays.items() if k == "masks" or k.partition("/")[0] in PER_MEMBER}
    same = replace(record, arrays={**record.arrays, **copies})
    rows = np.arange(200)
    names = ("accessibility", "iteration_learned", "aum", "el2n")  # forgetting is 0 everywhere in 3 epochs here: no ranks
    found = convergence.curves(same, [1, 2], rows, repeats=2, names=names)
    assert len(found) == len(names) * 2 * 2 and set(found["n"]) == {1, 2}
    np.testing.assert_allclose(found["spearman"], 1.0)
    assert (convergence.widths(same, [1, 2], rows, resamples=3, names=names)["width"] == 0).all()
    consensus = convergence.widths(record, [1, 2], rows, resamples=3, names=("consensus",))["width"]
    assert np.isnan(consensus[0]) and consensus[1] > 0  # one network's consensus is 1 everywhere: no interval to speak of
    with pytest.raises(ValueError, match="a half of the 4-member ensemble has 2"):
        convergence.curves(same, [3], rows, repeats=1)


def test_sentences_name_the_largest_n_and_when_the_target_is_reached():
    found = pd.DataFrame(
        [{"score": "a", "n": n, "repeat": 0, "spearman": r} for n, r in ((1, 0.5), (2, 0.92), (4, 0.97))]
        + [{"score": "b", "n": n, "repeat": 0, "spearman": r} for n, r in ((1, 0.2), (2, 0.4), (4, 0.6))]
    )
    said = convergence.sentences(found)
    assert said["a"] == "4 networks give rank correlation 0.97 with another 4; 2 networks reach 0.9"
    assert said["b"] == "4 networks give rank correlation 0.60 with another 4; 4 do not reach 0.9"
    one = convergence.sentences(found.assign(spearman=0.95))
    assert one["a"] == "4 networks give rank correlation 0.95 with another 4; 1 network reaches 0.9"
