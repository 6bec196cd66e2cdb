#!/usr/bin/env python3
"""Generates the accuracy logs of the scorer's differential test (ossperf vs the reference).

Writes crates/eval/tests/data/reference_diff/<case>/:
  mlperf_log_accuracy.json   LoadGen-style entries (seq_id, qsl_idx, data = LE int32 hex)
  reference.parquet          what the reference scorer reads (`dataset`, `ground_truth`, no
                             token column)
  lcb_problems.jsonl         LiveCodeBench problems in the release_v6 line format (main case)

Each output is built from a template of one class (the reference's extraction rules, Python `re`
character classes, decoding of unknown ids, ground-truth shapes, LiveCodeBench failure paths)
and ordinary answers; a fixed seed makes the set reproducible.

    TIKTOKEN_CACHE_DIR=<dir holding o200k_base> python3 bench/scorer/gen_cases.py [OUT_DIR]

See bench/scorer/README.md for the cache set-up.
"""
import base64
import json
import math
import pickle
import random
import sys
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import tiktoken

ENC = tiktoken.get_encoding("o200k_harmony")
A = "<|channel|>analysis<|message|>"
F = "<|end|><|start|>assistant<|channel|>final<|message|>"
R = "<|return|>"

# Ids the reference's tokenizer does not know, and the one it names differently.
RESERVED = [200019, 200500, 201087]
PAST_VOCAB = [201088, 250000, 2**31 - 1]
ENDOFPROMPT = 200018


def ids_of(text):
    return ENC.encode(text, allowed_special="all")


def harmony(analysis, final, ret=True):
    return f"{A}{analysis}{F}{final}{R if ret else ''}"


def perturb(rng, ids):
    """Inserts ids the reference drops (or renders oddly) at a random place, or cuts a
    character in half, for one entry in four."""
    roll = rng.random()
    if roll < 0.75 or len(ids) < 2:
        return ids, "plain"
    at = rng.randrange(1, len(ids))
    if roll < 0.83:
        return ids[:at] + [rng.choice(RESERVED)] + ids[at:], "reserved"
    if roll < 0.91:
        return ids[:at] + [rng.choice(PAST_VOCAB)] + ids[at:], "past_vocab"
    if roll < 0.95:
        return ids[:at] + [ENDOFPROMPT] + ids[at:], "endofprompt"
    # A lone UTF-8 lead byte (a character cut by the output limit).
    return ids[:at] + [ENC.encode_single_token(b"\xe2")] + ids[at:], "cut_utf8"


# Python's `re` differs from the Rust `regex` crate on these characters.
SEPARATORS = ["\u001c", "\u001d", "\u001e", "\u001f"]
NON_WORD_IN_PY = ["\u0301", "\u200d", "\u200c", "\u203f", "\u24b6", "\u0903"]  # \w in Rust
WORD_IN_PY = ["\u00b2", "\u00bd", "\u2167", "_"]  # \w in Python (2, 1/2, VIII, _)
DIGITS = ["\u0663", "\U0001d7d9", "\u0967", "\U00010d41", "\U0001e5f2"]  # last two: Unicode 16
FOLDS = ["\u0131", "\u0130", "\u017f", "\u212a"]


def aime_output(rng, gt):
    n = gt if rng.random() < 0.6 else str(rng.randrange(0, 1200))
    sep = rng.choice([" ", "", "\n", "\u00a0", "\u3000"] + SEPARATORS)
    after = rng.choice(["", "", ".", "\n", " ", "th", "!"] + NON_WORD_IN_PY + WORD_IN_PY)
    digit = rng.choice(DIGITS)
    answer = rng.choice(["Answer", "answer", "ANSWER", "An\u017fwer", "Answ\u0435r"])
    finals = [
        f"\\boxed{{{n}}}",
        f"\\boxed{{{sep}{n}{sep}}}",
        f"The answer is $\\boxed{{{n}}}$.",
        f"{answer}:{sep}{n}{after}",
        f"**Answer:** {n}",
        f"Answer: {n}{digit}",
        f"Answer: {digit}{digit}",
        f"\\boxed{{{digit}}}",
        f"\\boxed{{1,{n}}}",
        f"\\boxed{{x={n}}}",
        f"So {answer}: {n}{after} and then {answer}: {rng.randrange(0, 999)}{after}",
        f"\\boxed{{{n}}} or maybe \\boxed{{{rng.randrange(0, 2000)}}}",
        f"I think it is {n}.",
    ]
    analysis = rng.choice(["Let me compute.", f"Try \\boxed{{{rng.randrange(0, 999)}}} first.",
                           f"Answer: {rng.randrange(0, 999)}", ""])
    kind = rng.randrange(len(finals))
    text = harmony(analysis, finals[kind], ret=rng.random() < 0.8)
    return text, f"aime_{kind}"


AIME_TRUTHS = ["70", "070", " 12 ", "7.0", "1_2", "-5", "999", "0", "+3", "\u0663"]


def aime_truth(rng):
    if rng.random() < 0.05:
        return None
    if rng.random() < 0.1:
        return rng.choice(AIME_TRUTHS)
    return str(rng.randrange(0, 1000))


def gpqa_output(rng, gt):
    letter = gt.upper() if gt and rng.random() < 0.6 else rng.choice("ABCD")
    low = letter.lower()
    sep = rng.choice([" ", "", "\u00a0"] + SEPARATORS)
    mark = rng.choice(NON_WORD_IN_PY + WORD_IN_PY + [".", ")", ""])
    fold = rng.choice(FOLDS)
    finals = [
        letter,
        f"**{letter}**",
        f"Answer: {letter}",
        f"answer:{sep}{low}",
        f"Answer: {letter}{mark}",
        f"{mark}Answer: {letter}",
        f"({low}) because",
        f"['{letter}']",
        f"The answer is {letter}.",
        f"{fold} {letter}",
        f"{fold}{letter}",
        f"Based on the analysis, {letter}",
        f"x{letter}",
        f"\\n{letter}",
        f"{letter}{mark}rest",
        f"Option{sep}{letter}",
    ]
    finals3 = [
        f"FINAL ANSWER: ({letter})",
        f"f{fold}nal answer: {letter}",
        f"FINAL{sep}ANSWER{sep}:{sep}{letter}",
        f"ANSWER: {letter}){mark}x",
        f"ANSWER = {low}{mark}",
        f"answer {letter}",
    ]
    kind = rng.randrange(len(finals) + len(finals3))
    if kind < len(finals):
        analysis = rng.choice(["Thinking.", f"ANSWER: {rng.choice('ABCD')} then", ""])
        text = harmony(analysis, finals[kind], ret=rng.random() < 0.8)
    else:
        # Only the full-text rule can find these: no final letter first, no `Answer: X`.
        analysis = finals3[kind - len(finals)]
        final = rng.choice(["The correct choice is option three.", "See above.", ""])
        text = harmony(analysis, final) if rng.random() < 0.8 else f"{A}{analysis}"
    return text, f"gpqa_{kind}"


def gpqa_truth(rng):
    roll = rng.random()
    if roll < 0.04:
        return None
    if roll < 0.07:
        return rng.choice(["", "b", " C", "AB", "E"])
    return rng.choice("ABCD")


# LiveCodeBench: small problems, stdin and call-based, plus the failure paths.
def case(i, o):
    return {"input": i, "output": o, "testtype": "stdin"}


def fcase(i, o):
    return {"input": i, "output": o, "testtype": "functional"}


def private(cases, encoded):
    text = json.dumps(cases)
    if not encoded:
        return text
    return base64.b64encode(zlib.compress(pickle.dumps(text))).decode()


PROBLEMS = [
    # question_id, public, private, metadata, encoded private
    ("d_sum", [case("3\n1 2 3\n", "6\n")], [case("2\n10 -4\n", "6\n"), case("1\n0\n", "0\n")],
     {}, True),
    ("d_echo", [case("hello\n", "hello\n")], [case("abc\n", "abc\n")], {}, False),
    ("d_float", [case("1 2\n", "1.5\n")], [case("2 2\n", "2.0\n")], {}, False),
    ("d_add", [fcase("1\n2", "3")], [fcase("-1\n5", "4"), fcase("0\n0", "0")],
     {"func_name": "addTwo"}, True),
    ("d_pair", [fcase("[1, 2]", "[2, 1]")], [fcase("[3, 4]", "[4, 3]")],
     {"func_name": "swap"}, False),
    ("d_zero", [], [], {}, False),
]

STDIN_SOLUTIONS = {
    "d_sum": ["n = int(input())\nprint(sum(map(int, input().split())))",
              "import sys\ndata = sys.stdin.read().split()\nprint(sum(map(int, data[1:])))"],
    "d_echo": ["print(input())", "s = input()\nprint(s.strip())"],
    "d_float": ["a, b = map(int, input().split())\nprint((a + b) / 2)"],
    "d_zero": ["print(1)"],
}
CALL_SOLUTIONS = {
    "d_add": ["class Solution:\n    def addTwo(self, a: int, b: int) -> int:\n        return a + b"],
    "d_pair": ["class Solution:\n    def swap(self, xs):\n        return (xs[1], xs[0])"],
}
WRONG = ["print(0)", "n = int(input())\nprint(n)",
         "class Solution:\n    def addTwo(self, a, b):\n        return a - b", "def f(:\n  pass",
         "raise ValueError('x')"]


def lcb_code(rng, qid):
    good = STDIN_SOLUTIONS.get(qid) or CALL_SOLUTIONS.get(qid) or ["print(1)"]
    return rng.choice(good) if rng.random() < 0.65 else rng.choice(WRONG)


def lcb_output(rng, qid):
    code = lcb_code(rng, qid)
    other = rng.choice(WRONG)
    tag = rng.choice(["python", "py", "Python", "PY", "py  ", "py\u001c", "pyth", ""])
    kinds = [
        lambda: harmony("Plan.", f"```python\n{code}\n```"),
        lambda: harmony(f"```python\n{other}\n```", f"Here:\n```python\n{other}\n```\nBetter:\n```python\n{code}\n```"),
        lambda: harmony("Plan.", f"```{tag}\n{code}\n```"),
        lambda: harmony(f"```python\n{code}\n```", "No code here."),
        lambda: harmony(f"```\n{code}\n```", "Done."),
        lambda: f"{A}```python\n{code}\n```",
        lambda: harmony("x", f"```python\n{code}\n``` and ```{other}```"),
        lambda: harmony("x", f"```python{code}```"),
        lambda: harmony("x", "I cannot solve this."),
        lambda: harmony("x", f"```python\n{code}\n", ret=False),
    ]
    kind = rng.randrange(len(kinds))
    return kinds[kind](), f"lcb_{kind}"


def lcb_truth(rng):
    roll = rng.random()
    if roll < 0.04:
        return None
    if roll < 0.08:
        return ""
    if roll < 0.12:
        return "d_missing"
    return rng.choice([p[0] for p in PROBLEMS])


def write_case(out, name, entries, rows, problems=None):
    d = out / name
    d.mkdir(parents=True, exist_ok=True)
    with open(d / "mlperf_log_accuracy.json", "w") as f:
        f.write("[\n")
        for i, (qsl, ids) in enumerate(entries):
            data = b"".join(x.to_bytes(4, "little", signed=False) for x in ids).hex().upper()
            sep = ",\n" if i + 1 < len(entries) else "\n"
            f.write(json.dumps({"seq_id": i, "qsl_idx": qsl, "data": data, "token_count": len(ids)}) + sep)
        f.write("]\n")
    datasets = [r[0] for r in rows]
    truths = [r[1] for r in rows]
    if all(t is None or isinstance(t, float) for t in truths):
        gt = pa.array([math.nan if t is None else t for t in truths], pa.float64())
    else:
        gt = pa.array(truths, pa.string())
    pq.write_table(pa.table({"dataset": pa.array(datasets, pa.string()), "ground_truth": gt}),
                   d / "reference.parquet")
    if problems is not None:
        with open(d / "lcb_problems.jsonl", "w") as f:
            for qid, public, priv, meta, encoded in problems:
                f.write(json.dumps({
                    "question_title": qid, "question_content": "", "platform": "atcoder",
                    "question_id": qid, "contest_id": "c", "contest_date": "2025-01-01T00:00:00",
                    "starter_code": "", "difficulty": "easy",
                    "public_test_cases": json.dumps(public),
                    "private_test_cases": private(priv, encoded),
                    "metadata": json.dumps(meta),
                }) + "\n")


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "crates/eval/tests/data/reference_diff")
    rng = random.Random(20261207)
    entries, rows, classes = [], [], {}
    plan = [("aime25", 1300), ("gpqa_diamond", 1300), ("livecodebench_v6", 300)]
    order = [name for name, n in plan for _ in range(n)]
    rng.shuffle(order)
    for ds in order:
        if ds == "aime25":
            gt = aime_truth(rng)
            text, kind = aime_output(rng, gt or "0")
        elif ds == "gpqa_diamond":
            gt = gpqa_truth(rng)
            text, kind = gpqa_output(rng, gt or "A")
        else:
            gt = lcb_truth(rng)
            text, kind = lcb_output(rng, gt or "d_sum")
        ids, how = perturb(rng, ids_of(text))
        classes[kind] = classes.get(kind, 0) + 1
        classes[how] = classes.get(how, 0) + 1
        entries.append((len(rows), ids))
        rows.append((ds, gt))
    # Entries past the reference data are skipped with a warning.
    entries.append((len(rows) + 5, ids_of("Answer: 1")))
    write_case(out, "main", entries, rows, PROBLEMS)

    # A printed tie: 23 of 320 AIME entries right is 7.187 as f/m*100, 7.188 as 100*f/m.
    tie_rows = [("aime25", "1")] * 320
    tie_entries = [(i, ids_of("Answer: 1" if i < 23 else "Answer: 2")) for i in range(320)]
    write_case(out, "ties", tie_entries, tie_rows)

    # A float ground_truth column (pandas reads ints with nulls this way), no token column.
    float_rows = [("aime25", float(v)) for v in (70, 7, 12.5, 999)] + [("aime25", None)] + \
                 [("gpqa_diamond", 1.0), ("gpqa_diamond", None)]
    float_entries = [(0, ids_of("Answer: 70")), (1, ids_of("\\boxed{7}")), (2, ids_of("Answer: 12")),
                     (3, ids_of("Answer: 998")), (4, ids_of("Answer: 1")), (5, ids_of(harmony("", "A"))),
                     (6, ids_of(harmony("", "B")))]
    write_case(out, "float_gt", float_entries, float_rows)

    # A performance-mode log: no entries.
    write_case(out, "empty", [], [("aime25", "1")])
    json.dump(dict(sorted(classes.items())), sys.stderr, indent=0)


if __name__ == "__main__":
    main()
