import subprocess
import sys
from pathlib import Path

import pytest

from replicate import cli, data, runs
from replicate.book import pipeline

ROOT = Path(__file__).resolve().parents[1]
H1 = ROOT / "notebooks" / "hacohen2020" / "h1_consistency_histograms.md"


def test_help_explains_every_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for cmd in ("run", "book", "bench", "data"):
        assert cmd in out
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    assert "-p NAME VALUE" in capsys.readouterr().out


def test_unknown_parameter_lists_the_allowed_ones():
    with pytest.raises(pipeline.ParameterError, match="unknown parameter.*n_modles.*allowed: dataset, arch"):
        pipeline.parameters(H1, overrides={"n_modles": 3})


def test_parameter_of_the_wrong_type_is_named():
    with pytest.raises(pipeline.ParameterError, match="n_models='many' should be a int"):
        pipeline.parameters(H1, overrides={"n_models": "many"})


def test_scale_files_and_overrides_layer():
    params = pipeline.parameters(H1, "smoke", overrides={"n_models": 4})
    assert params["n_models"] == 4 and params["epochs"] == 2
    assert pipeline.defaults(H1)["n_models"] >= 10


def test_unknown_figure_and_scale(tmp_path):
    with pytest.raises(
        pipeline.ParameterError, match=r"no notebook 'hacohen2020/h99'; available: .*hacohen2020/h1, hacohen2020/h2, .*hacohen2020/h10"
    ):
        pipeline.find("hacohen2020/h99", ROOT)
    with pytest.raises(pipeline.ParameterError, match="scale='huge'"):
        pipeline.parameters(H1, "huge")


def test_data_command_reports_unknown_names(capsys):
    assert cli.main(["data", "imagenet"]) == 2
    assert "imagenet" in capsys.readouterr().err


def test_unknown_dataset_in_a_spec_is_rejected_early():

    with pytest.raises(data.DataError, match="dataset='cifar11'.*fashion_mnist"):
        runs.DataSpec("cifar11")


def test_console_script_is_installed():
    out = subprocess.run([Path(sys.executable).parent / "replicate", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "replicate run" in out.stdout


def test_cli_turns_a_bad_parameter_into_one_line_and_exit_code_2(capsys):
    assert cli.main(["run", "hacohen2020/h1", "-p", "n_modles", "3"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unknown parameter(s) n_modles") and "\n" not in err
    assert cli.main(["run", "hacohen2020/h99"]) == 2
    assert "no notebook 'hacohen2020/h99'" in capsys.readouterr().err


def test_a_dotted_override_changes_one_key_of_a_dict_parameter():
    b4 = pipeline.find("baldock2021/b4")
    params = pipeline.parameters(b4, "laptop", {"vgg.epochs": 30, "vgg.lr": 0.02})
    assert params == {"vgg": {"epochs": 30, "lr": 0.02}}
    params = pipeline.parameters(b4, "smoke", {"vgg_full.n_models": 3})
    assert params["scale"] == "smoke" and params["vgg_full"] == {"n_models": 3} and params["probe_dim"] == 32
    b6 = pipeline.find("baldock2021/b6")
    configs = pipeline.parameters(b6, "smoke", {"configs.CE, SGD.epochs": 5})["configs"]
    assert configs["CE, SGD"] == {"loss": "ce", "batch_size": 64, "lr": 0.01, "momentum": 0.9, "epochs": 5, "phases": [1]}
    assert configs["CE, GD"]["epochs"] == 3  # the smoke file's value, kept
    with pytest.raises(pipeline.ParameterError, match="'k' is not a dict parameter; name.key works for: vgg, vgg_full"):
        pipeline.parameters(b4, "laptop", {"k.x": 1})


def test_shared_runs_are_declared_once_and_changed_per_figure():
    from replicate.baldock2021 import specs

    assert specs.shared("vgg", "laptop")["n_models"] == 16
    changed = specs.shared("vgg", "laptop", {"epochs": 30})
    assert changed["epochs"] == 30 and changed["n_models"] == 16 and specs.shared("vgg", "laptop")["epochs"] == 26
    assert set(specs.SHARED_RUNS["laptop"]) == set(specs.SHARED_RUNS["smoke"]) == set(specs.SHARED_RUNS["paper"])
    with pytest.raises(ValueError, match="'vgg19' is not a shared run; choose one of: mlp, mlp_noisy, vgg, vgg_full, resnet"):
        specs.shared("vgg19", "laptop")
    with pytest.raises(ValueError, match="scale='huge'"):
        specs.shared("vgg", "huge")
    with pytest.raises(ValueError, match="vgg.n_modles is not a knob of a shared run; the knobs: dataset, arch"):
        specs.shared("vgg", "laptop", {"n_modles": 3})


def test_publish_without_a_built_book_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REPLICATE_HOME", str(tmp_path))
    assert cli.main(["publish"]) == 2
    assert "has no index.html: build the book first (replicate book)" in capsys.readouterr().err
