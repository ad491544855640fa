"""The claims engine: claim declarations, verdicts, and their report (a table in the notebook,
glued values for the book text, ``claims.json``).

Each paper declares its figures' claims in ``<paper>/claims.py`` with :class:`Figure` and
:class:`ClaimSpec`. A notebook passes, for every claim of its figure, our value and whether the
claim holds, both computed from the data; the verdict follows from that, never typed in. The
engine knows numbers, not papers.
"""

from __future__ import annotations

import html
import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from .store import project_root

VERDICTS = ("replicated", "not replicated", "inconclusive")


@dataclass(frozen=True)
class ClaimSpec:
    """A claim as declared: its id, its statement and the paper's value (None if it gives none)."""

    id: str
    statement: str
    paper: float | None = None


@dataclass(frozen=True)
class Figure:
    """A figure notebook's declaration: ``<paper>/<id>``, its title and the claims it checks."""

    id: str
    title: str
    claims: tuple[ClaimSpec, ...]


def figures(*declared: Figure) -> dict[str, Figure]:
    """{figure id: figure} of a paper's declarations, in the order given."""
    return {f.id: f for f in declared}


@dataclass(frozen=True)
class Claim:
    id: str
    statement: str
    paper: float | None
    ours: float
    verdict: str


def verdict(holds: bool | None) -> str:
    """'replicated' when the claim holds on our data, 'not replicated' when not, and
    'inconclusive' when the data cannot decide (e.g. a statistic is undefined)."""
    if holds is None:
        return "inconclusive"
    return "replicated" if holds else "not replicated"


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return f"{v:.4g}"


NO_CLAIMS = "This figure makes no claim of its own (FIGURES.md lists none): it is there to be looked at."


def _text(claims: list[Claim]) -> str:
    if not claims:
        return NO_CLAIMS
    rows = [f"{c.id}: {c.verdict} (paper {_fmt(c.paper)}, ours {_fmt(c.ours)})\n    {c.statement}" for c in claims]
    return "\n".join(rows)


def _html(claims: list[Claim]) -> str:
    if not claims:
        return f"<p><i>{NO_CLAIMS}</i></p>"
    colour = {"replicated": "#1b7837", "not replicated": "#b2182b", "inconclusive": "#777777"}
    rows = "".join(
        f"<tr><td><code>{html.escape(c.id)}</code></td><td>{html.escape(c.statement)}</td>"
        f"<td>{_fmt(c.paper)}</td><td>{_fmt(c.ours)}</td>"
        f'<td><b style="color:{colour[c.verdict]}">{c.verdict}</b></td></tr>'
        for c in claims
    )
    head = "<tr><th>claim</th><th>statement</th><th>paper</th><th>ours</th><th>verdict</th></tr>"
    return f'<table class="claims">{head}{rows}</table>'


def _outputs(fig: str, claims: list[Claim]) -> list[dict]:
    """The notebook outputs of a report: the table, then one glued value per claim."""
    short = fig.split("/")[-1]
    table = {"output_type": "display_data", "metadata": {}, "data": {"text/plain": _text(claims), "text/html": _html(claims)}}
    glued = [
        {
            "output_type": "display_data",
            "metadata": {"scrapbook": {"name": f"{short}_{c.id}", "mime_prefix": "application/papermill.record/"}},
            "data": {"application/papermill.record/text/plain": _fmt(c.ours)},
        }
        for c in claims
    ]
    return [table, *glued]


def reference_outputs(spec: Figure) -> list[dict]:
    """The shape of ``report``'s outputs for ``spec`` with placeholder values: the nbval
    reference of a notebook's claims cell (values and verdicts are sanitised away)."""
    return _outputs(spec.id, [Claim(c.id, c.statement, c.paper, math.nan, "inconclusive") for c in spec.claims])


def report(spec: Figure, results: dict[str, tuple[float, bool | None]], root: str | Path | None = None) -> None:
    """Report every claim of the figure ``spec``: ``results`` maps claim id -> (our value, holds).

    Displays the table, glues ``<id>_<claim>`` values for the book text and writes
    ``results/<paper>/<id>/claims.json``. Missing or unknown claim ids are an error."""
    fig = spec.id
    expected = [c.id for c in spec.claims]
    if sorted(results) != sorted(expected):
        raise ValueError(f"claims for {fig} must be exactly {expected}; got {sorted(results)}")
    claims = [Claim(c.id, c.statement, c.paper, float(results[c.id][0]), verdict(results[c.id][1])) for c in spec.claims]
    write_json(results_root(root) / fig / "claims.json", {"figure": fig, "title": spec.title, "claims": [asdict(c) for c in claims]})
    from IPython.display import publish_display_data

    for o in _outputs(fig, claims):
        publish_display_data(o["data"], metadata=o["metadata"])


def write_json(path: Path, content: dict) -> None:
    """Write ``content`` to ``path`` atomically (a temporary file beside it, then one rename), so a
    reader never sees half a file and a killed run leaves the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        json.dump(content, f, indent=1)
    os.replace(tmp, path)


def results_root(root: str | Path | None = None) -> Path:
    """``REPLICATE_RESULTS`` if set (CI and staged runs point it away from the book's), else
    ``results/`` in ``root`` or the project root."""
    if os.environ.get("REPLICATE_RESULTS"):
        return Path(os.environ["REPLICATE_RESULTS"])
    return Path(root or project_root()) / "results"


def load_all(root: str | Path | None = None) -> list[dict]:
    """Every ``results/<paper>/<id>/claims.json`` under the project root, sorted by figure."""
    files = sorted(results_root(root).glob("*/*/claims.json"))
    return [json.loads(f.read_text()) for f in files]
