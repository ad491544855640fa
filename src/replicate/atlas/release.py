"""Released per-example difficulty scores (issue 15, part 4): ``scores.parquet``, one row per
example, and ``manifest.json``, which says what every column means and lets a user check the
table and their own copy of the images against the ones we scored.

The table holds ``id`` (canonical id: the example's index in the original order of its split,
as ``replicate.data.load`` returns it), ``split`` and one column per :class:`Score`, rows sorted
by split then id. The manifest holds the data set and its splits (sizes, the SHA-256 of every
scored image's raw uint8 bytes), each score's definition, sign and source, the run-store keys and
recipes of the runs the scores came from, the package version and git commit, and the SHA-256 of
``scores.parquet``. :func:`load` reads both back and checks them against each other.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from .. import provenance

FORMAT = "replicate-atlas-scores-1"
"""Version of the release layout; bumped when a file or manifest field changes meaning."""
TABLE = "scores.parquet"
MANIFEST = "manifest.json"
KEYS = ("id", "split")
"""The columns every row has before its scores."""
SIGNS = ("higher = harder", "lower = harder", "no direction")
ID_CONVENTION = (
    "id is the example's index in the original order of its split (the order of the data set's distributed files, "
    "as replicate.data.load returns it); (split, id) identifies an example."
)
IMAGE_HASH = "SHA-256 of the image's raw uint8 bytes in C order, shape (C, H, W) as replicate.data.load returns it"


class ReleaseError(ValueError):
    """A release that does not match its manifest, or inputs that cannot be released; the message
    lists every mismatch found."""


@dataclass(frozen=True)
class Score:
    """One released column: what it measures, which direction is harder, where it comes from, its
    unit or range, and the splits whose examples have it (the other rows hold NaN)."""

    name: str
    definition: str
    sign: str
    source: str
    unit: str
    splits: tuple[str, ...] = ("train", "test")

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or self.name in KEYS:
            raise ReleaseError(f"score name {self.name!r} must be a Python identifier other than {', '.join(KEYS)}")
        if self.sign not in SIGNS:
            raise ReleaseError(f"score {self.name!r}: sign {self.sign!r} is not one of {', '.join(map(repr, SIGNS))}")
        if not self.splits:
            raise ReleaseError(f"score {self.name!r}: name at least one split whose examples have it")
        object.__setattr__(self, "splits", tuple(self.splits))


@dataclass(frozen=True)
class Release:
    """A loaded release: the table, its scores' definitions and the whole manifest."""

    table: pd.DataFrame
    scores: tuple[Score, ...]
    manifest: dict


def image_sha256(images: np.ndarray) -> list[str]:
    """Hex SHA-256 of each image's raw uint8 bytes (C order), first axis = images."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ReleaseError(f"images must be uint8 as replicate.data.load returns them; got {images.dtype}")
    return [hashlib.sha256(np.ascontiguousarray(im).tobytes()).hexdigest() for im in images]


def ids_sha256(ids: np.ndarray) -> str:
    """Hex SHA-256 of a split's ids as little-endian int64, in table order."""
    return hashlib.sha256(np.asarray(ids, dtype="<i8").tobytes()).hexdigest()


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def recipes(records: Iterable) -> dict[str, dict]:
    """The ``runs_used`` entry of ensembles (``runs.Record``): ``"ensemble/<key>"`` -> the spec's
    fields and the commit the ensemble was trained at."""
    return {f"ensemble/{r.key}": {"spec": asdict(r.spec), "trained_at": r.meta.get("git", "unknown")} for r in records}


def write(
    table: pd.DataFrame,
    scores: Sequence[Score],
    dataset: str,
    images: Mapping[str, np.ndarray],
    runs_used: Mapping[str, Mapping],
    out_dir: str | Path,
) -> Path:
    """Write ``scores.parquet`` and ``manifest.json`` into ``out_dir``; return the manifest's path.

    ``table``: columns ``id``, ``split`` and one per score (any order, rows in any order).
    ``images``: per split, the whole split's uint8 images indexed by canonical id (``data.load(dataset,
    split).x``); it gives the split's size and the image hashes. ``runs_used``: run-store entry
    (``"kind/key"``) -> its recipe, JSON-serialisable (:func:`recipes` makes it for ensembles).
    The manifest is written last, so a directory with a manifest holds a complete release.
    """
    scores = tuple(scores)
    sizes = {s: len(x) for s, x in images.items()}
    problems = _problems(table, scores, sizes)
    if problems:
        raise ReleaseError("cannot release the table: " + "; ".join(problems))
    order = {s: i for i, s in enumerate(images)}
    table = table.assign(_order=table["split"].map(order)).sort_values(["_order", "id"], kind="stable")
    table = table[[*KEYS, *(s.name for s in scores)]].reset_index(drop=True)
    table["id"] = table["id"].astype(np.int64)
    table["split"] = table["split"].astype(str)

    splits = {}
    for s, x in images.items():
        ids = table.loc[table["split"] == s, "id"].to_numpy()
        splits[s] = {
            "size": sizes[s],
            "rows": len(ids),
            "image_shape": list(np.shape(x)[1:]),
            "ids_sha256": ids_sha256(ids),
            "image_sha256": image_sha256(np.asarray(x)[ids]),
        }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _atomic(out / TABLE, lambda p: table.to_parquet(p, engine="pyarrow", index=False))
    manifest = {
        "format": FORMAT,
        "dataset": dataset,
        "id_convention": ID_CONVENTION,
        "image_hash": IMAGE_HASH + "; image_sha256 lists the split's rows in table order",
        "splits": splits,
        "scores": [asdict(s) for s in scores],
        "runs": {k: dict(v) for k, v in runs_used.items()},
        "package": {"name": "replicate", "version": version("replicate"), "git_commit": provenance.git_commit()},
        "table": {"file": TABLE, "sha256": file_sha256(out / TABLE), "rows": len(table), "columns": list(table.columns)},
    }
    _atomic(out / MANIFEST, lambda p: Path(p).write_text(json.dumps(manifest, indent=1) + "\n"))
    return out / MANIFEST


def load(out_dir: str | Path, verify: bool = True, images: Mapping[str, np.ndarray] | None = None) -> Release:
    """Read a release written by :func:`write`; with ``verify``, check the table's SHA-256 against
    the manifest, its columns against the manifest's scores, its rows and ids per split, and, when
    ``images`` (per split, uint8 images indexed by canonical id) are given, that their hashes match
    the scored images. Raises :class:`ReleaseError` listing every mismatch."""
    out = Path(out_dir)
    try:
        manifest = json.loads((out / MANIFEST).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ReleaseError(f"cannot read {out / MANIFEST}: {err}") from err
    if manifest.get("format") != FORMAT:
        raise ReleaseError(f"{out / MANIFEST} has format {manifest.get('format')!r}; this code reads {FORMAT!r}")
    scores = tuple(Score(**{**s, "splits": tuple(s["splits"])}) for s in manifest["scores"])
    if verify and (digest := file_sha256(out / TABLE)) != manifest["table"]["sha256"]:
        raise ReleaseError(f"{out / TABLE} has SHA-256 {digest}, the manifest says {manifest['table']['sha256']}: the file was changed")
    table = pd.read_parquet(out / TABLE, engine="pyarrow")
    if verify:
        splits = manifest["splits"]
        problems = _problems(table, scores, {s: v["size"] for s, v in splits.items()})
        if not problems:
            for s, v in splits.items():
                ids = table.loc[table["split"] == s, "id"].to_numpy()
                if len(ids) != v["rows"]:
                    problems.append(f"split {s!r} has {len(ids)} rows, the manifest says {v['rows']}")
                elif ids_sha256(ids) != v["ids_sha256"]:
                    problems.append(f"split {s!r}: the ids differ from the manifest's (ids_sha256)")
        for s, x in (images or {}).items():
            problems += _image_problems(s, x, table, splits)
        if problems:
            raise ReleaseError(f"{out} does not match its manifest: " + "; ".join(problems))
    return Release(table, scores, manifest)


def _problems(table: pd.DataFrame, scores: tuple[Score, ...], sizes: Mapping[str, int]) -> list[str]:
    """Every way ``table`` fails to be a release of ``scores`` over splits of ``sizes`` examples."""
    names = [s.name for s in scores]
    wanted = [*KEYS, *names]
    problems = [f"score {n!r} is declared twice" for n in sorted({n for n in names if names.count(n) > 1})]
    missing = [c for c in wanted if c not in table.columns]
    extra = [str(c) for c in table.columns if c not in wanted]
    if missing:
        problems.append("missing column(s) " + ", ".join(missing))
    if extra:
        problems.append("column(s) without a score definition " + ", ".join(extra))
    if "id" in missing or "split" in missing:
        return problems
    unknown = sorted(set(table["split"].astype(str)) - set(sizes))
    if unknown:
        problems.append(f"split value(s) {', '.join(unknown)} not among the splits {', '.join(sizes)}")
    if not pd.api.types.is_integer_dtype(table["id"]):
        return [*problems, f"column id must hold integers; it is {table['id'].dtype}"]
    for s, n in sizes.items():
        ids = table.loc[table["split"] == s, "id"].to_numpy()
        if ids.size and (ids.min() < 0 or ids.max() >= n):
            problems.append(f"split {s!r}: ids must lie in [0, {n}); found {ids.min()}..{ids.max()}")
        if ids.size != np.unique(ids).size:
            problems.append(f"split {s!r}: ids repeat")
    for score in scores:
        if score.name not in table.columns:
            continue
        if set(score.splits) - set(sizes):
            problems.append(
                f"score {score.name!r} is declared for split(s) {', '.join(sorted(set(score.splits) - set(sizes)))}, which are not released"
            )
        column = table[score.name]
        if not pd.api.types.is_numeric_dtype(column):
            problems.append(f"score {score.name!r} must be numeric; it is {column.dtype}")
            continue
        outside = ~table["split"].isin(score.splits) & column.notna()
        if outside.any():
            problems.append(
                f"score {score.name!r} is declared for {', '.join(score.splits)} only but has {int(outside.sum())} value(s) elsewhere"
            )
    return problems


def _image_problems(split: str, images: np.ndarray, table: pd.DataFrame, splits: Mapping[str, Mapping]) -> list[str]:
    """How a user's copy of ``split`` differs from the scored images, naming the first ids that do."""
    if split not in splits:
        return [f"images given for split {split!r}, which the release does not have"]
    want = splits[split]
    if len(images) != want["size"] or list(np.shape(images)[1:]) != want["image_shape"]:
        return [
            f"split {split!r}: images of shape {tuple(np.shape(images))}, the release scored {want['size']} of {tuple(want['image_shape'])}"
        ]
    ids = table.loc[table["split"] == split, "id"].to_numpy()
    try:
        got = image_sha256(np.asarray(images)[ids])
    except ReleaseError as err:
        return [f"split {split!r}: {err}"]
    bad = [int(i) for i, a, b in zip(ids, got, want["image_sha256"]) if a != b]
    if bad:
        return [f"split {split!r}: {len(bad)} image(s) differ from the scored ones, e.g. id(s) {', '.join(map(str, bad[:5]))}"]
    return []


def _atomic(path: Path, write_to) -> None:
    """Write ``path`` through a temporary file in its directory, renamed into place, readable by all
    like any released file (a temporary file starts private)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        write_to(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
