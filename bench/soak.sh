#!/usr/bin/env bash
# The soak of issue #9: one million Offline queries against `ossperf simulate --profile zero`
# on loopback, with the ossperf client's resident memory sampled 4 times a second throughout.
# Memory should be flat after warm-up (LoadGen and the SUT allocate every query's state when it
# is issued, all at the start in Offline). Not a CI test: it runs for minutes. Prints peak and
# final RSS, the RSS after warm-up and its slope, the run's exit status and where the samples
# are; docs/RELIABILITY.md has the last figures.
#
# Usage: bench/soak.sh [QUERIES] ; OSSPERF=path/to/ossperf to use another binary.
# Keeps its work directory (logs, rss.csv) and prints its path.
set -euo pipefail
queries=${1:-1000000}
ossperf=${OSSPERF:-${CARGO_TARGET_DIR:-target}/release/ossperf}
[ -x "$ossperf" ] || cargo build --release -p ossperf
work=$(mktemp -d -t ossperf-soak-XXXXXX)
port=$(( 20000 + RANDOM % 20000 ))

"$ossperf" simulate --profile zero --output-len 8 --host 127.0.0.1 --port "$port" \
  >"$work/sim.log" 2>&1 &
sim=$!
trap 'kill "$sim" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done

cat >"$work/user.conf" <<EOF
gpt-oss-120b.*.performance_sample_count_override = 0
gpt-oss-120b.Offline.min_duration = 0
gpt-oss-120b.Offline.min_query_count = $queries
EOF

"$ossperf" run --server-url "http://127.0.0.1:$port" --user-conf "$work/user.conf" \
  --max-new-tokens 8 --output-dir "$work/out" >"$work/run.out" 2>"$work/run.err" &
run=$!
echo "seconds,rss_kib" >"$work/rss.csv"
start=$(date +%s)
t0=$EPOCHREALTIME
peak=0
last=0
while kill -0 "$run" 2>/dev/null; do
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$run/status" 2>/dev/null || true)
  if [ -n "$rss" ]; then
    last=$rss
    (( rss > peak )) && peak=$rss
    echo "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'),$rss" \
      >>"$work/rss.csv"
  fi
  sleep 0.25
done
status=0
wait "$run" || status=$?
end=$(date +%s)

echo "queries: $queries"
echo "exit status: $status"
echo "duration: $(( end - start )) s"
echo "samples: $(( $(wc -l <"$work/rss.csv") - 1 ))"
echo "peak RSS: $(( peak / 1024 )) MiB"
echo "final RSS (last sample before exit): $(( last / 1024 )) MiB"
# RSS over time in ten steps, to see whether it is flat after warm-up.
awk -F, 'NR > 1 { t[NR] = $1; r[NR] = $2; n = NR }
  END { step = int((n - 1) / 10); if (step < 1) step = 1;
        for (i = 2; i <= n; i += step) printf "  t=%ss rss=%d MiB\n", t[i], r[i] / 1024 }' \
  "$work/rss.csv"
# After warm-up: a least-squares line through the samples from 10% to 90% of the run (the
# first 10% is LoadGen's and the SUT's allocation, the last 10% includes writing the results),
# its slope turned into MiB per 100k queries at the run's mean rate.
awk -F, -v queries="$queries" 'NR > 1 { t[n] = $1; r[n] = $2 / 1024; n++ }
  END {
    if (n < 10) { print "slope after warm-up: too few samples"; exit }
    lo = int(n / 10); hi = n - 1 - int(n / 10); dur = t[n - 1]
    for (i = lo; i <= hi; i++) { m++; sx += t[i]; sy += r[i]; sxx += t[i] * t[i]; sxy += t[i] * r[i] }
    slope = (m * sxy - sx * sy) / (m * sxx - sx * sx)
    printf "RSS after warm-up (t=%ss): %d MiB; at t=%ss: %d MiB\n", t[lo], r[lo], t[hi], r[hi]
    printf "slope after warm-up: %.2f MiB per 100k queries (%.3f MiB/s, t=%s..%ss)\n",
      slope * dur / queries * 100000, slope, t[lo], t[hi]
  }' "$work/rss.csv"
grep -E "Result is|Samples per second|samples failed" "$work/out/offline/performance/mlperf_log_summary.txt" || true
echo "work directory: $work"
