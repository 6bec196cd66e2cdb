#!/usr/bin/env bash
# Runs every fuzz target for a set time (issue #9) and prints executions and crashes per target.
#
# Usage: fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      (default 60 s, every target)
#
# With cargo-fuzz installed it uses libFuzzer (`cargo fuzz run`, nightly or RUSTC_BOOTSTRAP=1
# on stable, no sanitizer); otherwise, or with OSSPERF_FUZZ=replay, the stable mutation loop
# of src/replay.rs over the same corpora. Crash inputs land in fuzz/artifacts/<target>/; copy
# each into fuzz/regressions/<target>/ once fixed, so every later run replays it.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(conf sse dataset_parquet dataset_pickle dataset_jsonl accuracy_log harmony)
fi

engine=${OSSPERF_FUZZ:-}
if [ -z "$engine" ]; then
  if cargo fuzz --version >/dev/null 2>&1; then engine=libfuzzer; else engine=replay; fi
fi

status=0
case "$engine" in
  libfuzzer)
    for t in "${targets[@]}"; do
      mkdir -p "artifacts/$t" "corpus/$t" "regressions/$t"
      log=$(mktemp)
      RUSTC_BOOTSTRAP=1 cargo fuzz run --features libfuzzer --sanitizer none "$t" \
        "corpus/$t" regressions/"$t" -- -max_total_time="$seconds" -max_len=65536 \
        -artifact_prefix="artifacts/$t/" 2>"$log" || status=1
      execs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' || echo "?")
      crashes=$(find "artifacts/$t" -type f | wc -l)
      echo "$t: $execs execs in ${seconds} s, $crashes crash files in artifacts/$t"
      rm -f "$log"
    done
    ;;
  replay)
    echo "libFuzzer unavailable (or OSSPERF_FUZZ=replay): stable mutation loop" >&2
    cargo run --quiet --release --bin replay -- --seconds "$seconds" "${targets[@]}" || status=1
    ;;
  *)
    echo "error: OSSPERF_FUZZ is \`$engine\`; expected \`libfuzzer\` or \`replay\`" >&2
    exit 2
    ;;
esac
exit "$status"
