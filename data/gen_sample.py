#!/usr/bin/env python3
"""Write the ossperf sample dataset: data/sample.jsonl, data/sample_lcb_tests.jsonl and
data/sample_lcb_solutions.jsonl, after checking every answer.

All content is original (see data/README.md). Run from anywhere: `python3 data/gen_sample.py`;
with `--check` it writes nothing and fails if the committed files differ from what it would write.
Checks before writing:
- every math ground truth is recomputed by brute force (gen_math_science.py);
- every LiveCodeBench-style solution passes all of its public and private tests, checked the way
  LiveCodeBench checks them (stdin programs fed the input, compared line by line as text or as
  Decimal lists; functional problems called as Solution().<func_name>(*json args) and compared
  with ==).
"""

import base64
import contextlib
import io
import json
import os
import pickle
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # keep data/ free of __pycache__

import gen_code  # noqa: E402
import gen_math_science  # noqa: E402
import gen_summaries  # noqa: E402

PREAMBLE = ("from typing import *\nfrom collections import *\nimport sys, math, heapq, bisect, "
            "itertools, functools\nsys.setrecursionlimit(50000)\n")


def _cases(tests):
    private = json.loads(pickle.loads(zlib.decompress(base64.b64decode(tests["private_test_cases"]))))
    return json.loads(tests["public_test_cases"]) + private


def _run_stdin(code, case):
    """Runs a stdin program in this process (our own solutions only) with stdin and stdout
    swapped for text buffers. Like lcb_runner's stdin mock, there is no `sys.stdin.buffer`, so a
    solution that needs it fails here as it would be scored."""
    stdin = io.StringIO(case["input"])
    stdout = io.StringIO()
    saved = sys.stdin
    sys.stdin = stdin
    try:
        with contextlib.redirect_stdout(stdout):
            exec(PREAMBLE + code, {"__name__": "__main__"})
    except SystemExit:
        pass
    finally:
        sys.stdin = saved
    return gen_code.lines_match(stdout.getvalue(), case["output"])


def _run_functional(code, func, case):
    scope = {}
    exec(PREAMBLE + code, scope)  # our own solutions only
    args = [json.loads(line) for line in case["input"].split("\n")]
    got = getattr(scope["Solution"](), func)(*args)
    if isinstance(got, tuple):
        got = list(got)
    return got == json.loads(case["output"])


def check_solutions(records):
    for _, tests, solution in records:
        func = json.loads(tests["metadata"]).get("func_name")
        for case in _cases(tests):
            ok = (_run_functional(solution["solution"], func, case) if func
                  else _run_stdin(solution["solution"], case))
            if not ok:
                raise SystemExit(f"{tests['question_id']}: solution fails on {case!r}")


def write_jsonl(name, rows, check):
    path = os.path.join(HERE, name)
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if check:
        with open(path, encoding="utf-8") as f:
            if f.read() != text:
                raise SystemExit(f"{path} differs from what gen_sample.py writes; rerun it")
        print(f"checked {path}: {len(rows)} rows", file=sys.stderr)
        return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {path}: {len(rows)} rows", file=sys.stderr)


def main():
    check = "--check" in sys.argv[1:]
    records = gen_code.lcb_records()
    check_solutions(records)
    rows = (gen_math_science.math_rows() + gen_math_science.science_rows()
            + [row for row, _, _ in records] + gen_summaries.summary_rows())
    write_jsonl("sample.jsonl", rows, check)
    write_jsonl("sample_lcb_tests.jsonl", [tests for _, tests, _ in records], check)
    write_jsonl("sample_lcb_solutions.jsonl", [solution for _, _, solution in records], check)


if __name__ == "__main__":
    main()
