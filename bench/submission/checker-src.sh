#!/usr/bin/env bash
# Fetches the official submission checker and accuracy-log truncation tool (mlcommons/inference
# `tools/submission/`, not on PyPI) into DIR at COMMIT and prints DIR, to give as
# MLPERF_INFERENCE_SRC:
#   export MLPERF_INFERENCE_SRC=$(bash bench/submission/checker-src.sh)
#   bash bench/submission/checker-src.sh COMMIT DIR [REPO]
# Only `tools/submission/submission_checker/` and `tools/submission/truncate_accuracy_log.py` are
# taken: a sparse, depth-1, blob-less fetch of that one commit from
# REPO (default GitHub), or, when REPO is a local git directory (a mirror), `git archive` of it.
# The default commit is the one docs/SUBMISSION.md cites. The checker needs PyYAML.
set -euo pipefail
commit=${1:-b66003e10e2db4b8c36a448b0545ec90fcc6e9e9}
dir=${2:-${TMPDIR:-/tmp}/mlcommons-inference-$commit}
repo=${3:-https://github.com/mlcommons/inference.git}
stamp="$dir/.checker-commit"
paths=(tools/submission/submission_checker tools/submission/truncate_accuracy_log.py)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" != "$commit" ]; then
  echo "checker-src.sh: $dir holds the checker at $(cat "$stamp"), not $commit; give another DIR" >&2
  exit 1
fi
if [ ! -f "$dir/tools/submission/submission_checker/main.py" ] ||
   [ ! -f "$dir/tools/submission/truncate_accuracy_log.py" ]; then
  mkdir -p "$dir"
  if git --git-dir "$repo" rev-parse --git-dir >/dev/null 2>&1; then
    git --git-dir "$repo" archive "$commit" "${paths[@]}" | tar -x -C "$dir"
  else
    [ -d "$dir/.git" ] || git -C "$dir" init --quiet
    git -C "$dir" sparse-checkout set --no-cone "${paths[@]}"
    git -C "$dir" fetch --quiet --depth 1 --filter=blob:none "$repo" "$commit" >&2
    git -C "$dir" checkout --quiet FETCH_HEAD
  fi
  echo "$commit" >"$stamp"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$commit" ]; then
  echo "checker-src.sh: $dir does not hold the checker at $commit; give another DIR" >&2
  exit 1
fi
echo "$dir"
