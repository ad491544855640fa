"""Notebooks -> executed notebooks -> book: jupytext, papermill and jupyter-book glued together.

A figure notebook ``notebooks/<paper>/<id>_<slug>.md`` is executed into
``executed/<paper>/<id>_<slug>.ipynb``, where ``_toc.yml`` points the book.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import jupytext
import nbformat
import papermill
import yaml
from papermill.execute import ERROR_MARKER_TAG

from .. import data, prose, verdicts
from ..store import project_root
from . import catalogue, page

SCALES = ("laptop", "paper", "smoke")


class ParameterError(ValueError):
    """A figure, scale, parameter or parameter file the user asked for is not valid."""


class FigureFailed(RuntimeError):
    """A figure notebook raised while it ran: the page and its claims were left as they were."""

    def __init__(self, fig: str, cell: int | None, error: str, failed: Path, where: str = ""):
        where = where or (f"in code cell {cell}" if cell is not None else "(its kernel stopped)")
        super().__init__(f"{fig} failed {where}: {error} (the failed notebook: {failed})")
        self.fig, self.cell, self.error, self.failed = fig, cell, error, failed


MATHJAX = "book/_static/mathjax/es5/tex-mml-chtml.js"
"""The local MathJax the book's pages load (_config.yml's mathjax_path; scripts/setup.sh installs it)."""

HASH_KEY = "replicate_inputs"
PARAMS_KEY = "replicate_parameters"
CLAIMS_KEY = "replicate_claims_inputs"


def notebooks(root: Path | None = None) -> dict[str, Path]:
    """Every figure notebook by id, e.g. ``{"hacohen2020/h1": .../h1_consistency_histograms.md}``."""
    root = root or project_root()
    out = {f"{p.parent.name}/{p.stem.split('_')[0]}": p for p in (root / "notebooks").glob("*/*.md")}
    return dict(sorted(out.items(), key=lambda kv: _figure_order(kv[0])))


def _figure_order(fig: str) -> tuple[str, int, str]:
    """Sort figures by paper, then by number: h2 before h10."""
    paper, ident = fig.split("/")
    digits = "".join(ch for ch in ident if ch.isdigit())
    return paper, int(digits) if digits else 0, ident


def find(fig: str, root: Path | None = None) -> Path:
    nbs = notebooks(root)
    if fig not in nbs:
        raise ParameterError(f"no notebook {fig!r}; available: {', '.join(nbs) or 'none'}")
    return nbs[fig]


def defaults(path: Path) -> dict:
    """The literal values of the notebook's ``parameters`` cell."""
    nb = jupytext.read(path)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            tree = ast.parse(cell.source)
            return {t.id: ast.literal_eval(s.value) for s in tree.body if isinstance(s, ast.Assign) for t in s.targets}
    raise ValueError(f"{path} has no cell tagged 'parameters'")


def resolved(path: Path, scale: str = "laptop") -> dict:
    """Every parameter ``path`` runs with at ``scale``: its defaults with the scale's file laid over."""
    return defaults(path) | parameters(path, scale)


def parameters(path: Path, scale: str = "laptop", overrides: dict | None = None, files: list[Path] = ()) -> dict:
    """The parameters to run ``path`` with: ``scale`` (for a notebook that has that parameter), a
    scale's file, then ``files``, then ``overrides``, each laid over the last.

    ``overrides`` may name a key inside a dict-valued parameter as ``name.key`` (``-p vgg.epochs
    30``): that key changes and the rest of the dict stays. Unknown names are an error that lists
    the notebook's parameters."""
    if scale not in SCALES:
        raise ParameterError(f"scale={scale!r}; allowed: {', '.join(SCALES)}")
    known = defaults(path)
    params: dict = {"scale": scale} if "scale" in known and scale != "laptop" else {}
    scale_file = path.parent / "params" / f"{path.stem.split('_')[0]}.{scale}.yaml"
    for f in ([scale_file] if scale != "laptop" else []) + [Path(f) for f in files]:
        if not f.exists():
            raise ParameterError(f"parameter file {f} does not exist")
        try:
            params |= yaml.safe_load(f.read_text()) or {}
        except yaml.YAMLError as e:
            raise ParameterError(f"parameter file {f} is not valid YAML: {e}") from None
    for name, value in (overrides or {}).items():
        head, *path_in = name.split(".")
        if path_in:
            if not isinstance(known.get(head), dict):
                allowed = [k for k, v in known.items() if isinstance(v, dict)]
                raise ParameterError(
                    f"parameter {name}: {head!r} is not a dict parameter; name.key works for: {', '.join(allowed) or 'none'}"
                )
            for key in reversed(path_in):
                value = {key: value}
            value = _merge(params.get(head, known[head]), value)
        params[head] = value
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ParameterError(f"unknown parameter(s) {', '.join(unknown)} for {path.name}; allowed: {', '.join(known)}")
    for k, v in params.items():
        if (
            known[k] is not None
            and v is not None
            and type(known[k]) is not type(v)
            and not (isinstance(known[k], float) and isinstance(v, int))
        ):
            raise ParameterError(f"parameter {k}={v!r} should be a {type(known[k]).__name__} like the default {known[k]!r}")
    check_values(params, known)
    return params


def _whole(v: object, low: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= low


def _positive(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v > 0


RULES: dict[str, tuple[Callable[[object], bool], str]] = {
    "n_models": (lambda v: _whole(v, 2), "a whole number >= 2: every figure compares the networks of an ensemble"),
    "epochs": (lambda v: _whole(v, 1), "a whole number >= 1"),
    "batch_size": (lambda v: v is None or _whole(v, 1), "a whole number >= 1, or null for full-batch gradient descent"),
    "lr": (_positive, "a finite learning rate > 0"),
    "width": (_positive, "a finite width multiplier > 0 (1 is the paper's width)"),
    "k": (lambda v: _whole(v, 1), "a whole number of neighbours >= 1"),
    "seed": (lambda v: _whole(v, 0), "a whole number >= 0"),
    "n_train": (lambda v: v is None or _whole(v, 1), "a whole number >= 1, or null for the whole training set"),
    "n_test": (lambda v: v is None or _whole(v, 1), "a whole number >= 1, or null for the whole test set"),
    "dataset": (lambda v: v in data.DATASETS, f"one of {', '.join(data.DATASETS)}"),
}
"""What a parameter of that name (or of a name in :data:`ALIASES`) must hold, wherever it sits
(also inside dict parameters such as a shared run's changes)."""

ALIASES = {"n_models_b": "n_models", "lr_b": "lr", "width_b": "width", "seed_a2": "seed", "seed_reference": "seed"}
"""Parameters that are a second network's copy of a checked one (h5's B collection, h6's reference)."""


def check_values(params: dict, known: dict, prefix: str = "") -> None:
    """Check the values a run sets against :data:`RULES` and the data sets' sizes, before any
    kernel starts; the error names the parameter as it is typed (``vgg.n_models``)."""
    for name, value in params.items():
        label = f"{prefix}{name}"
        default = known.get(name)
        if isinstance(value, dict):
            check_values(value, default if isinstance(default, dict) else {}, f"{label}.")
            continue
        rule = RULES.get(ALIASES.get(name, name))
        if rule and not rule[0](value):
            raise ParameterError(f"{label}={value!r} is not allowed: {rule[1]}")
    scope = {**known, **params}
    sizes = data.SIZES.get(scope.get("dataset"), {})
    for name, split in (("n_train", "train"), ("n_test", "test")):
        n = scope.get(name)
        if isinstance(n, int) and split in sizes and n > sizes[split] and ("dataset" in params or name in params):
            default = "" if name in params else " (the default)"
            raise ParameterError(
                f"{prefix}{name}={n}{default} is more than the {sizes[split]} {split} examples of {scope['dataset']}: "
                f"ask for at most {sizes[split]}, or null for all"
            )


def _merge(base: dict, new: dict) -> dict:
    """``new`` laid over ``base``: dicts merge key by key at every depth, anything else is replaced."""
    out = dict(base)
    for k, v in new.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def source_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted((root / "src" / "replicate").rglob("*.py")):
        h.update(p.read_bytes())
    return h.hexdigest()


def inputs_hash(path: Path, params: dict, root: Path, source: str | None = None) -> str:
    """Hash of what determines an executed notebook: its text, parameters and the package code
    (``source``: the package's hash, when the caller already has it)."""
    source = source or source_hash(root)
    blob = path.read_bytes() + yaml.safe_dump(params, sort_keys=True).encode() + source.encode()
    return hashlib.sha256(blob).hexdigest()[:20]


def claims_hash(path: Path, params: dict, root: Path, source: str | None = None) -> str:
    """Hash of what determines a page's claims: its code cells (not its prose), parameters and the
    package code, so a page whose text alone changed still compares with other seeds' claims."""
    source = source or source_hash(root)
    code = "\n".join(c.source for c in jupytext.read(path).cells if c.cell_type == "code")
    blob = code.encode() + yaml.safe_dump(params, sort_keys=True).encode() + source.encode()
    return hashlib.sha256(blob).hexdigest()[:20]


def executed_path(path: Path, root: Path) -> Path:
    return root / "executed" / path.parent.name / f"{path.stem}.ipynb"


def _to_ipynb(path: Path, dest: Path) -> None:
    nb = jupytext.read(path)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)


@contextlib.contextmanager
def _environment(**values: str):
    """Set environment variables (which a kernel started inside inherits), then restore them."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def parse_value(name: str, text: str) -> object:
    """A ``-p NAME VALUE`` value as a user means it: ``1e-3`` is a float, ``010`` is refused (YAML
    would read 8), anything else is YAML (``null``, ``[1, 2]``, ``{epochs: 3}``, ``.nan``)."""
    text = text.strip()
    if re.fullmatch(r"[+-]?0\d+", text):
        raise ParameterError(f"-p {name} {text}: a number with a leading zero is ambiguous; write {int(text)}")
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ParameterError(f"-p {name} {text!r} is not valid YAML: {getattr(e, 'problem', e)}") from None


def run(
    fig: str,
    overrides: dict | None = None,
    files: list[Path] = (),
    scale: str = "laptop",
    root: Path | None = None,
    out: Path | None = None,
    results: Path | None = None,
) -> Path:
    """Execute a figure notebook with papermill into ``executed/`` (or ``out``); returns the page's
    path. Its claims go to ``results/`` (or the folder ``results``).

    The notebook runs into a temporary file and its claims into a staging folder; only when it
    finishes do they replace the page and ``claims.json``. A notebook that raises leaves both
    as they were, keeps ``<stem>.failed.ipynb`` beside the page and raises :class:`FigureFailed`."""
    root = root or project_root()
    path = find(fig, root)
    params = parameters(path, scale, overrides, files)
    known = defaults(path)
    out = out or executed_path(path, root)
    out.parent.mkdir(parents=True, exist_ok=True)
    claims = (results or verdicts.results_root(root)) / fig / "claims.json"
    with tempfile.TemporaryDirectory(prefix=f".{out.stem}.", dir=out.parent) as work:
        work = Path(work)
        src, running, staged = work / "input.ipynb", work / "running.ipynb", work / "results"
        _to_ipynb(path, src)
        try:
            with _environment(REPLICATE_RESULTS=str(staged)):
                papermill.execute_notebook(
                    str(src), str(running), parameters=params, cwd=str(root), kernel_name="python3", progress_bar=True
                )
        except Exception as e:  # the notebook raised, or its kernel died: keep what it got to
            failed = out.with_suffix(".failed.ipynb")
            if running.exists():
                shutil.move(running, failed)
            if isinstance(e, papermill.PapermillExecutionError):
                raise FigureFailed(fig, _code_cell(failed, e.cell_index), f"{e.ename}: {e.evalue}", failed) from None
            raise FigureFailed(fig, None, f"{type(e).__name__}: {e}", failed) from e
        nb = nbformat.read(running, as_version=4)
        if missing := prose.unglued(nb):
            failed = out.with_suffix(".failed.ipynb")
            shutil.move(running, failed)
            error = f"its prose quotes {', '.join(missing)}, which no cell glued (prose.glue)"
            raise FigureFailed(fig, None, error, failed, where="after it ran")
        nb.metadata[HASH_KEY] = inputs_hash(path, params, root)
        nb.metadata[CLAIMS_KEY] = claims_hash(path, params, root)
        nb.metadata[PARAMS_KEY] = params
        changed = {k: v for k, v in params.items() if v != known.get(k)}
        found = staged / fig / "claims.json"
        claims_found = json.loads(found.read_text()) if found.exists() else None
        page.decorate(nb, fig, claims_found, params, known, scale, out.stem, banner(changed) if changed else "")
        nbformat.write(nb, running)
        os.replace(running, out)
        if (staged / fig / "claims.json").exists():
            claims.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged / fig / "claims.json", claims)
    out.with_suffix(".failed.ipynb").unlink(missing_ok=True)
    return out


def prepare(fig: str, scale: str, out_dir: Path, root: Path | None = None) -> Path:
    """Write ``fig``'s notebook with ``scale``'s parameters injected, unexecuted, for nbval;
    its claims cell carries the reference outputs of :func:`verdicts.reference_outputs`."""
    root = root or project_root()
    path = find(fig, root)
    params = parameters(path, scale)
    src = out_dir / f"{path.stem}.input.ipynb"
    _to_ipynb(path, src)
    out = out_dir / f"{path.stem}.ipynb"
    papermill.execute_notebook(str(src), str(out), parameters=params, prepare_only=True, cwd=str(root), kernel_name="python3")
    src.unlink()
    nb = nbformat.read(out, as_version=4)
    checked = [c for c in nb.cells if c.cell_type == "code" and "NBVAL_CHECK_OUTPUT" in c.source]
    if len(checked) != 1 or checked[0] is not [c for c in nb.cells if c.cell_type == "code"][-1]:
        raise ValueError(f"{path}: the last code cell, and only it, must be marked # NBVAL_CHECK_OUTPUT")
    checked[0].outputs = [nbformat.from_dict(o) for o in verdicts.reference_outputs(catalogue.figure(fig))]
    checked[0].execution_count = 1  # nbval only compares outputs of cells marked as run
    nbformat.write(nb, out)
    return out


def banner(changed: dict) -> str:
    """The note at the top of a page that ran with parameters other than its laptop defaults."""
    listed = ", ".join(f"`{k} = {v!r}`" for k, v in changed.items())
    return (
        ":::{warning}\n"
        f"This page ran with parameters other than its laptop defaults: {listed}. Its figures, numbers "
        "and claims come from that run; the qualitative statements of its prose describe the default "
        "run and may not hold for this one. `replicate book --defaults` returns it to the defaults.\n"
        ":::"
    )


def _code_cell(path: Path, cell_index: int) -> int:
    """The number (from 1) of cell ``cell_index`` among the notebook's own code cells, as a reader
    counts them in the page (papermill's injected-parameters cell and error banners do not count)."""
    executed = [c for c in nbformat.read(path, as_version=4).cells if ERROR_MARKER_TAG not in c.metadata.get("tags", [])]
    return sum(c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", []) for c in executed[: cell_index + 1])


def page_hash(out: Path) -> str | None:
    """The inputs hash an executed page recorded when it ran (see :func:`inputs_hash`)."""
    return nbformat.read(out, as_version=4).metadata.get(HASH_KEY)


def recorded_parameters(out: Path) -> dict:
    """The parameters an executed page ran with (empty for the laptop defaults)."""
    return nbformat.read(out, as_version=4).metadata.get(PARAMS_KEY, {})


def pages(root: Path | None = None, defaults: bool = False) -> dict[str, tuple[dict, bool]]:
    """{figure: (the parameters to run it with, whether its page is stale)}: a page keeps the
    parameters it ran with unless ``defaults``; it is stale when missing, or when its notebook,
    those parameters or the package changed since it ran. Each page is read once."""
    root = root or project_root()
    source = source_hash(root)
    out = {}
    for fig, path in notebooks(root).items():
        page = executed_path(path, root)
        if not page.exists():
            out[fig] = ({}, True)
            continue
        meta = nbformat.read(page, as_version=4).metadata
        params = {} if defaults else meta.get(PARAMS_KEY, {})
        out[fig] = (params, meta.get(HASH_KEY) != inputs_hash(path, params, root, source))
    return out


def stale(root: Path | None = None, defaults: bool = False) -> dict[str, dict]:
    """{figure: the parameters to run it with} for every stale page (see :func:`pages`)."""
    return {fig: params for fig, (params, old) in pages(root, defaults).items() if old}


def book(force: bool = False, build: bool = True, defaults: bool = False, root: Path | None = None) -> tuple[Path, list[FigureFailed]]:
    """Execute every page whose inputs changed (all with ``force``), keeping each page's own
    parameters (``defaults``: the laptop defaults), then write the scorecard and build the HTML
    from the last good pages. A figure that fails does not stop the others: the failures are
    printed as they happen and returned, with the HTML folder."""
    root = root or project_root()
    todo = {fig: params for fig, (params, old) in pages(root, defaults).items() if old or force}
    failures = []
    for i, (fig, params) in enumerate(todo.items(), 1):
        note = f" with {params}" if params else ""
        print(f"[{i}/{len(todo)}] executing {fig}{note}", flush=True)
        try:
            run(fig, params, root=root)
        except FigureFailed as e:
            print(f"error: {e}", file=sys.stderr, flush=True)
            failures.append(e)
    from .scorecard import write_scorecard

    write_scorecard(root)
    if build:
        if not (root / MATHJAX).is_file():
            raise ParameterError(f"{MATHJAX} is missing, so the book's formulas would not render offline: run bash scripts/setup.sh")
        jb = Path(sys.executable).parent / "jupyter-book"
        subprocess.run([str(jb), "build", str(root), "--path-output", str(root)], check=True)
    return root / "_build" / "html", failures
