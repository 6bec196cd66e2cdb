#!/usr/bin/env bash
# The personality matrix of issue #20 at full size: every simulator personality x Offline/Server
# x performance/accuracy, `ossperf run` against `ossperf simulate --personality P` on loopback,
# with the official mlperf.conf and the reference user.conf sizes (no overrides). Prints one
# line per cell: the summary's result (performance) or the accuracy log's sample count.
# The CI version is crates/ossperf/tests/e2e/matrix.rs.
#
# Usage: bench/matrix.sh DATASET [PROFILE]
#   DATASET  a dataset ossperf reads (the reference's parquet or pickle)
#   PROFILE  the simulator's timing profile (default h200)
# A text-only server's accuracy log holds its re-encoded text (marked in results.json's
# `tokens.text_encoded`).
set -euo pipefail
dataset="${1:?usage: bench/matrix.sh DATASET [PROFILE]}"
profile="${2:-h200}"
root="$(cd "$(dirname "$0")/.." && pwd)"
ossperf="${OSSPERF:-${CARGO_TARGET_DIR:-$root/target}/release/ossperf}"
[ -x "$ossperf" ] || (cd "$root" && cargo build --release -q -p ossperf)
work="$(mktemp -d)"
sim_pid=""
cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
port=$(( 20000 + RANDOM % 20000 ))
for personality in sglang sglang-0.5.4.post2 vllm vllm-0.10.1 trtllm-serve; do
    backend=openai
    case "$personality" in sglang*) backend=sglang ;; esac
    "$ossperf" simulate --host 127.0.0.1 --port "$port" --personality "$personality" \
        --profile "$profile" --reference-data "$dataset" > "$work/sim.log" 2>&1 &
    sim_pid=$!
    for _ in $(seq 600); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
        sleep 0.1
    done
    for scenario in offline server; do
        for mode in performance accuracy; do
            out="$work/$personality-$scenario-$mode"
            flag=()
            [ "$mode" = accuracy ] && flag=(--accuracy)
            "$ossperf" run --backend "$backend" --server-url "http://127.0.0.1:$port" \
                --scenario "$scenario" --input-file "$dataset" --stream "${flag[@]}" \
                --output-dir "$out" > "$out.log" 2>&1 || true
            if [ "$mode" = performance ]; then
                result=$(grep -h -m1 "^Result is" "$out"/*/performance/mlperf_log_summary.txt \
                    2>/dev/null || echo "no summary (see $out.log)")
            else
                result="$(grep -o '"qsl_idx"' "$out"/*/accuracy/mlperf_log_accuracy.json \
                    2>/dev/null | wc -l) samples logged"
            fi
            printf '%-20s %-8s %-12s %s\n' "$personality" "$scenario" "$mode" "$result"
        done
    done
    kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null || true; sim_pid=""
done
