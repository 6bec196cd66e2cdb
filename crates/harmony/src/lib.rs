//! The o200k_harmony tokenizer and the harmony conversation format of gpt-oss.
//!
//! Owns encoding and decoding (fully offline: the vocabulary is compiled in), rendering of
//! harmony prompts and parsing of output tokens into messages and channels.
//! Must not know about LoadGen or HTTP.
//!
//! ```
//! use ossperf_harmony::{special, tokenizer};
//!
//! let tok = tokenizer();
//! let ids = tok.encode_with_special_tokens("<|channel|>final<|message|>42<|return|>");
//! assert_eq!(ids[0], special::CHANNEL);
//! assert_eq!(tok.decode(&ids).unwrap(), "<|channel|>final<|message|>42<|return|>");
//! ```
#![warn(missing_docs)]

mod error;
mod tokenizer;

pub use error::Error;
pub use tokenizer::{into_string_lossy, special, tokenizer, Tokenizer, VOCAB_SIZE};
