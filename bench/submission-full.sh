#!/usr/bin/env bash
# A whole closed-division submission against the simulator, at full size and compliant settings,
# then ossperf's checker and the official one on the assembled tree (issue 23). Not CI: about
# 35 minutes at full size (the Offline and Server sequences run side by side, about 24 and 33
# minutes), plus `cargo build --release` when OSSPERF names no binary.
#
#   bash bench/submission-full.sh [OUT_DIR]        # OUT_DIR must not exist (default: a new temp dir)
#
# Environment:
#   OSSPERF_FULL_SCALE    fraction of the full size (default 1). Row counts, durations and the
#                         simulator's token times are multiplied by it and the rates divided by
#                         it, so every phase issues what it would at full size relative to its
#                         rows and lasts SCALE times as long; 0.02 runs the whole script in a few
#                         minutes (the checkers then report the reduced counts and durations)
#   OSSPERF               the ossperf binary (default: `cargo build --release`'s)
#   MLPERF_INFERENCE_SRC  the official checker's source (bench/submission/checker-src.sh);
#                         without it the official verdict is skipped, saying so
#   PYTHON                interpreter for the official checker (needs PyYAML; default python3)
#
# What runs (docs/SUBMISSION.md, "The full-size run"):
# - datasets: data/sample.jsonl's rows cycled to 6,396 performance rows (all sub-datasets,
#   reasoning effort low), 4,395 accuracy rows (the scored ones, high) and 990 GPQA rows for
#   TEST07 (high), by bench/submission/full_datasets.py and `ossperf dataset build`;
# - one `ossperf simulate` with fixed times (TTFT 50 ms, 1.5 ms per token, 1,278 tokens on
#   average), answering 95 % of the scored rows correctly (`--accuracy 0.95`, above the target
#   82.2987);
# - `ossperf submission run` for Offline (required) and Server (the checker at the cited commit
#   wants one of Server or Interactive besides Offline), with the official mlperf.conf (seeds,
#   600 s minimum duration, 6,396 / 4,395 sample counts, token latencies) and a user.conf of
#   target rates only: Offline 19.3/s (samples per query 1.1 x 600 x 19.3 = 12,738 >= 6,396,
#   padded to two copies, 12,792 samples, about 11 min at 38 in flight), Server 10/s (6,396
#   queries, 640 s). The reference's own user.conf sets Server's min_duration to 60 s, which the
#   checker rejects, so it is not used;
# - `ossperf submission assemble`, `ossperf submission check`, and the official checker through
#   bench/submission/oracle.py.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
scale=${OSSPERF_FULL_SCALE:-1}
# Every scaled figure, computed once.
figures=$(python3 - "$scale" <<'EOF'
import sys
s = float(sys.argv[1])
if not 0 < s <= 1:
    sys.exit(f"submission-full.sh: OSSPERF_FULL_SCALE must be in (0, 1], not {sys.argv[1]}")
print(f"full={int(s == 1)}")
print(f"perf_rows={max(1, round(6396 * s))}")
print(f"acc_rows={max(1, round(4395 * s))}")
print(f"gpqa_rows={max(25, round(990 * s))}")
print(f"min_duration_ms={round(600000 * s)}")
print(f"ttft_ms={50 * s:g}")
print(f"tpot_ms={1.5 * s:g}")
print(f"offline_qps={19.3 / s:g}")
print(f"server_qps={10 / s:g}")
EOF
) || exit 2
eval "$figures"

out=${1:-$(mktemp -d "${TMPDIR:-/tmp}/ossperf-full.XXXXXX")}
if [ $# -ge 1 ]; then
  if [ -e "$out" ]; then
    echo "submission-full.sh: \`$out\` exists; give a new directory" >&2
    exit 2
  fi
  mkdir -p "$out"
fi
if [ -z "${OSSPERF:-}" ]; then
  (cd "$root" && cargo build --release --quiet -p ossperf --bin ossperf)
  OSSPERF="$root/target/release/ossperf"
fi
python=${PYTHON:-python3}

echo "scale $scale: $perf_rows performance rows, $acc_rows accuracy rows, $gpqa_rows GPQA rows; \
min_duration ${min_duration_ms} ms; Offline ${offline_qps}/s, Server ${server_qps}/s; \
TTFT ${ttft_ms} ms, TPOT ${tpot_ms} ms; output in $out"

# Datasets.
data="$out/data"
python3 "$root/bench/submission/full_datasets.py" "$root/data/sample.jsonl" "$data" \
  "$perf_rows" "$acc_rows" "$gpqa_rows"
"$OSSPERF" dataset build "$data/perf.jsonl" "$data/perf.parquet" --reasoning-effort low
"$OSSPERF" dataset build "$data/acc.jsonl" "$data/acc.parquet" --reasoning-effort high
"$OSSPERF" dataset build "$data/gpqa.jsonl" "$data/gpqa.parquet" --reasoning-effort high

# user.conf: the target rates; below full size, the sizes and the duration too.
conf="$out/user.conf"
{
  echo "gpt-oss-120b.Offline.target_qps = $offline_qps"
  echo "gpt-oss-120b.Server.target_qps = $server_qps"
  if [ "$full" = 0 ]; then
    echo "gpt-oss-120b.*.performance_sample_count_override = $perf_rows"
    echo "gpt-oss-120b.*.accuracy_sample_count_override = $acc_rows"
    echo "gpt-oss-120b.*.min_duration = $min_duration_ms"
  fi
} >"$conf"

# The simulator, on a free loopback port; stopped on exit.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$OSSPERF" simulate --port "$port" --ttft-ms "$ttft_ms" --tpot-ms "$tpot_ms" \
  --reference-data "$data/acc.parquet" --accuracy 0.95 --seed 1 >"$out/simulate.log" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null || true' EXIT

# The two sequences, side by side (the simulator's fixed times do not depend on load).
run_sequence() {
  local scenario=$1
  shift
  "$OSSPERF" submission run -o "$out/runs" --reference-data "$data/acc.parquet" \
    --accuracy-input "$data/acc.parquet" --test07-data "$data/gpqa.parquet" \
    --lcb-tests "$root/data/sample_lcb_tests.jsonl" --skip-unscored-datasets -- \
    --scenario "$scenario" --server-url "http://127.0.0.1:$port" --wait-ready 60 \
    --input-file "$data/perf.parquet" --user-conf "$conf" "$@" >"$out/$scenario.log" 2>&1
}
start=$(date +%s)
run_sequence offline --max-concurrency 38 &
offline=$!
run_sequence server &
server=$!
offline_rc=0 server_rc=0
wait "$offline" || offline_rc=$?
wait "$server" || server_rc=$?
echo "submission run: offline exit $offline_rc, server exit $server_rc, $(($(date +%s) - start)) s (logs: $out/offline.log, $out/server.log)"
kill "$sim" 2>/dev/null || true
if [ "$offline_rc" -gt 1 ] || [ "$server_rc" -gt 1 ]; then
  echo "submission-full.sh: a sequence stopped; see its log" >&2
  exit 1
fi

# The tree and both verdicts.
tree="$out/tree"
# Every field the checker requires, describing what ran: ossperf's simulator on this machine.
system=(
  "status=available" "system_type=datacenter" "number_of_nodes=1"
  "host_processor_model_name=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || echo unknown)"
  "host_processors_per_node=1" "host_processor_core_count=$(nproc)"
  "host_memory_capacity=n/a" "host_storage_capacity=n/a" "host_storage_type=n/a"
  "accelerators_per_node=1" "accelerator_model_name=ossperf simulator (fixed times)"
  "accelerator_memory_capacity=n/a" "framework=ossperf simulate" "operating_system=$(uname -sr)"
  "other_software_stack=ossperf $("$OSSPERF" --version | awk '{print $2}')"
  "host_processor_frequency=n/a" "host_processor_caches=n/a" "host_memory_configuration=n/a"
  "host_processor_interconnect=n/a" "host_networking=loopback" "host_networking_topology=n/a"
  "accelerator_frequency=n/a" "accelerator_host_interconnect=loopback"
  "accelerator_interconnect=n/a" "accelerator_interconnect_topology=n/a"
  "accelerator_memory_configuration=n/a" "accelerator_on-chip_memories=n/a" "cooling=n/a"
  "hw_notes=simulated: no accelerator ran" "sw_notes=bench/submission-full.sh"
  "host_network_card_count=0" "system_type_detail=simulated"
)
measurements=(
  "input_data_types=int32 token ids" "retraining=no"
  "starting_weights_filename=openai/gpt-oss-120b" "weight_data_types=none (simulated)"
  "weight_transformations=none"
)
assemble=()
for f in "${system[@]}"; do assemble+=(--field "$f"); done
for f in "${measurements[@]}"; do assemble+=(--measurement "$f"); done
"$OSSPERF" submission assemble --org ossperf --system simulator --division closed \
  "${assemble[@]}" -o "$tree" "$out/runs"
check_rc=0
"$OSSPERF" submission check "$tree" || check_rc=$?
"$OSSPERF" submission check --format json "$tree" >"$out/check.json" || true
echo "ossperf submission check: exit $check_rc ($out/check.json)"
if [ -n "${MLPERF_INFERENCE_SRC:-}" ]; then
  oracle_rc=0
  "$python" "$root/bench/submission/oracle.py" --python "$python" --log "$out/checker.log" \
    -o "$out/checker.json" "$tree" || oracle_rc=$?
  python3 - "$out/checker.json" "$oracle_rc" <<'EOF_PY'
import json, sys
found = json.load(open(sys.argv[1]))
errors = [f["message"] for f in found if f["level"] == "ERROR"]
print(f"official submission checker: exit {sys.argv[2]}, {len(errors)} error record(s)")
for e in errors:
    print("  " + e)
EOF_PY
  grep -E "SUMMARY|\] Results=" "$out/checker.log" || true
else
  echo "official submission checker: skipped, MLPERF_INFERENCE_SRC is not set (bench/submission/checker-src.sh fetches it)"
fi
echo "total: $(($(date +%s) - start)) s since the first run"
[ "$check_rc" = 0 ] && [ "${oracle_rc:-0}" = 0 ]
