#!/usr/bin/env python3
"""Generates the LiveCodeBench runner differential set: programs with their tests, one JSON
object a line {id, class, fn_name, inputs, outputs, code}, deterministic.

Every way a program can read stdin (sys.stdin and its buffer, names bound by `from sys import`,
the preamble's `stdin`, input(), readline loops, open(0), fileinput, os.read) crossed with
input shapes (final newline or not, blank lines, CRLF, extra spaces) and with `__main__` guards;
output styles; exits; exceptions; time limits; compile rules (`class Solution` in a stdin
program, imports only, empty code, globals); call-based programs (methods and functions,
tuples, floats, state, exits, time limits at load time). The expected outputs are those of a
correct program: which programs pass is what the oracle says.

usage: python3 bench/lcb/gen_cases.py OUT.jsonl
"""
import json
import sys

# Problem "sum": the first line is N, the second N integers; print their sum.
SHAPES = {
    "lf": ["3\n1 2 3\n", "2\n10 20\n"],
    "nolf": ["3\n1 2 3", "2\n10 20"],
    "blank_mid": ["3\n\n1 2 3\n", "2\n\n10 20\n"],
    "blank_end": ["3\n1 2 3\n\n", "2\n10 20\n\n\n"],
    "crlf": ["3\r\n1 2 3\r\n", "2\r\n10 20\r\n"],
    "spaces": ["  3 \n 1  2 3  \n", "2 \n10 20 \n"],
    "one_line": ["3 1 2 3\n", "2 10 20\n"],
}
SUM_OUT = ["6\n", "30\n"]

# Each reader leaves the integers after N in `a` (body lines, no indentation).
READERS = {
    "input": "n = int(input())\na = list(map(int, input().split()))",
    "input_all_tokens": "n = int(input().split()[0])\na = list(map(int, input().split()))",
    "readline_strip": "import sys\nn = int(sys.stdin.readline().strip())\na = list(map(int, sys.stdin.readline().split()))",
    "readline_raw_len": "import sys\nline = sys.stdin.readline()\nn = int(line)\nrest = sys.stdin.readline()\na = list(map(int, rest.split()))[:len(rest) - len(rest.rstrip('\\n')) + n - 1]",
    "input_is_readline": "import sys\ninput = sys.stdin.readline\nn = int(input())\na = list(map(int, input().split()))",
    "from_sys_stdin_readline": "from sys import stdin\nn = int(stdin.readline())\na = list(map(int, stdin.readline().split()))",
    "from_sys_stdin_input": "from sys import stdin\ninput = stdin.readline\nn = int(input())\na = list(map(int, input().split()))",
    "bare_stdin_readline": "n = int(stdin.readline())\na = list(map(int, stdin.readline().split()))",
    "bare_stdin_read": "t = stdin.read().split()\na = list(map(int, t[1:]))",
    "read_split": "import sys\nt = sys.stdin.read().split()\na = list(map(int, t[1:]))",
    "read_splitlines": "import sys\nlines = sys.stdin.read().splitlines()\na = list(map(int, lines[1].split()))",
    "read_split_newline": "import sys\nlines = sys.stdin.read().split('\\n')\na = list(map(int, lines[1].split()))",
    "readlines": "import sys\nlines = sys.stdin.readlines()\na = list(map(int, lines[1].split()))",
    "readlines_tokens": "import sys\nt = ' '.join(sys.stdin.readlines()).split()\na = list(map(int, t[1:]))",
    "for_line_in_stdin": "import sys\nt = []\nfor line in sys.stdin:\n    t += line.split()\na = list(map(int, t[1:]))",
    "buffer_read": "import sys\nt = sys.stdin.buffer.read().split()\na = list(map(int, t[1:]))",
    "buffer_readline": "import sys\nn = int(sys.stdin.buffer.readline())\na = list(map(int, sys.stdin.buffer.readline().split()))",
    "buffer_readlines": "import sys\nlines = sys.stdin.buffer.readlines()\na = list(map(int, lines[1].split()))",
    "open0_read": "t = open(0).read().split()\na = list(map(int, t[1:]))",
    "open0_iter": "t = []\nfor line in open(0):\n    t += line.split()\na = list(map(int, t[1:]))",
    "builtins_open0": "import builtins\nt = builtins.open(0).read().split()\na = list(map(int, t[1:]))",
    "builtins_open0_lines": "import builtins\nt = []\nfor line in builtins.open(0):\n    t += line.split()\na = list(map(int, t[1:]))",
    "io_open0": "import io\nt = io.open(0).read().split()\na = list(map(int, t[1:]))",
    "fileinput": "import fileinput\nt = []\nfor line in fileinput.input():\n    t += line.split()\na = list(map(int, t[1:]))",
    "os_read": "import os\nt = os.read(0, 1 << 20).split()\na = list(map(int, t[1:]))",
    "from_sys_stdin_read": "from sys import stdin\nt = stdin.read().split()\na = list(map(int, t[1:]))",
    "from_sys_stdin_iter": "from sys import stdin\nt = []\nfor line in stdin:\n    t += line.split()\na = list(map(int, t[1:]))",
    "from_sys_stdin_buffer": "from sys import stdin\nt = stdin.buffer.read().split()\na = list(map(int, t[1:]))",
    "input_until_eof": "t = []\nwhile True:\n    try:\n        line = input()\n    except EOFError:\n        break\n    t += line.split()\na = list(map(int, t[1:]))",
    "readline_loop_empty": "import sys\nt = []\nwhile True:\n    line = sys.stdin.readline()\n    if not line:\n        break\n    t += line.split()\na = list(map(int, t[1:]))",
    "readline_loop_strip": "import sys\nt = []\nwhile True:\n    line = sys.stdin.readline().strip()\n    if not line:\n        break\n    t += line.split()\na = list(map(int, t[1:]))",
    "iter_readline": "import sys\nt = []\nfor line in iter(sys.stdin.readline, ''):\n    t += line.split()\na = list(map(int, t[1:]))",
    "iter_stdin_readline": "from sys import stdin\nt = []\nfor line in iter(stdin.readline, ''):\n    t += line.split()\na = list(map(int, t[1:]))",
    "from_sys_readline_loop": "from sys import stdin\nt = []\nwhile True:\n    try:\n        line = stdin.readline()\n    except StopIteration:\n        break\n    if line == '':\n        break\n    t += line.split()\na = list(map(int, t[1:]))",
    "input_eof_count": "t = []\ntry:\n    while True:\n        t += input().split()\nexcept EOFError:\n    pass\na = list(map(int, t[1:]))",
    "readline_len": "import sys\ns = sys.stdin.readline()\nn = len(s) - 1\nrest = sys.stdin.readline()\na = list(map(int, rest.split()))\na = a if n == len(s.strip()) else a + [1]",
    "input_len": "s = input()\nrest = input()\na = list(map(int, rest.split()))\na = a if len(s) == len(s.strip()) else a + [1]",
    "stdin_detach": "import sys, io\nt = io.TextIOWrapper(sys.stdin.buffer).read().split()\na = list(map(int, t[1:]))",
    "lambda_input_rstrip": "import sys\ninput = lambda: sys.stdin.readline().rstrip()\nn = int(input())\na = list(map(int, input().split()))",
    "def_input_rstrip_newline": "import sys\ndef input():\n    return sys.stdin.readline().rstrip('\\r\\n')\nn = int(input())\na = list(map(int, input().split()))",
    "map_int_lambda": "I = lambda: map(int, input().split())\nn, = I()\na = list(I())",
    "star_open0": "lines = [*open(0)]\na = list(map(int, lines[1].split()))",
    "read_strip_split_nl": "import sys\nlines = sys.stdin.read().strip().split('\\n')\na = list(map(int, lines[-1].split()))",
    "bytesio_fast_io": "import os, io\ninput = io.BytesIO(os.read(0, os.fstat(0).st_size)).readline\nn = int(input())\na = list(map(int, input().split()))",
    "stdin_reassign_open0": "import sys\nsys.stdin = open(0)\nt = sys.stdin.read().split()\na = list(map(int, t[1:]))",
    "stdin_reassign_stringio": "import sys, io\nsys.stdin = io.StringIO(sys.stdin.read())\nt = []\nfor line in sys.stdin:\n    t += line.split()\na = list(map(int, t[1:]))",
    "readline_buffer_decode": "import sys\nn = int(sys.stdin.buffer.readline().decode())\na = list(map(int, sys.stdin.buffer.read().decode().split()))",
    "thread_stack_main": "import sys, threading\nsys.setrecursionlimit(1 << 20)\nthreading.stack_size(1 << 26)\nres = []\ndef run():\n    t = sys.stdin.read().split()\n    res.extend(map(int, t[1:]))\nth = threading.Thread(target=run)\nth.start()\nth.join()\na = res",
    "readline_next_builtin": "import sys\nit = iter(sys.stdin.read().split())\nn = int(next(it))\na = [int(next(it)) for _ in range(n)]",
}

# How the body is laid out around the reader.
LAYOUTS = {
    "flat": "{reader}\nprint(sum(a))\n",
    "main_guard": "def main():\n{ind}\n    print(sum(a))\n\nif __name__ == '__main__':\n    main()\n",
    "main_guard_dq": 'def main():\n{ind}\n    print(sum(a))\n\nif __name__ == "__main__":\n    main()\n',
    "main_call": "def main():\n{ind}\n    print(sum(a))\n\nmain()\n",
}


def indent(text, by="    "):
    return "\n".join(by + line if line else line for line in text.split("\n"))


def case(cid, klass, code, inputs, outputs, fn_name=None):
    return {
        "id": cid,
        "class": klass,
        "fn_name": fn_name,
        "inputs": inputs,
        "outputs": outputs,
        "code": code,
    }


def readers():
    out = []
    for rname, reader in READERS.items():
        for lname, layout in LAYOUTS.items():
            code = layout.format(reader=reader, ind=indent(reader))
            for sname, inputs in SHAPES.items():
                if lname != "flat" and sname not in ("lf", "nolf", "blank_mid"):
                    continue
                out.append(case(f"read-{rname}-{lname}-{sname}", "stdin-read", code, inputs, SUM_OUT))
    return out


READ = "import sys\nt = sys.stdin.read().split()\na = list(map(int, t[1:]))\ns = sum(a)\n"
OUTPUTS = {
    "print": "print(s)",
    "write_nl": "sys.stdout.write(str(s) + '\\n')",
    "write_no_nl": "sys.stdout.write(str(s))",
    "print_end_empty": "print(s, end='')",
    "trailing_spaces": "print(str(s) + '   ')",
    "leading_spaces": "print('   ' + str(s))",
    "extra_blank_after": "print(s)\nprint()\nprint()",
    "extra_blank_before": "print()\nprint(s)",
    "blank_between": "print(s)\nprint()\nprint(s)",
    "float": "print(float(s))",
    "fixed3": "print(f'{s:.3f}')",
    "exp": "print('%e' % s)",
    "hex": "print(hex(s))",
    "plus_sign": "print('+' + str(s))",
    "neg_zero_suffix": "print(str(s) + '.000')",
    "two_tokens": "print(s, 0)",
    "tab_sep": "print(str(s) + '\\t')",
    "crlf": "print(s, end='\\r\\n')",
    "cr_only": "print(s, end='\\r')",
    "bare_stdout_write": "stdout.write(str(s) + '\\n')",
    "from_sys_stdout": "from sys import stdout as out\nout.write(str(s) + '\\n')",
    "stdout_buffer": "sys.stdout.buffer.write(str(s).encode() + b'\\n')",
    "os_write": "import os\nos.write(1, (str(s) + '\\n').encode())",
    "stderr": "print(s, file=sys.stderr)",
    "dunder_stdout": "print(s, file=sys.__stdout__)",
    "close_stdout": "print(s)\nsys.stdout.close()",
    "flush": "print(s, flush=True)\nsys.stdout.flush()",
    "reassign_stdout": "import io\nsys.stdout = io.StringIO()\nprint(s)",
    "print_list": "print([s])",
    "print_sep": "print(s, s, sep='\\n')",
    "join_lines": "print('\\n'.join([str(s)]))",
    "unicode_space": "print(str(s) + '\\u00a0')",
    "nbsp_before": "print('\\u2003' + str(s))",
    "inf": "print('inf' if s < 0 else s)",
    "decimal_underscore": "print('1_0' if s == 10 else s)",
    "str_repr": "print(repr(str(s)))",
}


def outputs():
    out = []
    for oname, tail in OUTPUTS.items():
        out.append(case(f"out-{oname}", "stdin-output", READ + tail + "\n", SHAPES["lf"], SUM_OUT))
    # Number formats compared as decimals.
    formats = [
        ("1.5", "1.50"), ("1.5", "1.5000001"), ("100", "1e2"), ("100", "1E+2"), ("0", "-0"),
        ("0", "-0.0"), ("Infinity", "inf"), ("NaN", "NaN"), ("nan", "NaN"), ("16", "0x10"),
        ("1000", "1,000"), ("YES", "Yes"), ("Yes", "Yes"), ("1 2 3", "1  2   3"),
        ("1 2 3", "1 2 3 "), ("1 2", "1\n2"), ("a b", "a  b"), ("3", "3.0000000000000000001"),
        ("12345678901234567890", "12345678901234567890.0"), ("0.1", ".1"), ("5", "+5"),
        ("-5", "-5.0"), ("1e-3", "0.001"), ("", ""), ("x", ""), ("", "x"), ("1\n\n2", "1\n2"),
        ("1\n2", "1\n\n2"), ("  1", "1"), ("2", "٢"), ("1/2", "0.5"), ("True", "1"),
    ]
    for i, (want, got) in enumerate(formats):
        code = "print(" + json.dumps(got) + ")\n"
        out.append(case(f"fmt-{i:02}", "stdin-compare", code, ["\n"], [want]))
    return out


EXITS = {
    "exit_after": "print(s)\nexit()",
    "sys_exit_after": "print(s)\nsys.exit(0)",
    "sys_exit_1_after": "print(s)\nsys.exit(1)",
    "sys_exit_msg": "print(s)\nsys.exit('bye')",
    "raise_systemexit": "print(s)\nraise SystemExit",
    "exit_before": "exit()\nprint(s)",
    "quit_after": "print(s)\nquit()",
    "os_exit": "import os\nprint(s)\nos._exit(0)",
    "keyboard_interrupt": "print(s)\nraise KeyboardInterrupt",
    "generator_exit": "print(s)\nraise GeneratorExit",
    "value_error_after": "print(s)\nraise ValueError('x')",
    "zero_division": "print(s // 0)",
    "index_error": "print(t[100])",
    "recursion_error": "def f(k):\n    return f(k + 1)\nf(0)",
    "nested_exit": "def done():\n    print(s)\n    exit()\ndone()\nprint(0)",
    "exit_in_try": "try:\n    print(s)\n    exit()\nexcept SystemExit:\n    print(1)",
    "getcwd": "import os\nos.getcwd()\nprint(s)",
    "help": "help(len)\nprint(s)",
    "import_resource": "import resource\nprint(s)",
    "import_joblib": "import joblib\nprint(s)",
    "subprocess": "import subprocess\nsubprocess.run(['true'])\nprint(s)",
    "os_system": "import os\nos.system('true')\nprint(s)",
    "exception_name_timeout": "raise ValueError('TimeoutException')",
    "assert_false": "assert False\nprint(s)",
    "exit_code_second_test": "print(s)\nif s == 30:\n    raise ValueError\n",
    "wrong_second_test": "print(s if s == 6 else s + 1)",
    "eof_error": "print(s)\ninput()",
    "memory_error": "raise MemoryError",
    "stop_iteration": "raise StopIteration",
    "base_exception": "print(s)\nraise BaseException('x')",
}


def exits():
    return [
        case(f"exit-{name}", "stdin-exit", READ + tail + "\n", SHAPES["lf"], SUM_OUT)
        for name, tail in EXITS.items()
    ]


def slow():
    """Time limits: the alarm (sleeping or busy), a swallowed alarm, and the whole-item kill."""
    return [
        case("time-sleep", "stdin-time", "import time\ntime.sleep(100)\n", SHAPES["lf"], SUM_OUT),
        case("time-busy", "stdin-time", "while True:\n    pass\n", SHAPES["lf"], SUM_OUT),
        case("time-second-test", "stdin-time", READ + "import time\nif s == 30:\n    time.sleep(100)\nprint(s)\n", SHAPES["lf"], SUM_OUT),
        case("time-swallowed-once", "stdin-time", READ + "import time\ntry:\n    time.sleep(100)\nexcept Exception:\n    pass\nprint(s)\n", SHAPES["lf"], SUM_OUT),
        case("time-swallowed-print-first", "stdin-time", READ + "import time\nprint(s)\ntry:\n    time.sleep(100)\nexcept Exception:\n    pass\n", SHAPES["lf"], SUM_OUT),
        case("time-swallowed-forever", "stdin-time-item", "import time\nwhile True:\n    try:\n        time.sleep(100)\n    except Exception:\n        pass\n", SHAPES["lf"][:1], SUM_OUT[:1]),
        case("time-alarm-ignored", "stdin-time-item", "import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\ntime.sleep(100)\n", SHAPES["lf"][:1], SUM_OUT[:1]),
        case("time-call-load", "call-time", "import time\ntime.sleep(100)\nclass Solution:\n    def add(self, a, b):\n        return a + b\n", ["1\n2"], ["3"], "add"),
        case("time-call-test", "call-time", "import time\nclass Solution:\n    def add(self, a, b):\n        time.sleep(100)\n", ["1\n2", "3\n4"], ["3", "7"], "add"),
        case("time-call-busy", "call-time", "class Solution:\n    def add(self, a, b):\n        while True:\n            pass\n", ["1\n2"], ["3"], "add"),
    ]


def compile_rules():
    lf = SHAPES["lf"]
    progs = {
        "syntax_error": "print(6",
        "empty": "",
        "only_comment": "# nothing\n",
        "only_imports": "import sys\nfrom math import gcd\n",
        "only_pass": "pass\n",
        "class_solution": READ + "class Solution:\n    pass\nprint(s)\n",
        "class_solution_comment": READ + "# class Solution would be LeetCode\nprint(s)\n",
        "class_solution_string": READ + "x = 'class Solution'\nprint(s)\n",
        "class_solutions_name": READ + "class Solutions:\n    pass\nprint(s)\n",
        "class_solution_two_spaces": READ + "class  Solution:\n    pass\nprint(s)\n",
        "guard_not_last": "def main():\n" + indent(READ) + "\n    print(s)\n\nif __name__ == '__main__':\n    main()\nx = 1\n",
        "guard_reversed": "def main():\n" + indent(READ) + "\n    print(s)\n\nif '__main__' == __name__:\n    main()\n",
        "guard_else": "def main():\n" + indent(READ) + "\n    print(s)\n\nif __name__ == '__main__':\n    main()\nelse:\n    main()\n",
        "guard_only": "if __name__ == '__main__':\n" + indent(READ) + "\n    print(s)\n",
        "print_name": "print(__name__)\n",
        "print_file": "print(__file__)\n",
        "global_counter": "x = 0\ndef f():\n    global x\n    x += 1\nf()\nprint(x)\n",
        "global_read": "k = 5\ndef f():\n    return k\nprint(f())\n",
        "nonlocal_closure": "def outer():\n    c = 0\n    def inc():\n        nonlocal c\n        c += 1\n    inc()\n    return c\nprint(outer())\n",
        "import_in_function": "def f():\n    import sys\n    return sys.stdin.readline()\nprint(len(f()))\n",
        "from_import_in_function": "def f():\n    from sys import stdin\n    return stdin.readline()\nprint(len(f()))\n",
        "missing_module": "import ossperf_no_such_module\nprint(1)\n",
        "from_os_getcwd": "from os import getcwd\nprint(getcwd is None)\n",
        "big_int_5000": "print(10 ** 5000 % 7)\nprint(len(str(10 ** 5000)))\n",
        "big_int_60000": "print(len(str(10 ** 60000)))\n",
        "recursion_deep": "import sys\nsys.setrecursionlimit(100000)\ndef f(k):\n    return 0 if k == 0 else 1 + f(k - 1)\nprint(f(20000))\n",
        "recursion_limit_preamble": "import sys\nprint(sys.getrecursionlimit())\n",
        "thread_join": "import threading\nr = []\ndef work():\n    r.append(6)\nt = threading.Thread(target=work)\nt.start()\nt.join()\nprint(r[0])\n",
        "thread_print_join": "import threading\ndef work():\n    print(6)\nt = threading.Thread(target=work)\nt.start()\nt.join()\n",
        "state_across_tests": "import sys\nsys.ossperf_calls = getattr(sys, 'ossperf_calls', 0) + 1\nprint(sys.ossperf_calls)\n",
        "lambda_default": "f = lambda x=3: x * 2\nprint(f())\n",
        "walrus": "if (n := 6) > 5:\n    print(n)\n",
        "match_stmt": "match 6:\n    case 6:\n        print(6)\n",
        "decorator_cache": "from functools import lru_cache\n@lru_cache(None)\ndef fib(k):\n    return k if k < 2 else fib(k - 1) + fib(k - 2)\nprint(fib(30))\n",
        "preamble_names": "print(gcd(12, 18), Counter('aab')['a'], floor(2.5), deque([1]).pop())\n",
        "stdin_name_type": "print(type(sys.stdin).__name__)\n" if False else "import sys\nprint(hasattr(sys.stdin, 'buffer'), hasattr(sys.stdin, '__iter__'))\n",
        "stdin_isatty": "import sys\nprint(sys.stdin.isatty())\n",
        "stdin_fileno": "import sys\nprint(sys.stdin.fileno())\n",
        "print_return_value": "x = print(6)\n",
        "yield_in_body": "yield 1\nprint(6)\n",
        "return_in_body": "print(6)\nreturn\nprint(7)\n",
        "await_top": "import asyncio\nasync def f():\n    return 6\nprint(asyncio.run(f()))\n",
        "class_attr_global": "class A:\n    v = 6\nprint(A.v)\n",
        "class_method_refs_global": "y = 6\nclass A:\n    def g(self):\n        return y\nprint(A().g())\n",
        "comprehension_global": "m = 2\nprint(sum(m * i for i in range(3)))\n",
        "argv_len": "import sys\nprint(len(sys.argv))\n",
    }
    outs = {
        "print_name": ["tmp_sol\n"] * 2,
        "global_counter": ["1\n"] * 2,
        "global_read": ["5\n"] * 2,
        "nonlocal_closure": ["1\n"] * 2,
        "import_in_function": ["2\n", "2\n"],
        "from_import_in_function": ["2\n", "2\n"],
        "from_os_getcwd": ["True\n"] * 2,
        "big_int_5000": ["4\n5001\n"] * 2,
        "big_int_60000": ["60001\n"] * 2,
        "recursion_deep": ["20000\n"] * 2,
        "recursion_limit_preamble": ["50000\n"] * 2,
        "thread_join": ["6\n"] * 2,
        "thread_print_join": ["6\n"] * 2,
        "state_across_tests": ["1\n", "2\n"],
        "lambda_default": ["6\n"] * 2,
        "walrus": ["6\n"] * 2,
        "match_stmt": ["6\n"] * 2,
        "decorator_cache": ["832040\n"] * 2,
        "preamble_names": ["6 2 2 1\n"] * 2,
        "stdin_name_type": ["True False\n"] * 2,
        "stdin_isatty": ["False\n"] * 2,
        "stdin_fileno": ["0\n"] * 2,
        "print_return_value": ["6\n"] * 2,
        "yield_in_body": ["6\n"] * 2,
        "return_in_body": ["6\n"] * 2,
        "await_top": ["6\n"] * 2,
        "class_attr_global": ["6\n"] * 2,
        "class_method_refs_global": ["6\n"] * 2,
        "comprehension_global": ["6\n"] * 2,
        "argv_len": ["7\n"] * 2,
    }
    return [
        case(f"compile-{name}", "stdin-compile", code, lf, outs.get(name, SUM_OUT))
        for name, code in progs.items()
    ]


def call_based():
    add_tests = (["1\n2", "10\n20"], ["3", "30"])
    bodies = {
        "correct": "return a + b",
        "wrong": "return a - b",
        "wrong_second": "return a + b if a == 1 else 0",
        "tuple_for_int": "return (a + b,)",
        "float_equal": "return float(a + b)",
        "float_close": "return a + b + 1e-12",
        "string": "return str(a + b)",
        "none": "pass",
        "bool_for_int": "return True if a + b == 1 else a + b",
        "raise": "raise ValueError('no')",
        "raise_timeout_name": "raise RuntimeError('TimeoutException here')",
        "zero_div": "return (a + b) // 0",
        "sys_exit": "import sys\nsys.exit(0)",
        "exit_builtin": "exit()",
        "quit_builtin": "quit()",
        "keyboard_interrupt": "raise KeyboardInterrupt",
        "os_exit": "import os\nos._exit(0)",
        "print_and_return": "print('debug', a, b)\nreturn a + b",
        "input_inside": "return int(input()) + a + b",
        "stdin_read_inside": "import sys\nreturn len(sys.stdin.read()) + a + b",
        "generator": "yield a + b",
        "getcwd": "import os\nos.getcwd()\nreturn a + b",
        "recursion": "import sys\nsys.setrecursionlimit(100000)\ndef f(k):\n    return 0 if k == 0 else 1 + f(k - 1)\nreturn f(20000) - 20000 + a + b",
        "numpy_like_compare": "class W(int):\n    def __eq__(self, o):\n        raise TypeError('no compare')\nreturn W(a + b)",
        "eq_always_true": "class W:\n    def __eq__(self, o):\n        return True\nreturn W()",
        "eq_returns_list": "class W:\n    def __eq__(self, o):\n        return [0]\nreturn W()",
        "eq_returns_empty": "class W:\n    def __eq__(self, o):\n        return []\nreturn W()",
    }
    out = []
    for name, body in bodies.items():
        method = "class Solution:\n    def add(self, a: int, b: int) -> int:\n" + indent(body, "        ") + "\n"
        out.append(case(f"call-method-{name}", "call", method, *add_tests, fn_name="add"))
        function = "def add(a, b):\n" + indent(body) + "\n"
        out.append(case(f"call-function-{name}", "call", function, *add_tests, fn_name="add"))
    lists = (["[3, 1, 2]", "[]"], ["[1, 2, 3]", "[]"])
    sorts = {
        "sorted": "return sorted(nums)",
        "tuple": "return tuple(sorted(nums))",
        "in_place_none": "nums.sort()",
        "reversed_wrong": "return sorted(nums, reverse=True)",
        "generator": "return (x for x in sorted(nums))",
        "list_of_float": "return [float(x) for x in sorted(nums)]",
        "nested_tuple": "return [tuple([x]) for x in sorted(nums)][:0] + sorted(nums)",
        "typing_list": "from typing import List\nr: List[int] = sorted(nums)\nreturn r",
    }
    for name, body in sorts.items():
        code = "class Solution:\n    def sortIt(self, nums: List[int]) -> List[int]:\n" + indent(body, "        ") + "\n"
        out.append(case(f"call-list-{name}", "call", code, *lists, fn_name="sortIt"))
    extra = {
        "missing_method": ("class Solution:\n    def other(self, a, b):\n        return a + b\n", "add"),
        "class_solution_comment": ("# class Solution is not used\ndef add(a, b):\n    return a + b\n", "add"),
        "solution_init_raises": ("class Solution:\n    def __init__(self):\n        raise ValueError\n    def add(self, a, b):\n        return a + b\n", "add"),
        "syntax_error": ("class Solution:\n    def add(self, a, b)\n        return a + b\n", "add"),
        "load_raises": ("raise ValueError('at load')\nclass Solution:\n    def add(self, a, b):\n        return a + b\n", "add"),
        "load_exit": ("exit()\nclass Solution:\n    def add(self, a, b):\n        return a + b\n", "add"),
        "state_instance": ("class Solution:\n    n = 0\n    def add(self, a, b):\n        self.n += 1\n        return a + b if self.n == 1 else a + b + self.n - 2\n", "add"),
        "state_default_arg": ("class Solution:\n    def add(self, a, b, seen=[]):\n        seen.append(1)\n        return a + b + len(seen) - 1\n", "add"),
        "staticmethod": ("class Solution:\n    @staticmethod\n    def add(a, b):\n        return a + b\n", "add"),
        "main_guard_call": ("class Solution:\n    def add(self, a, b):\n        return a + b\n\nif __name__ == '__main__':\n    print(Solution().add(1, 2))\n", "add"),
        "module_print": ("print('loaded')\nclass Solution:\n    def add(self, a, b):\n        return a + b\n", "add"),
        "helper_global": ("K = 0\ndef helper(a, b):\n    return a + b + K\nclass Solution:\n    def add(self, a, b):\n        return helper(a, b)\n", "add"),
        "preamble_names": ("class Solution:\n    def add(self, a, b):\n        return gcd(a, 0) + b + len(Counter())\n", "add"),
        "two_classes": ("class Helper:\n    pass\nclass Solution:\n    def add(self, a, b):\n        return a + b\n", "add"),
    }
    for name, (code, fn) in extra.items():
        out.append(case(f"call-extra-{name}", "call", code, *add_tests, fn_name=fn))
    out.append(case("call-extra-bad_json_input", "call", "def add(a, b):\n    return a + b\n", ["1\nnot json"], ["3"], "add"))
    out.append(case("call-extra-bad_json_output", "call", "def add(a, b):\n    return a + b\n", ["1\n2"], ["three"], "add"))
    out.append(case("call-extra-string_args", "call", "def cat(a, b):\n    return a + b\n", ['"x"\n"y"'], ['"xy"'], "cat"))
    out.append(case("call-extra-no_tests", "call", "def add(a, b):\n    return a + b\n", [], [], "add"))
    out.append(case("stdin-extra-no_tests", "stdin-compile", "print(1)\n", [], []))
    out.append(case("stdin-extra-no_tests_syntax", "stdin-compile", "print(1\n", [], []))
    return out


def main():
    cases = readers() + outputs() + exits() + compile_rules() + call_based() + slow()
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate ids"
    with open(sys.argv[1], "w") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    print(f"{len(cases)} cases", file=sys.stderr)


main()
