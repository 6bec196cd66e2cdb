#!/usr/bin/env bash
# Downloads the official LoadGen's sources (the `mlcommons-loadgen` source distribution on
# PyPI) into DIR and prints the directory to give as MLPERF_LOADGEN_SRC. The default version is
# the one ossperf's golden LoadGen files come from.
#   MLPERF_LOADGEN_SRC=$(bash scripts/official-loadgen-src.sh) cargo build --release --features official-loadgen
set -euo pipefail
version=${1:-6.0.17}
dir=${2:-${TMPDIR:-/tmp}/mlcommons-loadgen-src}
src="$dir/mlcommons_loadgen-$version"
if [ ! -f "$src/loadgen.h" ]; then
  mkdir -p "$dir"
  python3 -m pip download --quiet --disable-pip-version-check --no-binary :all: --no-deps \
    "mlcommons-loadgen==$version" -d "$dir" >&2
  tar -xzf "$dir/mlcommons_loadgen-$version.tar.gz" -C "$dir"
fi
echo "$src"
