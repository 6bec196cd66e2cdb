//! A fast path for the JSON chunks SGLang and OpenAI servers send, written for their exact
//! shapes: it reads the few fields the client uses and skips the rest (`text`, `meta_info.id`,
//! timings) without building or allocating anything, output ids going into a buffer the
//! caller reuses. It never decides that input is malformed: whatever it does not recognise
//! (a type it does not expect, a duplicate field, an escaped key, invalid UTF-8 or JSON, deep
//! nesting) makes it give up, and the caller parses the same bytes with serde, whose result
//! and error messages stay the reference. So it only answers where serde would answer the same
//! (the tests in `wire` compare the two on valid, odd and broken input).

use std::borrow::Cow;

use crate::wire::{finish_from, Chunk, Finish};

mod tail;
pub(crate) use tail::Memo;

/// Deeper nesting than this in a skipped value is left to serde (whose limit is 128).
const MAX_DEPTH: u32 = 64;

/// An SGLang `/generate` chunk: `{"text", "output_ids", "meta_info": {...}, "error"}`.
pub(crate) fn sglang<'a>(data: &'a [u8], ids: &mut Vec<u32>) -> Option<Chunk<'a>> {
    sglang_with(data, ids, None)
}

/// An SGLang chunk read against what the stream's previous chunk held (see [`tail`]): a
/// cumulative chunk's repeated head is compared, not parsed, and only its new ids go into
/// `ids` ([`Chunk::skipped`] says how many were skipped). `skip` says whether the caller can
/// use skipped ids (its output is the previous chunk's ids). The memo is left unusable when
/// this gives up.
pub(crate) fn sglang_tail<'a>(
    data: &'a [u8],
    ids: &mut Vec<u32>,
    memo: &mut Memo,
    skip: bool,
) -> Option<Chunk<'a>> {
    let chunk = sglang_with(data, ids, Some((memo, skip)));
    if chunk.is_none() {
        memo.clear();
    }
    chunk
}

fn sglang_with<'a>(
    data: &'a [u8],
    ids: &mut Vec<u32>,
    mut memo: Option<(&mut Memo, bool)>,
) -> Option<Chunk<'a>> {
    ids.clear();
    let mut c = Cur { b: data, i: 0 };
    let mut chunk = Chunk::default();
    let (mut seen_ids, mut seen_meta, mut seen_error) = (false, false, false);
    let mut seen_text = false;
    c.object(|c, key| {
        match key {
            b"output_ids" => {
                once(&mut seen_ids)?;
                chunk.has_ids = match memo.as_mut() {
                    Some((memo, skip)) => tail::ids(c, ids, memo, *skip, &mut chunk.skipped)?,
                    None => c.opt_ids(ids)?,
                };
            }
            b"text" if memo.is_some() => {
                once(&mut seen_text)?;
                if let Some((memo, _)) = memo.as_mut() {
                    tail::text(c, memo)?;
                }
            }
            b"meta_info" => {
                once(&mut seen_meta)?;
                if !c.null() {
                    sglang_meta(c, &mut chunk)?;
                }
            }
            b"error" => {
                once(&mut seen_error)?;
                chunk.error = c.error_field()?;
            }
            _ => c.skip(0)?,
        }
        Some(())
    })?;
    c.end()?;
    Some(chunk)
}

fn sglang_meta(c: &mut Cur<'_>, chunk: &mut Chunk<'_>) -> Option<()> {
    let (mut seen_count, mut seen_prompt, mut seen_finish) = (false, false, false);
    let (mut num, mut total) = (None, None);
    let (mut seen_num, mut seen_total) = (false, false);
    c.object(|c, key| {
        match key {
            b"completion_tokens" => {
                once(&mut seen_count)?;
                chunk.count = c.opt_u64()?;
            }
            b"prompt_tokens" => {
                once(&mut seen_prompt)?;
                chunk.prompt_tokens = c.opt_u64()?;
            }
            b"finish_reason" => {
                once(&mut seen_finish)?;
                chunk.finish = sglang_finish(c)?;
            }
            b"num_retractions" => {
                once(&mut seen_num)?;
                num = c.opt_u64()?;
            }
            b"total_retractions" => {
                once(&mut seen_total)?;
                total = c.opt_u64()?;
            }
            _ => c.skip(0)?,
        }
        Some(())
    })?;
    chunk.retractions = num.or(total);
    Some(())
}

/// `null`, a name, or `{"type": name, "message": text, ...}`; the name `"null"` is none.
fn sglang_finish(c: &mut Cur<'_>) -> Option<Option<Finish>> {
    match c.peek()? {
        b'n' => {
            c.lit(b"null")?;
            Some(None)
        }
        b'"' => {
            let name = c.string()?;
            Some((name != "null").then(|| finish_from(&name, None)))
        }
        b'{' => {
            let (mut kind, mut message) = (None, None);
            let mut seen_message = false;
            c.object(|c, key| {
                match key {
                    b"type" => {
                        if kind.is_some() {
                            return None;
                        }
                        kind = Some(c.string()?);
                    }
                    b"message" => {
                        once(&mut seen_message)?;
                        message = c.opt_string()?;
                    }
                    _ => c.skip(0)?,
                }
                Some(())
            })?;
            Some(Some(finish_from(&kind?, message.map(Cow::into_owned))))
        }
        _ => None,
    }
}

/// An OpenAI completions chunk: `{"choices": [{"text", "token_ids", "finish_reason"}],
/// "usage": {...}, "error"}`; only the first choice is kept, as by the serde path.
pub(crate) fn openai<'a>(data: &'a [u8], ids: &mut Vec<u32>) -> Option<Chunk<'a>> {
    ids.clear();
    let mut c = Cur { b: data, i: 0 };
    let mut chunk = Chunk::default();
    let (mut seen_choices, mut seen_usage, mut seen_error) = (false, false, false);
    c.object(|c, key| {
        match key {
            b"choices" => {
                once(&mut seen_choices)?;
                c.eat(b'[')?;
                if c.peek()? == b']' {
                    c.i += 1;
                    return Some(());
                }
                let mut first = true;
                loop {
                    if first {
                        openai_choice(c, &mut chunk, ids)?;
                        chunk.step = true;
                        first = false;
                    } else {
                        // Later choices are checked for their types and dropped.
                        openai_choice(c, &mut Chunk::default(), &mut Vec::new())?;
                    }
                    match c.peek()? {
                        b',' => c.i += 1,
                        b']' => {
                            c.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b"usage" => {
                once(&mut seen_usage)?;
                if !c.null() {
                    let (mut seen_count, mut seen_prompt) = (false, false);
                    c.object(|c, key| {
                        match key {
                            b"completion_tokens" => {
                                once(&mut seen_count)?;
                                chunk.count = c.opt_u64()?;
                            }
                            b"prompt_tokens" => {
                                once(&mut seen_prompt)?;
                                chunk.prompt_tokens = c.opt_u64()?;
                            }
                            _ => c.skip(0)?,
                        }
                        Some(())
                    })?;
                }
            }
            b"error" => {
                once(&mut seen_error)?;
                chunk.error = c.error_field()?;
            }
            _ => c.skip(0)?,
        }
        Some(())
    })?;
    c.end()?;
    Some(chunk)
}

fn openai_choice<'a>(c: &mut Cur<'a>, chunk: &mut Chunk<'a>, ids: &mut Vec<u32>) -> Option<()> {
    let (mut seen_text, mut seen_ids, mut seen_finish) = (false, false, false);
    c.object(|c, key| {
        match key {
            b"text" => {
                once(&mut seen_text)?;
                chunk.text = c.opt_string()?;
            }
            b"token_ids" => {
                once(&mut seen_ids)?;
                chunk.has_ids = c.opt_ids(ids)?;
            }
            b"finish_reason" => {
                once(&mut seen_finish)?;
                chunk.finish = c.opt_string()?.map(|f| finish_from(&f, None));
            }
            _ => c.skip(0)?,
        }
        Some(())
    })
}

/// Marks a field seen; a second one is left to serde (which rejects duplicate fields).
fn once(seen: &mut bool) -> Option<()> {
    if *seen {
        return None;
    }
    *seen = true;
    Some(())
}

/// A cursor over one JSON text. Every method returns `None` when the input is not what the
/// fast path handles.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    #[inline(always)]
    fn ws(&mut self) {
        // The usual case first: servers send no whitespace, and every token starts above it.
        if self.b.get(self.i).is_some_and(|&b| b > b' ') {
            return;
        }
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.i += 1)
    }

    /// Only whitespace is left.
    fn end(&mut self) -> Option<()> {
        self.peek().is_none().then_some(())
    }

    fn lit(&mut self, word: &[u8]) -> Option<()> {
        self.b[self.i..]
            .starts_with(word)
            .then(|| self.i += word.len())
    }

    /// Consumes a `null` if one is next.
    fn null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.lit(b"null").is_some()
    }

    /// An object, calling `field` with each key (raw, unescaped keys only) and the cursor at
    /// its value.
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            let key = self.key()?;
            self.eat(b':')?;
            self.ws();
            field(self, key)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Moves over bytes that cannot end a plain run in a string (see [`special`]) and
    /// returns the one it stopped at, or `None` at the end of the input. Eight bytes at a
    /// time: most strings are short (keys, ids, a token's text).
    #[inline(always)]
    fn plain_run(&mut self) -> Option<u8> {
        while let Some(word) = self.b.get(self.i..self.i + 8) {
            let mask = special(u64::from_le_bytes(word.try_into().ok()?));
            if mask != 0 {
                self.i += (mask.trailing_zeros() / 8) as usize;
                return Some(self.b[self.i]);
            }
            self.i += 8;
        }
        while let Some(&byte) = self.b.get(self.i) {
            if byte == b'"' || byte == b'\\' || !(0x20..0x80).contains(&byte) {
                return Some(byte);
            }
            self.i += 1;
        }
        None
    }

    /// A key: a string without escapes or non-ASCII bytes (others are left to serde).
    #[inline(always)]
    fn key(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        match self.plain_run()? {
            b'"' => {
                self.i += 1;
                Some(&self.b[start..self.i - 1])
            }
            _ => None,
        }
    }

    /// The rest of a string whose opening quote was consumed: its raw bytes and whether they
    /// are plain (no escape). Escapes, control characters and UTF-8 are checked as serde
    /// does.
    #[inline]
    fn raw_string(&mut self) -> Option<(&'a [u8], bool)> {
        let start = self.i;
        let (mut escaped, mut high) = (false, false);
        loop {
            match self.plain_run()? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    match *self.b.get(self.i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 2,
                        b'u' => {
                            let code = self.hex_escape()?;
                            // serde rejects a lone surrogate even in a value it ignores: a
                            // high one must be followed by an escaped low one.
                            if (0xD800..0xDC00).contains(&code) {
                                if self.b.get(self.i..self.i + 2)? != b"\\u" {
                                    return None;
                                }
                                if !(0xDC00..0xE000).contains(&self.hex_escape()?) {
                                    return None;
                                }
                            } else if (0xDC00..0xE000).contains(&code) {
                                return None;
                            }
                        }
                        _ => return None,
                    }
                }
                0..=0x1f => return None,
                _ => {
                    high = true;
                    self.i += 1;
                }
            }
        }
        let raw = &self.b[start..self.i];
        self.i += 1;
        if high && std::str::from_utf8(raw).is_err() {
            return None;
        }
        Some((raw, !escaped))
    }

    /// The value of the `\\uXXXX` escape at the cursor, moving past it.
    fn hex_escape(&mut self) -> Option<u16> {
        let hex = self.b.get(self.i + 2..self.i + 6)?;
        let mut code = 0u16;
        for &h in hex {
            code = code << 4 | u16::try_from(char::from(h).to_digit(16)?).ok()?;
        }
        self.i += 6;
        Some(code)
    }

    /// A string value, decoded.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let (raw, plain) = self.raw_string()?;
        // `raw_string` checked the UTF-8.
        let text = std::str::from_utf8(raw).ok()?;
        if plain {
            Some(Cow::Borrowed(text))
        } else {
            unescape(text).map(Cow::Owned)
        }
    }

    fn opt_string(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.null() {
            return Some(None);
        }
        self.string().map(Some)
    }

    /// A non-negative integer without fraction or exponent that fits `u64`, in one pass.
    fn u64(&mut self) -> Option<u64> {
        let start = self.i;
        let mut v: u64 = 0;
        while let Some(&byte) = self.b.get(self.i) {
            let digit = byte.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            v = v.checked_mul(10)?.checked_add(u64::from(digit))?;
            self.i += 1;
        }
        let digits = self.i - start;
        if digits == 0 || (digits > 1 && self.b[start] == b'0') {
            return None;
        }
        match self.b.get(self.i) {
            Some(b'.' | b'e' | b'E') => None,
            _ => Some(v),
        }
    }

    fn opt_u64(&mut self) -> Option<Option<u64>> {
        if self.null() {
            return Some(None);
        }
        self.ws();
        self.u64().map(Some)
    }

    /// `null` (false) or an array of `u32` into `ids` (true).
    fn opt_ids(&mut self, ids: &mut Vec<u32>) -> Option<bool> {
        if self.null() {
            ids.clear();
            return Some(false);
        }
        ids.clear();
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.i += 1;
            return Some(true);
        }
        self.id_list(ids).map(|_| true)
    }

    /// One or more ids and the closing `]`, appended to `ids`; returns where the last id's
    /// digits end.
    fn id_list(&mut self, ids: &mut Vec<u32>) -> Option<usize> {
        // One allocation for a whole answer's ids, rather than growing through the doublings:
        // the commas up to the first `]` count them (two fast scans of under a kilobyte).
        if let Some(end) = memchr::memchr(b']', &self.b[self.i..]) {
            ids.reserve(memchr::memchr_iter(b',', &self.b[self.i..self.i + end]).count() + 1);
        }
        loop {
            self.ws();
            ids.push(self.id()?);
            let last = self.i;
            // Servers put no space between ids: the separator is usually the next byte.
            let next = match self.b.get(self.i) {
                Some(&b) if b > b' ' => b,
                _ => self.peek()?,
            };
            match next {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(last);
                }
                _ => return None,
            }
        }
    }

    /// A token id: what [`Cur::u64`] reads, when it fits a `u32`. At most 10 digits are
    /// summed, so no step can overflow and none needs checking (the checked general reader
    /// took about 120 instructions an id).
    #[inline(always)]
    fn id(&mut self) -> Option<u32> {
        let digits = self.b.get(self.i..)?;
        let mut v: u64 = 0;
        let mut n = 0;
        for &byte in digits.iter().take(11) {
            let digit = byte.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            v = v * 10 + u64::from(digit);
            n += 1;
        }
        if n == 0 || n > 10 || (n > 1 && digits[0] == b'0') {
            return None;
        }
        self.i += n;
        match self.b.get(self.i) {
            Some(b'.' | b'e' | b'E') => None,
            _ => u32::try_from(v).ok(),
        }
    }

    /// `null`, a message, or an object whose `message` is one.
    fn error_field(&mut self) -> Option<Option<String>> {
        match self.peek()? {
            b'n' => {
                self.lit(b"null")?;
                Some(None)
            }
            b'"' => Some(Some(self.string()?.into_owned())),
            b'{' => {
                let mut message = None;
                let mut seen = false;
                self.object(|c, key| {
                    if key == b"message" {
                        once(&mut seen)?;
                        message = c.opt_string()?;
                    } else {
                        c.skip(0)?;
                    }
                    Some(())
                })?;
                Some(Some(
                    message.map_or_else(|| "no message".to_owned(), Cow::into_owned),
                ))
            }
            _ => None,
        }
    }

    /// Skips one value, checking its syntax. Scalars (what servers send in the fields the
    /// client does not read) are handled here, inline; objects and arrays out of line.
    #[inline(always)]
    fn skip(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => {
                self.i += 1;
                self.raw_string().map(drop)
            }
            b'{' | b'[' => self.skip_nested(depth),
            b't' => self.lit(b"true"),
            b'f' => self.lit(b"false"),
            b'n' => self.lit(b"null"),
            _ => self.number(),
        }
    }

    /// Skips an object or an array (the cursor is at its opening bracket).
    #[inline(never)]
    fn skip_nested(&mut self, depth: u32) -> Option<()> {
        if depth >= MAX_DEPTH {
            return None;
        }
        if self.b[self.i] == b'{' {
            self.i += 1;
            if self.peek()? == b'}' {
                self.i += 1;
                return Some(());
            }
            loop {
                self.eat(b'"')?;
                self.raw_string()?;
                self.eat(b':')?;
                self.skip(depth + 1)?;
                match self.peek()? {
                    b',' => self.i += 1,
                    b'}' => {
                        self.i += 1;
                        return Some(());
                    }
                    _ => return None,
                }
            }
        }
        self.i += 1;
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.skip(depth + 1)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Skips a number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    #[inline(always)]
    fn number(&mut self) -> Option<()> {
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let int = self.digits();
        if int == 0 || (int > 1 && self.b[self.i - int] == b'0') {
            return None;
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        let mut exp: i64 = 0;
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            let negative = self.b.get(self.i) == Some(&b'-');
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            let n = self.digits();
            // Four digits or more: leave it to serde (found by the `json_chunk` target).
            if n == 0 || n > 3 {
                return None;
            }
            let digits = std::str::from_utf8(&self.b[self.i - n..self.i]).ok()?;
            exp = digits.parse().ok()?;
            if negative {
                exp = -exp;
            }
        }
        // serde rejects a number beyond f64's range (about 1.8e308) as out of range: a value
        // that may be that large is left to it. Integer digits plus exponent bound it.
        let magnitude = i64::try_from(int).unwrap_or(i64::MAX).saturating_add(exp);
        (int <= 300 && magnitude <= 300).then_some(())
    }

    #[inline(always)]
    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        self.i - start
    }
}

/// The high bit of each byte of `word` (little-endian) that may end a plain run in a string:
/// `"`, `\\`, a control character or a non-ASCII byte. The lowest flagged byte is exact
/// (bytes above it may be flagged by a borrow), which is all `raw_string` uses.
#[inline(always)]
fn special(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let zero_quote = quote.wrapping_sub(ONES) & !quote;
    let zero_backslash = backslash.wrapping_sub(ONES) & !backslash;
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    (zero_quote | zero_backslash | control | word) & HIGH
}

/// Decodes the escapes of a string body whose syntax `raw_string` checked; lone surrogates
/// are left to serde.
fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(k) = rest.find('\\') {
        out.push_str(&rest[..k]);
        let esc = rest.as_bytes().get(k + 1)?;
        rest = &rest[k + 2..];
        let ch = match esc {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = hex4(rest)?;
                rest = &rest[4..];
                match unit {
                    0xD800..=0xDBFF => {
                        let low = rest.strip_prefix("\\u").and_then(hex4)?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return None;
                        }
                        rest = &rest[6..];
                        char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?
                    }
                    0xDC00..=0xDFFF => return None,
                    _ => char::from_u32(unit)?,
                }
            }
            _ => return None,
        };
        out.push(ch);
    }
    out.push_str(rest);
    Some(out)
}

fn hex4(s: &str) -> Option<u32> {
    u32::from_str_radix(s.get(..4)?, 16).ok()
}
