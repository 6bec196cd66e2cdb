"""Programming rows (LiveCodeBench style) of the ossperf sample dataset, with tests and solutions.

Original problems written for ossperf. Expected outputs come from a separate oracle function
per problem, and each committed solution is run against every test (public and private) with
LiveCodeBench's comparison rules before anything is written.
"""

import base64
import json
import pickle
import zlib
from collections import deque
from decimal import Decimal, InvalidOperation

FORMAT = (
    "\n### Format: You will use the following starter code to write the solution to the "
    "problem and enclose your code within delimiters.\n```python\n{starter}\n```\n"
)


def _stdin_sum_even(inp):
    nums = list(map(int, inp.split()[1:]))
    return str(sum(x for x in nums if x % 2 == 0))


def _stdin_reverse_words(inp):
    return " ".join(reversed(inp.split()))


def _stdin_grid(inp):
    lines = inp.split("\n")
    h, w = map(int, lines[0].split())
    grid = lines[1:1 + h]
    dist = {(0, 0): 0} if grid[0][0] == "." else {}
    queue = deque(dist)
    while queue:
        r, c = queue.popleft()
        for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            nr, nc = r + dr, c + dc
            if 0 <= nr < h and 0 <= nc < w and grid[nr][nc] == "." and (nr, nc) not in dist:
                dist[(nr, nc)] = dist[(r, c)] + 1
                queue.append((nr, nc))
    return str(dist.get((h - 1, w - 1), -1))


def _stdin_brackets(inp):
    lines = inp.split("\n")
    out = []
    for s in lines[1:1 + int(lines[0])]:
        s = s.strip()
        prev = None
        while prev != s:
            prev, s = s, s.replace("()", "").replace("[]", "").replace("{}", "")
        out.append("Yes" if s == "" else "No")
    return "\n".join(out)


def _stdin_range_sums(inp):
    lines = inp.split("\n")
    n, q = map(int, lines[0].split())
    a = list(map(int, lines[1].split()))
    out = []
    for line in lines[2:2 + q]:
        l, r = map(int, line.split())
        out.append(str(sum(a[l - 1:r])))
    return "\n".join(out)


def _stdin_mean(inp):
    nums = [Decimal(x) for x in inp.split()[1:]]
    return str((sum(nums) / len(nums)).normalize())


def _fn_pair_count(nums, k):
    return sum(1 for i in range(len(nums)) for j in range(i + 1, len(nums)) if nums[i] + nums[j] == k)


def _fn_longest_run(s):
    best = 0
    for i in range(len(s)):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        best = max(best, j - i)
    return best


def _fn_rotate(grid):
    rows, cols = len(grid), len(grid[0])
    return [[grid[rows - 1 - r][c] for r in range(rows)] for c in range(cols)]


def _fn_palindrome(x):
    return x >= 0 and str(x) == str(x)[::-1]


def _fn_merge(intervals):
    covered = set()
    for a, b in intervals:
        covered.update(range(2 * a, 2 * b + 1))
    out, points = [], sorted(covered)
    for p in points:
        if out and p == out[-1][1] + 1:
            out[-1][1] = p
        else:
            out.append([p, p])
    return [[a // 2, b // 2] for a, b in out]


def _fn_min_coins(coins, amount):
    best = {0: 0}
    frontier = [0]
    while frontier:
        nxt = []
        for v in frontier:
            for c in coins:
                if v + c <= amount and v + c not in best:
                    best[v + c] = best[v] + 1
                    nxt.append(v + c)
        frontier = nxt
    return best.get(amount, -1)


PROBLEMS = [
    {
        "question_id": "ossperf_s01", "title": "Even Total", "testtype": "stdin",
        "content": "You are given N integers A_1, ..., A_N. Print the sum of those that are "
        "even.\n\nInput\n\nN\nA_1 A_2 ... A_N\n\nOutput\n\nPrint the sum of the even values."
        "\n\nConstraints\n\n- 1 <= N <= 100\n- -1000 <= A_i <= 1000\n\nSample Input 1\n\n5\n"
        "1 2 3 4 5\n\nSample Output 1\n\n6",
        "oracle": _stdin_sum_even,
        "inputs": ["5\n1 2 3 4 5\n", "3\n1 3 5\n", "4\n-2 -4 7 10\n", "1\n0\n",
                   "6\n1000 -1000 999 2 2 2\n"],
        "solution": "n = int(input())\na = list(map(int, input().split()))\n"
                    "print(sum(x for x in a if x % 2 == 0))",
    },
    {
        "question_id": "ossperf_s02", "title": "Word Mirror", "testtype": "stdin",
        "content": "A line of text contains words separated by single spaces. Print the words "
        "in reverse order, separated by single spaces.\n\nInput\n\nS\n\nOutput\n\nThe words of "
        "S in reverse order.\n\nConstraints\n\n- S has 1 to 100 words of lowercase letters\n\n"
        "Sample Input 1\n\nthe cat sat\n\nSample Output 1\n\nsat cat the",
        "oracle": _stdin_reverse_words,
        "inputs": ["the cat sat\n", "hello\n", "a b c d e f\n", "one two\n"],
        "solution": "print(' '.join(input().split()[::-1]))",
    },
    {
        "question_id": "ossperf_s03", "title": "Shortest Walk", "testtype": "stdin",
        "content": "A grid has H rows and W columns. Each cell is '.' (free) or '#' (wall). "
        "Starting at the top-left cell, you may move up, down, left or right to free cells. "
        "Print the minimum number of moves to reach the bottom-right cell, or -1 if it cannot "
        "be reached (or if either corner is a wall).\n\nInput\n\nH W\nthen H lines of W "
        "characters\n\nConstraints\n\n- 1 <= H, W <= 50\n\nSample Input 1\n\n3 3\n...\n.#.\n"
        "...\n\nSample Output 1\n\n4",
        "oracle": _stdin_grid,
        "inputs": ["3 3\n...\n.#.\n...\n", "2 2\n.#\n#.\n", "1 1\n.\n",
                   "3 4\n....\n###.\n....\n", "4 4\n.#..\n.#.#\n...#\n##..\n", "2 3\n#..\n...\n"],
        "solution": "from collections import deque\n\n"
                    "def main():\n"
                    "    h, w = map(int, input().split())\n"
                    "    g = [input() for _ in range(h)]\n"
                    "    if g[0][0] == '#' or g[h - 1][w - 1] == '#':\n"
                    "        print(-1)\n        return\n"
                    "    d = [[-1] * w for _ in range(h)]\n"
                    "    d[0][0] = 0\n"
                    "    q = deque([(0, 0)])\n"
                    "    while q:\n"
                    "        r, c = q.popleft()\n"
                    "        for nr, nc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):\n"
                    "            if 0 <= nr < h and 0 <= nc < w and g[nr][nc] == '.' and d[nr][nc] < 0:\n"
                    "                d[nr][nc] = d[r][c] + 1\n"
                    "                q.append((nr, nc))\n"
                    "    print(d[h - 1][w - 1])\n\n"
                    "if __name__ == '__main__':\n    main()",
    },
    {
        "question_id": "ossperf_s04", "title": "Bracket Check", "testtype": "stdin",
        "content": "For each of T strings made of the characters ()[]{} print Yes if the "
        "brackets are balanced and properly nested, and No otherwise.\n\nInput\n\nT\nS_1\n...\n"
        "S_T\n\nConstraints\n\n- 1 <= T <= 20\n- 1 <= |S_i| <= 100\n\nSample Input 1\n\n2\n"
        "([]{})\n([)]\n\nSample Output 1\n\nYes\nNo",
        "oracle": _stdin_brackets,
        "inputs": ["2\n([]{})\n([)]\n", "3\n(\n)(\n{}[]()\n", "1\n{{[[(())]]}}\n",
                   "2\n((\n[]]\n"],
        "solution": "import sys\n\n"
                    "def ok(s):\n"
                    "    pairs = {')': '(', ']': '[', '}': '{'}\n"
                    "    st = []\n"
                    "    for ch in s:\n"
                    "        if ch in '([{':\n            st.append(ch)\n"
                    "        elif not st or st.pop() != pairs[ch]:\n            return False\n"
                    "    return not st\n\n"
                    "data = sys.stdin.read().split()\n"
                    "t = int(data[0])\n"
                    "for s in data[1:1 + t]:\n"
                    "    print('Yes' if ok(s) else 'No')",
    },
    {
        "question_id": "ossperf_s05", "title": "Range Totals", "testtype": "stdin",
        "content": "Given an array A of N integers and Q queries (l, r), print for each query "
        "A_l + ... + A_r (1-indexed, inclusive).\n\nInput\n\nN Q\nA_1 ... A_N\nl_1 r_1\n...\n"
        "l_Q r_Q\n\nConstraints\n\n- 1 <= N, Q <= 100000\n- |A_i| <= 10^9\n\nSample Input 1\n\n"
        "5 2\n1 2 3 4 5\n1 3\n2 5\n\nSample Output 1\n\n6\n14",
        "oracle": _stdin_range_sums,
        "inputs": ["5 2\n1 2 3 4 5\n1 3\n2 5\n", "1 1\n-7\n1 1\n",
                   "4 3\n1000000000 1000000000 -5 3\n1 2\n3 4\n1 4\n"],
        "solution": "import sys\n"
                    "from itertools import accumulate\n\n"
                    "def main():\n"
                    "    data = sys.stdin.read().split()\n"
                    "    n, q = int(data[0]), int(data[1])\n"
                    "    pre = [0] + list(accumulate(int(x) for x in data[2:2 + n]))\n"
                    "    out = []\n"
                    "    pos = 2 + n\n"
                    "    for _ in range(q):\n"
                    "        l, r = int(data[pos]), int(data[pos + 1])\n"
                    "        pos += 2\n"
                    "        out.append(str(pre[r] - pre[l - 1]))\n"
                    "    print('\\n'.join(out))\n\n"
                    "main()",
    },
    {
        "question_id": "ossperf_s06", "title": "Mean Value", "testtype": "stdin",
        "content": "Print the arithmetic mean of N given integers. Any output equal to the "
        "exact mean when read as a decimal number is accepted (for example 2.5 or 2.500000)."
        "\n\nInput\n\nN\nA_1 ... A_N\n\nConstraints\n\n- N is one of 1, 2, 4, 5 and 8\n- |A_i| <= 1000\n\n"
        "Sample Input 1\n\n2\n2 3\n\n"
        "Sample Output 1\n\n2.5",
        "oracle": _stdin_mean,
        "inputs": ["2\n2 3\n", "4\n1 2 3 4\n", "5\n10 10 10 10 11\n", "1\n-8\n"],
        "solution": "n = int(input())\na = list(map(int, input().split()))\n"
                    "print(f'{sum(a) / n:.6f}')",
    },
    {
        "question_id": "ossperf_f01", "title": "Pairs With Target Sum", "testtype": "functional",
        "func": "pairCount", "starter": "class Solution:\n    def pairCount(self, nums: List[int], k: int) -> int:\n        ",
        "content": "Given an integer array nums and an integer k, return the number of index "
        "pairs (i, j) with i < j and nums[i] + nums[j] == k.\n\nExample 1:\n\nInput: nums = "
        "[1,2,3,4], k = 5\nOutput: 2\n\nConstraints:\n\n1 <= nums.length <= 1000\n"
        "-10^4 <= nums[i], k <= 10^4",
        "oracle": _fn_pair_count,
        "args": [([1, 2, 3, 4], 5), ([1, 1, 1], 2), ([5], 10), ([-1, 6, 0, 5, 5], 5),
                 ([2, 2, 2, 2], 4)],
        "solution": "from collections import Counter\n\n"
                    "class Solution:\n"
                    "    def pairCount(self, nums: List[int], k: int) -> int:\n"
                    "        seen = Counter()\n"
                    "        total = 0\n"
                    "        for x in nums:\n"
                    "            total += seen[k - x]\n"
                    "            seen[x] += 1\n"
                    "        return total",
    },
    {
        "question_id": "ossperf_f02", "title": "Longest Run", "testtype": "functional",
        "func": "longestRun", "starter": "class Solution:\n    def longestRun(self, s: str) -> int:\n        ",
        "content": "Return the length of the longest block of equal consecutive characters in "
        "the string s.\n\nExample 1:\n\nInput: s = \"aabbbc\"\nOutput: 3\n\nConstraints:\n\n"
        "1 <= s.length <= 10^5\ns consists of lowercase English letters.",
        "oracle": _fn_longest_run,
        "args": [("aabbbc",), ("z",), ("abcd",), ("aaaaaaab",), ("abbbbcccccd",)],
        "solution": "class Solution:\n"
                    "    def longestRun(self, s: str) -> int:\n"
                    "        best = cur = 1\n"
                    "        for a, b in zip(s, s[1:]):\n"
                    "            cur = cur + 1 if a == b else 1\n"
                    "            best = max(best, cur)\n"
                    "        return best",
    },
    {
        "question_id": "ossperf_f03", "title": "Quarter Turn", "testtype": "functional",
        "func": "rotate", "starter": "class Solution:\n    def rotate(self, grid: List[List[int]]) -> List[List[int]]:\n        ",
        "content": "Return the matrix grid rotated 90 degrees clockwise.\n\nExample 1:\n\n"
        "Input: grid = [[1,2],[3,4]]\nOutput: [[3,1],[4,2]]\n\nConstraints:\n\n"
        "1 <= rows, columns <= 100",
        "oracle": _fn_rotate,
        "args": [([[1, 2], [3, 4]],), ([[1, 2, 3]],), ([[1], [2], [3]],),
                 ([[1, 2, 3], [4, 5, 6], [7, 8, 9]],)],
        "solution": "class Solution:\n"
                    "    def rotate(self, grid: List[List[int]]) -> List[List[int]]:\n"
                    "        return [list(row) for row in zip(*grid[::-1])]",
    },
    {
        "question_id": "ossperf_f04", "title": "Mirror Number", "testtype": "functional",
        "func": "isMirror", "starter": "class Solution:\n    def isMirror(self, x: int) -> bool:\n        ",
        "content": "Return true if the integer x reads the same forwards and backwards in "
        "base 10, and false otherwise. Negative numbers are never mirrors.\n\nExample 1:\n\n"
        "Input: x = 121\nOutput: true\n\nConstraints:\n\n-2^31 <= x <= 2^31 - 1",
        "oracle": _fn_palindrome,
        "args": [(121,), (-121,), (10,), (0,), (1234321,)],
        "solution": "class Solution:\n"
                    "    def isMirror(self, x: int) -> bool:\n"
                    "        if x < 0:\n            return False\n"
                    "        r, y = 0, x\n"
                    "        while y:\n            r, y = r * 10 + y % 10, y // 10\n"
                    "        return r == x",
    },
    {
        "question_id": "ossperf_f05", "title": "Join Intervals", "testtype": "functional",
        "func": "merge", "starter": "class Solution:\n    def merge(self, intervals: List[List[int]]) -> List[List[int]]:\n        ",
        "content": "Given closed intervals [start, end], merge every group of overlapping "
        "intervals (touching endpoints overlap) and return the result sorted by start.\n\n"
        "Example 1:\n\nInput: intervals = [[1,3],[2,6],[8,10]]\nOutput: [[1,6],[8,10]]\n\n"
        "Constraints:\n\n1 <= intervals.length <= 10^4\n0 <= start <= end <= 10^4",
        "oracle": _fn_merge,
        "args": [([[1, 3], [2, 6], [8, 10]],), ([[1, 4], [4, 5]],), ([[5, 7]],),
                 ([[6, 8], [1, 2], [2, 3], [10, 10]],)],
        "solution": "class Solution:\n"
                    "    def merge(self, intervals: List[List[int]]) -> List[List[int]]:\n"
                    "        out = []\n"
                    "        for a, b in sorted(intervals):\n"
                    "            if out and a <= out[-1][1]:\n"
                    "                out[-1][1] = max(out[-1][1], b)\n"
                    "            else:\n"
                    "                out.append([a, b])\n"
                    "        return out",
    },
    {
        "question_id": "ossperf_f06", "title": "Fewest Coins", "testtype": "functional",
        "func": "minCoins", "starter": "class Solution:\n    def minCoins(self, coins: List[int], amount: int) -> int:\n        ",
        "content": "Given coin values coins (unlimited supply of each) and an amount, return the "
        "fewest coins that add up to exactly amount, or -1 if it cannot be done.\n\nExample 1:"
        "\n\nInput: coins = [1,2,5], amount = 11\nOutput: 3\n\nConstraints:\n\n"
        "1 <= coins.length <= 12\n1 <= coins[i] <= 1000\n0 <= amount <= 10^4",
        "oracle": _fn_min_coins,
        "args": [([1, 2, 5], 11), ([2], 3), ([1], 0), ([3, 7], 20), ([4, 9, 10], 13)],
        "solution": "class Solution:\n"
                    "    def minCoins(self, coins: List[int], amount: int) -> int:\n"
                    "        inf = float('inf')\n"
                    "        best = [0] + [inf] * amount\n"
                    "        for v in range(1, amount + 1):\n"
                    "            for c in coins:\n"
                    "                if c <= v and best[v - c] + 1 < best[v]:\n"
                    "                    best[v] = best[v - c] + 1\n"
                    "        return -1 if best[amount] == inf else best[amount]",
    },
]


def _tests(problem):
    """(input, output) strings in LiveCodeBench's encoding for the problem's test type."""
    if problem["testtype"] == "stdin":
        return [(i, problem["oracle"](i) + "\n") for i in problem["inputs"]]
    out = []
    for args in problem["args"]:
        inp = "\n".join(json.dumps(a) for a in args)
        out.append((inp, json.dumps(problem["oracle"](*[json.loads(json.dumps(a)) for a in args]))))
    return out


def _encode_private(cases):
    """release_v6 stores private tests as base64(zlib(pickle(json string)))."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(cases)))).decode("ascii")


def lcb_records():
    """(sample row, test record, solution record) per problem."""
    out = []
    for n, p in enumerate(PROBLEMS):
        starter = p.get("starter", "")
        cases = [{"input": i, "output": o, "testtype": p["testtype"]} for i, o in _tests(p)]
        public, private = cases[:2], cases[2:]
        row = {
            "dataset": "livecodebench_v6",
            "question": p["content"] + FORMAT.format(starter=starter),
            "ground_truth": p["question_id"],
        }
        functional = p["testtype"] == "functional"
        tests = {
            "question_title": p["title"],
            "question_content": p["content"],
            "platform": "leetcode" if functional else "atcoder",
            "question_id": p["question_id"],
            "contest_id": "ossperf_sample",
            "contest_date": f"2025-0{1 + n % 9}-15T00:00:00",
            "starter_code": starter,
            "difficulty": "easy" if n % 3 == 0 else "medium",
            "public_test_cases": json.dumps(public),
            "private_test_cases": _encode_private(private),
            "metadata": json.dumps({"func_name": p["func"]} if functional else {}),
        }
        code = p["solution"]
        if "List[" in code and "from typing import" not in code:
            # LiveCodeBench's preamble has `from typing import *`; importing explicitly keeps the
            # solution runnable by a harness without that preamble too.
            code = "from typing import List\n\n" + code
        solution = {"question_id": p["question_id"], "solution": code}
        out.append((row, tests, solution))
    return out


def lines_match(got, want):
    """LiveCodeBench's stdin comparison: stripped lines, equal as text or as Decimal lists."""
    got_lines = [line.strip() for line in got.strip().split("\n")]
    want_lines = [line.strip() for line in want.strip().split("\n")]
    if len(got_lines) != len(want_lines):
        return False
    for g, w in zip(got_lines, want_lines):
        if g == w:
            continue
        try:
            if [Decimal(x) for x in g.split()] != [Decimal(x) for x in w.split()]:
                return False
        except InvalidOperation:
            return False
    return True
