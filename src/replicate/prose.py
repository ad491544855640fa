"""Numbers for a page's prose. A notebook glues every number that its "What we find" section
quotes (myst-nb's glue, read by ``{glue:text}`name:.2f``` roles), so a rerun with other
parameters shows its own numbers rather than the laptop run's."""

from __future__ import annotations

import math
import numbers
import re

import numpy as np

MIME = "application/papermill.record/"


def output(name: str, text: str) -> dict:
    """The notebook output that glues ``text`` under ``name`` (myst-nb's scrapbook format); it
    displays nothing in the page."""
    return {
        "output_type": "display_data",
        "metadata": {"scrapbook": {"name": name, "mime_prefix": MIME}},
        "data": {f"{MIME}text/plain": text},
    }


def plain(value: object) -> str:
    """``value`` as glue text that a format spec can read back: a Python int or float literal (numpy
    scalars included), or a string as it is."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"prose numbers are ints, floats or strings; got {type(value).__name__} {value!r}")
    if isinstance(value, numbers.Integral):
        return repr(int(value))
    value = float(value)
    return repr(value) if math.isfinite(value) else "nan"


def glue(**values: object) -> None:
    """Glue each keyword's value under its name for the prose: ``prose.glue(acc=0.81)`` and then
    ``{glue:text}`acc:.2f``` in a markdown cell."""
    from IPython.display import display

    for name, value in values.items():
        out = output(name, plain(value))
        display(out["data"], raw=True, metadata=out["metadata"])


ROLE = re.compile(r"\{glue(?::\w+)?\}`([^`]+)`")


def quoted(markdown: str) -> set[str]:
    """The names that the glue roles of ``markdown`` read (``{glue:text}`acc:.2f``` reads ``acc``)."""
    return {m.group(1).split("::")[-1].split(":")[0] for m in ROLE.finditer(markdown)}


def unglued(nb: dict) -> list[str]:
    """The names that an executed notebook's markdown quotes but none of its outputs glues."""
    cells = nb["cells"]
    wanted = set().union(*(quoted(c["source"]) for c in cells if c["cell_type"] == "markdown"))
    have = {o.get("metadata", {}).get("scrapbook", {}).get("name") for c in cells if c["cell_type"] == "code" for o in c.get("outputs", [])}
    return sorted(wanted - have)


SKIP = re.compile(
    r"\{[\w:-]+\}`[^`]*`"  # roles: glue, doc, ref, ...
    r"|`[^`]*`"  # inline code
    r"|\$[^$]*\$"  # math
    r"|\]\([^)]*\)"  # link targets
    r"|\b(?:Figs?\.|Figures?|Tables?|Secs?\.|Sections?|Eqs?\.|Equations?|Appendix|App\.|et al\.,?)\s*[A-Z]?\d+[a-z]?(?:[-–,]\s*\d+[a-z]?)*"
    r"|\b95%"  # the interval's level
)
NUMBER = re.compile(r"(?<![\w.])(?<![A-Za-z]-)[-−]?\d+(?:,\d{3})*(?:\.\d+)?(?:e[-+]?\d+)?(?![\w])")


def value(token: str) -> float:
    """A number as prose writes it (thousands commas, a typographic minus) as a float."""
    return float(token.replace(",", "").replace("−", "-"))


def loose(markdown: str) -> list[str]:
    """The numbers that ``markdown`` writes out itself rather than reading them through a glue role
    (names such as CIFAR-10 or ResNet18, figure, table and section references, citations' years and
    the 95% of an interval aside)."""
    return NUMBER.findall(SKIP.sub(" ", markdown))


def epoch_span(epochs: np.ndarray | list[int]) -> str:
    """The epochs a rule picked, as prose says them ("epochs 2 to 8", "epoch 3", "no epoch"), so a
    page can glue the checked epochs of whatever run it made."""
    e = sorted(int(x) for x in epochs)
    if not e:
        return "no epoch"
    if len(e) == 1:
        return f"epoch {e[0]}"
    if e == list(range(e[0], e[-1] + 1)):
        return f"epochs {e[0]} to {e[-1]}"
    return "epochs " + listed([str(x) for x in e])


def listed(names: list[str]) -> str:
    """Names joined as prose lists them ("a, b and c"), "none" for no name: a page glues a run's
    classes by name."""
    if not names:
        return "none"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
