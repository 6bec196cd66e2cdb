# ossperf LiveCodeBench runner: runs one generated program against its tests, inside the
# sandbox ossperf sets up (separate user, no network, rlimits, private /tmp).
#
# The program sees what it sees under lcb_runner at the commit the reference pins
# (LiveCodeBench b1e7cab44d610bbc2e10d36d270cd0c89c600492, lcb_runner/evaluation/testing_util.py
# and compute_code_generation_metrics.py; docs/EVAL.md lists each rule). Written from a reading
# of that code, not copied; every step that a program can observe keeps the reference's order.
#
# Protocol: one JSON object on stdin {code, inputs, outputs, fn_name, timeout}; one JSON object
# {"results": [...], "passed": bool, "detail": "..."} written to the original stdout at the end.
# Result codes as the reference records them: 1 (True) pass, 0 (False) wrong answer of a
# call-based test, -2 wrong answer of a stdin test, -3 time limit, -4 runtime or compile error.
# A program that ends this process (os._exit, an uncaught SystemExit in a call-based test, a
# KeyboardInterrupt, a crash) leaves no report; the caller records [-2] as the reference does.
import ast
import faulthandler
import io
import json
import os
import signal
import sys
import types
from decimal import Decimal

# lcb_runner prepends these imports to every program (its `import_string`); the names they
# bind shadow builtins, e.g. `open`, `stdin`, `stdout` and `exit` (see docs/EVAL.md).
PREAMBLE = (
    "from string import *\nfrom re import *\nfrom datetime import *\nfrom collections import *\n"
    "from heapq import *\nfrom bisect import *\nfrom copy import *\nfrom math import *\n"
    "from random import *\nfrom statistics import *\nfrom itertools import *\n"
    "from functools import *\nfrom operator import *\nfrom io import *\nfrom sys import *\n"
    "from json import *\nfrom builtins import *\nfrom typing import *\nimport string\nimport re\n"
    "import datetime\nimport collections\nimport heapq\nimport bisect\nimport copy\nimport math\n"
    "import random\nimport statistics\nimport itertools\nimport functools\nimport operator\n"
    "import io\nimport sys\nimport json\nsys.setrecursionlimit(50000)\n"
)


# The reference's test processes inherit the scorer's command line, which programs see in
# sys.argv (fileinput.input() reads the files it names). This is the README's example command;
# bench/lcb/oracle.py gives lcb_runner the same.
REFERENCE_ARGV = [
    "eval_mlperf_accuracy.py",
    "--mlperf-log",
    "mlperf_results/offline/accuracy/mlperf_log_accuracy.json",
    "--reference-data",
    "/path/to/acc_eval_inputs.parquet",
    "--tokenizer",
    "openai/gpt-oss-120b",
]


class TimeoutException(Exception):
    """Raised by the alarm; the reference tells a time limit from an error by this name."""


def on_alarm(signum, frame):
    # The reference's handler prints this line into the current stdout before raising: a
    # program that swallows the exception and goes on has the line in its captured output.
    print("timeout occured: alarm went off")
    raise TimeoutException


def is_timeout(err):
    return "timeoutexception" in repr(err).lower()


class Capturing(list):
    """stdout of one stdin test: a StringIO whose close() takes one argument (so a program's
    `sys.stdout.close()` is a TypeError there, and here)."""

    def __enter__(self):
        self._stdout = sys.stdout
        sys.stdout = self._stringio = io.StringIO()
        self._stringio.close = lambda x: 1
        return self

    def __exit__(self, *args):
        self.append(self._stringio.getvalue())
        del self._stringio
        sys.stdout = self._stdout


class StdinStandIn:
    """What `sys.stdin` is during a stdin test: read() and readlines() give the whole input
    (readlines split on newline, without the newlines), readline() is a StringIO's (keeps the
    newline, '' at the end), `.buffer` has read() and a readline() that always gives the first
    line; every other attribute is the StringIO's. It has no __iter__: `for line in
    sys.stdin` is a TypeError."""

    def __init__(self, inputs):
        self.inputs = inputs
        self._stringio = io.StringIO(inputs)
        self.buffer = BufferStandIn(inputs)

    def read(self, *args):
        return self.inputs

    def readline(self, *args):
        return self._stringio.readline(*args)

    def readlines(self, *args):
        return self.inputs.split("\n")

    def __getattr__(self, name):
        return getattr(self._stringio, name)


class BufferStandIn:
    def __init__(self, inputs):
        self.inputs = inputs.encode("utf-8")

    def read(self, *args):
        return self.inputs

    def readline(self, *args):
        return self.inputs.split(b"\n")[0] + b"\n"


class LazyMockOpen:
    """`builtins.open` during a stdin test: unittest.mock's mock_open over the input. The
    module is imported on the first call only (it costs more than most programs take); the
    calls behave as the reference's. Programs rarely reach it: the preamble binds `open` to
    the real function, so only `builtins.open` and library code see this one."""

    def __init__(self, inputs):
        self.inputs = inputs
        self.mock = None

    def __call__(self, *args, **kwargs):
        if self.mock is None:
            from unittest import mock

            self.mock = mock.mock_open(read_data=self.inputs)
        return self.mock(*args, **kwargs)


def call_with_stdin(method, inputs):
    """One stdin test. The reference stacks unittest.mock patches whose order matters: first
    `read`, `readlines` and `readline` of the stdin object present on entry (the process's
    own, which names bound at import time such as the preamble's `stdin` keep: there
    readline() is next() over the lines without newlines, StopIteration at the end), then
    `sys.stdin` itself, then `builtins.open`. SystemExit ends the test normally."""
    import builtins

    if isinstance(inputs, list):
        inputs = "\n".join(inputs)
    lines = iter(inputs.split("\n"))
    original = sys.stdin
    saved_open = builtins.open
    original.read = lambda *args: inputs
    original.readlines = lambda *args: inputs.split("\n")
    original.readline = lambda *args: next(lines)
    sys.stdin = StdinStandIn(inputs)
    builtins.open = LazyMockOpen(inputs)
    try:
        try:
            return method()
        except SystemExit:
            pass
    finally:
        builtins.open = saved_open
        sys.stdin = original
        for name in ("readline", "readlines", "read"):
            try:
                delattr(original, name)
            except AttributeError:
                pass


def inline_main(code):
    """A last top-level `if __name__ == '__main__':` block is replaced by its body (as
    written; `"__main__" == __name__` or a block that is not last stays)."""
    try:
        tree = ast.parse(code)
        last = tree.body[-1]
        if isinstance(last, ast.If):
            if ast.unparse(last.test).strip() == "__name__ == '__main__'":
                code = ast.unparse(tree.body[:-1]) + "\n" + ast.unparse(last.body)
    except Exception:  # noqa: BLE001 - the reference keeps the code on any failure
        pass
    return code


def wrap_stdin_program(code):
    """Top-level imports stay at module level after the preamble; every other top-level
    statement becomes the body of wrapped_function() (none: a body-less def, a SyntaxError).
    Code that does not parse is returned unchanged."""
    try:
        tree = ast.parse(code)
        imports = [s for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))]
        others = [s for s in tree.body if not isinstance(s, (ast.Import, ast.ImportFrom))]
        func = ast.FunctionDef(
            name="wrapped_function",
            args=ast.arguments(
                posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]
            ),
            body=others,
            decorator_list=[],
            lineno=-1,
        )
        return PREAMBLE + "\n" + ast.unparse(imports) + "\n" + ast.unparse(func)
    except Exception:  # noqa: BLE001
        return code


def load(code, timeout):
    """Executes the code as module `tmp_sol` under the alarm; a program whose text contains
    `class Solution` is represented by `Solution()` (a stdin program defining it fails here,
    its class being inside wrapped_function)."""
    signal.alarm(timeout)
    try:
        module = types.ModuleType("tmp_sol", "")
        exec(code, module.__dict__)
        if "class Solution" in code:
            compiled = module.Solution()
        else:
            compiled = module
        assert compiled is not None
    finally:
        signal.alarm(0)
    return compiled


def get_function(compiled, name):
    try:
        assert hasattr(compiled, name)
        return getattr(compiled, name)
    except Exception:  # noqa: BLE001
        return None


def stripped_lines(text):
    return [line.strip() for line in text.strip().split("\n")]


def decimals(line):
    try:
        return True, [Decimal(x) for x in line.split()]
    except Exception:  # noqa: BLE001
        return False, []


def lines_match(got, want):
    got_lines, want_lines = stripped_lines(got), stripped_lines(want)
    if len(got_lines) != len(want_lines):
        return False
    for g, w in zip(got_lines, want_lines):
        if g == w:
            continue
        ok_g, dec_g = decimals(g)
        if not ok_g:
            return False
        ok_w, dec_w = decimals(w)
        if not ok_w or dec_g != dec_w:
            return False
    return True


def grade_stdin(code, inputs, outputs, timeout):
    compiled = load(wrap_stdin_program(inline_main(code)), timeout)
    method = get_function(compiled, "wrapped_function")
    if method is None:
        return None
    results = []
    for given, want in zip(inputs, outputs):
        signal.alarm(timeout)
        faulthandler.enable()
        with Capturing() as captured:
            try:
                call_with_stdin(method, given)
                signal.alarm(0)
            except Exception as err:  # noqa: BLE001 - what the reference catches
                signal.alarm(0)
                results.append(-3 if is_timeout(err) else -4)
                return results, describe(results, err)
            finally:
                signal.alarm(0)
                faulthandler.disable()
        if not lines_match(captured[0], want):
            results.append(-2)
            return results, "wrong answer on test %d" % len(results)
        results.append(True)
    return results, "passed %d tests" % len(results)


def grade_call(code, inputs, outputs, fn_name, timeout):
    compiled = load(PREAMBLE + "\n\n" + code, timeout)
    method = get_function(compiled, fn_name)
    if method is None:
        return None
    inputs = [[json.loads(line) for line in given.split("\n")] for given in inputs]
    outputs = [json.loads(want) for want in outputs]
    results = []
    for args, want in zip(inputs, outputs):
        signal.alarm(timeout)
        faulthandler.enable()
        try:
            got = method(*args)
            signal.alarm(0)
            if isinstance(got, tuple):
                got = list(got)
            same = got == want
            results.append(same)
            if not same:
                return results, "wrong answer on test %d" % len(results)
        except Exception as err:  # noqa: BLE001
            signal.alarm(0)
            results.append(-3 if is_timeout(err) else -4)
            return results, describe(results, err)
        finally:
            signal.alarm(0)
            faulthandler.disable()
    return results, "passed %d tests" % len(results)


def describe(results, err):
    kind = "time limit" if results[-1] == -3 else "runtime error"
    return "%s on test %d: %s" % (kind, len(results), type(err).__name__)


def guard():
    """The reference's reliability guard, run before the program is loaded: the same
    functions are disabled, so a program calling them fails here as there (the sandbox, not
    this guard, contains hostile code). `exit` stays; `quit` and `help` become None."""
    import builtins
    import shutil
    import subprocess

    faulthandler.disable()
    builtins.quit = None
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in (
        "kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid",
        "fork", "forkpty", "killpg", "rename", "renames", "truncate", "replace", "unlink",
        "fchmod", "fchown", "chmod", "chown", "chroot", "lchflags", "lchmod", "lchown",
        "getcwd", "chdir",
    ):
        setattr(os, name, None)
    shutil.rmtree = None
    shutil.move = None
    shutil.chown = None
    subprocess.Popen = None
    builtins.help = None
    for name in ("ipdb", "joblib", "resource", "psutil", "tkinter"):
        sys.modules[name] = None


def run_test(payload):
    """As the reference's run_test: any Exception out of grading (a compile error, a missing
    function, a test that is not JSON) is [-4]; anything else ends the process."""
    code, fn_name, timeout = payload["code"], payload.get("fn_name"), int(payload["timeout"])
    inputs, outputs = payload["inputs"], payload["outputs"]
    signal.signal(signal.SIGALRM, on_alarm)
    guard()
    signal.alarm(timeout)
    try:
        if fn_name is None:
            graded = grade_stdin(code, inputs, outputs, timeout)
        else:
            graded = grade_call(code, inputs, outputs, fn_name, timeout)
        if graded is None:
            return [-4], "no callable `%s`" % (fn_name or "wrapped_function")
        return graded
    except Exception as err:  # noqa: BLE001
        return [-4], "error while loading or testing: %s" % type(err).__name__
    finally:
        signal.alarm(0)


def code_of(result):
    """The result as a number, as the reference's scorer reads it (numpy values through
    their first item)."""
    if hasattr(result, "item"):
        try:
            result = result.item(0)
        except Exception:  # noqa: BLE001
            pass
    if isinstance(result, (bool, int)):
        return int(result)
    try:
        return 1 if result > 0 else 0
    except Exception:  # noqa: BLE001
        return 0


def main():
    payload = json.loads(sys.stdin.read())
    report = os.fdopen(os.dup(1), "w")
    # The process state of lcb_runner's test process: stdin is a fresh /dev/null on fd 0 (as
    # multiprocessing leaves it), stdout and stderr one /dev/null writer (the reference's
    # worker redirects both), ints print with up to 50000 digits, and sys.argv is the scorer's.
    sys.stdin.close()
    sys.stdin = open(os.devnull)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stdout = sys.stderr = open(os.devnull, "w")
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(50000)
    sys.argv = list(REFERENCE_ARGV)
    try:
        results, detail = run_test(payload)
    except BaseException:  # noqa: BLE001 - the reference's test process dies here
        os._exit(3)
    codes = [code_of(r) for r in results]
    try:
        passed = all(r > 0 for r in results)
    except Exception:  # noqa: BLE001
        passed = False
    report.write(json.dumps({"results": codes, "passed": bool(passed), "detail": detail}))
    report.flush()
    os._exit(0)


main()
