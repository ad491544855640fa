"""The scorecard: every claim of every executed figure with its verdict, for the whole book and
per paper (the chapter pages include those tables)."""

from __future__ import annotations

from pathlib import Path

from .. import verdicts
from . import catalogue, page, seeds
from .pipeline import notebooks


def _claims_table(entries: list[dict], nbs: dict[str, Path], scope: list[str]) -> list[str]:
    """A markdown table of the claims in ``entries``, its verdict counts first, and the figures
    of ``scope`` not executed yet last."""
    counts = dict.fromkeys(verdicts.VERDICTS, 0)
    rows = ["| figure | claim | verdict | paper | ours<br>95% interval | statement | test |", "|---|---|---|---|---|---|---|"]
    for entry in entries:
        fig = entry["figure"]
        link = _link(fig, nbs)
        for c in entry["claims"]:
            counts[c["verdict"]] += 1
            paper = "-" if c["paper"] is None else f"{c['paper']:.4g}"
            why = f" ({c['reason']})" if c.get("reason") else ""
            test = f"{c['test']}: {c['source']}" if c.get("test") else ""
            rows.append(
                f"| {link} | `{c['id']}` | {page.badge(c['verdict'])}{why} | {paper} | {c['ours']:.4g}<br>{verdicts.interval(c)} "
                f"| {c['statement']} | <small>{test}</small> |"
            )
    missing = [f for f in scope if f not in {e["figure"] for e in entries}]
    tail = ["", f"Not yet executed: {', '.join(missing)}."] if missing else []
    return [", ".join(f"{n} {v}" for v, n in counts.items()) + ".", "", *rows, *tail]


def _link(fig: str, nbs: dict[str, Path]) -> str:
    return f"{{doc}}`{fig} </executed/{fig.split('/')[0]}/{nbs[fig].stem}>`" if fig in nbs else fig


def thumbnail(executed: Path, dest: Path, width: int = 240, height: int = 180) -> Path | None:
    """The page's main figure (its first image output), at most ``width`` x ``height`` pixels,
    saved at ``dest``; None when the page has no figure."""
    import base64
    import io

    import nbformat
    from PIL import Image

    for cell in nbformat.read(executed, as_version=4).cells:
        for o in cell.get("outputs", []):
            data = o.get("data", {}).get("image/png")
            if data:
                img = Image.open(io.BytesIO(base64.b64decode(data)))
                img.thumbnail((width, height))
                dest.parent.mkdir(parents=True, exist_ok=True)
                img.save(dest)
                return dest
    return None


def _bar(counts: dict[str, int]) -> str:
    """A horizontal bar of verdict counts, one coloured segment per verdict."""
    total = sum(counts.values()) or 1
    parts = "".join(
        f'<span class="{v.replace(" ", "-")}" style="width:{100 * n / total:.1f}%" title="{n} {v}"></span>' for v, n in counts.items() if n
    )
    return f'<div class="verdict-bar">{parts}</div>'


def _overview(entries: list[dict], nbs: dict[str, Path], root: Path) -> list[str]:
    """Per paper: its claims' verdict counts and bar, then one row per figure with a thumbnail of
    its main figure linking to the page, its title and its one-word summary."""
    found = {e["figure"]: e.get("summary") or verdicts.summary([c["verdict"] for c in e["claims"]]) for e in entries}
    out = []
    for paper in catalogue.PAPERS:
        mine = [e for e in entries if e["figure"].startswith(f"{paper}/")]
        if not mine:
            continue
        counts = dict.fromkeys(verdicts.VERDICTS, 0)
        for e in mine:
            for c in e["claims"]:
                counts[c["verdict"]] += 1
        summaries = [found[e["figure"]] for e in mine]
        out += [
            f"### {catalogue.PAPERS[paper]}",
            "",
            ", ".join(f"{n} {v}" for v, n in counts.items())
            + " claims; figures: "
            + ", ".join(f"{summaries.count(s)} {s}" for s in verdicts.SUMMARIES if summaries.count(s))
            + ".",
            "",
            _bar(counts),
            "",
            "| | figure | summary |",
            "|---|---|---|",
        ]
        for e in mine:
            fig = e["figure"]
            thumb = ""
            if fig in nbs:
                page_path = root / "executed" / paper / f"{nbs[fig].stem}.ipynb"
                dest = root / "executed" / "thumbs" / f"{fig.replace('/', '-')}.png"
                if page_path.exists() and thumbnail(page_path, dest):
                    thumb = f"[![{fig}](thumbs/{dest.name})]({paper}/{nbs[fig].stem}.ipynb)"
            out.append(f"| {thumb} | {_link(fig, nbs)}<br>{e['title']} | {page.badge(found[fig])} |")
        out.append("")
    return out


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
            + f" | {'**changes**' if (fig, claim) in moved else 'yes' if len(table[fig, claim]) == len(found) else '-'} |"
            for fig, claim in sorted(table, key=lambda k: k not in moved)
        ),
    ]
    checked = sum(len(v) == len(found) for v in table.values())
    left_out = {s: seeds.stale(s, root) for s in found}
    note = "".join(
        f" Seed {s}'s claims of {len(figs)} figures are left out because they come from other code or parameters "
        f"than the figures have now (rerun them with `replicate scorecard --seeds 0 {s}`): {', '.join(figs)}."
        for s, figs in left_out.items()
        if figs
    )
    head = (
        f"Every figure rerun with all of its random seeds moved by each seed (`replicate scorecard --seeds "
        f"{' '.join(map(str, found))}`; seed 0 is this book). Of the {checked} claims checked at every seed, "
        f"{len(moved)} change their verdict with the seed" + (f": {', '.join(f'{f} `{c}`' for f, c in moved)}." if moved else ".")
    ) + note
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
        "---",
        "html_theme.sidebar_secondary.remove: true",
        "---",
        "",
        "# Scorecard",
        "",
        "Every claim checked by a figure notebook, as last executed: the paper's value, ours, the test it",
        "declares with the threshold's source, and the verdict computed from the data. Claims are checked",
        "at the scale that ran (laptop unless noted).",
        "",
        "## Overview",
        "",
        *_overview(entries, nbs, root),
        "",
        "## Claims",
        "",
        *_claims_table(entries, nbs, order),
        "",
        *_seeds_table(root, nbs),
    ]
    (out / "scorecard.md").write_text("\n".join(lines) + "\n")
    return out / "scorecard.md"
