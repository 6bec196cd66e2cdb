//! Reading model output: token ids into harmony messages, and the reference's text rules.
//!
//! Output is often cut by the token limit, so parsing never fails on structure: a message
//! without its end token is returned with [`Terminator::Truncated`], a header without
//! `<|message|>` gives a message with empty content, and stray ids between messages are
//! skipped. Only ids outside the vocabulary are an error.
//!
//! The scorer works on decoded text instead, with [`extract_final_section`], which
//! reproduces the reference's regex exactly (docs/REFERENCE.md §3.4).

use crate::error::Error;
use crate::tokenizer::{into_string_lossy, special, tokenizer};

/// How a parsed message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Terminator {
    /// `<|end|>`: more messages may follow.
    End,
    /// `<|return|>`: the final answer is complete.
    Return,
    /// `<|call|>`: a tool call.
    Call,
    /// `<|endoftext|>`: end of sequence.
    EndOfText,
    /// No end token: the ids ran out (the output limit), or a new `<|start|>` came first.
    Truncated,
}

/// One message parsed from output ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMessage {
    /// The author, `assistant` unless the header names another role.
    pub role: String,
    /// The channel named in the header (`analysis`, `commentary`, `final`), if any.
    pub channel: Option<String>,
    /// The recipient of a tool call (`to=functions.x`), if any.
    pub recipient: Option<String>,
    /// The text after `<|message|>`, special tokens kept as markup, invalid UTF-8 replaced.
    pub content: String,
    /// How the message ended.
    pub terminator: Terminator,
}

impl ParsedMessage {
    /// True for a message on the `final` channel.
    pub fn is_final(&self) -> bool {
        self.channel.as_deref() == Some("final")
    }
}

fn terminator_of(id: u32) -> Option<Terminator> {
    match id {
        special::END => Some(Terminator::End),
        special::RETURN => Some(Terminator::Return),
        special::CALL => Some(Terminator::Call),
        special::ENDOFTEXT => Some(Terminator::EndOfText),
        _ => None,
    }
}

/// Parses the ids a model produced after `<|start|>assistant` into messages. The first
/// message's header has no role (it is `assistant`); later ones start with `<|start|>`.
pub fn parse_messages(ids: &[u32]) -> Result<Vec<ParsedMessage>, Error> {
    let tok = tokenizer();
    if let Some(position) = ids.iter().position(|&id| tok.token_bytes(id).is_none()) {
        return Err(Error::UnknownToken {
            id: ids[position],
            position,
            vocab_size: tok.vocab_size(),
        });
    }
    let mut messages = Vec::new();
    let mut pos = 0;
    let mut first = true;
    while pos < ids.len() {
        let has_start = ids[pos] == special::START;
        if has_start {
            pos += 1;
        } else if !first {
            // Stray ids between messages: resume at the next `<|start|>`.
            match ids[pos..].iter().position(|&id| id == special::START) {
                Some(offset) => {
                    pos += offset;
                    continue;
                }
                None => break,
            }
        }
        first = false;
        let (message, next) = parse_one(&ids[pos..], has_start)?;
        messages.push(message);
        pos += next;
    }
    Ok(messages)
}

/// Parses one message from `ids` (just after `<|start|>`, or at the very beginning) and
/// returns it with the number of ids it used.
fn parse_one(ids: &[u32], has_role: bool) -> Result<(ParsedMessage, usize), Error> {
    let tok = tokenizer();
    // The header runs to `<|message|>`, unless a terminator or a new message comes first.
    let stop = ids.iter().position(|&id| {
        id == special::MESSAGE || id == special::START || terminator_of(id).is_some()
    });
    let (header, body_start) = match stop {
        Some(i) if ids[i] == special::MESSAGE => (&ids[..i], i + 1),
        // No header at the beginning of the output: all of it is content.
        _ if !has_role && ids.first() != Some(&special::CHANNEL) => (&ids[..0], 0),
        // A header cut short (by the limit, a terminator or a new message): no content.
        Some(i) => (&ids[..i], i),
        None => (ids, ids.len()),
    };
    let body = &ids[body_start..];
    let body_len = body
        .iter()
        .position(|&id| id == special::START || terminator_of(id).is_some())
        .unwrap_or(body.len());
    let (terminator, used) = match body.get(body_len).copied().and_then(terminator_of) {
        Some(t) => (t, body_start + body_len + 1),
        None => (Terminator::Truncated, body_start + body_len),
    };
    let header_text = tok.decode(header)?;
    let (role, channel, recipient) = parse_header(&header_text, has_role);
    let content = into_string_lossy(tok.decode_bytes(&body[..body_len])?);
    let message = ParsedMessage {
        role,
        channel,
        recipient,
        content,
        terminator,
    };
    // Never zero at the start of output (the first id is always used); after `<|start|>` the
    // caller has already moved past that id.
    Ok((message, used))
}

/// Splits `assistant to=functions.f<|channel|>commentary <|constrain|>json` into its parts.
fn parse_header(header: &str, has_role: bool) -> (String, Option<String>, Option<String>) {
    let (role_part, channel_part) = match header.split_once("<|channel|>") {
        Some((role, channel)) => (role, Some(channel)),
        None => (header, None),
    };
    let mut recipient = None;
    let mut role = "assistant".to_owned();
    for (i, word) in role_part.split_whitespace().enumerate() {
        if let Some(to) = word.strip_prefix("to=") {
            recipient = Some(to.to_owned());
        } else if i == 0 && has_role {
            role = word.to_owned();
        }
    }
    let channel = channel_part.map(|text| {
        let text = text.split("<|constrain|>").next().unwrap_or_default();
        let mut words = text.split_whitespace();
        let name = words.next().unwrap_or_default().to_owned();
        for word in words {
            if let Some(to) = word.strip_prefix("to=") {
                recipient = Some(to.to_owned());
            }
        }
        name
    });
    (role, channel, recipient)
}

/// Python's `str.strip()`: trims the characters `str.isspace` accepts, which are Rust's
/// whitespace plus the separators U+001C to U+001F.
pub fn py_strip(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

const FINAL_MARK: &str = "<|channel|>final";
const MESSAGE_MARK: &str = "<|message|>";
const RETURN_MARK: &str = "<|return|>";

/// The reference's `extract_final_section` (docs/REFERENCE.md §3.4): the stripped text between
/// the first `<|channel|>final…<|message|>` (anything but `<` may sit between `final` and
/// `<|message|>`) and the next `<|return|>` or the end; the whole stripped text when there is
/// no such section. The input is stripped first, as the reference does.
pub fn extract_final_section(text: &str) -> &str {
    let text = py_strip(text);
    let mut from = 0;
    while let Some(found) = text[from..].find(FINAL_MARK) {
        let after = from + found + FINAL_MARK.len();
        // `[^<]*` is greedy and cannot give back: the header ends at the next `<`.
        let header_end = text[after..].find('<').map_or(text.len(), |i| after + i);
        if text[header_end..].starts_with(MESSAGE_MARK) {
            let body = &text[header_end + MESSAGE_MARK.len()..];
            let end = body.find(RETURN_MARK).unwrap_or(body.len());
            return py_strip(&body[..end]);
        }
        from = from + found + 1;
    }
    text
}

/// The text of the first complete-or-truncated `final` message, if the output has one.
pub fn final_message(messages: &[ParsedMessage]) -> Option<&ParsedMessage> {
    messages.iter().find(|m| m.is_final())
}
