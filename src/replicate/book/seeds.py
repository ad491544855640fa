"""Seed stability (verdicts issue, part 4): every figure rerun with all of its random seeds moved by
``s``, each seed's pages and claims in ``results/seeds/<s>/``, and per claim the verdict at each
seed. Seed 0 is the book itself; a claim whose verdict changes with the seed is flagged on the
scorecard. Networks come from the run store, so a seed already trained costs only its analyses.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat

from .. import verdicts
from ..baldock2021 import specs as baldock_specs
from ..store import project_root
from . import catalogue, pipeline


def overrides(known: dict, seed: int) -> dict:
    """The parameters that move every random seed of a notebook with defaults ``known`` by
    ``seed``: top-level ``seed`` and ``seed_*`` integers, a ``seed`` key inside a dict parameter,
    and the seed of each of Baldock's shared runs (dict parameters named for them). Seed 0 changes
    nothing."""
    if seed == 0:
        return {}
    out = {}
    for name, value in known.items():
        if (name == "seed" or name.startswith("seed_")) and isinstance(value, int):
            out[name] = value + seed
        elif isinstance(value, dict) and "seed" in value:
            out[name] = {**value, "seed": value["seed"] + seed}
        elif isinstance(value, dict) and "scale" in known and name in baldock_specs.SHARED_RUNS["laptop"]:
            out[name] = {**value, "seed": baldock_specs.shared(name, "laptop", value)["seed"] + seed}
    return out


def folder(seed: int, root: Path | None = None) -> Path:
    """Where seed ``seed``'s pages and claims live (seed 0: the book's own results)."""
    root = root or project_root()
    return verdicts.results_root(root) if seed == 0 else verdicts.results_root(root) / "seeds" / str(seed)


def run(seeds: list[int], root: Path | None = None) -> list[pipeline.FigureFailed]:
    """Execute every figure at each seed of ``seeds`` other than 0 whose page there is missing or
    stale; seed 0 is the book (``replicate book``). Failures are printed and returned."""
    root = root or project_root()
    failures = []
    nbs = pipeline.notebooks(root)
    source = pipeline.source_hash(root)
    for seed in [s for s in seeds if s != 0]:
        for i, (fig, path) in enumerate(nbs.items(), 1):
            params = overrides(pipeline.defaults(path), seed)
            out = folder(seed, root) / "executed" / fig.split("/")[0] / f"{path.stem}.ipynb"
            if out.exists() and pipeline.page_hash(out) == pipeline.inputs_hash(path, params, root, source):
                continue
            print(f"[seed {seed}, {i}/{len(nbs)}] executing {fig} with {params}", flush=True)
            try:
                pipeline.run(fig, params, root=root, out=out, results=folder(seed, root))
            except pipeline.FigureFailed as e:
                print(f"error: {e}", file=sys.stderr, flush=True)
                failures.append(e)
    return failures


def stale(seed: int, root: Path | None = None) -> list[str]:
    """The figures whose claims at ``seed`` do not come from their current code, parameters and
    package (:func:`pipeline.claims_hash`; seed 0 at the laptop defaults): comparing them with
    another seed's claims would compare different runs. A missing page counts as stale."""
    root = root or project_root()
    source = pipeline.source_hash(root)
    out = []
    for fig, path in pipeline.notebooks(root).items():
        page = folder(seed, root) / "executed" / fig.split("/")[0] / f"{path.stem}.ipynb" if seed else pipeline.executed_path(path, root)
        recorded = nbformat.read(page, as_version=4).metadata.get(pipeline.CLAIMS_KEY) if page.exists() else None
        if recorded != pipeline.claims_hash(path, overrides(pipeline.defaults(path), seed), root, source):
            out.append(fig)
    return out


def verdict_table(seeds: list[int], root: Path | None = None) -> dict[tuple[str, str], dict[int, str]]:
    """{(figure, claim): {seed: verdict}} over the seeds whose claims exist and are current (see
    :func:`stale`)."""
    table: dict[tuple[str, str], dict[int, str]] = {}
    for seed in seeds:
        old = set(stale(seed, root))
        for f in sorted(folder(seed, root).glob("*/*/claims.json")):
            entry = json.loads(f.read_text())
            if entry["figure"] in old:
                continue
            for c in entry["claims"]:
                table.setdefault((entry["figure"], c["id"]), {})[seed] = c["verdict"]
    order = list(catalogue.FIGURES)
    return dict(sorted(table.items(), key=lambda kv: (order.index(kv[0][0]) if kv[0][0] in order else len(order), kv[0][1])))


def available(root: Path | None = None) -> list[int]:
    """The seeds with results: 0 (the book) and every ``results/seeds/<s>``."""
    extra = sorted(int(p.name) for p in (folder(0, root) / "seeds").glob("*") if p.name.isdigit())
    return [0, *extra] if extra else []


def changed(table: dict[tuple[str, str], dict[int, str]]) -> list[tuple[str, str]]:
    """The claims whose verdict differs between the seeds that checked them."""
    return [k for k, by_seed in table.items() if len(by_seed) > 1 and len(set(by_seed.values())) > 1]
