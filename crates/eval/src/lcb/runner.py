# ossperf LiveCodeBench runner: runs one generated program against its tests, inside the
# sandbox ossperf sets up (separate user, no network, rlimits, private /tmp).
#
# Semantics follow the reference's lcb_runner testing rules (accuracy-spec 4.4): stdin programs
# are wrapped into one function after the import preamble, call-based ones are called with JSON
# arguments; each test has its own alarm; the first failure stops the run. As there, stdin is
# a StringIO per call (no `.buffer`; `readline` drops the newline) and the reliability guard
# disables os.fork, os.system and friends before the program runs. Result codes:
# 1 pass, -2 wrong answer, -3 time limit, -4 runtime error (a compile error gives [-4]).
#
# Protocol: one JSON object on stdin {code, inputs, outputs, fn_name, timeout}; one JSON object
# {"results": [...], "detail": "..."} written to the original stdout at the end.
import ast
import io
import json
import os
import signal
import sys

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


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout()


def inline_main(code):
    """Replaces a last top-level `if __name__ == '__main__':` block by its body."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    if tree.body and isinstance(tree.body[-1], ast.If):
        last = tree.body[-1]
        if ast.unparse(last.test).strip() == "__name__ == '__main__'":
            return ast.unparse(tree.body[:-1]) + "\n" + ast.unparse(last.body)
    return code


def wrap_stdin_program(code):
    """Imports stay at the top; every other top-level statement goes into wrapped_function()."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    imports = [s for s in tree.body if isinstance(s, (ast.Import, ast.ImportFrom))]
    others = [s for s in tree.body if not isinstance(s, (ast.Import, ast.ImportFrom))]
    func = ast.FunctionDef(
        name="wrapped_function",
        args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=others or [ast.Pass()],
        decorator_list=[],
        returns=None,
        type_params=[],
        lineno=1,
    )
    return PREAMBLE + "\n" + ast.unparse(imports) + "\n" + ast.unparse(ast.fix_missing_locations(func))


def lines_equal(got, want):
    from decimal import Decimal, InvalidOperation

    got_lines = got.strip().split("\n")
    want_lines = want.strip().split("\n")
    if len(got_lines) != len(want_lines):
        return False
    for g, w in zip(got_lines, want_lines):
        g, w = g.strip(), w.strip()
        if g == w:
            continue
        try:
            if [Decimal(x) for x in g.split()] != [Decimal(x) for x in w.split()]:
                return False
        except (InvalidOperation, ValueError):
            return False
    return True


class StdinFor:
    """The reference's per-call stdin, without unittest.mock (whose import costs more than most
    programs take): `sys.stdin` is a StringIO of the input whose `readline` returns the next line
    without its newline (StopIteration past the end), `readlines` the lines split on newline and
    `read` the whole input; any `open()` reads the input. Names bound at import time (`from sys
    import stdin`) keep the process's empty stdin, as there."""

    def __init__(self, given):
        lines = iter(given.split("\n"))
        self.fake = io.StringIO(given)
        self.fake.readline = lambda *args: next(lines)
        self.fake.readlines = lambda *args: given.split("\n")
        self.fake.read = lambda *args: given
        self.given = given

    def __enter__(self):
        import builtins

        self.saved = (sys.stdin, builtins.open)
        sys.stdin = self.fake
        builtins.open = lambda *args, **kwargs: io.StringIO(self.given)
        return self

    def __exit__(self, *exc):
        import builtins

        sys.stdin, builtins.open = self.saved
        return False


def run_stdin(namespace, inputs, outputs, timeout):
    func = namespace.get("wrapped_function")
    if func is None:
        return [-4], "no wrapped_function"
    results = []
    for given, want in zip(inputs, outputs):
        captured = io.StringIO()
        sys.stdout = captured
        signal.alarm(timeout)
        try:
            with StdinFor(given):
                try:
                    func()
                except SystemExit:
                    pass
            signal.alarm(0)
        except Timeout:
            results.append(-3)
            return results, "time limit on test %d" % len(results)
        except BaseException as err:  # noqa: BLE001 - any failure of the program
            signal.alarm(0)
            results.append(-4)
            return results, "runtime error on test %d: %s" % (len(results), type(err).__name__)
        finally:
            signal.alarm(0)
            sys.stdout = sys.__stdout__
        if not lines_equal(captured.getvalue(), want):
            results.append(-2)
            return results, "wrong answer on test %d" % len(results)
        results.append(1)
    return results, "passed %d tests" % len(results)


def run_call(namespace, code, fn_name, inputs, outputs, timeout):
    try:
        if "class Solution" in code:
            method = getattr(namespace["Solution"](), fn_name)
        else:
            method = namespace[fn_name]
    except BaseException as err:  # noqa: BLE001
        return [-4], "no callable `%s`: %s" % (fn_name, type(err).__name__)
    results = []
    for given, want in zip(inputs, outputs):
        try:
            args = [json.loads(line) for line in given.split("\n")]
            expected = json.loads(want)
        except ValueError:
            results.append(-4)
            return results, "test %d is not JSON" % len(results)
        sys.stdout = io.StringIO()
        signal.alarm(timeout)
        try:
            got = method(*args)
            signal.alarm(0)
        except Timeout:
            results.append(-3)
            return results, "time limit on test %d" % len(results)
        except BaseException as err:  # noqa: BLE001
            signal.alarm(0)
            results.append(-4)
            return results, "runtime error on test %d: %s" % (len(results), type(err).__name__)
        finally:
            signal.alarm(0)
            sys.stdout = sys.__stdout__
        if isinstance(got, tuple):
            got = list(got)
        try:
            same = got == expected
        except BaseException:  # noqa: BLE001
            same = False
        if not same:
            results.append(-2)
            return results, "wrong answer on test %d" % len(results)
        results.append(1)
    return results, "passed %d tests" % len(results)


def guard():
    """The reference's reliability guard: the same functions are disabled before the program
    runs, so a program that calls them fails here as it fails there (the sandbox, not this
    guard, is what contains hostile code)."""
    import builtins
    import faulthandler
    import shutil
    import subprocess

    faulthandler.disable()
    # lcb_runner leaves `exit` alone (it raises SystemExit, which the tests catch).
    builtins.quit = None
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


def main():
    import builtins

    payload = json.loads(sys.stdin.read())
    out = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.environ["OMP_NUM_THREADS"] = "1"
    signal.signal(signal.SIGALRM, on_alarm)
    code, fn_name, timeout = payload["code"], payload.get("fn_name"), int(payload["timeout"])
    inputs, outputs = payload["inputs"], payload["outputs"]
    if fn_name is None:
        source = wrap_stdin_program(inline_main(code))
    else:
        source = PREAMBLE + "\n" + code
    namespace = {"__name__": "tmp_sol"}
    guard()
    signal.alarm(timeout)
    try:
        exec(compile(source, "<solution>", "exec"), namespace)
        signal.alarm(0)
        if fn_name is None:
            results, detail = run_stdin(namespace, inputs, outputs, timeout)
        else:
            results, detail = run_call(namespace, code, fn_name, inputs, outputs, timeout)
    except Timeout:
        results, detail = [-3], "time limit while loading the program"
    except BaseException as err:  # noqa: BLE001
        results, detail = [-4], "compile error: %s" % type(err).__name__
    signal.alarm(0)
    sys.stdout = sys.__stdout__
    out.write(json.dumps({"results": results, "detail": detail}))
    out.flush()
    os._exit(0)


main()
