#!/usr/bin/env bash
# Null-SUT issue rate of ossperf's LoadGen vs the official LoadGen (PyPI mlcommons-loadgen,
# Python null SUT, same settings), and Server issue lateness at 1k, 10k and 100k QPS for
# both (the official one measured at its Python issue callback, so it includes that call).
# A benchmark, not a test: figures depend on the machine. Usage: crates/loadgen/bench/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../.."
queries="${QUERIES:-200000}"
cargo build --release -q -p ossperf-loadgen --example null_sut
bin="${CARGO_TARGET_DIR:-target}/release/examples/null_sut"

ours=$("$bin" rate "$queries")
echo "$ours"
if python3 -c "import mlperf_loadgen" 2>/dev/null; then
    official=$(python3 "$here/official_null_sut.py" rate "$queries" 2>/dev/null | grep official_issue_rate_qps)
    echo "$official"
    python3 - "$ours" "$official" <<'PY'
import sys
o = float(sys.argv[1].split()[1]); r = float(sys.argv[2].split()[1])
print(f"ratio_ours_over_official {o / r:.2f}")
PY
else
    echo "official LoadGen not measured: python3 module mlperf_loadgen is missing (pip install mlcommons-loadgen)"
fi
schedule="$(mktemp)"
trap 'rm -f "$schedule"' EXIT
for spec in "1000 3000" "10000 3000" "100000 1000"; do
    set -- $spec
    "$bin" lateness "$1" "$2"
    if python3 -c "import mlperf_loadgen" 2>/dev/null; then
        "$bin" schedule "$1" "$2" > "$schedule"
        python3 "$here/official_null_sut.py" lateness "$1" "$2" "$schedule" 2>/dev/null | grep official_lateness_us
    fi
done
