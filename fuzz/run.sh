#!/usr/bin/env bash
# Runs every fuzz target for a set time (issue #9) and prints, per target, the executions,
# executions/s, libFuzzer's coverage (`cov:`), the corpus size before and after, and crashes.
#
# Usage: fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      (default 60 s, every target)
#
# With cargo-fuzz installed (`cargo install cargo-fuzz`) it uses libFuzzer:
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --features libfuzzer --sanitizer "$OSSPERF_FUZZ_SANITIZER" \
#     <target> corpus/<target> regressions/<target> -- -max_total_time=<s> -max_len=65536 \
#     -artifact_prefix=artifacts/<target>/ -print_final_stats=1
# RUSTC_BOOTSTRAP=1 lets a stable toolchain take cargo-fuzz's nightly -Z flags; the sanitizer
# defaults to `address` (OSSPERF_FUZZ_SANITIZER=none for a plain, faster build). New inputs
# land in corpus/<target>/: shrink it with `cargo fuzz cmin --features libfuzzer <target>`
# before committing. Without cargo-fuzz, or with OSSPERF_FUZZ=replay, it runs the stable
# mutation loop of src/replay.rs over the same corpora (`cargo run --release --bin replay`).
# libFuzzer's output goes to artifacts/<target>.log. Crash inputs land in artifacts/<target>/
# (minimise with `cargo fuzz tmin`); once fixed, copy
# each into regressions/<target>/ with a test in the owning crate, so every later run replays it.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(conf sse json_chunk http_response dataset_parquet dataset_pickle dataset_jsonl accuracy_log
    harmony)
fi

engine=${OSSPERF_FUZZ:-}
if [ -z "$engine" ]; then
  if cargo fuzz --version >/dev/null 2>&1; then engine=libfuzzer; else engine=replay; fi
fi
sanitizer=${OSSPERF_FUZZ_SANITIZER:-address}

# "<files> files, <bytes> B" of a corpus directory (content bytes, not disk blocks).
corpus_size() {
  find "$1" -type f -printf '%s\n' | awk '{ n++; b += $1 } END { printf "%d files, %d B", n, b }'
}

status=0
case "$engine" in
  libfuzzer)
    # One build up front, so no target pays for it in its time budget.
    RUSTC_BOOTSTRAP=1 cargo fuzz build --features libfuzzer --sanitizer "$sanitizer" >/dev/null
    for t in "${targets[@]}"; do
      mkdir -p "artifacts/$t" "corpus/$t" "regressions/$t"
      before=$(corpus_size "corpus/$t")
      log="artifacts/$t.log"
      # The accuracy-log reader splits the file on a scoped thread; that thread's TLS
      # destructor list is still being freed when `thread::scope` returns, which LeakSanitizer
      # reports now and then as a 32-byte leak (seen once in 43k runs): not a leak.
      leaks=1
      if [ "$t" = accuracy_log ]; then leaks=0; fi
      RUSTC_BOOTSTRAP=1 cargo fuzz run --features libfuzzer --sanitizer "$sanitizer" "$t" \
        "corpus/$t" "regressions/$t" -- -max_total_time="$seconds" -max_len=65536 \
        -detect_leaks="$leaks" -artifact_prefix="artifacts/$t/" -print_final_stats=1 \
        2>"$log" || status=1
      execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
      rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
      cov0=$(grep 'INITED' "$log" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*' || echo "?")
      cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*' || echo "?")
      crashes=$(find "artifacts/$t" -type f | wc -l)
      echo "$t: $execs execs in ${seconds} s ($rate/s), cov $cov0 -> $cov, corpus $before -> $(corpus_size "corpus/$t"), $crashes crash files in artifacts/$t"
      if [ "$crashes" -gt 0 ]; then grep -m 3 -E 'panicked|ERROR: ' "$log" >&2 || true; fi
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
