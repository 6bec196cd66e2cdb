#!/usr/bin/env bash
# The client-overhead suite of issue #6 (docs/PERFORMANCE.md): builds ossperf, the minimal
# client (bench/minclient) and the loadgen/client bench programs in release, runs each
# measurement against `ossperf simulate` on loopback, and prints one table: figure, value,
# target, and the ratio to the minimal client where there is one.
#
# Usage: bench/run.sh [--quick]
#   --quick   smaller runs (under two minutes on an idle 2-core machine once built); reuses
#             binaries already built in $CARGO_TARGET_DIR instead of building
# OSSPERF_OFFICIAL=1 builds ossperf with the official LoadGen (docs/OFFICIAL_LOADGEN.md; sources
# from MLPERF_LOADGEN_SRC, else downloaded by scripts/official-loadgen-src.sh) and repeats the
# 1,000-stream measurement under it.
# CPU time is the ossperf process's user + system time and peak RSS its maximum resident set,
# both from /usr/bin/time. A missed target never fails the script: timings are for the record.
# Only loopback is used. The work files go to a temporary directory removed on exit.
set -euo pipefail
quick=0
[ "${1:-}" = "--quick" ] && quick=1
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
bin="$target/release"
mintarget="$target/minclient"
ossperf="${OSSPERF:-$bin/ossperf}"
minclient="$mintarget/release/minclient"
figures="$mintarget/release/figures"
null_sut="$bin/examples/null_sut"
acclog="$bin/examples/accuracy_log"
sse_cpu="$bin/examples/sse_cpu"

official="${OSSPERF_OFFICIAL:-0}"
build() {
    if [ "$official" = 1 ]; then
        MLPERF_LOADGEN_SRC="${MLPERF_LOADGEN_SRC:-$(bash scripts/official-loadgen-src.sh)}" \
            cargo build --release -q -p ossperf --features official-loadgen
    else
        cargo build --release -q -p ossperf
    fi
    cargo build --release -q -p ossperf-loadgen --example null_sut --example accuracy_log
    cargo build --release -q -p ossperf-client --example sse_cpu
    (cd bench/minclient && CARGO_TARGET_DIR="$mintarget" cargo build --release -q --offline)
}
if [ "$quick" = 0 ] || ! [ -x "$ossperf" ] || ! [ -x "$minclient" ] || ! [ -x "$figures" ] \
    || ! [ -x "$null_sut" ] || ! [ -x "$acclog" ] || ! [ -x "$sse_cpu" ]; then
    build
fi

work="$(mktemp -d)"
sim_pid=""
cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
ulimit -n 20000 2>/dev/null || true

# Sizes: full, quick.
if [ "$quick" = 1 ]; then
    off_n=3000; s100_n=300; s1k_n=1000; err_ms=4000; mem_n=5000; acc_mb=256
else
    off_n=20000; s100_n=500; s1k_n=3000; err_ms=15000; mem_n=5000; acc_mb=1024
fi
stream_len=1000
# The old default stream shape, kept for the figures that predate issue #20: current SGLang with
# --incremental-streaming-output, one event per token. The simulator's default is now the
# reference launch (SGLang v0.5.4.post2, cumulative, --stream-interval 500).
delta1=(--personality sglang --stream-output delta --stream-interval 1)

rows=()   # the table: "figure|value|target|ratio"
row() { rows+=("$1|$2|$3|${4:-}"); }
load() { cut -d' ' -f1 /proc/loadavg; }

# Datasets, written as JSONL and converted by ossperf (no Python). Every row of `small` has
# its own prompt length (1000 + row), which joins results to the simulator's truth.
awk 'BEGIN { for (i = 0; i < 512; i++) { printf "{\"input_tokens\":["; n = 1000 + i;
    for (j = 0; j < n; j++) printf "%s%d", (j ? "," : ""), 1000 + (i * 131 + j * 7) % 150000;
    printf "],\"dataset\":\"gpqa\",\"ground_truth\":\"A\"}\n" } }' > "$work/small.jsonl"
awk 'BEGIN { for (i = 0; i < 6396; i++) { printf "{\"input_tokens\":["; n = 800 + (i * 37) % 600;
    for (j = 0; j < n; j++) printf "%s%d", (j ? "," : ""), 1000 + (i * 131 + j * 7) % 150000;
    printf "],\"dataset\":\"gpqa\",\"ground_truth\":\"A\"}\n" } }' > "$work/big.jsonl"
"$ossperf" dataset convert "$work/small.jsonl" "$work/small.parquet" > /dev/null
"$ossperf" dataset convert "$work/big.jsonl" "$work/big.parquet" > /dev/null

port=$(( 20000 + RANDOM % 20000 ))
url="http://127.0.0.1:$port"
# start_sim ARGS...: the simulator on $port, waiting until it answers.
start_sim() {
    "$ossperf" simulate --host 127.0.0.1 --port "$port" --max-running-requests 6000 "$@" \
        > "$work/sim.log" 2>&1 &
    sim_pid=$!
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "bench: the simulator did not start on port $port:" >&2
    cat "$work/sim.log" >&2
    return 1
}
stop_sim() { kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null || true; sim_pid=""; }

# conf NAME SCENARIO LINES...: a user.conf for the gpt-oss-120b key.
conf() {
    local file="$work/$1.conf" scenario="$2"
    shift 2
    : > "$file"
    for l in "performance_sample_count_override = 512" "$@"; do
        echo "gpt-oss-120b.$scenario.$l" >> "$file"
    done
    echo "$file"
}
# ossperf_run NAME ARGS...: `ossperf run` under /usr/bin/time; leaves wall, cpu (s) and rss (MB).
ossperf_run() {
    local name="$1"
    shift
    /usr/bin/time -f "%e %U %S %M" -o "$work/$name.time" "$ossperf" run --server-url "$url" \
        --output-dir "$work/$name" "$@" > "$work/$name.out" 2>&1 || {
        echo "bench: ossperf run $name exited non-zero (an INVALID run does):" >&2
        tail -3 "$work/$name.out" >&2; }
    wall=0 user=0 sys=0 rss=0
    read -r wall user sys rss < <(tail -1 "$work/$name.time") || true
    cpu=$(calc "$user + $sys")
    rss=$(( ${rss:-0} / 1024 ))
}
summary() {
    grep -m1 "^$2" "$work/$1"/*/performance/mlperf_log_summary.txt 2>/dev/null \
        | awk -F': ' '{print $2}' || echo nan
}
mintime() {
    /usr/bin/time -f "%e %U %S %M" -o "$work/min.time" "$minclient" "$@" > "$work/min.out" \
        || echo "bench: minclient $* failed" >&2
    mwall=0 muser=0 msys=0
    read -r mwall muser msys _ < <(tail -1 "$work/min.time") || true
    mcpu=$(calc "$muser + $msys")
}
calc() { awk "BEGIN { printf \"%.6f\", $1 }" 2>/dev/null || echo nan; }
fmt() { printf "%.${2:-1}f" "$1"; }

# 0. The fixed cost: a 1-query run (start-up, dataset, logs, report). Its CPU time is taken
# off the throughput runs' so that their per-request figures are the per-request cost.
start_sim --profile zero --output-len 1
c=$(conf one Offline "min_query_count = 1" "min_duration = 0" "target_qps = 1")
ossperf_run one --scenario offline --user-conf "$c" --input-file "$work/small.parquet" --max-new-tokens 1
small_wall=$wall small_rss=$rss base_cpu=$cpu
row "1-query run, 512-row set: wall s, CPU s, peak RSS MB" "$small_wall, $base_cpu, $small_rss" "" ""
stop_sim

# 1. Offline throughput: non-streaming, 128 output tokens, zero profile.
start_sim --profile zero --output-len 128
l=$(load)
c=$(conf offline Offline "min_query_count = $off_n" "min_duration = 1000" "target_qps = 1")
ossperf_run offline --scenario offline --user-conf "$c" --input-file "$work/small.parquet" \
    --max-new-tokens 128 --no-stream --max-concurrency 128
rate=$(summary offline "Samples per second")
mintime "$url" "$work/small.jsonl" "$off_n" 128 128
mrate=$(awk '/^rate/ {print $2}' "$work/min.out")
row "offline samples/s (load $l)" "$(fmt "$rate")" ">= 80% of minimal" "$(fmt "$(calc "$rate / $mrate")" 2)"
row "offline CPU us/request" "$(fmt "$(calc "($cpu - $base_cpu) * 1e6 / $off_n")")" "<= 20" \
    "$(fmt "$(calc "$cpu / $mcpu")" 2)"
row "minimal client samples/s, CPU us/request" "$(fmt "$mrate"), $(fmt "$(calc "$mcpu * 1e6 / $off_n")")" "" ""
stop_sim

# 2. Streaming throughput: one token per SSE event, zero profile, 100 and 1,000 streams.
start_sim --profile zero --output-len "$stream_len" "${delta1[@]}"
for spec in "100 $s100_n" "1000 $s1k_n"; do
    set -- $spec
    l=$(load)
    c=$(conf "stream$1" Offline "min_query_count = $2" "min_duration = 1000" "target_qps = 1")
    ossperf_run "stream$1" --scenario offline --user-conf "$c" --input-file "$work/small.parquet" \
        --max-new-tokens "$stream_len" --stream --max-concurrency "$1"
    events=$(( $2 * stream_len ))
    eps=$(summary "stream$1" "Tokens per second")
    mintime "$url" "$work/small.jsonl" "$2" "$1" "$stream_len" stream
    meps=$(awk '/^events_per_s/ {print $2}' "$work/min.out")
    row "stream $1: events/s (load $l)" "$(fmt "$eps" 0)" ">= 1e6 (one core)" "$(fmt "$(calc "$eps / $meps")" 2)"
    row "stream $1: CPU us/event" "$(fmt "$(calc "($cpu - $base_cpu) * 1e6 / $events")" 3)" "<= 1 (packed)" \
        "$(fmt "$(calc "$cpu / $mcpu")" 2)"
    row "stream $1: ossperf peak RSS MB" "$rss" "" ""
done
stop_sim
# Packed events, the client alone on one thread (crates/client/examples/sse_cpu.rs).
l=$(load)
packed=$("$sse_cpu" 200 2000 16 2>&1 | grep -o '[0-9.]* us CPU/event ([0-9]* events/s)' | head -1 || true)
row "packed SSE (16/read), client crate alone, one thread (load $l)" "$packed" "<= 1 us, >= 1e6/s" ""

# 2b. Cumulative streams (SGLang's default, and the reference launch at interval 500) beside
# deltas: client CPU per output token and peak RSS, zero profile. The client reads only the new
# tail of a cumulative chunk (crates/client/src/fast/tail.rs) and reads a long event straight into
# the SSE parser's buffer (h1/body.rs, Body::frame_into); the bytes on the wire still grow as
# O(n^2) at interval 1 (docs/PERFORMANCE.md, "Cumulative streams").
# issued NAME: the samples LoadGen issued. An Offline query is rounded up to whole copies of the
# performance sample set (sample_concatenate_permutation), so it can exceed min_query_count.
issued() {
    grep -o '"generated_samples_per_query", "value": [0-9]*' \
        "$work/$1"/*/performance/mlperf_log_detail.txt | grep -o '[0-9]*$' || echo nan
}
# stream_cost NAME STREAMS SAMPLES LEN SIM-ARGS...: leaves per_token (CPU us) and rss (MB). The
# sample set is SAMPLES rows (at most 512), so the query is SAMPLES long, not 512.
stream_cost() {
    local name="$1" conc="$2" n="$3" len="$4"
    shift 4
    start_sim --profile zero --output-len "$len" "$@"
    local c
    c=$(conf "$name" Offline "performance_sample_count_override = $(( n < 512 ? n : 512 ))" \
        "min_query_count = $n" "min_duration = 1000" "target_qps = 1")
    ossperf_run "$name" --scenario offline --user-conf "$c" --input-file "$work/small.parquet" \
        --max-new-tokens "$len" --stream --max-concurrency "$conc"
    stop_sim
    per_token=$(calc "($cpu - $base_cpu) * 1e6 / ($(issued "$name") * $len)")
    # CPU time is read in 10 ms ticks: under 0.1 s spent (ten ticks), the per-token figure is mostly noise.
    if [ "$(calc "($cpu - $base_cpu) < 0.1")" = "1.000000" ]; then coarse=1; fi
}
# ratio A B: B/A, or a note when either run spent too little CPU to measure.
coarse=0
ratio() {
    if [ "$coarse" = 1 ]; then echo "n/a: under 0.1 s of CPU (10 ms ticks)"; else
        echo "$(fmt "$(calc "$2 / $1")" 2)x"; fi
}
if [ "$quick" = 1 ]; then
    c2k_n=200; c10k=(200 200); i1=(2 4)
else
    c2k_n=1000; c10k=(1000 1000); i1=(2 16)
fi
for interval in 1 500; do
    l=$(load) coarse=0
    stream_cost "delta$interval" 50 "$c2k_n" 2000 --personality sglang --stream-output delta \
        --stream-interval "$interval"
    d=$per_token
    [ "$interval" = 1 ] && d1=$d
    stream_cost "cumul$interval" 50 "$c2k_n" 2000 --stream-output cumulative \
        --stream-interval "$interval"
    row "50 streams x 2,000 tokens, interval $interval: CPU us/token delta, cumulative (load $l)" \
        "$(fmt "$d" 3), $(fmt "$per_token" 3)" "cumulative <= 1.5x delta" "$(ratio "$d" "$per_token")"
done
l=$(load) coarse=0
stream_cost delta10k "${c10k[0]}" "${c10k[1]}" 10000 --personality sglang --stream-output delta
d=$per_token drss=$rss
stream_cost cumul10k "${c10k[0]}" "${c10k[1]}" 10000
row "${c10k[0]} streams x 10,000 tokens, interval 500: CPU us/token delta, cumulative (load $l)" \
    "$(fmt "$d" 3), $(fmt "$per_token" 3)" "cumulative <= 1.5x delta" "$(ratio "$d" "$per_token")"
row "  peak RSS MB delta, cumulative" "$drss, $rss" "" ""
# Interval 1 with long answers: about 550 MB on the wire per 10,000-token answer, so only a few
# answers, beside the delta figure of interval 1 above (a delta token costs the same at any length).
l=$(load) coarse=0
stream_cost cumul10k1 "${i1[0]}" "${i1[1]}" 10000 --stream-interval 1
row "${i1[0]} streams, ${i1[1]} x 10,000 tokens, interval 1: CPU us/token delta (above), cumulative (load $l)" \
    "$(fmt "$d1" 3), $(fmt "$per_token" 3)" "bytes-bound (PERFORMANCE.md)" \
    "$(ratio "$d1" "$per_token")"

# 3. Measurement error: TTFT 50 ms, TPOT 10 ms, 100 tokens, ~1,000 concurrent streams, and the
# same at ~300 streams to show how the error depends on the load. The truth's arrival is the
# kernel's receive stamp of the request's headers and its first token the frame's hand-off to
# hyper (docs/SIMULATOR.md); the client stamps the kernel's receive time too. At 1,000 streams
# (100k unpacked SSE events/s each way) the simulator and ossperf need about a core each, which
# the CPU row shows: on 2 cores every thread then queues (docs/PERFORMANCE.md).
# sim_cpu: the simulator's user + system CPU seconds so far (clock ticks from /proc).
sim_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$sim_pid/stat"; }
for spec in "960 1000" "288 300"; do
    set -- $spec
    start_sim --ttft-ms 50 --tpot-ms 10 --output-len 100 --truth-log "$work/truth$2.jsonl" "${delta1[@]}"
    l=$(load)
    c=$(conf "error$2" Server "target_qps = $1" "min_duration = $err_ms" "min_query_count = 1")
    ossperf_run "error$2" --scenario server --user-conf "$c" --input-file "$work/small.parquet" \
        --max-new-tokens 100 --stream
    scpu=$(sim_cpu)
    stop_sim
    res=("$work/error$2"/*/performance/results.json)
    if err=$("$figures" error "${res[0]}" "$work/truth$2.jsonl"); then
        row "$2 streams: TTFT error ms mean/p50/p99/std (load $l)" \
            "$(echo "$err" | awk '/^ttft/ {print $3"/"$9"/"$5"/"$7}')" "p99 <= 0.5" ""
        row "$2 streams: TPOT error ms mean/p99/std" "$(echo "$err" | awk '/^tpot/ {print $3"/"$5"/"$7}')" "std <= 0.1" ""
        late=$("$figures" lateness "${res[0]}" || true)
        row "$2 streams: issue lateness us p50/p99/max, $1 QPS" "$(echo "$late" | awk '{print $3"/"$5"/"$7}')" "" ""
        row "$2 streams: CPU s ossperf, simulator, over wall s" "$(fmt "$cpu"), $scpu, $wall" "" ""
    else
        row "$2 streams: measurement error" "not measured (see above)" "" ""
    fi
    # The reported TTFT p50/p99 against the simulator's own, native, then official (whose
    # per-request times are not reported: the distribution is compared).
    true_ttft=$("$figures" truth "$work/truth$2.jsonl" || true)
    tp50=$(echo "$true_ttft" | awk '{print $3}') tp99=$(echo "$true_ttft" | awk '{print $5}')
    rp50=$(summary "error$2" "50.00 percentile first token latency") rp99=$(summary "error$2" "99.00 percentile first token latency")
    row "$2 streams, native LoadGen: TTFT p50/p99 reported - true ms" \
        "$(fmt "$(calc "$rp50 / 1e6 - $tp50")" 3)/$(fmt "$(calc "$rp99 / 1e6 - $tp99")" 3)" "" ""
    if [ "$official" = 1 ] && [ "$2" = 1000 ]; then
        start_sim --ttft-ms 50 --tpot-ms 10 --output-len 100 --truth-log "$work/truth-official.jsonl"
        l=$(load)
        ossperf_run "official$2" --loadgen official --scenario server --user-conf "$c" \
            --input-file "$work/small.parquet" --max-new-tokens 100 --stream
        stop_sim
        true_ttft=$("$figures" truth "$work/truth-official.jsonl" || true)
        tp50=$(echo "$true_ttft" | awk '{print $3}') tp99=$(echo "$true_ttft" | awk '{print $5}')
        rp50=$(summary "official$2" "50.00 percentile first token latency") rp99=$(summary "official$2" "99.00 percentile first token latency")
        row "$2 streams, official LoadGen: TTFT p50/p99 reported - true ms (load $l)" \
            "$(fmt "$(calc "$rp50 / 1e6 - $tp50")" 3)/$(fmt "$(calc "$rp99 / 1e6 - $tp99")" 3)" "" ""
        row "$2 streams, official LoadGen: CPU s ossperf, over wall s" "$(fmt "$cpu"), $wall" "" ""
    fi
done

# 4. Scheduling: null-SUT issue lateness (crates/loadgen/bench/null_sut.rs).
for spec in "1000 3000" "10000 3000" "100000 1000"; do
    set -- $spec
    l=$(load)
    late=$("$null_sut" lateness "$1" "$2" | awk '{print $7"/"$9"/"$11}' || true)
    target=""
    [ "$1" = 10000 ] && target="p99 <= 20"
    row "lateness us p50/p99/max, $1 QPS null SUT (load $l)" "$late" "$target" ""
done

# 5. Memory and start-up.
start_sim --ttft-ms 1000 --tpot-ms 10 --output-len 100 "${delta1[@]}"
l=$(load)
c=$(conf mem Offline "min_query_count = $mem_n" "min_duration = 1000" "target_qps = 1")
ossperf_run mem --scenario offline --user-conf "$c" --input-file "$work/small.parquet" \
    --max-new-tokens 100 --stream --max-concurrency "$mem_n"
row "peak RSS MB, $mem_n streams (load $l)" "$rss" "<= 100" ""
stop_sim
start_sim --profile zero --output-len 1
cbig="$work/big.conf"
sed 's/= 512/= 6396/' "$work/one.conf" > "$cbig"
ossperf_run big --scenario offline --user-conf "$cbig" --input-file "$work/big.parquet" --max-new-tokens 1
row "6,396 x ~1,100-token set: 1-query run s, peak RSS MB" "$wall, $rss" "" ""
row "  load time (difference to the 512-row run) s" "$(fmt "$(calc "$wall - $small_wall")" 2)" "" ""
stop_sim
l=$(load)
acc=$("$acclog" "$work/acc.json" "$acc_mb" || true)
rm -f "$work/acc.json"
row "accuracy log (load $l)" "$(echo "$acc" | awk '{print $2" MB, "$6" MB/s, peak RSS "$8" MB"}')" ">= 500 MB/s, flat" ""

echo
echo "ossperf client-overhead suite ($([ "$quick" = 1 ] && echo quick || echo full)), $(nproc) cores, $(date -u +%FT%TZ)"
printf '%s\n' "${rows[@]}" | column -t -s '|' -N "figure,value,target,ratio to minimal"
exit 0
