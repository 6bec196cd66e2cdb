#!/usr/bin/env bash
# Null-SUT issue rate of ossperf's LoadGen vs the official LoadGen (PyPI mlcommons-loadgen,
# Python null SUT, same settings), and Server issue lateness at 1k, 10k and 100k QPS.
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
    official=$(python3 "$here/official_null_sut.py" "$queries" 2>/dev/null | grep official_issue_rate_qps)
    echo "$official"
    python3 - "$ours" "$official" <<'PY'
import sys
o = float(sys.argv[1].split()[1]); r = float(sys.argv[2].split()[1])
print(f"ratio_ours_over_official {o / r:.2f}")
PY
else
    echo "official LoadGen not measured: python3 module mlperf_loadgen is missing (pip install mlcommons-loadgen)"
fi
"$bin" lateness 1000 3000
"$bin" lateness 10000 3000
"$bin" lateness 100000 1000
