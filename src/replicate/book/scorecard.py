"""The scorecard: every claim of every executed figure with its verdict, for the whole book and
per paper (the chapter pages include those tables)."""

from __future__ import annotations

from pathlib import Path

from .. import verdicts
from . import catalogue, seeds
from .pipeline import notebooks


def _claims_table(entries: list[dict], nbs: dict[str, Path], scope: list[str]) -> list[str]:
    """A markdown table of the claims in ``entries``, its verdict counts first, and the figures
    of ``scope`` not executed yet last."""
    counts = dict.fromkeys(verdicts.VERDICTS, 0)
    rows = ["| figure | claim | verdict | paper | ours | 95% interval | test | statement |", "|---|---|---|---|---|---|---|---|"]
    for entry in entries:
        fig = entry["figure"]
        link = _link(fig, nbs)
        for c in entry["claims"]:
            counts[c["verdict"]] += 1
            paper = "-" if c["paper"] is None else f"{c['paper']:.4g}"
            why = f" ({c['reason']})" if c.get("reason") else ""
            test = f"{c['test']}: {c['source']}" if c.get("test") else ""
            rows.append(
                f"| {link} | `{c['id']}` | **{c['verdict']}**{why} | {paper} | {c['ours']:.4g} | {verdicts.interval(c)} | {test} | {c['statement']} |"
            )
    missing = [f for f in scope if f not in {e["figure"] for e in entries}]
    tail = ["", f"Not yet executed: {', '.join(missing)}."] if missing else []
    return [", ".join(f"{n} {v}" for v, n in counts.items()) + ".", "", *rows, *tail]


def _link(fig: str, nbs: dict[str, Path]) -> str:
    return f"{{doc}}`{fig} </executed/{fig.split('/')[0]}/{nbs[fig].stem}>`" if fig in nbs else fig


def _figures_table(entries: list[dict], nbs: dict[str, Path]) -> list[str]:
    """Per paper, how many figures got each one-word summary, then one row per figure."""
    found = {e["figure"]: e.get("summary") or verdicts.summary([c["verdict"] for c in e["claims"]]) for e in entries}
    counts = []
    for paper in catalogue.PAPERS:
        mine = [s for f, s in found.items() if f.startswith(f"{paper}/")]
        counts.append(f"- {paper}: " + ", ".join(f"{mine.count(s)} {s}" for s in verdicts.SUMMARIES if mine.count(s)) + ".")
    rows = [
        "| figure | title | summary |",
        "|---|---|---|",
        *(f"| {_link(e['figure'], nbs)} | {e['title']} | {found[e['figure']]} |" for e in entries),
    ]
    return [*counts, "", *rows]


def _seeds_table(root: Path, nbs: dict[str, Path]) -> list[str]:
    """Per claim, its verdict at each seed with results (:mod:`.seeds`), the claims whose verdict
    changes with the seed first and flagged; empty when only the book's seed ran."""
    found = seeds.available(root)
    if not found:
        return []
    table = seeds.verdict_table(found, root)
    moved = seeds.changed(table)
    rows = [
        "| figure | claim | " + " | ".join(f"seed {s}" for s in found) + " | stable |",
        "|---|---|" + "---|" * len(found) + "---|",
        *(
            f"| {_link(fig, nbs)} | `{claim}` | "
            + " | ".join(table[fig, claim].get(s, "-") for s in found)
            + f" | {'**changes**' if (fig, claim) in moved else 'yes'} |"
            for fig, claim in sorted(table, key=lambda k: k not in moved)
        ),
    ]
    checked = sum(len(v) == len(found) for v in table.values())
    head = (
        f"Every figure rerun with all of its random seeds moved by each seed (`replicate scorecard --seeds "
        f"{' '.join(map(str, found))}`; seed 0 is this book). Of the {checked} claims checked at every seed, "
        f"{len(moved)} change their verdict with the seed" + (f": {', '.join(f'{f} `{c}`' for f, c in moved)}." if moved else ".")
    )
    return ["## Seed stability", "", head, "", *rows, ""]


def write_scorecard(root: Path) -> Path:
    """``executed/scorecard.md`` with every claim of every executed figure and its verdict, and
    ``executed/claims_<paper>.md``, the same table per paper for the chapter pages."""
    nbs = notebooks(root)
    order = list(catalogue.FIGURES)
    entries = sorted(verdicts.load_all(root), key=lambda e: order.index(e["figure"]) if e["figure"] in order else len(order))
    out = root / "executed"
    out.mkdir(parents=True, exist_ok=True)
    for paper in catalogue.PAPERS:
        scope = [f for f in order if f.startswith(f"{paper}/")]
        own = [e for e in entries if e["figure"] in scope]
        (out / f"claims_{paper}.md").write_text("\n".join(_claims_table(own, nbs, scope)) + "\n")
    lines = [
        "# Scorecard",
        "",
        "Every claim checked by a figure notebook, as last executed: the paper's value, ours, the test it",
        "declares with the threshold's source, and the verdict computed from the data. Claims are checked",
        "at the scale that ran (laptop unless noted).",
        "",
        "## Figures",
        "",
        *_figures_table(entries, nbs),
        "",
        "## Claims",
        "",
        *_claims_table(entries, nbs, order),
        "",
        *_seeds_table(root, nbs),
    ]
    (out / "scorecard.md").write_text("\n".join(lines) + "\n")
    return out / "scorecard.md"
