"""The project's own promises: pinned dependencies agree, README and CI run the same command."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_environment_yml_declares_the_pyproject_pins():
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert sorted(pins) == sorted(pip)
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[\w.]+", p) for p in pins), "every dependency is pinned exactly"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```bash\n(.*?)```", readme, re.S)[0].strip().splitlines()
    assert len(commands) == 2
    test_cmd = commands[1].split("#")[0].strip()
    assert test_cmd in (ROOT / ".ci" / "run").read_text()


def test_every_notebook_has_parameter_files_and_a_catalogue_entry():
    from replicate.book import catalogue, pipeline

    nbs = pipeline.notebooks(ROOT)
    assert nbs
    for fig, path in nbs.items():
        assert fig in catalogue.FIGURES
        for scale in ("paper", "smoke"):
            assert (path.parent / "params" / f"{fig.split('/')[1]}.{scale}.yaml").exists()
        toc = (ROOT / "_toc.yml").read_text()
        assert f"executed/{fig.split('/')[0]}/{path.stem}" in toc
