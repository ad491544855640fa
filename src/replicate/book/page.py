"""What an executed page shows beside its notebook: a verdict box under the title (results first),
its code collapsed (open on a click), and at the end the commands that rerun it."""

from __future__ import annotations

import ast
import html
import json
import shlex

import nbformat

from .. import verdicts
from ..baldock2021 import specs as baldock_specs

VERDICT_TAG = "replicate-verdict-box"
RERUN_TAG = "replicate-rerun"


def badge(verdict: str) -> str:
    """A coloured badge for a verdict (its colours in book/_static/claims.css)."""
    return f'<span class="verdict-badge {verdict.replace(" ", "-")}">{html.escape(verdict)}</span>'


def verdict_box(claims: dict | None, scale: str) -> str:
    """The page's results first: its one-word summary, each claim as a badge with our value and
    interval beside the paper's, and the scale it ran at."""
    if claims is None:
        return f":::{{note}}\nThis page's claims were not checked (no claims.json); it ran at {scale} scale.\n:::"
    rows = []
    for c in claims["claims"]:
        paper = "" if c["paper"] is None else f", paper {c['paper']:.4g}"
        why = f" ({html.escape(c['reason'])})" if c.get("reason") else ""
        rows.append(f"- {badge(c['verdict'])} `{c['id']}`: ours {c['ours']:.4g} {verdicts.interval(c)}{paper}{why}")
    body = "\n".join(rows) if rows else verdicts.NO_CLAIMS
    title = f"{claims.get('summary') or verdicts.summary([c['verdict'] for c in claims['claims']])} · {scale} scale"
    return f":::{{admonition}} Verdict: {title}\n:class: verdict-box\n{body}\n\nThe claims table at the end of the page gives each test and its source.\n:::"


def _arg(name: str, value: object) -> str:
    """``-p name value`` as a user types it (YAML: strings bare, anything else as JSON), quoted for a shell."""
    return f"-p {name} {shlex.quote(value if isinstance(value, str) else json.dumps(value))}"


def variations(known: dict) -> list[tuple[str, str]]:
    """(arguments, what they do) for the most useful changes of a notebook with defaults ``known``:
    more networks, more epochs, another seed, the paper's sizes."""
    out = []
    for name, what, change in (
        ("n_models", "twice the networks", lambda v: 2 * v),
        ("epochs", "twice the epochs", lambda v: 2 * v),
        ("seed", "another seed", lambda v: v + 1),
    ):
        if isinstance(known.get(name), int):
            out.append((_arg(name, change(known[name])), what))
    shared = [k for k, v in known.items() if isinstance(v, dict) and "scale" in known and k in baldock_specs.SHARED_RUNS["laptop"]]
    if shared:
        n = baldock_specs.shared(shared[0], "laptop", known[shared[0]])["n_models"]
        out.append((f"-p {shared[0]}.n_models {2 * n}", f"twice the networks of the shared run {shared[0]!r}"))
    out.append(("--scale paper", "the paper's sizes (for a GPU)"))
    return out


def rerun_commands(fig: str, params: dict, known: dict, stem: str) -> str:
    """The closing section: the command that reproduces this page, its most useful variations,
    and a link to download the executed notebook."""
    own = " ".join(_arg(k, v) for k, v in params.items() if k != "scale" and v != known.get(k))
    scale = f" --scale {params['scale']}" if params.get("scale", "laptop") != "laptop" else ""
    this = f"replicate run {fig}{' ' + own if own else ''}{scale}"
    lines = [(this, "this page, as it ran")] + [(f"replicate run {fig} {a}", w) for a, w in variations(known)]
    width = max(len(c) for c, _ in lines) + 2
    block = "\n".join(f"{c:<{width}}# {w}" for c, w in lines)
    return (
        "## Rerun this page\n\n"
        f"```bash\n{block}\n```\n\n"
        "Networks come from the run store when they exist; `replicate run --help` lists the options. "
        f"Download the executed notebook: {{download}}`{stem}.ipynb <{stem}.ipynb>`."
    )


def _only_setup(source: str) -> bool:
    """Whether a cell only imports modules, starts a timer or glues numbers for the prose (nothing a
    reader needs to see)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and all(
        isinstance(s, (ast.Import, ast.ImportFrom))
        or (isinstance(s, ast.Assign) and "perf_counter" in ast.unparse(s.value))
        or (isinstance(s, ast.Expr) and ast.unparse(s.value).startswith("prose.glue("))
        for s in body
    )


def collapse(nb: nbformat.NotebookNode) -> None:
    """Code on demand: every code cell but the parameters is collapsed, its output shown
    (``hide-input``); a cell that only imports, starts a timer or glues the prose's numbers is
    collapsed whole (``hide-cell``)."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.setdefault("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            continue
        tag = "hide-cell" if _only_setup(cell.source) else "hide-input"
        if tag not in tags:
            tags.append(tag)


def decorate(
    nb: nbformat.NotebookNode, fig: str, claims: dict | None, params: dict, known: dict, scale: str, stem: str, banner: str = ""
) -> None:
    """Put the verdict box right under the title (and ``banner``, the note of a run with other
    parameters, under it), collapse the code and end with the rerun commands."""
    first = nb.cells[0]
    heading, _, rest = first.source.partition("\n")
    head = []
    if first.cell_type == "markdown" and heading.startswith("# "):
        head = [nbformat.v4.new_markdown_cell(heading)]
        first.source = rest.lstrip("\n")
        if not first.source.strip():
            nb.cells.pop(0)
    box = nbformat.v4.new_markdown_cell(verdict_box(claims, params.get("scale", scale)))
    box.metadata["tags"] = [VERDICT_TAG]
    nb.cells[0:0] = [*head, box, *([nbformat.v4.new_markdown_cell(banner)] if banner else [])]
    collapse(nb)
    rerun = nbformat.v4.new_markdown_cell(rerun_commands(fig, params, known, stem))
    rerun.metadata["tags"] = [RERUN_TAG]
    nb.cells.append(rerun)
