"""Reruns never lose a page: a failed run leaves the page and its claims as they were, a custom
run survives `replicate book`, one failing figure does not stop the book, and parameters are
read as a user types them. On a throw-away project with two tiny notebooks."""

import json
import re
import textwrap
from pathlib import Path

import nbformat
import pytest

from replicate import cli
from replicate.book import pipeline

NOTEBOOK = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# {fig}

```{{code-cell}} ipython3
:tags: [parameters]

value = 1
fail = {fail}
seed = 0
```

```{{code-cell}} ipython3
if fail:
    raise ValueError(f"bad value {{value}}")
```

```{{code-cell}} ipython3
from replicate import prose

prose.glue(doubled=2 * value)
```

## What we find

Twice the value is {{glue:text}}`doubled:d`{quote}.

```{{code-cell}} ipython3
# NBVAL_CHECK_OUTPUT
from replicate import verdicts

claim = verdicts.ClaimSpec("positive", "value - 2 seed > 0", test=verdicts.above(0, "a test"), unit="none", learning=False)
verdicts.report(verdicts.Figure("{fig}", "a test figure", (claim,)), lambda draw: {{"positive": value - 2 * seed}})
```
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project root with testpaper/t1 (succeeds unless fail=True) and testpaper/t2 (always fails)."""
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    folder = tmp_path / "notebooks" / "testpaper"
    folder.mkdir(parents=True)
    (folder / "t1_fine.md").write_text(NOTEBOOK.format(fig="testpaper/t1", fail="False", quote=""))
    (folder / "t2_broken.md").write_text(NOTEBOOK.format(fig="testpaper/t2", fail="True", quote=""))
    monkeypatch.setenv("REPLICATE_HOME", str(tmp_path))
    monkeypatch.delenv("REPLICATE_RESULTS", raising=False)
    return tmp_path


def claims_of(root: Path, fig: str) -> dict:
    return json.loads((root / "results" / fig / "claims.json").read_text())


def test_a_failed_rerun_keeps_the_page_and_its_claims(project):
    page = pipeline.run("testpaper/t1", root=project)
    good, claims = page.read_bytes(), (project / "results/testpaper/t1/claims.json").read_bytes()
    with pytest.raises(pipeline.FigureFailed) as failed:
        pipeline.run("testpaper/t1", {"fail": True, "value": 7}, root=project)
    message = str(failed.value)
    assert "testpaper/t1 failed in code cell 2: ValueError: bad value 7" in message and "t1_fine.failed.ipynb" in message
    assert page.read_bytes() == good
    assert (project / "results/testpaper/t1/claims.json").read_bytes() == claims
    assert failed.value.failed.exists()
    assert sorted(p.name for p in page.parent.iterdir()) == ["t1_fine.failed.ipynb", "t1_fine.ipynb"]  # nothing stray
    pipeline.run("testpaper/t1", root=project)
    assert not failed.value.failed.exists()  # a good run clears the failed notebook


def glued(page: Path) -> dict[str, str]:
    return {
        o.metadata.scrapbook.name: o.data["application/papermill.record/text/plain"]
        for c in nbformat.read(page, as_version=4).cells
        if c.cell_type == "code"
        for o in c.outputs
        if "scrapbook" in o.get("metadata", {})
    }


def test_the_prose_follows_a_rerun_through_its_glued_numbers(project):
    page = pipeline.run("testpaper/t1", root=project)
    assert glued(page)["doubled"] == "2"
    page = pipeline.run("testpaper/t1", {"value": 5}, root=project)
    assert glued(page)["doubled"] == "10" and glued(page)["t1_positive"] == "5"


def test_a_page_quoting_a_number_it_never_glued_fails_and_keeps_the_good_page(project):
    page = pipeline.run("testpaper/t1", root=project)
    good = page.read_bytes()
    path = project / "notebooks/testpaper/t1_fine.md"
    path.write_text(NOTEBOOK.format(fig="testpaper/t1", fail="False", quote=" and thrice is {glue:text}`tripled:d`"))
    with pytest.raises(pipeline.FigureFailed, match="t1 failed after it ran: its prose quotes tripled, which no cell glued"):
        pipeline.run("testpaper/t1", root=project)
    assert page.read_bytes() == good


def test_book_keeps_a_custom_run_until_told_to_return_to_the_defaults(project):
    page = pipeline.run("testpaper/t1", {"value": 5}, root=project)
    cells = nbformat.read(page, as_version=4).cells
    assert "laptop defaults: `value = 5`" in cells[2].source  # the banner, under the title and the verdict box
    assert pipeline.recorded_parameters(pipeline.executed_path(pipeline.find("testpaper/t1", project), project)) == {"value": 5}
    assert "testpaper/t1" not in pipeline.stale(project)
    _, failures = pipeline.book(build=False, root=project)  # runs t2 (missing), which fails
    assert [f.fig for f in failures] == ["testpaper/t2"]
    assert claims_of(project, "testpaper/t1")["claims"][0]["ours"] == 5
    assert pipeline.stale(project, defaults=True) == {"testpaper/t1": {}, "testpaper/t2": {}}
    pipeline.book(build=False, defaults=True, root=project)
    assert claims_of(project, "testpaper/t1")["claims"][0]["ours"] == 1
    assert not any("laptop defaults" in c.source for c in nbformat.read(page, as_version=4).cells)


def test_one_failing_figure_does_not_stop_the_book(project, capsys):
    (project / "notebooks/testpaper/t0_broken.md").write_text(NOTEBOOK.format(fig="testpaper/t0", fail="True", quote=""))
    _, failures = pipeline.book(build=False, root=project)
    assert sorted(f.fig for f in failures) == ["testpaper/t0", "testpaper/t2"]
    assert claims_of(project, "testpaper/t1")["claims"][0]["verdict"] == "replicated"  # t1 ran after t0 failed
    assert (project / "executed" / "scorecard.md").exists()
    assert capsys.readouterr().err.count("error: testpaper/t") == 2


def test_the_command_line_says_one_line_and_exits_non_zero(project, capsys):
    assert cli.main(["run", "testpaper/t2"]) == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: testpaper/t2 failed in code cell 2: ValueError: bad value 1")
    assert "Traceback" not in err
    assert cli.main(["run", "testpaper/t1", "-p", "value", "010"]) == 2
    assert "leading zero is ambiguous; write 10" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e-3", 0.001),
        ("3", 3),
        ("-2", -2),
        ("0.5", 0.5),
        ("null", None),
        ("[1, 2]", [1, 2]),
        ("{epochs: 3}", {"epochs": 3}),
        ("cifar10", "cifar10"),
    ],
)
def test_values_are_read_as_a_user_types_them(text, value):
    assert pipeline.parse_value("x", text) == value


def test_malformed_values_and_files_are_named(project, tmp_path):
    with pytest.raises(pipeline.ParameterError, match="-p vgg '{epochs: 3' is not valid YAML"):
        pipeline.parse_value("vgg", "{epochs: 3")
    bad = tmp_path / "bad.yaml"
    bad.write_text(textwrap.dedent("value: [1, 2\n"))
    with pytest.raises(pipeline.ParameterError, match="parameter file .*bad.yaml is not valid YAML"):
        pipeline.parameters(pipeline.find("testpaper/t1", project), files=[bad])


@pytest.mark.parametrize(
    ("fig", "overrides", "message"),
    [
        ("hacohen2020/h1", {"n_models": 1}, "n_models=1 is not allowed: a whole number >= 2"),
        ("hacohen2020/h1", {"n_models": None}, "n_models=None is not allowed"),
        ("hacohen2020/h1", {"lr": -1.0}, "lr=-1.0 is not allowed: a finite learning rate > 0"),
        ("hacohen2020/h1", {"lr": float("nan")}, "lr=nan is not allowed"),
        ("hacohen2020/h1", {"n_train": 70_000}, "n_train=70000 is more than the 60000 train examples of fashion_mnist"),
        ("hacohen2020/h1", {"dataset": "gabor", "n_train": 3000}, "n_train=3000 is more than the 2400 train examples of gabor"),
        ("hacohen2020/h1", {"dataset": "imagenet"}, "dataset='imagenet' is not allowed: one of fashion_mnist"),
        ("hacohen2020/h1", {"dataset": "gabor"}, "n_test=1000 (the default) is more than the 480 test examples of gabor"),
        ("hacohen2020/h5", {"lr_b": 0}, "lr_b=0 is not allowed"),
        ("baldock2021/b4", {"vgg.n_models": 1}, "vgg.n_models=1 is not allowed"),
        ("baldock2021/b4", {"k": 0}, "k=0 is not allowed"),
    ],
)
def test_bad_values_are_refused_before_any_kernel_starts(fig, overrides, message):
    with pytest.raises(pipeline.ParameterError, match=re.escape(message)):
        pipeline.parameters(pipeline.find(fig), overrides=overrides)


def test_every_scale_file_passes_the_checks():
    for path in pipeline.notebooks().values():
        for scale in ("smoke", "paper"):
            pipeline.parameters(path, scale)


def test_resolved_lays_a_scales_file_over_the_defaults():
    path = pipeline.find("atlas/a1")
    laptop, smoke = pipeline.resolved(path), pipeline.resolved(path, "smoke")
    assert laptop == pipeline.defaults(path) and laptop["atlas"]["n_models"] == 16
    assert set(smoke) == set(laptop) and smoke["atlas"]["n_models"] == 4 and smoke["shown"] == 6  # from a1.smoke.yaml


def test_book_honours_replicate_results(project, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("REPLICATE_RESULTS", str(elsewhere))
    (project / "notebooks/testpaper/t2_broken.md").unlink()
    pipeline.book(build=False, root=project)
    assert json.loads((elsewhere / "testpaper/t1/claims.json").read_text())["claims"][0]["ours"] == 1
    assert not (project / "results").exists()
    assert "testpaper/t1" in (project / "executed" / "scorecard.md").read_text()


def test_seed_overrides_move_every_random_seed():
    from replicate.book import seeds

    known = {"seed": 0, "seed_a2": 1, "lr": 0.1, "h8": {"seed": 0, "epochs": 3}, "scale": "laptop", "vgg": {}, "other": {}}
    assert seeds.overrides(known, 0) == {}
    assert seeds.overrides(known, 2) == {"seed": 2, "seed_a2": 3, "h8": {"seed": 2, "epochs": 3}, "vgg": {"seed": 2}}


def test_seed_stability_reruns_figures_apart_from_the_book_and_flags_changed_verdicts(project, capsys):
    from replicate.book import scorecard, seeds

    pipeline.run("testpaper/t1", root=project)
    page = pipeline.executed_path(pipeline.find("testpaper/t1", project), project)
    before = page.read_bytes()
    failures = seeds.run([0, 1], root=project)
    assert [e.fig for e in failures] == ["testpaper/t2"]
    assert page.read_bytes() == before and claims_of(project, "testpaper/t1")["claims"][0]["verdict"] == "replicated"
    table = seeds.verdict_table(seeds.available(project), project)
    assert table == {("testpaper/t1", "positive"): {0: "replicated", 1: "not replicated"}}
    assert seeds.changed(table) == [("testpaper/t1", "positive")]
    capsys.readouterr()
    seeds.run([1], root=project)
    assert "executing testpaper/t1" not in capsys.readouterr().out  # seed 1's page is current: kept
    text = scorecard.write_scorecard(project).read_text()
    assert "## Seed stability" in text and "1 change their verdict with the seed" in text and "**changes**" in text
    notebook = pipeline.find("testpaper/t1", project)
    assert "| yes |" not in text.replace("| `positive` | replicated | not replicated | **changes** |", "")
    notebook.write_text(notebook.read_text() + "\nMore prose.\n")  # text only: the claims still compare
    assert "testpaper/t1" not in seeds.stale(1, project) and seeds.verdict_table([0, 1], project)
    notebook.write_text(notebook.read_text() + "\n```{code-cell} ipython3\nextra = 1\n```\n")  # code: seed 1's claims are left out
    assert "testpaper/t1" in seeds.stale(1, project) and seeds.verdict_table([0, 1], project) == {}
    text = scorecard.write_scorecard(project).read_text()
    assert "Seed 1's claims of 2 figures are left out" in text
    pipeline.run("testpaper/t1", root=project)  # the book's page is current again, seed 1's is not
    assert "| `positive` | replicated | - | - |" in scorecard.write_scorecard(project).read_text()  # one seed: not called stable


def test_a_page_opens_with_its_verdicts_collapses_its_code_and_ends_with_its_rerun_commands(project):
    out = pipeline.run("testpaper/t1", {"value": 3}, root=project)
    cells = nbformat.read(out, as_version=4).cells
    assert cells[0].source == "# testpaper/t1"
    box = cells[1].source
    assert box.startswith(":::{admonition} Verdict: all replicated · laptop scale") and "`positive`: ours 3 exact" in box
    assert 'class="verdict-badge replicated"' in box
    code = [c for c in cells if c.cell_type == "code"]
    assert all(
        "hide-input" not in c.metadata.get("tags", [])
        for c in code
        if {"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))
    )
    assert code[-1].metadata["tags"] == ["hide-input"] and "hide-cell" not in code[-1].metadata["tags"]
    rerun = cells[-1].source
    assert rerun.startswith("## Rerun this page") and "replicate run testpaper/t1 -p value 3 " in rerun
    assert "replicate run testpaper/t1 -p seed 1 " in rerun and "replicate run testpaper/t1 --scale paper " in rerun
    assert "{download}`t1_fine.ipynb <t1_fine.ipynb>`" in rerun


def test_only_setup_cells_are_collapsed_whole():
    from replicate.book import page

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import time\n\nfrom replicate import runs\n\nstarted = time.perf_counter()"),
        nbformat.v4.new_code_cell("record = runs.ensemble(spec)\nprint(record)"),
        nbformat.v4.new_code_cell("n_models = 3", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("prose.glue(acc=0.5)\nprose.glue(n=3)"),
        nbformat.v4.new_code_cell("prose.glue(acc=0.5)\nprint(acc)"),
    ]
    page.collapse(nb)
    assert [c.metadata.get("tags") for c in nb.cells] == [["hide-cell"], ["hide-input"], ["parameters"], ["hide-cell"], ["hide-input"]]


def test_variations_follow_a_notebooks_parameters():
    from replicate.book import page

    assert page.variations({"n_models": 10, "epochs": 15, "lr": 0.05}) == [
        ("-p n_models 20", "twice the networks"),
        ("-p epochs 30", "twice the epochs"),
        ("--scale paper", "the paper's sizes (for a GPU)"),
    ]
    baldock = page.variations({"scale": "laptop", "vgg": {}})
    assert baldock[0][0].startswith("-p vgg.n_models ") and baldock[-1][0] == "--scale paper"


def test_the_scorecard_thumbnail_is_the_pages_first_figure(tmp_path):
    import base64
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    from replicate.book import scorecard

    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    ax.plot([0, 1], [0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    nb = nbformat.v4.new_notebook()
    out = nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(buf.getvalue()).decode(), "text/plain": "fig"})
    nb.cells = [nbformat.v4.new_code_cell("print(1)"), nbformat.v4.new_code_cell("plot()", outputs=[out])]
    page = tmp_path / "p.ipynb"
    nbformat.write(nb, page)
    thumb = scorecard.thumbnail(page, tmp_path / "thumbs" / "p.png")
    assert Image.open(thumb).size == (240, 120)
    nb.cells = nb.cells[:1]
    nbformat.write(nb, page)
    assert scorecard.thumbnail(page, tmp_path / "none.png") is None
    bar = scorecard._bar({"replicated": 3, "not replicated": 1, "inconclusive": 0})
    assert 'class="replicated" style="width:75.0%"' in bar and "inconclusive" not in bar
