#!/bin/sh
# Screenshots of the HTML report in headless Chromium, to look at after a change to the charts.
# Usage: bench/report-screenshots.sh OUT_DIR [RESULT_DIR...]
#   With result directories (each with results.json), one report overlays them all.
#   Without, it makes its own on the built-in simulator: an Offline and a Server demo run
#   (about a minute), a three-run overlay of synthetic runs, and shoots all four.
# OSSPERF=path/to/ossperf to use another binary; CHROMIUM=path to another browser.
# Writes OUT_DIR/<name>-<k>.png (1280 x 1600 px slices of the page, top to bottom) and the
# reports beside them.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 OUT_DIR [RESULT_DIR...]" >&2; exit 2; }
out=$1
shift
ossperf=${OSSPERF:-${CARGO_TARGET_DIR:-target}/release/ossperf}
chromium=${CHROMIUM:-chromium}
[ -x "$ossperf" ] || cargo build --release -p ossperf
command -v "$chromium" >/dev/null || { echo "no $chromium (apt-get install -y chromium)" >&2; exit 2; }
mkdir -p "$out"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

shoot() { # shoot NAME REPORT.html: the page in 1600 px slices, each through a frame that
  # shows the report shifted up (headless Chromium shoots only the top of a page).
  for k in 0 1 2 3 4 5; do
    frame="$profile/$1-$k.html"
    printf '<html><body style="margin:0;overflow:hidden"><iframe src="file://%s" \
style="border:0;position:absolute;top:-%dpx;width:1280px;height:%dpx"></iframe></body></html>' \
      "$(realpath "$2")" $((k * 1600)) $(((k + 1) * 1600)) >"$frame"
    "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync \
      --user-data-dir="$profile/$1-$k" --hide-scrollbars --window-size=1280,1600 \
      --allow-file-access-from-files --screenshot="$out/$1-$k.png" "file://$frame" 2>/dev/null
    echo "$out/$1-$k.png"
  done
}

if [ $# -gt 0 ]; then
  "$ossperf" report "$@" --output "$out/report.html" >/dev/null
  shoot report "$out/report.html"
  exit 0
fi
runs=$out/runs
rm -rf "$runs"
"$ossperf" run --output-dir "$runs" >/dev/null 2>&1
"$ossperf" run --scenario server --output-dir "$runs" >/dev/null 2>&1 || true
"$ossperf" report --synthetic 3000 "$runs/s1" "$runs/s2" "$runs/s3" \
  --output "$out/overlay.html" >/dev/null
cp "$runs/offline/performance/report.html" "$out/offline.html"
cp "$runs/server/performance/report.html" "$out/server.html"
for name in offline server overlay; do
  shoot "$name" "$out/$name.html"
done
