//! The o200k_harmony tokenizer and the harmony conversation format of gpt-oss.
//!
//! Owns encoding and decoding (fully offline: the vocabulary is compiled in), rendering of
//! harmony prompts and parsing of output tokens into messages and channels.
//! Must not know about LoadGen or HTTP.
