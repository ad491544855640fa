"""A plan before the bill: FLOPs counted from the model, costs from the spec's sizes by hand, every
figure's plan builds at every scale (the paper-scale parameter files included), a bad file is
named, and a store is checked against the plan."""

import shutil
from pathlib import Path

import pytest

from replicate import cli, cost
from replicate.book import pipeline, plan
from replicate.runs import DataSpec, EnsembleSpec
from replicate.store import Store
from replicate.train import TrainConfig

ROOT = Path(__file__).resolve().parents[1]


def test_a_small_mlp_is_counted_by_hand():
    m = cost.model("mlp", (1, 2, 2), 3, 1.0, (("depth", 1), ("hidden", 8)))
    assert m.flops == 2 * (4 * 8 + 8 * 3)  # two FLOPs per multiply-add of each dense layer
    assert m.params == 4 * 8 + 8 + 8 * 3 + 3
    assert m.activations == 4 + 8 + 8 + 3  # flatten, fc1, relu, out
    assert m.probe_dims == (4, 8, 3, 3)  # input, fc1, logits, softmax


def test_a_convolution_is_counted_by_hand():
    convs = 2 * (6 * 28 * 28 * 25 + 16 * 10 * 10 * 6 * 25)  # 6 maps of 28 x 28 (padded), 16 of 10 x 10; 5 x 5 kernels
    dense = 2 * (400 * 120 + 120 * 84 + 84 * 10)
    assert cost.model("lenet5", (1, 28, 28), 10, 1.0).flops == convs + dense == 833_040


def spec(split="same", n_train=100, n_models=2, epochs=3, classes=None, keep_weights=False, batch_size=10):
    train = TrainConfig(
        "mlp",
        n_models=n_models,
        epochs=epochs,
        batch_size=batch_size,
        keep_weights=keep_weights,
        arch_options=(("depth", 1), ("hidden", 8)),
    )
    return EnsembleSpec(DataSpec("fashion_mnist", n_train=n_train, n_test=50, split=split, classes=classes), train)


def test_sizes_follow_the_split_and_the_classes():
    assert cost.sizes(spec()) == (100, 50, 100)
    assert cost.sizes(spec("holdout")) == (100, 50, 90)
    assert cost.sizes(spec("partition", n_models=4)) == (100, 50, 25)
    assert cost.sizes(spec(n_train=None, classes=(0, 1))) == (12_000, 50, 12_000)  # 2 of 10 classes of 60,000


def test_an_ensemble_costs_its_training_evaluation_and_probes():
    f = cost.model("mlp", (1, 28, 28), 10, 1.0, (("depth", 1), ("hidden", 8))).flops
    c = cost.ensemble(spec())
    assert c.train_flops == 2 * (3 * f * 100 * 3 + f * 150 * 4)  # 3 epochs of 100 examples; 150 evaluated after each epoch and at 0
    assert c.probe_flops == 0 and c.store_bytes == 2 * (2 * 4 * 150 + 100)
    probed = cost.ensemble(spec(keep_weights=True), probe_dim=4)
    dims = (784, 8, 10, 10)
    knn = sum(2 * 150 * (100 * min(d, 4) + (d * 4 if d > 4 else 0)) for d in dims)
    assert probed.probe_flops == 2 * (f * 150 + knn)
    # the atlas probes one member on a fifth of the points (every point still passes through the network)
    sampled = cost.ensemble(spec(keep_weights=True), probe_dim=4, probed=1, queried=0.2)
    knn = sum(2 * 30 * (100 * min(d, 4) + (d * 4 if d > 4 else 0)) for d in dims)
    assert sampled.probe_flops == f * 150 + knn
    assert c.hours("cpu") == c.flops / cost.DEVICES["cpu"][0] / 3600


@pytest.mark.parametrize("scale", pipeline.SCALES)
def test_every_figure_plans_at_every_scale(scale):
    for fig in pipeline.notebooks(ROOT):
        for label, (s, probing) in plan.ensembles(fig, scale, ROOT).items():
            assert cost.ensemble(s, **probing).train_flops > 0, (fig, label)
    atlas = plan.ensembles("atlas/a1", scale, ROOT)["atlas"][1]  # only the probed members are priced, on their queried points
    assert atlas["probed"] == pipeline.resolved(pipeline.find("atlas/a1", ROOT), scale)["atlas"]["probe_members"]


def test_a_parameter_file_that_does_not_build_is_named(tmp_path):
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    folder = tmp_path / "notebooks" / "hacohen2020"
    (folder / "params").mkdir(parents=True)
    shutil.copy(pipeline.find("hacohen2020/h1", ROOT), folder)
    (folder / "params" / "h1.paper.yaml").write_text("arch: transformer\n")
    with pytest.raises(
        pipeline.ParameterError, match="hacohen2020/h1 at paper scale does not build: arch='transformer' is not allowed; choose one of: mlp"
    ):
        plan.ensembles("hacohen2020/h1", "paper", tmp_path)


def test_a_store_is_checked_against_the_plan(tmp_path):
    lines = plan.plan(["hacohen2020/h1", "hacohen2020/h2"], "smoke", Store(tmp_path), ROOT)
    assert len({line.key for line in lines}) == 1  # h2 reads h1's networks
    store = Store(tmp_path)
    assert plan.unplanned(lines, store) == (["hacohen2020/h1 collection"], [])
    for key in (lines[0].key, "other"):
        (tmp_path / "ensemble" / key).mkdir(parents=True)
        (tmp_path / "ensemble" / key / "meta.json").write_text('{"train_seconds": 36.0}')
    assert plan.unplanned(lines, store) == ([], ["other"])
    assert plan.plan(["hacohen2020/h1"], "smoke", store, ROOT)[0].measured == 36.0


def test_the_command_prints_the_bill(capsys):
    assert cli.main(["plan", "hacohen2020/h1", "hacohen2020/h2", "--scale", "smoke", "--device", "a100"]) == 0
    out = capsys.readouterr().out
    assert "hacohen2020/h2" in out and "all (1 ensembles, each once)" in out and "NVIDIA A100" in out
    assert cli.main(["plan", "hacohen2020/h0"]) == 2
