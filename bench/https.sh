#!/usr/bin/env bash
# The TTFT measurement error over https, next to plain HTTP: part 3 of bench/run.sh (TTFT
# 50 ms, TPOT 10 ms, 100 tokens, Server at QPS streams) three ways: straight to the
# simulator, through a plain TCP forwarder, and through a TLS front (crates/client/examples/
# tls_front.rs) with a certificate authority made for the run and `--ca-cert`. The simulator's
# truth is stamped where it hands frames to its own socket, so the two fronted runs include
# the forwarder's hop; their difference is what TLS costs. Prints the `figures error` line of
# each. Only loopback is used.
#
# Usage: bench/https.sh [QPS STREAMS]   (default 288 300)
set -euo pipefail
qps="${1:-288}"
streams="${2:-300}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release -q -p ossperf
cargo build --release -q -p ossperf-client --example tls_front
(cd bench/minclient && CARGO_TARGET_DIR="$target/minclient" cargo build --release -q --offline --bin figures)
ossperf="$target/release/ossperf"
front="$target/release/examples/tls_front"
figures="$target/minclient/release/figures"

work="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ulimit -n 20000 2>/dev/null || true
port=$((20000 + RANDOM % 20000))

# The suite's dataset (as bench/run.sh): every row its own prompt length, so results and
# truth join.
awk 'BEGIN { for (i = 0; i < 512; i++) { printf "{\"input_tokens\":["; n = 1000 + i;
    for (j = 0; j < n; j++) printf "%s%d", (j ? "," : ""), 1000 + (i * 131 + j * 7) % 150000;
    printf "],\"dataset\":\"gpqa\",\"ground_truth\":\"A\"}\n" } }' > "$work/small.jsonl"
"$ossperf" dataset convert "$work/small.jsonl" "$work/small.parquet" > /dev/null 2>&1 || {
    echo "bench: cannot build the dataset" >&2; exit 1; }

wait_port() {
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "bench: nothing listens on port $1" >&2
    return 1
}

measure() {
    local name="$1" url="$2"
    shift 2
    "$ossperf" simulate --host 127.0.0.1 --port "$port" --max-running-requests 6000 \
        --ttft-ms 50 --tpot-ms 10 --output-len 100 --truth-log "$work/truth-$name.jsonl" \
        > "$work/sim-$name.log" 2>&1 &
    local sim=$!
    pids+=("$sim")
    wait_port "$port"
    local conf="$work/$name.conf"
    printf '%s\n' "gpt-oss-120b.Server.performance_sample_count_override = 512" \
        "gpt-oss-120b.Server.target_qps = $qps" "gpt-oss-120b.Server.min_duration = 4000" \
        "gpt-oss-120b.Server.min_query_count = 1" > "$conf"
    "$ossperf" run --server-url "$url" --output-dir "$work/$name" --scenario server \
        --user-conf "$conf" --input-file "$work/small.parquet" --max-new-tokens 100 --stream \
        "$@" > "$work/$name.out" 2>&1 || true
    kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null || true
    local res=("$work/$name"/*/performance/results.json)
    echo "== $name ($streams streams, $qps QPS, load $(cut -d' ' -f1 /proc/loadavg))"
    "$figures" error "${res[0]}" "$work/truth-$name.jsonl" || tail -3 "$work/$name.out"
}

measure http "http://127.0.0.1:$port"
fport=$((port + 1))
"$front" "127.0.0.1:$fport" "127.0.0.1:$port" "$work/ca.pem" --plain &
forwarder=$!
pids+=("$forwarder")
wait_port "$fport"
measure forwarded-http "http://127.0.0.1:$fport"
kill "$forwarder" 2>/dev/null || true
tport=$((port + 2))
"$front" "127.0.0.1:$tport" "127.0.0.1:$port" "$work/ca.pem" & pids+=("$!")
wait_port "$tport"
measure https "https://127.0.0.1:$tport" --ca-cert "$work/ca.pem"
