import re

import numpy as np
import pytest
import torch

from replicate import bench, models, probes, runs
from replicate.baldock2021 import difficulty
from replicate.bench import knn as bench_knn
from replicate.bench import probes as bench_probes
from replicate.store import Store
from replicate.train import TrainConfig


def _manual(net: models.Probed, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Probe activations by running the stages by hand."""
    out, h = {"input": x.flatten(1)}, x
    for name, stage in net.stages.items():
        h = stage(h)
        if name in net.probe_names:
            out[name] = h.flatten(1)
    out["softmax"] = h.softmax(-1)
    return out


@pytest.mark.parametrize("arch", ["mlp", "small_stvgg"])
def test_activations_equal_a_manual_forward_through_the_stages(arch):
    torch.manual_seed(0)
    options = {"depth": 2, "hidden": 8} if arch == "mlp" else {"width": 0.25}
    net = models.build(arch, (1, 8, 8), 3, **options).eval()
    x = torch.randn(7, 1, 8, 8)
    got = probes.activations(net, x, batch=3)  # batches that do not divide n
    with torch.no_grad():
        want = _manual(net, x)
    assert list(got) == net.probe_names
    for name, a in got.items():
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, want[name].numpy(), rtol=1e-5, atol=1e-6)
    only = probes.activations(net, x, layers=["softmax", "input"])
    assert list(only) == ["input", "softmax"]


def test_projection_keeps_shape_seeded_and_distances():
    torch.manual_seed(0)
    net = models.build("mlp", (1, 8, 8), 3, depth=2, hidden=40).eval()
    x = torch.randn(20, 1, 8, 8)
    a = probes.activations(net, x, probe_dim=16, seed=1)
    assert {n: v.shape[1] for n, v in a.items()} == {"input": 16, "fc1": 16, "fc2": 16, "out": 3, "softmax": 3}
    assert all(np.array_equal(v, w) for v, w in zip(a.values(), probes.activations(net, x, probe_dim=16, seed=1).values()))
    assert not np.allclose(a["fc1"], probes.activations(net, x, probe_dim=16, seed=2)["fc1"])

    pts = np.random.default_rng(0).standard_normal((20, 2000)).astype(np.float32)
    low = pts @ probes.projection(2000, 512, seed=0, layer=3).numpy()
    i, j = np.triu_indices(20, 1)
    ratio = np.linalg.norm(low[i] - low[j], axis=1) / np.linalg.norm(pts[i] - pts[j], axis=1)
    assert np.abs(ratio - 1).max() < 0.2  # Johnson-Lindenstrauss: relative error ~ 1/sqrt(512) per pair


def test_layer_predictions_on_separated_clusters_and_exclusion():
    rng = np.random.default_rng(0)
    centres = 10 * rng.standard_normal((3, 5))
    y = rng.integers(0, 3, 60)
    acts = {"a": (centres[y] + rng.standard_normal((60, 5))).astype(np.float32)}
    acts["b"] = acts["a"] * 2
    preds, votes = probes.layer_predictions(acts, y, acts, k=5, n_classes=3, exclude=np.arange(60))
    assert preds.shape == (2, 60) and (preds == y).all()
    assert votes.shape == (2, 60, 3) and (votes.sum(-1) == 5).all()
    assert (probes.vote_share(votes, y) == 1).all()

    index = {"a": np.array([[0.0], [0.1], [0.2], [5.0]], np.float32)}
    labels = np.array([0, 0, 0, 1])
    query = {"a": np.array([[5.0]], np.float32)}  # its only class-1 neighbour is itself
    assert probes.layer_predictions(index, labels, query, k=1)[0][0, 0] == 1
    assert probes.layer_predictions(index, labels, query, k=1, exclude=np.array([3]))[0][0, 0] == 0
    rows = np.array([True, True, False, True])
    assert (
        probes.layer_predictions(index, labels, query, k=1, n_classes=2, exclude=probes.own_rows(rows)[3:], index_rows=rows)[0][0, 0] == 0
    )


def test_projection_agreement_on_well_separated_classes():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 50)
    x = (20 * y[:, None] + rng.standard_normal((50, 8))).astype(np.float32)
    assert probes.projection_agreement(x, y, x, probe_dim=4, layer=1, k=3) == 1.0


SPEC = runs.EnsembleSpec(
    runs.DataSpec("gaussians", n_train=200, n_test=60, split="holdout"),
    TrainConfig(
        "mlp",
        n_models=2,
        epochs=3,
        arch_options=(("depth", 2), ("hidden", 16)),
        batch_size=50,
        lr=0.05,
        momentum=0.9,
        keep_weights=True,
        keep_logits=True,
    ),
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("store"))
    return runs.ensemble(SPEC, store, device="cpu", progress=False), store


def test_member_net_reproduces_the_recorded_logits(trained):
    rec, _ = trained
    sets = probes.datasets(rec)
    for i in range(2):
        net = probes.member_net(rec, i, "cpu")
        assert not net.training
        _, z = probes._forward_all(net, sets["test"].x, 32, None, 0, probes.normaliser(rec), ())
        np.testing.assert_allclose(z, rec.arrays["logits/test"][i], rtol=1e-4, atol=1e-4)


def test_prediction_depth_of_a_tiny_holdout_ensemble_and_cache_hit(trained, monkeypatch):
    rec, store = trained
    res = probes.probe_ensemble(rec, k=5, store=store, device="cpu", progress=False)
    assert res.layers == ("input", "fc1", "fc2", "out", "softmax") and res.members == (0, 1)
    for split, n in (("train", 200), ("test", 60)):
        pp, depth, net = res.probe_preds(split), res.depth(split), res.net_pred(split)
        assert pp.shape == (2, 5, n) and depth.shape == (2, n)
        assert np.array_equal(depth == -1, pp[:, -1] != net)  # A.6.1: no depth where the softmax probe disagrees
        assert depth.min() >= -1 and depth.max() <= 4
        ok = depth >= 0
        assert all((pp[m, depth[m, j] :, j] == net[m, j]).all() for m, j in zip(*np.nonzero(ok)))
        assert all(pp[m, depth[m, j] - 1, j] != net[m, j] for m, j in zip(*np.nonzero(depth > 0)))
        assert np.allclose(res.undefined(split), (depth < 0).mean(1))
        assert (res.confidence(split) >= res.label_confidence(split)).all()
        assert (res.net_pred(split) == res.logits(split).argmax(-1)).all()
        assert res.output_margin(split).shape == (2, n) and (res.output_margin(split) >= 0).all()
        assert all(m[f"record_agreement/{split}"] > 0.95 for m in res.meta)

    monkeypatch.setattr(probes, "_probe_member", lambda *a: pytest.fail("recomputed despite a cached entry"))
    again = probes.probe_ensemble(rec, k=5, store=store, device="cpu", progress=False)
    assert again.arrays.keys() == res.arrays.keys()
    assert all(np.array_equal(again.arrays[k], v) for k, v in res.arrays.items())
    one = probes.probe_ensemble(rec, k=5, store=store, members=[1], device="cpu", progress=False)
    assert np.array_equal(one.depth("test")[0], res.depth("test")[1])


def test_a_grown_ensemble_reuses_its_stored_members_probes(trained, monkeypatch):
    """Probe the 2-member ensemble, grow it to 3: only member 2 is probed, and members 0-1 of the
    grown ensemble have the stored probes."""
    from dataclasses import replace

    rec, store = trained
    res = probes.probe_ensemble(rec, k=5, store=store, device="cpu", progress=False)
    grown = runs.ensemble(replace(SPEC, train=replace(SPEC.train, n_models=3)), store, device="cpu", progress=False)
    probed, real = [], probes._probe_member
    monkeypatch.setattr(probes, "_probe_member", lambda record, i, *a: probed.append(i) or real(record, i, *a))
    again = probes.probe_ensemble(grown, k=5, store=store, device="cpu", progress=False)
    assert probed == [2] and again.members == (0, 1, 2)
    assert np.array_equal(again.depth("test")[:2], res.depth("test"))


def test_member_projection_agreement(trained):
    rec, _ = trained
    assert probes.member_projection_agreement(rec, 0, "fc1", probe_dim=64, k=5, device="cpu") == 1.0  # 16 wide: kept as is
    assert 0.5 < probes.member_projection_agreement(rec, 0, "input", probe_dim=64, k=5, split="train", device="cpu") <= 1.0


def test_iteration_learned_rescaled_to_the_95th_percentile(trained):
    rec, _ = trained
    it = difficulty.scaled_iteration_learned(rec, "train")
    assert it.shape == (2, 200) and it.min() >= 0
    assert np.allclose(np.percentile(it, 95, axis=1), 1.0)


def test_input_margin_of_a_linear_model_is_the_distance_to_its_boundary():
    torch.manual_seed(0)
    net = torch.nn.Linear(5, 2).double()
    x = torch.randn(40, 5, dtype=torch.float64)
    w = (net.weight[0] - net.weight[1]).detach()
    b = (net.bias[0] - net.bias[1]).detach()
    want = ((x @ w + b).abs() / w.norm()).numpy()
    np.testing.assert_allclose(probes.input_margin(net, x, batch=16), want, rtol=1e-10)


def test_input_margin_takes_the_nearest_of_several_boundaries():
    net = torch.nn.Linear(2, 3, bias=False)
    with torch.no_grad():
        net.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]))
    x = torch.tensor([[3.0, 1.0]])  # top class 0; boundary with 1 at distance 2/sqrt(2), with 2 at 3
    assert probes.input_margin(net, x)[0] == pytest.approx(2 / np.sqrt(2))


def test_bench_mains_print_their_summary_line_last(capsys, monkeypatch):
    monkeypatch.setattr(bench, "matmul_peak", lambda seconds=2.0: 1e11)
    bench_knn.main(quick=True)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"bench knn: sklearn_speedup=[\d.]+ cdist_speedup=[\d.]+ torch_path_speedup=[\d.]+ peak_fraction=[\d.]+", last)
    bench_probes.main(quick=True)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"bench probes: one_pass_speedup=[\d.]+ layers=\d+", last)
