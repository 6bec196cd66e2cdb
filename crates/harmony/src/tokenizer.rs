//! The o200k_harmony tokenizer, loaded once and fully offline.
//!
//! Encoding delegates to `tiktoken-rs` (its ids are bit-identical to Python tiktoken). Decoding
//! does not: the accuracy scorer decodes every response of a run, so ids are turned into bytes
//! through a flat table (one offset array and one byte buffer, indexed by id) instead of a hash
//! map lookup per token.

use std::collections::HashSet;
use std::sync::OnceLock;

use tiktoken_rs::CoreBPE;

use crate::error::Error;

/// Ids of the harmony special tokens (docs/REFERENCE.md §2.1).
pub mod special {
    /// `<|startoftext|>`: beginning of sequence, not used in prompts.
    pub const STARTOFTEXT: u32 = 199_998;
    /// `<|endoftext|>`: end of sequence and padding; stops sampling.
    pub const ENDOFTEXT: u32 = 199_999;
    /// `<|return|>`: ends the final assistant message; stops sampling.
    pub const RETURN: u32 = 200_002;
    /// `<|constrain|>`: constrained-format marker in a header.
    pub const CONSTRAIN: u32 = 200_003;
    /// `<|channel|>`: starts the channel name in a header.
    pub const CHANNEL: u32 = 200_005;
    /// `<|start|>`: starts a message.
    pub const START: u32 = 200_006;
    /// `<|end|>`: ends a message.
    pub const END: u32 = 200_007;
    /// `<|message|>`: separates a header from its content.
    pub const MESSAGE: u32 = 200_008;
    /// `<|call|>`: ends a tool call; stops sampling.
    pub const CALL: u32 = 200_012;
    /// The first special id; every id from here to the end of the vocabulary is special.
    pub const FIRST: u32 = STARTOFTEXT;
    /// The last special id the model's Hugging Face tokenizer knows (`<|endofprompt|>`): its
    /// converter adds only 199998–200018, so 200019–201087 are unknown there.
    pub const LAST_HF: u32 = 200_018;
    /// The ids that stop generation for gpt-oss (`eos_token_id` of the model's generation config).
    pub const STOP: [u32; 3] = [RETURN, ENDOFTEXT, CALL];
}

/// Number of ids in o200k_harmony, ordinary and special.
pub const VOCAB_SIZE: usize = 201_088;

/// The o200k_harmony tokenizer. Get the shared instance with [`tokenizer`].
pub struct Tokenizer {
    bpe: &'static CoreBPE,
    allowed_special: HashSet<&'static str>,
    /// `offsets[id]..offsets[id + 1]` is the byte range of `id` in `bytes`.
    offsets: Vec<u32>,
    bytes: Vec<u8>,
    /// The first [`SHORT`] bytes of every token, zero-padded: copying a fixed-size block and
    /// then cutting the output back is faster than a variable-length copy per token.
    short: Vec<[u8; SHORT]>,
}

/// Tokens up to this many bytes (nearly all of them) are copied from `Tokenizer::short`.
const SHORT: usize = 16;

/// The shared tokenizer, built on first use (about 0.2 s) and kept for the process.
pub fn tokenizer() -> &'static Tokenizer {
    static TOKENIZER: OnceLock<Tokenizer> = OnceLock::new();
    TOKENIZER.get_or_init(Tokenizer::build)
}

impl Tokenizer {
    fn build() -> Self {
        let bpe = tiktoken_rs::o200k_harmony_singleton();
        let allowed_special = bpe.special_tokens();
        let mut offsets = Vec::with_capacity(VOCAB_SIZE + 1);
        let mut bytes = Vec::with_capacity(2_000_000);
        let mut short = Vec::with_capacity(VOCAB_SIZE);
        offsets.push(0);
        for id in 0..VOCAB_SIZE as u32 {
            // Every id below VOCAB_SIZE is either an ordinary or a special token in
            // o200k_harmony; an id tiktoken-rs cannot decode would get an empty range.
            let piece = bpe.decode_bytes(&[id]).unwrap_or_default();
            let mut head = [0u8; SHORT];
            let n = piece.len().min(SHORT);
            head[..n].copy_from_slice(&piece[..n]);
            short.push(head);
            bytes.extend_from_slice(&piece);
            offsets.push(bytes.len() as u32);
        }
        Self {
            bpe,
            allowed_special,
            offsets,
            bytes,
            short,
        }
    }

    /// Number of ids in the vocabulary (201088), ordinary and special.
    pub fn vocab_size(&self) -> usize {
        VOCAB_SIZE
    }

    /// Encodes ordinary text: special-token markup such as `<|start|>` is encoded as plain text.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        self.bpe.encode_ordinary(text)
    }

    /// Encodes text in which every special token's markup (`<|start|>`, `<|reserved_200013|>`…)
    /// becomes that token's id, like Python's `encode(text, allowed_special="all")`.
    pub fn encode_with_special_tokens(&self, text: &str) -> Vec<u32> {
        match self.bpe.encode(text, &self.allowed_special) {
            Ok((ids, _)) => ids,
            // Only a regex backtracking limit gets here; fall back to tiktoken's own path.
            Err(_) => self.bpe.encode_with_special_tokens(text),
        }
    }

    /// Returns the id of a special token given its markup, e.g. `"<|start|>"`.
    pub fn special_token_id(&self, markup: &str) -> Option<u32> {
        let ids = self.encode_with_special_tokens(markup);
        match ids.as_slice() {
            [id] if *id >= special::FIRST => Some(*id),
            _ => None,
        }
    }

    /// True for the special ids (199998 and above).
    pub fn is_special(&self, id: u32) -> bool {
        id >= special::FIRST
    }

    /// The bytes of one token, or `None` for an id outside the vocabulary.
    pub fn token_bytes(&self, id: u32) -> Option<&[u8]> {
        let i = id as usize;
        let (start, end) = (*self.offsets.get(i)?, *self.offsets.get(i + 1)?);
        self.bytes.get(start as usize..end as usize)
    }

    /// Appends the bytes of `ids` to `out`, special tokens as their markup text.
    pub fn decode_into(&self, ids: &[u32], out: &mut Vec<u8>) -> Result<(), Error> {
        self.decode_filtered(ids, out, false)
    }

    /// Decodes to raw bytes, special tokens as their markup text. A token may end inside a
    /// UTF-8 character, so the bytes need not be valid UTF-8.
    pub fn decode_bytes(&self, ids: &[u32]) -> Result<Vec<u8>, Error> {
        let mut out = Vec::with_capacity(ids.len() * 4);
        self.decode_filtered(ids, &mut out, false)?;
        Ok(out)
    }

    /// Decodes to text with special tokens kept as their markup (`<|channel|>`…), like
    /// `decode(ids, skip_special_tokens=False)` of the reference. Invalid UTF-8 (a character cut
    /// by the output limit) becomes U+FFFD, as the reference's byte-level decoder does.
    ///
    /// Id 200018 decodes as `<|reserved_200018|>`, which Python tiktoken names
    /// `<|endofprompt|>`; gpt-oss never emits it.
    pub fn decode(&self, ids: &[u32]) -> Result<String, Error> {
        Ok(into_string_lossy(self.decode_bytes(ids)?))
    }

    /// Decodes to text with every special token dropped (`skip_special_tokens=True`). Invalid
    /// UTF-8 becomes U+FFFD.
    pub fn decode_without_special_tokens(&self, ids: &[u32]) -> Result<String, Error> {
        let mut out = Vec::with_capacity(ids.len() * 4);
        self.decode_filtered(ids, &mut out, true)?;
        Ok(into_string_lossy(out))
    }

    /// Appends the bytes of `ids` as the reference's Hugging Face tokenizer decodes them
    /// (`decode(ids, skip_special_tokens=False)`): ids it does not know, the reserved range
    /// 200019–201087 and anything past the vocabulary, are silently dropped.
    pub fn decode_into_like_hf(&self, ids: &[u32], out: &mut Vec<u8>) {
        let mut rest = ids;
        while !rest.is_empty() {
            let run = rest
                .iter()
                .position(|&id| id >= special::LAST_HF)
                .unwrap_or(rest.len());
            // Every id of the run is in the vocabulary, so this cannot fail.
            let _ = self.decode_filtered(&rest[..run], out, false);
            if rest.get(run) == Some(&special::LAST_HF) {
                // The converter names 200018 `<|endofprompt|>` (tiktoken's o200k_base name).
                out.extend_from_slice(b"<|endofprompt|>");
            }
            rest = rest.get(run + 1..).unwrap_or_default();
        }
    }

    fn decode_filtered(&self, ids: &[u32], out: &mut Vec<u8>, skip: bool) -> Result<(), Error> {
        let offsets = self.offsets.as_slice();
        for (position, &id) in ids.iter().enumerate() {
            let i = id as usize;
            let (Some(&start), Some(&end)) = (offsets.get(i), offsets.get(i + 1)) else {
                return Err(Error::UnknownToken {
                    id,
                    position,
                    vocab_size: VOCAB_SIZE,
                });
            };
            if skip && id >= special::FIRST {
                continue;
            }
            let len = (end - start) as usize;
            match self.short.get(i) {
                Some(head) if len <= SHORT => {
                    let keep = out.len() + len;
                    out.extend_from_slice(head);
                    out.truncate(keep);
                }
                _ => out.extend_from_slice(&self.bytes[start as usize..end as usize]),
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("encoding", &"o200k_harmony")
            .field("vocab_size", &VOCAB_SIZE)
            .finish()
    }
}

/// Converts bytes to a `String`, replacing invalid UTF-8 with U+FFFD, without copying when the
/// bytes are already valid.
pub fn into_string_lossy(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_decodes_to_its_own_nonempty_piece_short_or_long() {
        let tok = tokenizer();
        let bpe = tiktoken_rs::o200k_harmony_singleton();
        let mut long = 0;
        let mut out = Vec::new();
        for id in 0..VOCAB_SIZE as u32 {
            let piece = tok.token_bytes(id).unwrap_or_default();
            assert!(!piece.is_empty(), "id {id}");
            out.clear();
            tok.decode_into(&[id, 0, id], &mut out).unwrap();
            assert_eq!(out, [piece, b"!", piece].concat(), "id {id}");
            assert_eq!(piece, bpe.decode_bytes(&[id]).unwrap(), "id {id}");
            long += usize::from(piece.len() > SHORT);
        }
        // Long tokens take the other copy path: 3987 ordinary ones (Python tiktoken agrees)
        // and the 1081 `<|reserved_…|>` specials.
        assert_eq!(long, 3987 + 1081);
    }

    #[test]
    fn special_constants_match_the_markup_of_the_vocabulary() {
        let tok = tokenizer();
        let cases = [
            ("<|startoftext|>", special::STARTOFTEXT),
            ("<|endoftext|>", special::ENDOFTEXT),
            ("<|return|>", special::RETURN),
            ("<|constrain|>", special::CONSTRAIN),
            ("<|channel|>", special::CHANNEL),
            ("<|start|>", special::START),
            ("<|end|>", special::END),
            ("<|message|>", special::MESSAGE),
            ("<|call|>", special::CALL),
            ("<|reserved_201087|>", 201_087),
        ];
        for (markup, id) in cases {
            assert_eq!(tok.special_token_id(markup), Some(id), "{markup}");
            assert_eq!(tok.decode(&[id]).unwrap(), markup);
        }
        assert_eq!(tok.vocab_size(), 201_088);
    }

    #[test]
    fn ordinary_encoding_treats_markup_as_text() {
        let tok = tokenizer();
        let ids = tok.encode("<|start|>");
        assert!(ids.len() > 1);
        assert!(ids.iter().all(|&id| id < special::FIRST));
        assert_eq!(tok.decode(&ids).unwrap(), "<|start|>");
    }

    #[test]
    fn the_reference_decode_drops_reserved_ids_and_ids_past_the_vocabulary() {
        let tok = tokenizer();
        let hi = tok.encode("hi");
        let mut ids = vec![special::CHANNEL, 200_019, 201_087, 201_088, u32::MAX];
        ids.extend(&hi);
        ids.push(special::LAST_HF);
        let mut out = Vec::new();
        tok.decode_into_like_hf(&ids, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<|channel|>hi<|endofprompt|>"
        );
    }

    #[test]
    fn decode_keeps_special_tokens_and_the_skipping_decode_drops_them() {
        let tok = tokenizer();
        let ids = tok.encode_with_special_tokens("<|channel|>final<|message|>B<|return|>");
        assert_eq!(ids[0], special::CHANNEL);
        assert_eq!(*ids.last().unwrap(), special::RETURN);
        assert_eq!(
            tok.decode(&ids).unwrap(),
            "<|channel|>final<|message|>B<|return|>"
        );
        assert_eq!(tok.decode_without_special_tokens(&ids).unwrap(), "finalB");
    }

    #[test]
    fn an_id_outside_the_vocabulary_is_an_error_naming_the_id_and_its_position() {
        let tok = tokenizer();
        let err = tok.decode(&[200, 201_088, 5]).unwrap_err();
        assert_eq!(
            err,
            Error::UnknownToken {
                id: 201_088,
                position: 1,
                vocab_size: 201_088
            }
        );
        assert_eq!(
            err.to_string(),
            "token id `201088` at position 1 is outside the o200k_harmony vocabulary \
             (expected an id below `201088`)"
        );
        assert!(tok.decode_bytes(&[u32::MAX]).is_err());
        assert!(tok.decode_without_special_tokens(&[u32::MAX]).is_err());
    }

    #[test]
    fn a_character_cut_in_half_decodes_to_the_replacement_character() {
        let tok = tokenizer();
        let ids = tok.encode("é");
        let bytes = tok.decode_bytes(&ids).unwrap();
        assert_eq!(bytes, "é".as_bytes());
        // A lone byte token of a two-byte character: find the id for byte 0xC3.
        let lead = (0..special::FIRST)
            .find(|&id| tok.token_bytes(id) == Some(&[0xC3][..]))
            .unwrap();
        assert_eq!(tok.decode(&[lead]).unwrap(), "\u{FFFD}");
        assert_eq!(
            tok.decode(&[lead, 200]).unwrap().chars().next(),
            Some('\u{FFFD}')
        );
    }
}
