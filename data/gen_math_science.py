"""Math (AIME-style) and science (GPQA-style) rows of the ossperf sample dataset.

Original problems written for ossperf. Every math answer is recomputed by brute force when the
file is generated, so a wrong ground truth cannot be committed.
"""

import math
import random
from fractions import Fraction
from itertools import product


def _is_prime(n):
    return n >= 2 and all(n % p for p in range(2, math.isqrt(n) + 1))


def _divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


# (question, brute-force answer)
MATH = [
    ("Find the number of positive integers $n \\le 1000$ that are divisible by $3$ or $5$ "
     "but not by $7$.",
     lambda: sum(1 for n in range(1, 1001) if (n % 3 == 0 or n % 5 == 0) and n % 7)),
    ("Find the remainder when $2^{100}$ is divided by $1000$.",
     lambda: pow(2, 100, 1000)),
    ("Let $S$ be the sum of all positive divisors of $360$. Find the remainder when $S$ is "
     "divided by $1000$.",
     lambda: sum(_divisors(360)) % 1000),
    ("Find the number of ordered pairs $(a,b)$ of positive integers such that $ab = 720$.",
     lambda: len(_divisors(720))),
    ("Find the number of points $(x,y)$ with integer coordinates that satisfy "
     "$x^2 + y^2 \\le 100$.",
     lambda: sum(1 for x in range(-10, 11) for y in range(-10, 11) if x * x + y * y <= 100)),
    ("Find the least positive integer $n$ such that the decimal representation of $n!$ ends "
     "in at least $50$ zeros.",
     lambda: next(n for n in range(1, 1000)
                  if len(str(math.factorial(n))) - len(str(math.factorial(n)).rstrip("0")) >= 50)),
    ("The sequence $F_1 = F_2 = 1$, $F_{n} = F_{n-1} + F_{n-2}$ for $n \\ge 3$ is given. Find "
     "the remainder when $F_{100}$ is divided by $1000$.",
     lambda: _fib(100) % 1000),
    ("Find the number of subsets of $\\{1, 2, 3, \\ldots, 10\\}$, including the empty set, "
     "whose elements have a sum divisible by $3$.",
     lambda: sum(1 for bits in product([0, 1], repeat=10)
                 if sum(i + 1 for i, b in enumerate(bits) if b) % 3 == 0)),
    ("Find the number of four-digit positive integers whose digits sum to $10$.",
     lambda: sum(1 for n in range(1000, 10000) if sum(map(int, str(n))) == 10)),
    ("Find the largest prime factor of $2^{16} - 1$.",
     lambda: max(p for p in _divisors(2 ** 16 - 1) if _is_prime(p))),
    ("A triangle has side lengths $13$, $14$, and $15$. Find its area.",
     lambda: _heron(13, 14, 15)),
    ("Find the number of ways to tile a $2 \\times 10$ rectangle with $1 \\times 2$ dominoes.",
     lambda: _tilings(10)),
    ("Find the remainder when $1^3 + 2^3 + 3^3 + \\cdots + 50^3$ is divided by $1000$.",
     lambda: sum(k ** 3 for k in range(1, 51)) % 1000),
    ("Find the number of positive integers less than $1000$ that have exactly three positive "
     "divisors.",
     lambda: sum(1 for n in range(1, 1000) if len(_divisors(n)) == 3)),
    ("A positive real number $x$ satisfies $\\log_2 x + \\log_4 x = 9$. Find $x$.",
     lambda: next(x for x in range(1, 1000)
                  if abs(math.log2(x) + math.log(x, 4) - 9) < 1e-9)),
    ("Find the number of ordered triples $(x,y,z)$ of positive integers with "
     "$x + y + z = 20$.",
     lambda: sum(1 for x in range(1, 21) for y in range(1, 21) if 20 - x - y >= 1)),
    ("A right triangle has legs $20$ and $21$. Let $r$ be the radius of its inscribed circle "
     "and $R$ the radius of its circumscribed circle. Find $2(r + R)$.",
     lambda: _in_circum(20, 21)),
    ("Find the number of three-digit positive integers the product of whose digits is $36$.",
     lambda: sum(1 for n in range(100, 1000) if math.prod(map(int, str(n))) == 36)),
    ("Find the number of positive integers $n \\le 500$ such that $\\gcd(n, 500) = 1$.",
     lambda: sum(1 for n in range(1, 501) if math.gcd(n, 500) == 1)),
    ("Find the least positive integer $n$ such that $7^n - 1$ is divisible by $1000$.",
     lambda: next(n for n in range(1, 1001) if pow(7, n, 1000) == 1)),
    ("Find the number of positive integers $n < 1000$ such that the last two digits of $n^2$ "
     "are $44$.",
     lambda: sum(1 for n in range(1, 1000) if n * n % 100 == 44)),
    ("Find the number of integers $k$ with $1 \\le k \\le 100$ for which $k^2 + k + 41$ is "
     "prime.",
     lambda: sum(1 for k in range(1, 101) if _is_prime(k * k + k + 41))),
    ("A bag holds $5$ red and $7$ blue marbles. Two marbles are drawn at random without "
     "replacement. The probability that they have the same color is $\\tfrac{m}{n}$, where $m$ "
     "and $n$ are relatively prime positive integers. Find $m + n$.",
     lambda: _same_colour(5, 7)),
    ("Find the number of four-digit palindromes that are divisible by $7$.",
     lambda: sum(1 for n in range(1000, 10000) if str(n) == str(n)[::-1] and n % 7 == 0)),
    ("Find the remainder when $\\binom{30}{15}$ is divided by $1000$.",
     lambda: math.comb(30, 15) % 1000),
]


def _fib(n):
    a, b = 1, 1
    for _ in range(n - 2):
        a, b = b, a + b
    return b


def _heron(a, b, c):
    s = Fraction(a + b + c, 2)
    area_sq = s * (s - a) * (s - b) * (s - c)
    root = math.isqrt(int(area_sq))
    assert root * root == area_sq
    return root


def _tilings(n):
    ways = [1, 1]
    for _ in range(n - 1):
        ways.append(ways[-1] + ways[-2])
    return ways[n]


def _in_circum(a, b):
    c = math.isqrt(a * a + b * b)
    assert c * c == a * a + b * b
    return int(2 * (Fraction(a + b - c, 2) + Fraction(c, 2)))


def _same_colour(red, blue):
    total = math.comb(red + blue, 2)
    p = Fraction(math.comb(red, 2) + math.comb(blue, 2), total)
    return p.numerator + p.denominator


def math_rows():
    rows = []
    for question, answer in MATH:
        value = answer()
        assert isinstance(value, int) and 0 <= value <= 999, (question, value)
        rows.append({"dataset": "aime25", "question": question, "ground_truth": str(value)})
    return rows


# (question, correct option, three wrong options)
SCIENCE = [
    ("Which free ion has the largest number of unpaired electrons in its ground state?",
     "Fe$^{3+}$", ["Cr$^{3+}$", "Ni$^{2+}$", "Cu$^{+}$"]),
    ("A photon has a wavelength of 500 nm in vacuum. Its energy is closest to:",
     "2.48 eV", ["1.24 eV", "4.96 eV", "0.62 eV"]),
    ("In the lac operon of E. coli, allolactose acts by binding to:",
     "the repressor protein, lowering its affinity for the operator",
     ["RNA polymerase, raising its processivity", "the promoter DNA directly",
      "the ribosome, speeding up translation of lacZ"]),
    ("What is the hybridization of the carbon atom in carbon dioxide?",
     "sp", ["sp$^2$", "sp$^3$", "sp$^3$d"]),
    ("A ball is thrown straight up at 20 m/s. Taking g = 10 m/s$^2$ and ignoring air "
     "resistance, how high does it rise above the launch point?",
     "20 m", ["40 m", "10 m", "2 m"]),
    ("In eukaryotic cells, where does the citric acid cycle take place?",
     "the mitochondrial matrix",
     ["the cytosol", "the lumen of the endoplasmic reticulum", "the nucleolus"]),
    ("What is the pH of a 0.001 M solution of hydrochloric acid at 25 °C?",
     "3", ["1", "11", "7"]),
    ("A radioactive sample falls to one eighth of its initial activity in 30 days. What is "
     "its half-life?",
     "10 days", ["15 days", "3.75 days", "7.5 days"]),
    ("What is the maximum number of electrons that the shell with principal quantum number "
     "n = 3 can hold?",
     "18", ["8", "9", "32"]),
    ("In the standard genetic code, how many codons specify an amino acid?",
     "61", ["64", "20", "60"]),
    ("Resistors of 2 Ω and 4 Ω are connected in series across an ideal 12 V battery. What "
     "current flows?",
     "2 A", ["6 A", "3 A", "9 A"]),
    ("Which of these alcohols is chiral?",
     "2-butanol", ["2-propanol", "3-pentanol", "ethanol"]),
    ("A planet's mass doubles while its radius stays the same. By what factor does the "
     "escape speed from its surface change?",
     "$\\sqrt{2}$", ["2", "4", "$1/\\sqrt{2}$"]),
    ("Which enzyme separates the two strands of DNA at a replication fork?",
     "helicase", ["DNA ligase", "primase", "reverse transcriptase"]),
    ("At constant temperature, the pressure on a fixed amount of ideal gas is doubled. "
     "Its volume becomes:",
     "half as large", ["twice as large", "a quarter as large", "unchanged"]),
    ("For the exothermic reaction N$_2$ + 3H$_2$ ⇌ 2NH$_3$ at equilibrium, raising the "
     "temperature:",
     "shifts the equilibrium toward the reactants",
     ["shifts the equilibrium toward the products",
      "leaves the equilibrium position unchanged", "increases the equilibrium constant"]),
    ("In a population in Hardy-Weinberg equilibrium, the recessive allele has frequency 0.3. "
     "What fraction of individuals are heterozygous?",
     "0.42", ["0.09", "0.49", "0.21"]),
    ("Which particle mediates the electromagnetic interaction?",
     "the photon", ["the gluon", "the W boson", "the Higgs boson"]),
    ("What is the oxidation state of manganese in potassium permanganate, KMnO$_4$?",
     "+7", ["+6", "+4", "+2"]),
    ("An ideal transformer has 100 turns on its primary and 500 on its secondary. A 20 V AC "
     "input gives an output of:",
     "100 V", ["4 V", "20 V", "500 V"]),
    ("One parent has blood group genotype AO and the other BO. What is the probability that "
     "their child has blood group O?",
     "1/4", ["1/2", "0", "3/4"]),
    ("Which of these is the strongest acid in water?",
     "HClO$_4$", ["HF", "CH$_3$COOH", "H$_2$CO$_3$"]),
    ("A mass on an ideal spring oscillates with period T. If the mass is made four times "
     "larger, the period becomes:",
     "2T", ["4T", "T/2", "T"]),
    ("Which laboratory technique separates DNA fragments by length?",
     "gel electrophoresis", ["reverse transcription", "ligation", "bisulfite treatment"]),
    ("How many sigma and pi bonds does ethyne, C$_2$H$_2$, contain?",
     "3 sigma and 2 pi", ["2 sigma and 3 pi", "5 sigma and 0 pi", "3 sigma and 1 pi"]),
]


def science_rows():
    # The reference shuffles the options with `random.seed(42)`; we shuffle the wrong options
    # the same way but rotate the correct one through A-D so every letter is well represented.
    rng = random.Random(42)
    rows = []
    for i, (question, correct, wrong) in enumerate(SCIENCE):
        options = list(wrong)
        rng.shuffle(options)
        options.insert((i * 3 + 2) % 4, correct)
        letter = "ABCD"[options.index(correct)]
        a, b, c, d = [o.strip() for o in options]
        rows.append({
            "dataset": "gpqa_diamond",
            "question": f"{question}\nA) {a}\nB) {b}\nC) {c}\nD) {d}",
            "ground_truth": letter,
        })
    return rows
