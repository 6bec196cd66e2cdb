#!/usr/bin/env python3
"""Writes the JSONL sources of bench/submission-full.sh's full-size synthetic datasets.

    python3 bench/submission/full_datasets.py SAMPLE_JSONL OUT_DIR PERF_ROWS ACC_ROWS GPQA_ROWS

Rows are the bundled sample's (`data/sample.jsonl`, written by `data/gen_sample.py`), cycled in
file order until the wanted count, each copy unchanged (the same question twice is the same
prompt, as a repeated row would be):
  perf.jsonl  every sample row (AIME, GPQA, LiveCodeBench, summarization), PERF_ROWS of them
  acc.jsonl   the scored rows only (AIME, GPQA, LiveCodeBench), ACC_ROWS of them, as the
              reference's accuracy set holds only scored sub-datasets
  gpqa.jsonl  the GPQA rows only, GPQA_ROWS of them (TEST07's compliance set)
`ossperf dataset build` then renders and tokenizes them (perf at reasoning effort low, the
others at high, as the reference's files are).
"""

import itertools
import json
import os
import sys


def cycled(rows, n):
    if not rows:
        sys.exit("full_datasets.py: no rows to cycle")
    return list(itertools.islice(itertools.cycle(rows), n))


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    sample, out = sys.argv[1], sys.argv[2]
    perf_n, acc_n, gpqa_n = (int(a) for a in sys.argv[3:6])
    with open(sample) as f:
        rows = [line.rstrip("\n") for line in f if line.strip()]
    datasets = [json.loads(r)["dataset"] for r in rows]
    scored = [r for r, d in zip(rows, datasets) if d != "pubmed_summarization"]
    gpqa = [r for r, d in zip(rows, datasets) if d == "gpqa_diamond"]
    os.makedirs(out, exist_ok=True)
    for name, src, n in (("perf", rows, perf_n), ("acc", scored, acc_n), ("gpqa", gpqa, gpqa_n)):
        with open(os.path.join(out, name + ".jsonl"), "w") as f:
            for r in cycled(src, n):
                f.write(r + "\n")
        print(f"{name}.jsonl: {n} rows cycled from {len(src)}", file=sys.stderr)


if __name__ == "__main__":
    main()
