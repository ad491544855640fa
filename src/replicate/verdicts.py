"""The claims engine: claim declarations with their tests, verdicts, and their report (a table in
the notebook, glued values for the book text, ``claims.json``).

Each paper declares its figures' claims in ``<paper>/claims.py`` with :class:`Figure` and
:class:`ClaimSpec`, every claim with its :class:`Test` (direction, threshold and the threshold's
source) and its resampling unit. A notebook passes only statistics; the engine compares them with
the declared tests, and a degenerate run (non-finite training, networks at chance, too few
networks, an undefined statistic) makes a claim inconclusive with the reason shown. The engine
knows numbers, not papers.
"""

from __future__ import annotations

import html
import json
import math
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import bootstrap, prose
from .store import project_root

if TYPE_CHECKING:
    from .runs import Record

VERDICTS = ("replicated", "not replicated", "inconclusive")
UNITS = bootstrap.UNITS


Interval = tuple[float, float]


@dataclass(frozen=True)
class Test:
    """Where a claim's statistic must lie: ``op`` (``<``, ``<=``, ``>``, ``>=``, ``within``
    ``tolerance`` of, ``p<`` for a correlation's p-value, ``r>0,p<`` for a positive significant one)
    a ``threshold``, which is a number or the name of a reference the notebook computes by the rule
    ``source`` states (e.g. ``"1/K"``); ``source`` says where the threshold comes from."""

    op: str
    threshold: float | str
    source: str
    tolerance: float = 0.0

    def __str__(self) -> str:
        t = self.threshold if isinstance(self.threshold, str) else f"{self.threshold:g}"
        if self.op == "within":
            return f"within {self.tolerance:g} of {t}"
        if self.op == "p<":
            return f"p < {t}"
        if self.op == "r>0,p<":
            return f"r > 0 and p < {t}"
        return f"{self.op} {t}"

    def decide(self, value: Interval, difference: Interval, p: Interval) -> bool | None:
        """True when the whole interval is on the claimed side of the line, False when the whole
        interval is on the other side, None when it straddles the line. ``value`` is the statistic's
        interval, ``difference`` that of statistic - threshold (paired per draw when the threshold
        is itself a statistic), ``p`` that of a correlation's p-value."""
        lo, hi = difference
        if self.op == "within":
            t = self.tolerance
            return True if -t <= lo and hi <= t else False if lo > t or hi < -t else None
        if self.op in ("p<", "r>0,p<"):
            alpha = float(self.threshold)
            sure = p[1] < alpha and (self.op == "p<" or value[0] > 0)
            fails = p[0] >= alpha or (self.op == "r>0,p<" and value[1] <= 0)
            return True if sure else False if fails else None
        sides = {">": (lo > 0, hi <= 0), ">=": (lo >= 0, hi < 0), "<": (hi < 0, lo >= 0), "<=": (hi <= 0, lo > 0)}
        sure, fails = sides[self.op]
        return True if sure else False if fails else None


def below(threshold: float | str, source: str) -> Test:
    return Test("<", threshold, source)


def at_most(threshold: float | str, source: str) -> Test:
    return Test("<=", threshold, source)


def above(threshold: float | str, source: str) -> Test:
    return Test(">", threshold, source)


def at_least(threshold: float | str, source: str) -> Test:
    return Test(">=", threshold, source)


def within(tolerance: float, of: float | str, source: str) -> Test:
    return Test("within", of, source, tolerance)


def significant(alpha: float, source: str, positive: bool = False) -> Test:
    """A correlation's two-sided p-value below ``alpha`` (and, with ``positive``, r > 0); the
    notebook passes (r, p)."""
    return Test("r>0,p<" if positive else "p<", alpha, source)


@dataclass(frozen=True)
class ClaimSpec:
    """A claim as declared: its id, its statement, the paper's value (None if it gives none), its
    test, its resampling unit (:data:`UNITS`), how many networks it needs, and whether it presumes
    that the networks learned (then networks at chance make it inconclusive)."""

    id: str
    statement: str
    paper: float | None = None
    test: Test | None = None
    unit: str = "networks"
    needs: int = 2
    learning: bool = True

    def __post_init__(self):
        if self.test is None:
            raise ValueError(f"claim {self.id!r} declares no test")
        if self.unit not in UNITS:
            raise ValueError(f"claim {self.id!r}: unit={self.unit!r}; choose one of: {', '.join(UNITS)}")


@dataclass(frozen=True)
class Undecided:
    """A statistic the notebook computed but that cannot decide its claim at this run, and why
    (e.g. a check that needs the full training set)."""

    value: float
    reason: str


@dataclass(frozen=True)
class Figure:
    """A figure notebook's declaration: ``<paper>/<id>``, its title and the claims it checks."""

    id: str
    title: str
    claims: tuple[ClaimSpec, ...]

    def claim(self, claim_id: str) -> ClaimSpec:
        """The declaration of claim ``claim_id`` of this figure."""
        found = [c for c in self.claims if c.id == claim_id]
        if not found:
            raise KeyError(f"{self.id} has no claim {claim_id!r}; its claims: {', '.join(c.id for c in self.claims)}")
        return found[0]


def figures(*declared: Figure) -> dict[str, Figure]:
    """{figure id: figure} of a paper's declarations, in the order given."""
    return {f.id: f for f in declared}


@dataclass(frozen=True)
class Claim:
    """A claim as checked: the declaration's text and test, our value with its bootstrap interval
    (``low``, ``high`` over ``resamples`` draws of ``unit``; the point itself for unit none), the
    verdict and, for an inconclusive one, why."""

    id: str
    statement: str
    paper: float | None
    ours: float
    verdict: str
    test: str = ""
    source: str = ""
    threshold: float | None = None
    unit: str = "networks"
    reason: str = ""
    low: float = math.nan
    high: float = math.nan
    resamples: int = 0


def verdict(holds: bool | None) -> str:
    """'replicated' when the claim holds on our data, 'not replicated' when not, and
    'inconclusive' when the data cannot decide (e.g. a statistic is undefined)."""
    if holds is None:
        return "inconclusive"
    return "replicated" if holds else "not replicated"


CHANCE_MARGIN = 0.05
"""A network counts as at chance when its final accuracy covers less than this share of the way
from chance (1/K) to 1: far below any run that learned, far above one that diverged or never
moved (a guard against degenerate runs, not a claim's threshold)."""


SUMMARIES = ("all replicated", "partly", "not replicated", "inconclusive", "no claims")


def summary(found: Sequence[str]) -> str:
    """A figure's one word on its claims' verdicts ``found``: all replicated, not replicated (none
    replicated, some not), inconclusive (none decided), partly (anything else), or no claims."""
    if not found:
        return "no claims"
    if all(v == "replicated" for v in found):
        return "all replicated"
    if all(v == "inconclusive" for v in found):
        return "inconclusive"
    if "replicated" not in found:
        return "not replicated"
    return "partly"


def degenerate(records: Sequence, learning: bool, needs: int) -> str:
    """Why the runs ``records`` (trained ensembles) cannot support a claim, or "": a non-finite
    loss or weight in any network, fewer than ``needs`` networks, or, when the claim presumes
    ``learning``, a network at chance (:data:`CHANCE_MARGIN`; on the training set where it was
    evaluated, which is what a random-label run learns, else on the test set, else on any split
    evaluated with labels; a run with none is not checked for it)."""
    for r in records:
        a = r.arrays
        broken = sorted(
            k for k in a if (k == "loss" or k.startswith("weights/")) and a[k].dtype.kind == "f" and not np.isfinite(a[k]).all()
        )
        if broken:
            return f"run {r.key} has non-finite training values ({', '.join(broken[:3])})"
        n = len(a["masks"])
        if n < needs:
            return f"run {r.key} has {n} network(s); the claim needs at least {needs}"
        evaluated = [k.removeprefix("preds/") for k in a if k.startswith("preds/") and f"labels/{k.removeprefix('preds/')}" in a]
        splits = [s for s in ("train", "test") if s in evaluated] or evaluated
        if learning and splits:
            split = splits[0]
            accuracy = (a[f"preds/{split}"][:, -1] == a[f"labels/{split}"]).mean(-1)
            chance = 1 / int(r.meta["n_classes"])
            if accuracy.min() < chance + CHANCE_MARGIN * (1 - chance):
                return f"run {r.key}: a network ends at chance ({split} accuracy {accuracy.min():.3f}, 1/K = {chance:.3f})"
    return ""


def _split(value: object) -> tuple[float, float, str]:
    """(r, p, reason) of a statistic: a number, (r, p) for a correlation, or :class:`Undecided`."""
    reason = ""
    if isinstance(value, Undecided):
        value, reason = value.value, value.reason
    r, p = value if isinstance(value, tuple) else (value, math.nan)
    return float(r), float(p), reason


def _threshold(claim: ClaimSpec, references: Mapping[str, float] | None) -> float:
    t = claim.test.threshold
    return float((references or {}).get(t, math.nan)) if isinstance(t, str) else float(t)


MOST_UNDEFINED = 0.05
"""The largest share of bootstrap draws on which a statistic may be undefined (e.g. a bimodality of
a constant histogram) before its interval counts as undefined."""


def check(
    claim: ClaimSpec,
    value: object,
    references: Mapping[str, float] | None = None,
    records: Sequence = (),
    resampled: Sequence[tuple[object, Mapping[str, float]]] = (),
) -> Claim:
    """Our value of ``claim``, its interval and its verdict from the declared test. ``resampled``
    holds the statistic and the references on every bootstrap draw; without draws the interval is
    the point. Inconclusive, with the reason, for a degenerate run, an undecided or undefined
    statistic, a missing reference, or an interval that straddles the line."""
    r, p, reason = _split(value)
    threshold = _threshold(claim, references)
    if not math.isfinite(threshold):
        reason = reason or f"the reference {claim.test.threshold!r} is undefined"
    reason = reason or degenerate(records, claim.learning, claim.needs)
    pvalue = claim.test.op in ("p<", "r>0,p<")
    if not reason and not (math.isfinite(r) and (math.isfinite(p) or not pvalue)):
        reason = "the statistic is undefined on this run"
    draws = [(*_split(v)[:2], _threshold(claim, refs)) for v, refs in resampled] or [(r, p, threshold)]
    rs, ps, ts = np.array(draws, dtype=np.float64).T
    undefined = ~np.isfinite(rs - ts) | (~np.isfinite(ps) if pvalue else False)
    if not reason and undefined.mean() > MOST_UNDEFINED:
        reason = f"the statistic is undefined on {undefined.sum()} of {len(draws)} bootstrap draws"
    ok = ~undefined
    value_iv = bootstrap.interval(r, rs[ok], bounds=(-1.0, 1.0) if pvalue else (-math.inf, math.inf))  # tested by p: a correlation
    holds = None
    if not reason:
        p_iv = bootstrap.interval(p, ps[ok], bounds=(0.0, 1.0))
        holds = claim.test.decide(value_iv, bootstrap.interval(r - threshold, (rs - ts)[ok]), p_iv)
        if holds is None:
            reason = f"the {bootstrap.LEVEL:.0%} interval straddles the line"
    return Claim(
        claim.id,
        claim.statement,
        claim.paper,
        r,
        verdict(holds),
        str(claim.test),
        claim.test.source,
        threshold,
        claim.unit,
        reason,
        *value_iv,
        len(resampled),
    )


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return f"{v:.4g}"


NO_CLAIMS = "This figure makes no claim of its own (FIGURES.md lists none): it is there to be looked at."


def interval(c: Claim | Mapping) -> str:
    """A claim's 95% interval as text, ``[low, high]``; "exact" for a claim of unit none."""
    c = c if isinstance(c, Mapping) else asdict(c)
    return "exact" if c.get("unit") == "none" else f"[{_fmt(c.get('low', math.nan))}, {_fmt(c.get('high', math.nan))}]"


def _why(c: Claim) -> str:
    return f" [why: {c.reason}]" if c.reason else ""


def _text(claims: list[Claim]) -> str:
    if not claims:
        return NO_CLAIMS
    rows = [
        f"{c.id}: {c.verdict}{_why(c)} (paper {_fmt(c.paper)}, ours {_fmt(c.ours)} {interval(c)}; test {c.test}: {c.source})\n    {c.statement}"
        for c in claims
    ]
    return "\n".join(rows)


def _html(claims: list[Claim]) -> str:
    if not claims:
        return f"<p><i>{NO_CLAIMS}</i></p>"
    colour = {"replicated": "#1b7837", "not replicated": "#b2182b", "inconclusive": "#777777"}
    rows = "".join(
        f"<tr><td><code>{html.escape(c.id)}</code></td><td>{html.escape(c.statement)}</td>"
        f"<td>{_fmt(c.paper)}</td><td>{_fmt(c.ours)}<br><small>{interval(c)}</small></td>"
        f"<td>{html.escape(c.test)}<br><small>{html.escape(c.source)}</small></td>"
        f'<td><b style="color:{colour[c.verdict]}">{c.verdict}{html.escape(_why(c))}</b></td></tr>'
        for c in claims
    )
    head = (
        "<tr><th>claim</th><th>statement</th><th>paper</th><th>ours<br><small>95% interval</small></th><th>test</th><th>verdict</th></tr>"
    )
    return f'<table class="claims">{head}{rows}</table>'


def _outputs(fig: str, claims: list[Claim]) -> list[dict]:
    """The notebook outputs of a report: the table, then per claim its glued value, interval and
    verdict (``<id>_<claim>``, ``..._interval``, ``..._verdict``) for the book's text."""
    short = fig.split("/")[-1]
    table = {"output_type": "display_data", "metadata": {}, "data": {"text/plain": _text(claims), "text/html": _html(claims)}}
    glued = [
        prose.output(f"{short}_{c.id}{suffix}", text)
        for c in claims
        for suffix, text in (("", _fmt(c.ours)), ("_interval", interval(c)), ("_verdict", c.verdict))
    ]
    return [table, *glued]


def reference_outputs(spec: Figure) -> list[dict]:
    """The shape of ``report``'s outputs for ``spec`` with placeholder values: the nbval
    reference of a notebook's claims cell (values, verdicts and reasons are sanitised away)."""
    placeholder = [
        Claim(c.id, c.statement, c.paper, math.nan, "inconclusive", str(c.test), c.test.source, None, c.unit) for c in spec.claims
    ]
    return _outputs(spec.id, placeholder)


def report(
    spec: Figure,
    statistics: Callable[[bootstrap.Draw], Mapping[str, object]],
    records: Mapping[str, Record] | None = None,
    *,
    examples: Mapping[str, int] | None = None,
    references: Mapping[str, float] | None = None,
    guards: Mapping[str, Sequence[str]] | None = None,
    resamples: int = bootstrap.RESAMPLES,
    seed: int = 0,
    root: str | Path | None = None,
) -> None:
    """Check and report every claim of the figure ``spec``.

    ``statistics(draw)`` returns {claim id: our statistic} (a number, (r, p) for a correlation, or
    :class:`Undecided`) and, under other keys, the references that named thresholds test against,
    computed from the ``draw`` (:class:`bootstrap.Draw`) of the named ``records`` (trained
    ensembles: their members and their splits' examples) and of the extra example sets
    ``examples`` ({split: size}, for arrays that are not a record's). The identity draw gives our
    value; ``resamples`` seeded draws of each claim's declared unit give its interval.
    ``references`` are fixed thresholds (e.g. 1/K). The guards read every record, or for a claim
    listed in ``guards`` the records named there.

    Displays the table, glues ``<id>_<claim>`` values, intervals and verdicts for the book text and
    writes ``results/<paper>/<id>/claims.json``. Missing or unknown claim ids are an error."""
    fig = spec.id
    records = dict(records or {})
    frame = bootstrap.frame(records, **(examples or {}))
    expected = [c.id for c in spec.claims]

    def split(values: Mapping[str, object]) -> tuple[Mapping[str, object], dict[str, float]]:
        named = {c.test.threshold for c in spec.claims if isinstance(c.test.threshold, str)}
        if not set(expected) <= set(values) or not set(values) - set(expected) <= named:
            raise ValueError(f"claims for {fig} must be exactly {expected} (and references among {sorted(named)}); got {sorted(values)}")
        drawn = {k: _split(v)[0] for k, v in values.items() if k in named}  # a threshold may be another claim's statistic
        return values, {**(references or {}), **drawn}

    point, refs = split(statistics(bootstrap.identity(frame)))
    units = sorted({c.unit for c in spec.claims} - {"none"})
    drawn = {u: [split(v) for v in bootstrap.resample(statistics, frame, u, resamples, seed)] for u in units}
    claims = [
        check(
            c,
            point[c.id],
            refs,
            [records[n] for n in (guards or {}).get(c.id, records)],
            [(values[c.id], r) for values, r in drawn.get(c.unit, [])],
        )
        for c in spec.claims
    ]
    content = {"figure": fig, "title": spec.title, "summary": summary([c.verdict for c in claims]), "claims": [asdict(c) for c in claims]}
    write_json(results_root(root) / fig / "claims.json", content)
    from IPython.display import publish_display_data

    for o in _outputs(fig, claims):
        publish_display_data(o["data"], metadata=o["metadata"])


def write_json(path: Path, content: dict) -> None:
    """Write ``content`` to ``path`` atomically (a temporary file beside it, then one rename), so a
    reader never sees half a file and a killed run leaves the old one; readable by all, like any
    file the book serves (a temporary file starts private)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        json.dump(content, f, indent=1)
    os.chmod(tmp, 0o644)
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
