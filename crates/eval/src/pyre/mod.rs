//! The subset of Python's `re` the reference's extraction patterns use, with Python's semantics.
//!
//! The `regex` crate differs from Python on every character class these patterns touch: Python's
//! `\s` includes U+001C–U+001F; its `\w` is `str.isalnum()` or `_` (no combining marks, no
//! connector punctuation but `_`, no ZWJ, no circled letters, but `²` and `½`); its `\d` follows
//! its own Unicode version; and `re.IGNORECASE` lets `i` match `ı` and `İ`, `s` match `ſ` and `k`
//! match `K`, where Unicode simple case folding has only the last two. Patterns here are built
//! from nodes rather than parsed, and matched by backtracking in the order Python's `sre` tries
//! alternatives (greedy repeats longest first, lazy shortest first), so the match found, its
//! groups and where the next `finditer` match may start are Python's.
//!
//! The tables come from Python 3.12 (Unicode 15.0.0), the interpreter of the reference's
//! container (`lmsysorg/sglang:v0.5.4.post2` installs `python3.12`): see `tables.rs`.

#[allow(clippy::unreadable_literal)]
mod tables;

pub use tables::{PYTHON_VERSION, UNICODE_VERSION};

/// One character class.
#[derive(Debug, Clone, Copy)]
pub enum Class {
    /// `.` with `re.DOTALL`: any character.
    Any,
    /// One character.
    Char(char),
    /// `\s`.
    Space,
    /// `\d`.
    Digit,
    /// Anything but this character (`[^*]`, `[^<]`).
    Not(char),
    /// One of these characters (`[:.]`).
    OneOf(&'static str),
    /// An ASCII letter range under `re.IGNORECASE` (`[A-D]`), lower-case bounds.
    LettersI(char, char),
    /// Anything but an ASCII letter under `re.IGNORECASE` (`[^a-zA-Z]`).
    NotLetterI,
}

impl Class {
    fn test(self, c: char) -> bool {
        match self {
            Class::Any => true,
            Class::Char(x) => c == x,
            Class::Space => is_space(c),
            Class::Digit => digit_value(c).is_some(),
            Class::Not(x) => c != x,
            Class::OneOf(set) => set.contains(c),
            Class::LettersI(lo, hi) => letter_fold(c).is_some_and(|l| (lo..=hi).contains(&l)),
            Class::NotLetterI => letter_fold(c).is_none(),
        }
    }
}

/// A pattern node.
#[derive(Debug, Clone)]
pub enum Node {
    /// One character of a class.
    One(Class),
    /// A class repeated `min..=max` times, greedy or lazy.
    Repeat {
        /// The class.
        class: Class,
        /// Fewest repeats.
        min: usize,
        /// Most repeats.
        max: usize,
        /// Longest first (`*`) or shortest first (`*?`).
        greedy: bool,
    },
    /// A literal; `ignore_case` applies `re.IGNORECASE` to its ASCII letters.
    Literal(&'static str, bool),
    /// Items in sequence.
    Seq(Vec<Node>),
    /// Alternatives, tried left to right.
    Alt(Vec<Node>),
    /// A numbered capturing group (from 1).
    Group(usize, Box<Node>),
    /// `^` without `re.MULTILINE`.
    Start,
    /// `$` without `re.MULTILINE`: the end, or before a final `\n`.
    End,
    /// `\b`.
    WordBoundary,
    /// `(?!…)`.
    NotFollowedBy(Box<Node>),
}

/// `class*`.
pub fn star(class: Class) -> Node {
    Node::Repeat {
        class,
        min: 0,
        max: usize::MAX,
        greedy: true,
    }
}

/// `class+`.
pub fn plus(class: Class) -> Node {
    Node::Repeat {
        class,
        min: 1,
        max: usize::MAX,
        greedy: true,
    }
}

/// `class?`.
pub fn opt(class: Class) -> Node {
    Node::Repeat {
        class,
        min: 0,
        max: 1,
        greedy: true,
    }
}

/// `class*?`.
pub fn lazy_star(class: Class) -> Node {
    Node::Repeat {
        class,
        min: 0,
        max: usize::MAX,
        greedy: false,
    }
}

/// `(node)` as group `n`.
pub fn group(n: usize, node: Node) -> Node {
    Node::Group(n, Box::new(node))
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    root: Node,
    groups: usize,
}

/// Byte spans of a match and of its groups (index 0 is the whole match).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captures {
    spans: Vec<Option<(usize, usize)>>,
}

impl Captures {
    /// The span of group `n`, if it took part in the match.
    pub fn span(&self, n: usize) -> Option<(usize, usize)> {
        self.spans.get(n).copied().flatten()
    }

    /// The text of group `n` in `text`.
    pub fn get<'t>(&self, text: &'t str, n: usize) -> Option<&'t str> {
        self.span(n).map(|(a, b)| &text[a..b])
    }
}

type Spans = Vec<Option<(usize, usize)>>;

impl Pattern {
    /// A pattern of `nodes` in sequence with `groups` numbered groups.
    pub fn new(groups: usize, nodes: Vec<Node>) -> Self {
        Self {
            root: Node::Seq(nodes),
            groups,
        }
    }

    /// `re.match`: a match starting at `at`.
    pub fn match_at(&self, text: &str, at: usize) -> Option<Captures> {
        let mut spans: Spans = vec![None; self.groups + 1];
        let end = self.match_with(text, at, &mut spans)?;
        spans[0] = Some((at, end));
        Some(Captures { spans })
    }

    /// The end of a match at `at`, with its groups in `spans` (left as they were on failure,
    /// since every group restores its span when it backtracks).
    fn match_with(&self, text: &str, at: usize, spans: &mut Spans) -> Option<usize> {
        let mut end = None;
        let found = Matcher { text }.run(&self.root, at, spans, &mut |e, _| {
            end = Some(e);
            true
        });
        end.filter(|_| found)
    }

    /// `re.search` from byte offset `from`.
    pub fn search_from(&self, text: &str, from: usize) -> Option<Captures> {
        let mut spans: Spans = vec![None; self.groups + 1];
        let starts = text[from..].char_indices().map(|(i, _)| from + i);
        starts.chain(std::iter::once(text.len())).find_map(|at| {
            let end = self.match_with(text, at, &mut spans)?;
            let mut spans = spans.clone();
            spans[0] = Some((at, end));
            Some(Captures { spans })
        })
    }

    /// `re.search`.
    pub fn search(&self, text: &str) -> Option<Captures> {
        self.search_from(text, 0)
    }

    /// The last match of `re.finditer` (non-overlapping, left to right).
    pub fn last_match(&self, text: &str) -> Option<Captures> {
        self.find_iter(text).last()
    }

    /// `re.finditer`.
    pub fn find_iter<'a>(&'a self, text: &'a str) -> impl Iterator<Item = Captures> + 'a {
        let mut from = Some(0);
        std::iter::from_fn(move || {
            let caps = self.search_from(text, from?)?;
            let (start, end) = caps.span(0)?;
            // No pattern here matches empty text; stepping over one keeps the loop finite anyway.
            from = if end > start {
                Some(end)
            } else {
                text[end..].chars().next().map(|c| end + c.len_utf8())
            };
            Some(caps)
        })
    }
}

struct Matcher<'t> {
    text: &'t str,
}

type Cont<'k> = dyn FnMut(usize, &mut Spans) -> bool + 'k;

impl Matcher<'_> {
    fn next(&self, at: usize) -> Option<(char, usize)> {
        let c = self.text[at..].chars().next()?;
        Some((c, at + c.len_utf8()))
    }

    fn run(&self, node: &Node, at: usize, spans: &mut Spans, k: &mut Cont<'_>) -> bool {
        match node {
            Node::One(class) => match self.next(at) {
                Some((c, next)) if class.test(c) => k(next, spans),
                _ => false,
            },
            Node::Repeat {
                class,
                min,
                max,
                greedy,
            } => self.repeat(*class, *min, *max, *greedy, at, spans, k),
            Node::Literal(lit, ignore_case) => {
                let mut pos = at;
                for want in lit.chars() {
                    match self.next(pos) {
                        Some((c, next)) if chars_match(c, want, *ignore_case) => pos = next,
                        _ => return false,
                    }
                }
                k(pos, spans)
            }
            Node::Seq(items) => self.seq(items, at, spans, k),
            Node::Alt(alternatives) => alternatives.iter().any(|a| self.run(a, at, spans, k)),
            Node::Group(n, inner) => self.run(inner, at, spans, &mut |end, spans: &mut Spans| {
                let old = spans[*n];
                spans[*n] = Some((at, end));
                k(end, spans) || {
                    spans[*n] = old;
                    false
                }
            }),
            Node::Start => at == 0 && k(at, spans),
            Node::End => {
                let len = self.text.len();
                (at == len || (at + 1 == len && self.text.ends_with('\n'))) && k(at, spans)
            }
            Node::WordBoundary => {
                let before = self.text[..at].chars().next_back().is_some_and(is_word);
                let after = self.text[at..].chars().next().is_some_and(is_word);
                before != after && k(at, spans)
            }
            Node::NotFollowedBy(inner) => {
                let mut scratch = spans.clone();
                !self.run(inner, at, &mut scratch, &mut |_, _| true) && k(at, spans)
            }
        }
    }

    fn seq(&self, items: &[Node], at: usize, spans: &mut Spans, k: &mut Cont<'_>) -> bool {
        match items.split_first() {
            None => k(at, spans),
            Some((first, rest)) => self.run(first, at, spans, &mut |next, spans: &mut Spans| {
                self.seq(rest, next, spans, k)
            }),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn repeat(
        &self,
        class: Class,
        min: usize,
        max: usize,
        greedy: bool,
        at: usize,
        spans: &mut Spans,
        k: &mut Cont<'_>,
    ) -> bool {
        let (mut pos, mut count) = (at, 0);
        if !greedy {
            loop {
                if count >= min && k(pos, spans) {
                    return true;
                }
                match self.next(pos) {
                    Some((c, next)) if count < max && class.test(c) => {
                        (pos, count) = (next, count + 1)
                    }
                    _ => return false,
                }
            }
        }
        while count < max {
            match self.next(pos) {
                Some((c, next)) if class.test(c) => (pos, count) = (next, count + 1),
                _ => break,
            }
        }
        loop {
            if count < min {
                return false;
            }
            if k(pos, spans) {
                return true;
            }
            if count == 0 {
                return false;
            }
            let back = self.text[..pos]
                .chars()
                .next_back()
                .map_or(1, char::len_utf8);
            (pos, count) = (pos - back, count - 1);
        }
    }
}

fn chars_match(c: char, want: char, ignore_case: bool) -> bool {
    c == want
        || (ignore_case
            && want.is_ascii_alphabetic()
            && letter_fold(c) == Some(want.to_ascii_lowercase()))
}

fn in_ranges(ranges: &[(u32, u32)], c: char) -> bool {
    let cp = c as u32;
    let i = ranges.partition_point(|&(_, hi)| hi < cp);
    ranges.get(i).is_some_and(|&(lo, _)| lo <= cp)
}

/// The ASCII lower-case letter `c` matches under `re.IGNORECASE`, if any.
pub fn letter_fold(c: char) -> Option<char> {
    if c.is_ascii_alphabetic() {
        return Some(c.to_ascii_lowercase());
    }
    let i = tables::LETTER_FOLDS.partition_point(|&(x, _)| x < c);
    tables::LETTER_FOLDS
        .get(i)
        .filter(|&&(x, _)| x == c)
        .map(|&(_, l)| l)
}

/// Python's `\w` (`str.isalnum()` or `_`).
pub fn is_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    in_ranges(tables::WORD, c)
}

/// Python's `\s` (`str.isspace()`), which is also what `str.strip()` removes.
pub fn is_space(c: char) -> bool {
    in_ranges(tables::SPACE, c)
}

/// The value of a Python `\d` (a Unicode decimal digit), `None` for anything else.
pub fn digit_value(c: char) -> Option<u32> {
    if c.is_ascii_digit() {
        return Some(c as u32 - '0' as u32);
    }
    let cp = c as u32;
    let i = tables::DIGIT_ZEROS.partition_point(|&z| z <= cp);
    let zero = *tables::DIGIT_ZEROS.get(i.checked_sub(1)?)?;
    (cp - zero <= 9).then_some(cp - zero)
}

#[cfg(test)]
mod tests;
