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

# Fashion-MNIST: Debian's package where apt-get can install it, else torchvision downloads it.
if [ ! -d /usr/share/datasets/fashion-mnist ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "setup: installing Debian's dataset-fashion-mnist"
  (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null) || echo "setup: apt-get failed; torchvision will download the data"
fi
.venv/bin/replicate data fashion_mnist
