#!/usr/bin/env python3
"""Runs lcb_runner's own testing code on the differential set and writes its verdicts.

The LiveCodeBench checkout is not part of ossperf: give its path (the commit the reference
pins is b1e7cab44d610bbc2e10d36d270cd0c89c600492) as --lcb-src or OSSPERF_LCB_SRC. The Python
that runs this needs what lcb_runner's evaluation package imports (numpy, pandas, tqdm).

Each program goes the way eval_mlperf_accuracy.py sends it: a ProcessPoolExecutor worker with
stdout and stderr redirected to /dev/null (evaluate_livecodebench_worker) calls lcb_runner's
evaluate_generations_by_problem, which runs check_correctness (a test process, run_test,
the global timeout); the verdict is extract_instance_results' rule, all(result > 0).

usage: oracle.py [--lcb-src DIR] [--timeout SECS] [--workers N] CASES.jsonl OUT.jsonl
"""
import argparse
import contextlib
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor


def code_of(result):
    # Results as the ossperf runner reports them: bools as 1/0, numpy values by first item,
    # anything else (what a program's __eq__ returned) 1 if it is > 0, else 0.
    if hasattr(result, "item"):
        result = result.item(0)
    if isinstance(result, (bool, int)):
        return int(result)
    try:
        return 1 if result > 0 else 0
    except Exception:
        return 0


def passed_of(results):
    # extract_instance_results' rule; when it raises (a result that is not a number), the
    # reference's evaluate_livecodebench_detailed catches the error and marks the entry wrong.
    try:
        return all(g > 0 for g in results)
    except Exception:
        return False


# The scorer's command line, which lcb_runner's test processes inherit (programs see it in
# sys.argv; fileinput.input() reads the files it names): the reference README's example, the
# same list crates/eval/src/lcb/runner.py sets.
REFERENCE_ARGV = [
    "eval_mlperf_accuracy.py",
    "--mlperf-log",
    "mlperf_results/offline/accuracy/mlperf_log_accuracy.json",
    "--reference-data",
    "/path/to/acc_eval_inputs.parquet",
    "--tokenizer",
    "openai/gpt-oss-120b",
]


def judge(args):
    lcb_src, timeout, case = args
    sys.argv = list(REFERENCE_ARGV)
    sample = {
        "input_output": json.dumps(
            {"inputs": case["inputs"], "outputs": case["outputs"], "fn_name": case["fn_name"]}
        )
    }
    with open(os.devnull, "w") as devnull:
        with contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(devnull):
            os.environ["TQDM_DISABLE"] = "1"
            from lcb_runner.evaluation.compute_code_generation_metrics import (
                evaluate_generations_by_problem,
            )

            res, _ = evaluate_generations_by_problem([[case["code"]], sample, False, timeout])
    results = res[0]
    passed = passed_of(results)
    return {"id": case["id"], "passed": bool(passed), "results": [code_of(r) for r in results]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lcb-src", default=os.environ.get("OSSPERF_LCB_SRC"))
    parser.add_argument("--timeout", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("cases")
    parser.add_argument("out")
    args = parser.parse_args()
    if not args.lcb_src or not os.path.isfile(
        os.path.join(args.lcb_src, "lcb_runner", "evaluation", "testing_util.py")
    ):
        sys.exit("oracle.py: give a LiveCodeBench checkout with --lcb-src or OSSPERF_LCB_SRC")
    lcb_src = os.path.abspath(args.lcb_src)
    cases_path, out_path = os.path.abspath(args.cases), os.path.abspath(args.out)
    sys.path.insert(0, lcb_src)
    os.chdir(lcb_src)  # as the reference's evaluate_livecodebench_detailed
    with open(cases_path) as f:
        cases = [json.loads(line) for line in f if line.strip()]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        verdicts = list(pool.map(judge, [(lcb_src, args.timeout, c) for c in cases]))
    with open(out_path, "w") as f:
        for v in verdicts:
            f.write(json.dumps(v) + "\n")
    passed = sum(v["passed"] for v in verdicts)
    print(
        f"{len(verdicts)} programs, {passed} pass (Python {sys.version.split()[0]}, "
        f"timeout {args.timeout} s)",
        file=sys.stderr,
    )


main()
