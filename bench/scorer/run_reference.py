#!/usr/bin/env python3
"""Scores a generated case (bench/scorer/gen_cases.py) with the reference scorer itself and writes
its per-entry verdicts and printed score as golden data (`reference_golden.json` in the case).

Nothing fetched is stored in the repository: the reference and LiveCodeBench are read from the
paths given, and everything else is built in a temporary directory:
- the tokenizer, rebuilt from o200k_base the way transformers' gpt-oss converter builds it
  (`TikTokenConverter` with the 21 specials 199998-200018), since the Hugging Face hub is out
  of reach;
- a stand-in `datasets` package whose `load_dataset` returns the case's `lcb_problems.jsonl`
  rows, which lcb_runner turns into its benchmark as it would the hub's release_v6.

    python3 bench/scorer/run_reference.py --inference INFERENCE_CHECKOUT \\
        --lcb LIVECODEBENCH_CHECKOUT --o200k o200k_base.tiktoken CASE_DIR...

Run it with a Python that has transformers, tiktoken, pandas, pyarrow, numpy and tqdm (see
bench/scorer/README.md).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REF_DIR = "language/gpt-oss-120b"
REF_FILES = ["eval_mlperf_accuracy.py", "eval_accuracy.py"]
SPECIALS = {
    199998: "<|startoftext|>", 199999: "<|endoftext|>", 200002: "<|return|>",
    200003: "<|constrain|>", 200005: "<|channel|>", 200006: "<|start|>", 200007: "<|end|>",
    200008: "<|message|>", 200012: "<|call|>", 200018: "<|endofprompt|>",
}
STAND_IN = '''"""Stand-in for `datasets.load_dataset`: the problems of OSSPERF_LCB_PROBLEMS."""
import json
import os


def load_dataset(*args, **kwargs):
    path = os.environ.get("OSSPERF_LCB_PROBLEMS", "")
    if not path:
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]
'''


def build_tokenizer(o200k: Path, out: Path):
    import tiktoken
    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import TikTokenConverter

    names = [SPECIALS.get(i, f"<|reserved_{i}|>") for i in range(199998, 200019)]
    pattern = tiktoken.get_encoding("o200k_base")._pat_str
    converted = TikTokenConverter(
        vocab_file=str(o200k), pattern=pattern, additional_special_tokens=names
    ).converted()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=converted, bos_token="<|startoftext|>", eos_token="<|return|>",
        pad_token="<|endoftext|>",
    )
    fast.save_pretrained(str(out))
    check = PreTrainedTokenizerFast.from_pretrained(str(out))
    assert check.convert_ids_to_tokens(200018) == "<|endofprompt|>"
    assert check.convert_ids_to_tokens(200019) is None


def git_head(path: Path, given: str) -> str:
    if given:
        return given
    try:
        return subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_case(case: Path, work: Path, tokenizer: Path, args) -> dict:
    case = case.resolve()
    ref = work / "gpt-oss-120b"
    out_json = work / f"{case.name}_out.json"
    problems = case / "lcb_problems.jsonl"
    env = dict(os.environ, PYTHONPATH=str(work / "stub"), HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", TQDM_DISABLE="1",
               OSSPERF_LCB_PROBLEMS=str(problems) if problems.exists() else "")
    cmd = [sys.executable, str(ref / "eval_mlperf_accuracy.py"),
           "--mlperf-log", str(case / "mlperf_log_accuracy.json"),
           "--reference-data", str(case / "reference.parquet"),
           "--tokenizer", str(tokenizer), "--output-file", str(out_json), "--verbose",
           "--num-lcb-workers", str(args.workers)]
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(work))
    entries = []
    if out_json.exists():
        for r in json.load(open(out_json))["detailed_results"] or []:
            entries.append({k: r[k] for k in ("seq_id", "qsl_idx", "dataset", "is_correct",
                                              "extracted_answer", "ground_truth",
                                              "evaluation_details", "token_count",
                                              "model_output_preview")})
    entries.sort(key=lambda e: e["seq_id"])
    import tokenizers
    import transformers
    return {
        "reference": {
            "inference_commit": git_head(args.inference, args.inference_commit),
            "livecodebench_commit": git_head(args.lcb, args.lcb_commit),
            "python": sys.version.split()[0],
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
        },
        "exit_code": run.returncode,
        "stdout": run.stdout,
        "stderr_tail": run.stderr.splitlines()[-5:] if run.returncode else [],
        "entries": entries,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--inference", type=Path, required=True, help="mlcommons/inference checkout")
    p.add_argument("--lcb", type=Path, required=True,
                   help="LiveCodeBench checkout at the reference's pinned commit")
    p.add_argument("--o200k", type=Path, required=True, help="o200k_base.tiktoken ranks file")
    p.add_argument("--inference-commit", default="",
                   help="commit of --inference when it is not a git checkout")
    p.add_argument("--lcb-commit", default="", help="commit of --lcb when it is not a git checkout")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("cases", type=Path, nargs="+")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="ossperf-refdiff-") as tmp:
        work = Path(tmp)
        ref = work / "gpt-oss-120b"
        (ref / "submodules").mkdir(parents=True)
        for name in REF_FILES:
            shutil.copy(args.inference / REF_DIR / name, ref / name)
        os.symlink(args.lcb.resolve(), ref / "submodules" / "LiveCodeBench")
        (work / "stub" / "datasets").mkdir(parents=True)
        (work / "stub" / "datasets" / "__init__.py").write_text(STAND_IN)
        tokenizer = work / "tokenizer"
        build_tokenizer(args.o200k, tokenizer)
        for case in args.cases:
            golden = run_case(case, work, tokenizer, args)
            with open(case / "reference_golden.json", "w") as f:
                json.dump(golden, f, indent=1, ensure_ascii=False)
                f.write("\n")
            print(f"{case.name}: exit {golden['exit_code']}, {len(golden['entries'])} entries")


if __name__ == "__main__":
    main()
