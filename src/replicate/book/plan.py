"""A plan before the bill (``replicate plan``): for each figure, from its parameter files and its
paper's specs, the ensembles it trains and what they cost (:mod:`..cost`), estimated hours on a
device class, and the whole book's total with every shared ensemble counted once. Builds nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .. import cost, data
from ..atlas import specs as atlas
from ..baldock2021 import specs as baldock
from ..hacohen2020 import specs as hacohen
from ..pliushch2022 import specs as pliushch
from ..runs import EnsembleSpec
from ..store import Store
from ..train import default_device
from . import pipeline

PLANNED = {"hacohen2020": hacohen.PLANNED, "baldock2021": baldock.PLANNED, "pliushch2022": pliushch.PLANNED, "atlas": atlas.PLANNED}
PROBED = {"atlas": atlas.PROBED}


@dataclass(frozen=True)
class Line:
    """One ensemble of a figure's plan: its label, spec, store key, cost, and the training seconds
    recorded in the run store when it was already trained there (else None)."""

    fig: str
    label: str
    spec: EnsembleSpec
    key: str
    cost: cost.Cost
    measured: float | None


def ensembles(fig: str, scale: str = "laptop", root: Path | None = None) -> dict[str, tuple[EnsembleSpec, dict]]:
    """{label: (spec, probe arguments of ``cost.ensemble``)} of the ensembles ``fig`` trains at ``scale``, from its
    notebook's defaults and the scale's parameter file; a parameter file that does not build (an
    unknown data set or architecture, impossible sizes) is a :class:`pipeline.ParameterError` naming
    the figure."""
    path = pipeline.find(fig, root)
    paper, short = fig.split("/")
    params = pipeline.resolved(path, scale)
    try:
        specs = PLANNED[paper][short](params)
        probed = PROBED.get(paper, {}).get(short, lambda p: {})(params)
        for spec in specs.values():
            cost.model(spec.train.arch, *data.SHAPES[spec.data.dataset], spec.train.width, tuple(spec.train.arch_options))
    except (ValueError, KeyError, TypeError, data.DataError) as e:
        raise pipeline.ParameterError(f"{fig} at {scale} scale does not build: {e}") from None
    return {label: (spec, probed.get(label, {"probe_dim": params.get("probe_dim", 256)})) for label, spec in specs.items()}


def plan(figs: list[str], scale: str = "laptop", store: Store | None = None, root: Path | None = None) -> list[Line]:
    """The plan of ``figs`` at ``scale``: one line per ensemble of each figure, with the training time
    recorded in ``store`` for the ones trained there on this machine's device type."""
    store = store or Store()
    dev = default_device()
    lines = []
    for fig in figs:
        for label, (spec, probing) in ensembles(fig, scale, root).items():
            key = spec.key(dev)
            meta = store.path("ensemble", key) / "meta.json"
            measured = json.loads(meta.read_text()).get("train_seconds") if meta.exists() else None
            lines.append(Line(fig, label, spec, key, cost.ensemble(spec, **probing), measured))
    return lines


def _si(x: float, unit: str = "") -> str:
    """``x`` with an SI prefix, three significant digits: 26.1 T, 70.6 M."""
    for factor, prefix in ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= factor:
            return f"{x / factor:.3g} {prefix}{unit}"
    return f"{x:.3g} {unit}".rstrip()


def _hours(h: float) -> str:
    return f"{h * 60:.1f} min" if h < 1 else f"{h:.1f} h"


def table(lines: list[Line], device: str = "cpu") -> str:
    """The plan as text: per figure its ensembles and a total, then the book's total with each
    ensemble (store key) counted once, and the device assumption."""
    rows = [
        (
            "ensemble",
            "nets",
            "epochs",
            "train/net",
            "fwd/example",
            "train FLOP",
            "probe FLOP",
            "mem/net",
            "store",
            f"est. ({device})",
            "measured",
        )
    ]
    for fig in dict.fromkeys(line.fig for line in lines):
        own = [line for line in lines if line.fig == fig]
        rows.append((fig, *[""] * 10))
        for line in own:
            c = line.cost
            rows.append(
                (
                    f"  {line.label}",
                    str(c.networks),
                    f"{c.epochs:,}",
                    f"{c.train_examples:,}",
                    _si(c.forward_flops, "FLOP"),
                    _si(c.train_flops),
                    _si(c.probe_flops) if c.probe_flops else "-",
                    _si(c.member_bytes, "B"),
                    _si(c.store_bytes, "B"),
                    _hours(c.hours(device)),
                    _hours(line.measured / 3600) + " (train)" if line.measured is not None else "-",
                )
            )
        if len(own) > 1:
            rows.append(("  figure total", *[""] * 4, *_totals(own, device)))
    unique = list({line.key: line for line in lines}.values())
    rows.append((f"all ({len(unique)} ensembles, each once)", *[""] * 4, *_totals(unique, device)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    text = "\n".join("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths))).rstrip() for r in rows)
    flops, why = cost.DEVICES[device]
    return (
        f"{text}\n\nest.: training and probe FLOPs at {flops:.3g} FLOP/s sustained ({why}; an assumption). "
        "measured: training seconds recorded in the run store, where it holds the ensemble."
    )


def _totals(lines: list[Line], device: str) -> tuple[str, ...]:
    measured = [line.measured for line in lines if line.measured is not None]
    return (
        _si(sum(line.cost.train_flops for line in lines)),
        _si(sum(line.cost.probe_flops for line in lines)),
        "",
        _si(sum(line.cost.store_bytes for line in lines), "B"),
        _hours(sum(line.cost.hours(device) for line in lines)),
        _hours(sum(measured) / 3600) + f" ({len(measured)} of {len(lines)})" if measured else "-",
    )


def unplanned(lines: list[Line], store: Store) -> tuple[list[str], list[str]]:
    """(planned ensembles the store lacks, ensembles the store holds that no plan names): both empty
    when a run of the book (the CI's smoke run) trained exactly what the plans say."""
    planned: dict[str, str] = {}
    for line in lines:
        planned.setdefault(line.key, f"{line.fig} {line.label}")
    stored = {p.parent.name for p in (store.root / "ensemble").glob("*/meta.json")}
    return sorted(v for k, v in planned.items() if k not in stored), sorted(stored - set(planned))
