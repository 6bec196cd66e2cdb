#!/bin/sh
# Browser time of the HTML report of a synthetic 100,000-request run (issue #7: under 2 s).
# Usage: bench/report-render.sh [N] ; OSSPERF=path/to/ossperf to use another binary.
# Prints the page size, the time ossperf took to write it, and Chromium's own measure:
# navigation start to the load event with layout forced (`data-load-ms` on <html>).
set -eu
n=${1:-100000}
ossperf=${OSSPERF:-${CARGO_TARGET_DIR:-target}/release/ossperf}
[ -x "$ossperf" ] || cargo build --release -p ossperf
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$(date +%s%N)
"$ossperf" report --synthetic "$n" "$work/run" >/dev/null
end=$(date +%s%N)
echo "requests: $n"
echo "results.json: $(wc -c <"$work/run/results.json") bytes"
echo "report.html: $(wc -c <"$work/run/report.html") bytes"
echo "ossperf (synthesise + write results.json + report): $(( (end - start) / 1000000 )) ms"
for i in 1 2 3; do
  mkdir "$work/profile$i"
  ms=$(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile$i" --dump-dom "file://$work/run/report.html" 2>/dev/null |
    grep -o 'data-load-ms="[0-9]*"' | grep -o '[0-9]*')
  echo "browser load + layout, try $i: ${ms} ms"
done
