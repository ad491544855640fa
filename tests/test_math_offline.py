"""Formulas render with no network: a tiny book built with the project's _config.yml loads MathJax
from its own _static folder (installed by scripts/setup.sh), never from a CDN."""

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = """# Formulas

Inline $\\sum_{j \\ne y} \\max(0, z_j - z_y)$ and displayed:

$$
\\kappa = \\frac{p_o - p_e}{1 - p_e}
$$
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """The HTML of one page with formulas, built with the project's own _config.yml and book/_static."""
    if importlib.util.find_spec("jupyter_book") is None:
        pytest.skip("jupyter-book is not installed: bash scripts/setup.sh installs it")
    book = tmp_path_factory.mktemp("book")
    shutil.copy(ROOT / "_config.yml", book / "_config.yml")
    (book / "book").mkdir()
    (book / "book" / "_static").symlink_to(ROOT / "book" / "_static")
    (book / "_toc.yml").write_text("format: jb-book\nroot: formulas\n")
    (book / "formulas.md").write_text(PAGE)
    jb = Path(sys.executable).parent / "jupyter-book"
    out = subprocess.run([str(jb), "build", str(book), "--path-output", str(book)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return book / "_build" / "html" / "formulas.html"


def test_the_page_loads_mathjax_from_the_build(page):
    html = page.read_text()
    assert 'class="math' in html, "the page has no formulas for MathJax to typeset"
    scripts = [s.split("?")[0] for s in re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)]
    mathjax = [s for s in scripts if "mathjax" in s.lower()]
    assert len(mathjax) == 1, f"expected one MathJax script, found {mathjax}"
    assert not re.match(r"(https?:)?//", mathjax[0]), f"MathJax comes from the network: {mathjax[0]}"
    local = (page.parent / mathjax[0]).resolve()
    assert local.is_file(), f"{mathjax[0]} is not in the build: bash scripts/setup.sh installs MathJax into book/_static/mathjax"
    fonts = local.parent / "output" / "chtml" / "fonts" / "woff-v2"
    assert (fonts / "MathJax_Main-Regular.woff").is_file(), "MathJax's fonts are not in the build"


def test_no_page_loads_anything_from_a_cdn(page):
    for html in page.parent.rglob("*.html"):
        remote = re.findall(r'<(?:script|link)[^>]*\b(?:src|href)="((?:https?:)?//[^"]+)"', html.read_text())
        assert not remote, f"{html.name} loads {remote}"
        assert "cdn.jsdelivr.net" not in html.read_text(), f"{html.name} names a CDN"
