//! Rendering harmony conversations into prompt token ids.
//!
//! Follows openai-harmony's `render_conversation_for_completion` so that our ids are
//! byte-identical to the Python package (checked by fixtures): each message is
//! `<|start|>{role}[<|channel|>{channel}]<|message|>{content}<|end|>`, special tokens are
//! emitted as ids and every run of text between them is encoded as ordinary text, so markup
//! typed inside a question (`<|end|>`) stays text. The prompt ends with `<|start|>assistant`.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;
use crate::tokenizer::{special, tokenizer};

/// How long the model is asked to think, the `Reasoning:` line of the system message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReasoningEffort {
    /// `Reasoning: low` (the reference's performance set).
    Low,
    /// `Reasoning: medium` (harmony's default).
    #[default]
    Medium,
    /// `Reasoning: high` (the reference's accuracy and compliance sets).
    High,
}

impl ReasoningEffort {
    /// The lower-case name used in the system message and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

impl fmt::Display for ReasoningEffort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReasoningEffort {
    type Err = Error;

    /// Parses `low`, `medium` or `high`, ignoring case.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Self::Low),
            "medium" => Ok(Self::Medium),
            "high" => Ok(Self::High),
            _ => Err(Error::UnknownReasoningEffort(s.to_owned())),
        }
    }
}

/// The author of a harmony message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The system message (identity, dates, reasoning effort, channels).
    System,
    /// Developer instructions.
    Developer,
    /// The user.
    User,
    /// The model.
    Assistant,
}

impl Role {
    /// The role's name as written in a message header.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Developer => "developer",
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }
}

impl FromStr for Role {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "system" => Ok(Self::System),
            "developer" => Ok(Self::Developer),
            "user" => Ok(Self::User),
            "assistant" => Ok(Self::Assistant),
            _ => Err(Error::UnknownRole(s.to_owned())),
        }
    }
}

/// The fields of harmony's `SystemContent` that gpt-oss prompts use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemContent {
    /// The first line, the model's identity.
    pub model_identity: String,
    /// `Knowledge cutoff: …`.
    pub knowledge_cutoff: String,
    /// `Current date: …`, left out when `None`.
    pub conversation_start_date: Option<String>,
    /// `Reasoning: …`.
    pub reasoning_effort: ReasoningEffort,
}

impl SystemContent {
    /// The system message of the MLPerf reference (`harmonize_inputs.py`): harmony's defaults,
    /// current date `2025-09-30` and the given reasoning effort.
    pub fn mlperf(effort: ReasoningEffort) -> Self {
        Self {
            conversation_start_date: Some(REFERENCE_DATE.to_owned()),
            reasoning_effort: effort,
            ..Self::default()
        }
    }

    /// The text of the system message.
    pub fn text(&self) -> String {
        let mut head = format!(
            "{}\nKnowledge cutoff: {}",
            self.model_identity, self.knowledge_cutoff
        );
        if let Some(date) = &self.conversation_start_date {
            head.push_str("\nCurrent date: ");
            head.push_str(date);
        }
        format!(
            "{head}\n\nReasoning: {}\n\n{CHANNELS_LINE}",
            self.reasoning_effort
        )
    }
}

impl Default for SystemContent {
    /// harmony's `SystemContent.new()`: no date, reasoning effort medium.
    fn default() -> Self {
        Self {
            model_identity: "You are ChatGPT, a large language model trained by OpenAI.".to_owned(),
            knowledge_cutoff: "2024-06".to_owned(),
            conversation_start_date: None,
            reasoning_effort: ReasoningEffort::Medium,
        }
    }
}

/// The conversation start date the MLPerf reference writes into every prompt.
pub const REFERENCE_DATE: &str = "2025-09-30";

const CHANNELS_LINE: &str =
    "# Valid channels: analysis, commentary, final. Channel must be included for every message.";

/// One message of a conversation to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// The channel (`analysis`, `commentary`, `final`), for assistant messages.
    pub channel: Option<String>,
    /// The text after `<|message|>`.
    pub content: String,
}

impl Message {
    /// The system message for `content`.
    pub fn system(content: &SystemContent) -> Self {
        Self::new(Role::System, content.text())
    }

    /// A developer message: harmony writes the instructions under `# Instructions`.
    pub fn developer(instructions: &str) -> Self {
        Self::new(Role::Developer, format!("# Instructions\n\n{instructions}"))
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::new(Role::User, content.into())
    }

    /// An assistant message on `channel`.
    pub fn assistant(channel: &str, content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            channel: Some(channel.to_owned()),
            content: content.into(),
        }
    }

    /// A message with no channel.
    pub fn new(role: Role, content: String) -> Self {
        Self {
            role,
            channel: None,
            content,
        }
    }
}

/// Renders `messages` for the assistant to continue, as
/// `render_conversation_for_completion(convo, Role.ASSISTANT)` does with its default config:
/// when the last assistant message is on the `final` channel, `analysis` messages before the
/// first `final` message are dropped. The ids end with `<|start|>assistant`.
pub fn render_for_completion(messages: &[Message]) -> Vec<u32> {
    let last_assistant_is_final = messages
        .iter()
        .rev()
        .find(|m| m.role == Role::Assistant)
        .is_some_and(|m| m.channel.as_deref() == Some("final"));
    let first_final = messages
        .iter()
        .position(|m| m.channel.as_deref() == Some("final"));
    let mut ids = Vec::with_capacity(256);
    for (idx, message) in messages.iter().enumerate() {
        let drop = last_assistant_is_final
            && first_final.is_some_and(|first| idx < first)
            && message.channel.as_deref() == Some("analysis");
        if !drop {
            render_message_into(message, &mut ids);
        }
    }
    ids.push(special::START);
    ids.extend(tokenizer().encode(Role::Assistant.as_str()));
    ids
}

/// Appends one rendered message (`<|start|>…<|end|>`) to `ids`.
pub fn render_message_into(message: &Message, ids: &mut Vec<u32>) {
    let tok = tokenizer();
    ids.push(special::START);
    ids.extend(tok.encode(message.role.as_str()));
    if let Some(channel) = &message.channel {
        ids.push(special::CHANNEL);
        ids.extend(tok.encode(channel));
    }
    ids.push(special::MESSAGE);
    ids.extend(tok.encode(&message.content));
    ids.push(special::END);
}
