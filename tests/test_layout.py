"""The package's floors (ARCHITECTURE.md): formulas import nothing of ours, the shared engine
imports no paper and no face, a paper imports no other paper except that paper's specs by name,
and no module imports another's private names."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "replicate"
PAPERS = ("hacohen2020", "baldock2021", "pliushch2022", "atlas")
FACES = ("book", "bench", "cli")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(absolute module, imported names) of every ``import`` of a replicate module in ``path``."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != "replicate":
                continue
            names = [a.name for a in node.names]
            for name in names:  # "from . import probes" imports the module replicate.probes
                if (PACKAGE.parent / mod.replace(".", "/") / name).with_suffix(".py").exists() or (
                    PACKAGE.parent / mod.replace(".", "/") / name
                ).is_dir():
                    out.append((f"{mod}.{name}", []))
            out.append((mod, names))
        elif isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.split(".")[0] == "replicate"]
    return out


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_layout_exists():
    names = {module_name(p) for p in MODULES}
    engine = {"data", "models", "train", "store", "runs", "metrics", "probes", "imagestats", "curves", "plotting", "provenance", "verdicts"}
    assert {f"replicate.{m}" for m in engine} <= names
    for paper in PAPERS:
        assert {f"replicate.{paper}.{m}" for m in ("specs", "plots", "claims")} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_respect_the_floors(path):
    me = module_name(path).split(".")
    for mod, names in imports(path):
        parts = mod.split(".")
        assert not any(n.startswith("_") and n != "__future__" for n in names), (
            f"{module_name(path)} imports private names {names} from {mod}"
        )
        if len(parts) < 2 or parts[:2] == me[:2]:
            continue
        other = parts[1]
        if me[1] in ("metrics", "imagestats"):
            pytest.fail(f"{module_name(path)} is a formula module and imports {mod}")
        if me[1] not in PAPERS + FACES:
            assert other not in PAPERS + FACES, f"the shared engine module {module_name(path)} imports {mod}"
        elif me[1] in PAPERS and other in PAPERS:
            assert parts[2:3] == ["specs"], f"{module_name(path)} imports {mod}: only another paper's specs may be imported"
        elif me[1] in PAPERS:
            assert other not in FACES, f"{module_name(path)} imports the face {mod}"
