#!/usr/bin/env python3
"""Runs the official MLPerf submission checker on a tree and prints its errors as JSON.

    python3 bench/submission/oracle.py [--src DIR] [--version v6.1] [-o FILE] TREE [-- CHECKER_ARGS...]

DIR is a checkout of mlcommons/inference (the checker is `tools/submission/submission_checker`
in it; it is not on PyPI). Without `--src`, `MLPERF_INFERENCE_SRC` names it;
`bench/submission/checker-src.sh` makes one at the commit docs/SUBMISSION.md names.

The checker runs as its README says (`python3 -m submission_checker.main --input TREE
--version V`), from `tools/submission`, with its CSV summary written to a temporary directory so
that neither the tree nor the checkout is touched. Its only dependency outside the standard
library is PyYAML (`loader.py` imports `yaml`).

Output: a JSON array, one object per error or warning record the checker logged, in its order:
    {"file": the first path in the message, relative to TREE; without one, the subject of the
             check that was running (base.py's "Starting … for: PATH"), else "",
     "message": the record's text with TREE's prefix removed from every path,
     "level": "ERROR" or "WARNING"}
The checker logs through `logging` with the format its `loader.py` sets first
(`[time file:line LEVEL] message`); ERROR, CRITICAL and WARNING records are kept, with any lines
that continue them. Warnings are kept because one of them is a verdict: a score below the
target is logged as a warning ("accuracy not met", `checks/accuracy_check.py`
`accuracy_result_check`), and only the summary "Some accuracy checks Checks failed" is an error.
A Python traceback (the checker crashing on a tree it cannot read) becomes one record,
`{"file": "", "message": "Traceback: <the exception's last line>", "level": "ERROR"}`.

The script exits with the checker's exit status (0: "SUMMARY: submission looks OK", 1: errors),
or 2 when it cannot run the checker at all.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

# `[2026-12-07 23:00:00,123 performance_check.py:210 ERROR] message`
RECORD = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \S+:\d+ ([A-Z]+)\] (.*)$")
KEPT_LEVELS = {"ERROR": "ERROR", "CRITICAL": "ERROR", "WARNING": "WARNING", "TRACEBACK": "ERROR"}


def parse_records(stderr):
    """The checker's log records as (level, text), continuation lines joined with newlines."""
    records = []
    traceback = None
    for line in stderr.splitlines():
        m = RECORD.match(line)
        if m:
            traceback = None
            records.append([m.group(1), m.group(2)])
        elif line.startswith("Traceback (most recent call last):"):
            traceback = []
        elif traceback is not None:
            traceback.append(line)
            # The last unindented line of a traceback is the exception.
            if line and not line.startswith(" "):
                records.append(["TRACEBACK", "Traceback: " + line])
                traceback = None
        elif records:
            records[-1][1] += "\n" + line
    return records


def relative(text, roots):
    for root in roots:
        text = text.replace(root + os.sep, "").replace(root, ".")
    return text


def first_path(text, roots):
    """The first whitespace-separated word that names something under the tree."""
    for word in text.split():
        word = word.strip(",;:'\"()[]").rstrip(".")
        for root in roots:
            if word == root or word.startswith(root + os.sep):
                return os.path.relpath(word, root) if word != root else "."
    return ""


def findings(stderr, tree):
    # The tree as given (made absolute) and as resolved: the checker prints it as passed.
    roots = sorted({os.path.abspath(tree), os.path.realpath(tree)}, key=len, reverse=True)
    out = []
    # The subject of the check that is running: base.py logs "Starting <checks> for: PATH" before
    # a group of checks and "All … passed for" / "Some … failed for" after it. A message without
    # a path (such as "Early stopping condition was not met") is about that subject.
    subject = ""
    for level, text in parse_records(stderr):
        path = first_path(text, roots)
        if level == "INFO" and text.startswith("Starting ") and " for: " in text:
            subject = path
        if level in KEPT_LEVELS:
            out.append({"file": path or subject, "message": relative(text, roots),
                        "level": KEPT_LEVELS[level]})
        if " checks passed for: " in text or " Checks failed for: " in text:
            subject = ""
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--src", default=os.environ.get("MLPERF_INFERENCE_SRC"),
                   help="mlcommons/inference checkout (default: $MLPERF_INFERENCE_SRC)")
    p.add_argument("--version", default="v6.1", help="the checker's --version (default v6.1)")
    p.add_argument("--python", default=sys.executable, help="interpreter to run the checker")
    p.add_argument("--log", help="also keep the checker's whole output in this file")
    p.add_argument("-o", "--output", help="write the JSON here instead of stdout")
    p.add_argument("tree", help="the submission tree (holds closed/ or open/)")
    p.add_argument("checker_args", nargs="*", help="more flags for the checker, after --")
    args = p.parse_args()

    if not args.src:
        sys.exit("oracle.py: no checker source: pass --src DIR or set MLPERF_INFERENCE_SRC "
                 "(bench/submission/checker-src.sh fetches one)")
    workdir = os.path.join(args.src, "tools", "submission")
    if not os.path.isfile(os.path.join(workdir, "submission_checker", "main.py")):
        print(f"oracle.py: `{workdir}/submission_checker/main.py` does not exist; "
              "--src must be an mlcommons/inference checkout", file=sys.stderr)
        return 2
    if not os.path.isdir(args.tree):
        print(f"oracle.py: the tree `{args.tree}` is not a directory", file=sys.stderr)
        return 2
    tree = os.path.abspath(args.tree)

    with tempfile.TemporaryDirectory(prefix="ossperf-oracle-") as tmp:
        cmd = [args.python, "-m", "submission_checker.main", "--input", tree,
               "--version", args.version, "--csv", os.path.join(tmp, "summary.csv")]
        cmd += args.checker_args
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        ran = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True)
    output = ran.stdout + ran.stderr
    if args.log:
        with open(args.log, "w") as f:
            f.write(output)
    if ran.returncode not in (0, 1):
        print(output, file=sys.stderr)
        print(f"oracle.py: the checker exited with {ran.returncode}", file=sys.stderr)
    found = findings(output, tree)
    text = json.dumps(found, indent=1) + "\n"
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    errors = sum(f["level"] == "ERROR" for f in found)
    print(f"oracle.py: {errors} error and {len(found) - errors} warning record(s); "
          f"checker exit status {ran.returncode}", file=sys.stderr)
    return ran.returncode if ran.returncode in (0, 1) else 2


if __name__ == "__main__":
    sys.exit(main())
