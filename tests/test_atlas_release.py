"""The released score table (issue 15, part 4): a round trip on a tiny synthetic release, and every
kind of mismatch load() must catch."""

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

import replicate
from replicate.atlas import release
from replicate.atlas.release import ReleaseError, Score

SCORES = (
    Score("depth", "Mean prediction depth.", "higher = harder", "Baldock et al. 2021", "layers, 0 to 4"),
    Score("forgotten", "Forgetting events.", "higher = harder", "Toneva et al. 2019", "count", splits=("train",)),
)


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return {"train": rng.integers(0, 256, (5, 1, 3, 3), dtype=np.uint8), "test": rng.integers(0, 256, (4, 1, 3, 3), dtype=np.uint8)}


@pytest.fixture
def table():
    # 6 examples, rows out of order: train ids 4, 0, 2 and test ids 3, 1, 0; forgetting events only for training points
    return pd.DataFrame(
        {
            "depth": [1.5, 0.0, 3.0, 2.0, 4.0, 0.5],
            "split": ["train", "train", "train", "test", "test", "test"],
            "id": [4, 0, 2, 3, 1, 0],
            "forgotten": [2.0, 0.0, 1.0, np.nan, np.nan, np.nan],
        }
    )


@pytest.fixture
def written(tmp_path, table, images):
    runs = {"ensemble/abc": {"spec": {"data": {"dataset": "toy"}, "train": {"epochs": 2}}, "trained_at": "1234567"}}
    release.write(table, SCORES, "toy", images, runs, tmp_path)
    return tmp_path


def test_round_trip_sorts_rows_and_keeps_every_value(written, images):
    rel = release.load(written, images=images)
    assert list(rel.table.columns) == ["id", "split", "depth", "forgotten"]
    assert rel.table["split"].tolist() == ["train"] * 3 + ["test"] * 3
    assert rel.table["id"].tolist() == [0, 2, 4, 0, 1, 3]
    assert rel.table["depth"].tolist() == [0.0, 3.0, 1.5, 0.5, 4.0, 2.0]
    assert rel.table["forgotten"].tolist()[:3] == [0.0, 1.0, 2.0] and rel.table["forgotten"].iloc[3:].isna().all()
    assert rel.scores == SCORES
    assert {(written / f).stat().st_mode & 0o777 for f in ("scores.parquet", "manifest.json")} == {0o644}  # readable by all


def test_manifest_records_sizes_hashes_scores_and_runs(written, images):
    m = json.loads((written / "manifest.json").read_text())
    assert m["dataset"] == "toy"
    assert {s: (v["size"], v["rows"]) for s, v in m["splits"].items()} == {"train": (5, 3), "test": (4, 3)}
    # image hashes follow the table's rows: train ids 0, 2, 4
    assert m["splits"]["train"]["image_sha256"] == [hashlib.sha256(images["train"][i].tobytes()).hexdigest() for i in (0, 2, 4)]
    assert m["scores"][1] == {
        "name": "forgotten",
        "definition": "Forgetting events.",
        "sign": "higher = harder",
        "source": "Toneva et al. 2019",
        "unit": "count",
        "splits": ["train"],
    }
    assert m["runs"]["ensemble/abc"]["trained_at"] == "1234567"
    assert m["package"]["version"] == replicate.__version__
    assert m["table"]["sha256"] == hashlib.sha256((written / "scores.parquet").read_bytes()).hexdigest()


def test_an_edited_table_fails_its_hash(written):
    t = pd.read_parquet(written / "scores.parquet")
    t.loc[0, "depth"] = 2.0
    t.to_parquet(written / "scores.parquet", index=False)
    with pytest.raises(ReleaseError, match="SHA-256.*changed"):
        release.load(written)
    assert release.load(written, verify=False).table.loc[0, "depth"] == 2.0


def rewrite(written, table):
    """Replace the table and update the manifest's hash of it, so only the other checks can fail."""
    table.to_parquet(written / "scores.parquet", index=False)
    m = json.loads((written / "manifest.json").read_text())
    m["table"]["sha256"] = release.file_sha256(written / "scores.parquet")
    (written / "manifest.json").write_text(json.dumps(m))


def test_a_missing_score_column_is_named(written):
    rewrite(written, pd.read_parquet(written / "scores.parquet").drop(columns="forgotten"))
    with pytest.raises(ReleaseError, match="missing column.*forgotten"):
        release.load(written)


def test_changed_ids_and_rows_are_caught(written):
    t = pd.read_parquet(written / "scores.parquet")
    t.loc[1, "id"] = 1  # train ids 0, 1, 4 instead of 0, 2, 4: same count, other examples
    rewrite(written, t)
    with pytest.raises(ReleaseError, match="'train': the ids differ"):
        release.load(written)
    rewrite(written, t.drop(index=5))
    with pytest.raises(ReleaseError, match="'test' has 2 rows, the manifest says 3"):
        release.load(written)


def test_a_wrong_image_is_named_by_id(written, images):
    changed = {**images, "train": images["train"].copy()}
    changed["train"][2, 0, 1, 1] ^= 1
    with pytest.raises(ReleaseError, match=r"'train': 1 image\(s\) differ.*id\(s\) 2$"):
        release.load(written, images=changed)
    changed["train"] = images["train"][:4]
    with pytest.raises(ReleaseError, match="'train': images of shape"):
        release.load(written, images=changed)


def test_an_image_not_scored_does_not_count(written, images):
    changed = {**images, "train": images["train"].copy()}
    changed["train"][1] = 0  # train id 1 is not in the table
    release.load(written, images=changed)


def test_write_refuses_bad_tables(tmp_path, table, images):
    def refused(t, scores=SCORES):
        with pytest.raises(ReleaseError) as err:
            release.write(t, scores, "toy", images, {}, tmp_path)
        assert not (tmp_path / "manifest.json").exists()
        return str(err.value)

    assert "without a score definition extra" in refused(table.assign(extra=1.0))
    assert "'forgotten' is declared for train only but has 1 value(s) elsewhere" in refused(
        table.assign(forgotten=[2.0, 0, 1, 7, np.nan, np.nan])
    )
    assert "'train': ids must lie in [0, 5); found 0..5" in refused(table.assign(id=[5, 0, 2, 3, 1, 0]))
    assert "'test': ids repeat" in refused(table.assign(id=[4, 0, 2, 3, 3, 0]))
    assert "split value(s) val" in refused(table.assign(split=["train"] * 3 + ["val"] * 3))
    assert "score 'depth' is declared twice" in refused(table, SCORES + SCORES[:1])


def test_a_score_states_a_known_sign():
    with pytest.raises(ReleaseError, match="sign"):
        Score("x", "d", "harder", "s", "u")
    with pytest.raises(ReleaseError, match="identifier"):
        Score("split", "d", "higher = harder", "s", "u")


def test_recipes_key_ensembles_by_store_entry():
    from types import SimpleNamespace

    from replicate.runs import DataSpec, EnsembleSpec
    from replicate.train import TrainConfig

    spec = EnsembleSpec(DataSpec(n_train=10), TrainConfig(arch="mlp", n_models=2, epochs=1))
    out = release.recipes([SimpleNamespace(key="k1", spec=spec, meta={"git": "abc1234"}), SimpleNamespace(key="k2", spec=spec, meta={})])
    assert list(out) == ["ensemble/k1", "ensemble/k2"]
    assert out["ensemble/k1"]["spec"]["data"]["n_train"] == 10 and out["ensemble/k1"]["trained_at"] == "abc1234"
    assert out["ensemble/k2"]["trained_at"] == "unknown"
    json.dumps(out)  # the manifest stores it as JSON
