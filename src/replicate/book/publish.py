"""Publish the built HTML as a static site on a gh-pages branch, as Jupyter Book documents:
``ghp-import -n -p -f _build/html``. Backs ``replicate publish``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


class PublishError(ValueError):
    """There is nothing to publish, or nowhere to publish it: the message says what to do."""


def publish(html_dir: str | Path, remote: str = "origin", branch: str = "gh-pages", message: str = "Publish the book") -> None:
    """Replace ``branch``'s tree with ``html_dir`` (plus ``.nojekyll``, so GitHub Pages serves the
    ``_static`` folders) in the git repository that holds ``html_dir``, and force-push it to ``remote``.

    Backs ``replicate publish``. Raises PublishError when ``html_dir`` has no ``index.html``, is not
    inside a git repository, or the repository has no remote ``remote``."""
    html = Path(html_dir).resolve()
    if not (html / "index.html").is_file():
        raise PublishError(f"{html} has no index.html: build the book first (replicate book), or pass the folder that holds it")
    top = _git(html, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise PublishError(f"{html} is not inside a git repository: build the book inside the project's clone to publish it")
    repo = Path(top.stdout.strip())
    if _git(repo, "remote", "get-url", remote).returncode != 0:
        raise PublishError(f"{repo} has no git remote {remote!r}: add it (git remote add {remote} URL) or pass remote=")
    ghp = [sys.executable, "-m", "ghp_import", "--no-jekyll", "--push", "--force"]
    subprocess.run([*ghp, "--remote", remote, "--branch", branch, "--message", message, str(html)], cwd=repo, check=True)


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """Run git in ``cwd``, capturing its output, for the checks that turn git's errors into PublishError."""
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
