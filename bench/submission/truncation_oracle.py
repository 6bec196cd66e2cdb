#!/usr/bin/env python3
"""Runs the official accuracy-log truncation tool on a tree and keeps its inputs and outputs.

    python3 bench/submission/truncation_oracle.py [--src DIR] [--submitter ORG] -o OUT TREE

DIR is a checkout of mlcommons/inference holding `tools/submission/truncate_accuracy_log.py`
(not on PyPI; standard library only). Without `--src`, `MLPERF_INFERENCE_SRC` names it;
`bench/submission/checker-src.sh` makes one at the commit docs/SUBMISSION.md names.

TREE is a submission tree whose accuracy logs are not truncated yet (`<division>/<org>/results/
<system>/<benchmark>/<scenario>/`). The tool runs as its help text's first way says
(`truncate_accuracy_log.py --input TREE --submitter ORG --output NEW`), so TREE is not written
to. ORG defaults to the tree's only organisation.

OUT receives, for every accuracy directory the tool walks (`<scenario>/accuracy/` and
`<scenario>/<TEST01|TEST07|TEST09>/accuracy/`), the two files the tool reads and writes there
(`mlperf_log_accuracy.json`, `accuracy.txt`) as they were in TREE under `in/` and as the tool
left them under `out/`, at their paths below `<benchmark>/` (`in/Offline/accuracy/accuracy.txt`,
...), and `tool.json`: the tool's commit and path, its command line and its log records (sorted,
as the tool walks directories in the file system's order; paths relative to NEW, as it prints
them). These are the golden data
`crates/ossperf/tests/e2e/truncation.rs` compares `ossperf submission assemble` with. OUT is
replaced when it holds an earlier `tool.json` (or is empty); any other existing OUT is refused.

Exits 0 when the tool ran and exited 0, 1 when it exited otherwise, 2 on bad arguments.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

TOOL = os.path.join("tools", "submission", "truncate_accuracy_log.py")
DIVISIONS = ("closed", "open", "network")
# The compliance tests whose accuracy logs the tool truncates (the others it skips).
TESTS = ("TEST01", "TEST07", "TEST09")
# The files the tool reads and writes in an accuracy directory (it opens no other).
FILES = ("mlperf_log_accuracy.json", "accuracy.txt")


def fail(message, code=2):
    print(f"truncation_oracle.py: {message}", file=sys.stderr)
    sys.exit(code)


def subdirs(path):
    return sorted(d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d)))


def benchmark_dir(tree):
    """The tree's only `<division>/<org>/results/<system>/<benchmark>` and its org."""
    found = []
    for division in subdirs(tree):
        if division not in DIVISIONS:
            continue
        for org in subdirs(os.path.join(tree, division)):
            results = os.path.join(division, org, "results")
            if not os.path.isdir(os.path.join(tree, results)):
                continue
            for system in subdirs(os.path.join(tree, results)):
                for benchmark in subdirs(os.path.join(tree, results, system)):
                    found.append((os.path.join(results, system, benchmark), org))
    if len(found) != 1:
        fail(f"`{tree}` holds {len(found)} <division>/<org>/results/<system>/<benchmark> "
             "directories; give a tree with one")
    return found[0]


def accuracy_dirs(bench):
    """The accuracy directories the tool walks, relative to the benchmark directory."""
    out = []
    for scenario in subdirs(bench):
        out.append(os.path.join(scenario, "accuracy"))
        for test in subdirs(os.path.join(bench, scenario)):
            if test in TESTS:
                out.append(os.path.join(scenario, test, "accuracy"))
    return [d for d in out if os.path.isdir(os.path.join(bench, d))]


def commit_of(src):
    """The source's commit: checker-src.sh's stamp, else git's HEAD, else "unknown"."""
    stamp = os.path.join(src, ".checker-commit")
    if os.path.isfile(stamp):
        with open(stamp) as f:
            return f.read().strip()
    ran = subprocess.run(["git", "-C", src, "rev-parse", "HEAD"], capture_output=True, text=True)
    return ran.stdout.strip() if ran.returncode == 0 else "unknown"


def copy_files(src_dir, dst_dir):
    for name in FILES:
        path = os.path.join(src_dir, name)
        if os.path.isfile(path):
            os.makedirs(dst_dir, exist_ok=True)
            shutil.copyfile(path, os.path.join(dst_dir, name))


def claim_output(out):
    if os.path.exists(out):
        if not os.path.isdir(out):
            fail(f"-o `{out}` is not a directory")
        if os.listdir(out) and not os.path.isfile(os.path.join(out, "tool.json")):
            fail(f"-o `{out}` holds other files than earlier golden data; give another directory")
        shutil.rmtree(out)
    os.makedirs(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--src", default=os.environ.get("MLPERF_INFERENCE_SRC"),
                   help="mlcommons/inference checkout (default: $MLPERF_INFERENCE_SRC)")
    p.add_argument("--python", default=sys.executable, help="interpreter to run the tool")
    p.add_argument("--submitter", help="the tool's --submitter (default: the tree's only org)")
    p.add_argument("-o", "--output", required=True, help="where the inputs and outputs go")
    p.add_argument("tree", help="the submission tree, accuracy logs not truncated")
    args = p.parse_args()

    if not args.src:
        fail("no tool source: pass --src DIR or set MLPERF_INFERENCE_SRC "
             "(bench/submission/checker-src.sh fetches one)")
    tool = os.path.join(args.src, TOOL)
    if not os.path.isfile(tool):
        fail(f"`{tool}` does not exist; --src must be an mlcommons/inference checkout "
             "(bench/submission/checker-src.sh fetches one)")
    if not os.path.isdir(args.tree):
        fail(f"the tree `{args.tree}` is not a directory")
    tree = os.path.abspath(args.tree)
    rel_bench, org = benchmark_dir(tree)
    submitter = args.submitter or org

    with tempfile.TemporaryDirectory(prefix="ossperf-truncation-") as tmp:
        new = os.path.join(tmp, "new")
        cmd = [args.python, tool, "--input", tree, "--submitter", submitter, "--output", new]
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        ran = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if ran.returncode != 0:
            print(ran.stdout + ran.stderr, file=sys.stderr)
            fail(f"the tool exited with {ran.returncode}", 1)
        # `INFO:main:<message>` records, sorted: the tool walks directories in the file
        # system's order. The last record names NEW (its --output).
        log = sorted(line.replace(new, "NEW") for line in ran.stderr.splitlines())

        claim_output(args.output)
        before = os.path.join(tree, rel_bench)
        after = os.path.join(new, rel_bench)
        dirs = accuracy_dirs(before)
        for d in dirs:
            copy_files(os.path.join(before, d), os.path.join(args.output, "in", d))
            copy_files(os.path.join(after, d), os.path.join(args.output, "out", d))

    record = {
        "tool": f"mlcommons/inference@{commit_of(args.src)} {TOOL.replace(os.sep, '/')}",
        "command": ["truncate_accuracy_log.py", "--input", "TREE", "--submitter", submitter,
                    "--output", "NEW"],
        "log": log,
    }
    with open(os.path.join(args.output, "tool.json"), "w") as f:
        f.write(json.dumps(record, indent=1) + "\n")
    print(f"truncation_oracle.py: {len(dirs)} accuracy directories into `{args.output}`",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
