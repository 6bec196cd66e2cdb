//! The o200k_harmony tokenizer and the harmony conversation format of gpt-oss.
//!
//! Owns encoding and decoding (fully offline: the vocabulary is compiled in), rendering of
//! harmony prompts (the reference's per-sub-dataset templates included) and parsing of output
//! tokens into messages and channels, with the reference's `final`-section rule.
//! Must not know about LoadGen or HTTP.
//!
//! ```
//! use ossperf_harmony::{extract_final_section, render_prompt, special, tokenizer, ReasoningEffort};
//!
//! let tok = tokenizer();
//! let prompt = render_prompt("aime25", "What is 6 times 7?", ReasoningEffort::High).unwrap();
//! assert_eq!(prompt[0], special::START);
//! let output = tok.encode_with_special_tokens(
//!     "<|channel|>analysis<|message|>6*7=42<|end|><|start|>assistant<|channel|>final<|message|>\\boxed{42}<|return|>",
//! );
//! let text = tok.decode(&output).unwrap();
//! assert_eq!(extract_final_section(&text), "\\boxed{42}");
//! ```

#![warn(unreachable_pub)]
#![warn(missing_docs)]

mod channels;
mod error;
mod parse;
mod prompts;
mod render;
mod tokenizer;

pub use channels::{Channel, ChannelTracker, Step};
pub use error::Error;
pub use parse::{
    extract_final_section, final_message, parse_messages, py_strip, ParsedMessage, Terminator,
};
pub use prompts::{
    gpqa_question, livecodebench_question, prompt_messages, render_chat, render_prompt, SubDataset,
    MOD_PROMPT,
};
pub use render::{
    render_for_completion, render_message_into, Message, ReasoningEffort, Role, SystemContent,
    REFERENCE_DATE,
};
pub use tokenizer::{into_string_lossy, special, tokenizer, Tokenizer, VOCAB_SIZE};
