"""Notebooks -> executed notebooks -> book: jupytext, papermill and jupyter-book glued together.

A figure notebook ``notebooks/<paper>/<id>_<slug>.md`` is executed into
``executed/<paper>/<id>_<slug>.ipynb``, where ``_toc.yml`` points the book.
"""

from __future__ import annotations

import ast
import hashlib
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import papermill
import yaml

from .. import verdicts
from ..store import project_root
from . import catalogue

SCALES = ("laptop", "paper", "smoke")


class ParameterError(ValueError):
    """A figure, scale, parameter or parameter file the user asked for is not valid."""


HASH_KEY = "replicate_inputs"


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
        params |= yaml.safe_load(f.read_text()) or {}
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
    return params


def _merge(base: dict, new: dict) -> dict:
    """``new`` laid over ``base``: dicts merge key by key at every depth, anything else is replaced."""
    out = dict(base)
    for k, v in new.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _source_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted((root / "src" / "replicate").rglob("*.py")):
        h.update(p.read_bytes())
    return h.hexdigest()


def inputs_hash(path: Path, params: dict, root: Path) -> str:
    """Hash of what determines an executed notebook: its text, parameters and the package code."""
    blob = path.read_bytes() + yaml.safe_dump(params, sort_keys=True).encode() + _source_hash(root).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


def executed_path(path: Path, root: Path) -> Path:
    return root / "executed" / path.parent.name / f"{path.stem}.ipynb"


def _to_ipynb(path: Path, dest: Path) -> None:
    nb = jupytext.read(path)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)


def run(fig: str, overrides: dict | None = None, files: list[Path] = (), scale: str = "laptop", root: Path | None = None) -> Path:
    """Execute a figure notebook with papermill into ``executed/``; returns the output path."""
    root = root or project_root()
    path = find(fig, root)
    params = parameters(path, scale, overrides, files)
    out = executed_path(path, root)
    src = out.with_suffix(".input.ipynb")
    _to_ipynb(path, src)
    try:
        papermill.execute_notebook(str(src), str(out), parameters=params, cwd=str(root), kernel_name="python3", progress_bar=True)
    finally:
        src.unlink(missing_ok=True)
    nb = nbformat.read(out, as_version=4)
    nb.metadata[HASH_KEY] = inputs_hash(path, params, root)
    nbformat.write(nb, out)
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


def stale(root: Path | None = None) -> list[str]:
    """Figures whose executed notebook is missing or was made from other inputs."""
    root = root or project_root()
    todo = []
    for fig, path in notebooks(root).items():
        out = executed_path(path, root)
        if not out.exists() or nbformat.read(out, as_version=4).metadata.get(HASH_KEY) != inputs_hash(path, {}, root):
            todo.append(fig)
    return todo


def book(force: bool = False, build: bool = True, root: Path | None = None) -> Path:
    """Execute every notebook whose inputs changed (all with ``force``), then build the HTML."""
    root = root or project_root()
    todo = list(notebooks(root)) if force else stale(root)
    for i, fig in enumerate(todo, 1):
        print(f"[{i}/{len(todo)}] executing {fig}", flush=True)
        run(fig, root=root)
    from .scorecard import write_scorecard

    write_scorecard(root)
    if build:
        jb = Path(sys.executable).parent / "jupyter-book"
        subprocess.run([str(jb), "build", str(root), "--path-output", str(root)], check=True)
    return root / "_build" / "html"
