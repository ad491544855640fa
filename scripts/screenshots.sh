#!/usr/bin/env bash
# Screenshots of the built book (_build/html) as a reader sees it, with no network: the intro, the
# scorecard and three figure pages, full width of a laptop screen, into _build/screenshots/.
# Needs chromium (apt-get install chromium). Usage: bash scripts/screenshots.sh [page.html ...]
set -euo pipefail
cd "$(dirname "$0")/.."
html=_build/html
out=_build/screenshots
[ -f "$html/index.html" ] || { echo "no $html/index.html: build the book first (replicate book)" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "chromium not found: apt-get install chromium" >&2; exit 1; }
pages=("$@")
[ ${#pages[@]} -gt 0 ] || pages=(
  book/intro.html
  executed/scorecard.html
  executed/hacohen2020/h1_consistency_histograms.html
  executed/baldock2021/b4_consensus_accuracy.html
  executed/pliushch2022/p5_statistics_correlation.html
)
mkdir -p "$out"
port=$((8800 + RANDOM % 100))
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$html" >/dev/null 2>&1 &
server=$!
trap 'kill $server' EXIT
sleep 1
for p in "${pages[@]}"; do
  name=$(echo "$p" | tr '/' '_' | sed 's/\.html$//')
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1440,2400 \
    --virtual-time-budget=5000 --screenshot="$out/$name.png" "http://127.0.0.1:$port/$p" >/dev/null 2>&1
  echo "$out/$name.png"
done
