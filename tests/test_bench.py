import re

from replicate import bench
from replicate.bench import train as bench_train


def test_bench_train_prints_its_summary_line_last(capsys, monkeypatch):
    monkeypatch.setattr(bench, "matmul_peak", lambda seconds=2.0: 1e11)  # the line's format, not the machine's speed
    res = bench_train.main(quick=True)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"bench train: mlp_speedup=[\d.]+ cnn_speedup=[\d.]+ mlp_peak_fraction=[\d.]+ cnn_peak_fraction=[\d.]+", last)
    assert res["mlp"]["engine"] == "batched" and res["cnn"]["engine"] == "loop"


def test_forward_flops_of_a_known_mlp():
    from replicate.train import TrainConfig

    cfg = TrainConfig("mlp", 1, 1, arch_options=(("depth", 2), ("hidden", 256)))
    assert bench_train.forward_flops(cfg, (1, 28, 28), 10) == 2 * (784 * 256 + 256 * 256 + 256 * 10)


def test_bench_rerun_grows_an_identical_ensemble_and_prints_its_line(capsys):
    from replicate.bench import rerun

    res = rerun.main(quick=True)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"bench rerun: grow_speedup=[\d.]+", last)
    assert res["identical"]


def test_bench_scale_trains_identical_ensembles_on_one_and_two_workers(capsys):
    from replicate.bench import scale

    res = scale.main(quick=True)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"bench scale: two_worker_speedup=[\d.]+", last)
    assert res["identical"]
