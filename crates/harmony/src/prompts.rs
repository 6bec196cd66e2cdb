//! The reference's prompt templates, one per sub-dataset (docs/REFERENCE.md §2.3–2.5).
//!
//! `ossperf dataset build` turns `{dataset, question}` rows into the token ids of the MLCommons
//! schema with these. The instruction strings are the reference's (`harmonize_inputs.py`); the
//! two GPQA few-shot examples keep the reference's shape (a user question with options
//! `A)`–`D)`, then an assistant answer on the `final` channel ending in `Answer: D` and
//! `Answer: C`) but their text is our own, so the project carries no benchmark content.
//! For AIME, LiveCodeBench and summarization the conversation is therefore the one
//! `harmonize_inputs.py` builds (whether the frozen v4 files used exactly that script is
//! unverified, §2.3); for GPQA only the examples' text differs. Real MLPerf datasets ship their
//! tokens and are sent unchanged (§2.6); this module builds users' and our own datasets.

use crate::error::Error;
use crate::render::{render_for_completion, Message, ReasoningEffort, Role, SystemContent};

/// The sentence block the reference appends to the math, science and code instructions.
pub const MOD_PROMPT: &str = "Do not repeat steps and output the final answer immediately once \
you have it. Once you have a candidate answer, do not spend more than ~100 tokens to verify it - \
instead, do a quick check and answer immediately. Avoid thinking for a long time. It is \
important to answer in as few tokens as possible.";

/// A family of prompts with its own developer instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubDataset {
    /// Integer-answer competition math (`aime25`).
    Aime,
    /// Four-choice graduate science (`gpqa_diamond`).
    Gpqa,
    /// Programming problems with tests (`livecodebench_v6`).
    LiveCodeBench,
    /// Paper summarization, the performance set (`pubmed_summarization`).
    Summarization,
}

impl SubDataset {
    /// Routes a `dataset` column value the way the reference does: lower-cased, then the first
    /// of `gpqa`, `aime`, `livecodebench`, `summarization` that is a substring of it.
    pub fn from_name(name: &str) -> Result<Self, Error> {
        let lower = name.to_lowercase();
        [
            ("gpqa", Self::Gpqa),
            ("aime", Self::Aime),
            ("livecodebench", Self::LiveCodeBench),
            ("summarization", Self::Summarization),
        ]
        .into_iter()
        .find(|(key, _)| lower.contains(key))
        .map(|(_, sub)| sub)
        .ok_or_else(|| Error::UnknownDataset {
            name: name.to_owned(),
        })
    }

    /// The name the MLPerf datasets use for this family.
    pub fn canonical_name(self) -> &'static str {
        match self {
            Self::Aime => "aime25",
            Self::Gpqa => "gpqa_diamond",
            Self::LiveCodeBench => "livecodebench_v6",
            Self::Summarization => "pubmed_summarization",
        }
    }

    /// The developer instructions of this family.
    pub fn instructions(self) -> String {
        match self {
            Self::Aime => format!(
                "You are a math expert that solves problems step-by-step. {MOD_PROMPT} The final \
                 line of your response should contain the final answer as an integer enclosed \
                 in \\boxed{{answer}}."
            ),
            Self::Gpqa => format!(
                "You are an expert in Biology, Physics and Chemistry who answers scientific \
                 questions accurately. {MOD_PROMPT} After your reasoning, provide your final \
                 answer on a new line in the format: 'Answer: X' where X is the letter choice."
            ),
            // The reference has no space between the first sentences and MOD_PROMPT.
            Self::LiveCodeBench => format!(
                "You are a python coding expert that solves problems step-by-step. You must \
                 provide the reasoning to arriving at your solution and the code to solve the \
                 problem.{MOD_PROMPT} The code should be enclosed within ```python delimiters."
            ),
            Self::Summarization => "You are an expert at reading and summarizing academic \
                research papers. Your task is to provide clear and comprehensive summaries. \
                Cover the research purpose, methods, main findings, and significance. Be \
                thorough but avoid unnecessary details. Ignore citations and references."
                .to_owned(),
        }
    }

    /// The example exchanges placed between the developer message and the question.
    pub fn few_shot(self) -> Vec<Message> {
        match self {
            Self::Gpqa => vec![
                Message::user(gpqa_question(GPQA_SHOT_1.0, GPQA_SHOT_1.1)),
                Message::assistant("final", GPQA_SHOT_1.2),
                Message::user(gpqa_question(GPQA_SHOT_2.0, GPQA_SHOT_2.1)),
                Message::assistant("final", GPQA_SHOT_2.2),
            ],
            _ => Vec::new(),
        }
    }
}

type Shot = (&'static str, [&'static str; 4], &'static str);

const GPQA_SHOT_1: Shot = (
    "A sealed rigid flask holds an ideal gas at 300 K. It is heated until the absolute \
     temperature doubles. Which quantity stays the same?",
    [
        "the pressure",
        "the mean kinetic energy per molecule",
        "the root-mean-square speed",
        "the number density of molecules",
    ],
    "Explanation: The flask is sealed and rigid, so neither the number of molecules nor the \
     volume changes, and the number density stays fixed. Pressure, mean kinetic energy and \
     rms speed all grow with temperature.\n\nAnswer: D",
);

const GPQA_SHOT_2: Shot = (
    "How many stereoisomers does 2,3-dibromobutane have?",
    ["1", "2", "3", "4"],
    "Explanation: There are two stereocentres, which would allow four stereoisomers, but the \
     (2R,3S) and (2S,3R) forms are the same meso compound. That leaves the pair of enantiomers \
     and the meso form.\n\nAnswer: C",
);

/// The GPQA user message: the question, then the options as `\nA) …` to `\nD) …`.
pub fn gpqa_question(question: &str, options: [&str; 4]) -> String {
    let [a, b, c, d] = options.map(str::trim);
    format!("{question}\nA) {a}\nB) {b}\nC) {c}\nD) {d}")
}

/// The LiveCodeBench user message: the problem text, then the starter-code block.
pub fn livecodebench_question(content: &str, starter_code: &str) -> String {
    format!(
        "{content}\n### Format: You will use the following starter code to write the solution \
         to the problem and enclose your code within delimiters.\n```python\n{starter_code}\n\
         ```\n"
    )
}

/// The conversation the reference builds for one row: the MLPerf system message, the
/// sub-dataset's developer instructions, its few-shot examples, then `question` as the user.
pub fn prompt_messages(
    dataset: &str,
    question: &str,
    effort: ReasoningEffort,
) -> Result<Vec<Message>, Error> {
    let sub = SubDataset::from_name(dataset)?;
    let mut messages = vec![
        Message::system(&SystemContent::mlperf(effort)),
        Message::developer(&sub.instructions()),
    ];
    messages.extend(sub.few_shot());
    messages.push(Message::user(question));
    Ok(messages)
}

/// The prompt token ids for one `{dataset, question}` row, ending in `<|start|>assistant`.
pub fn render_prompt(
    dataset: &str,
    question: &str,
    effort: ReasoningEffort,
) -> Result<Vec<u32>, Error> {
    Ok(render_for_completion(&prompt_messages(
        dataset, question, effort,
    )?))
}

/// The prompt token ids for a row given as chat messages instead of a question: the MLPerf
/// system message, then the messages in order. Harmony has one system message, so a chat
/// `system` message becomes developer instructions, as a `developer` message does; an
/// assistant message without a channel goes on `final`.
pub fn render_chat(messages: &[Message], effort: ReasoningEffort) -> Vec<u32> {
    let mut convo = Vec::with_capacity(messages.len() + 1);
    convo.push(Message::system(&SystemContent::mlperf(effort)));
    for message in messages {
        convo.push(match message.role {
            Role::System | Role::Developer => Message::developer(&message.content),
            Role::Assistant if message.channel.is_none() => {
                Message::assistant("final", message.content.clone())
            }
            _ => message.clone(),
        });
    }
    render_for_completion(&convo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_names_route_by_substring_like_the_reference() {
        assert_eq!(SubDataset::from_name("aime25").unwrap(), SubDataset::Aime);
        assert_eq!(
            SubDataset::from_name("GPQA_Diamond").unwrap(),
            SubDataset::Gpqa
        );
        assert_eq!(
            SubDataset::from_name("livecodebench_v6").unwrap(),
            SubDataset::LiveCodeBench
        );
        assert_eq!(
            SubDataset::from_name("pubmed_summarization").unwrap(),
            SubDataset::Summarization
        );
        let err = SubDataset::from_name("math500").unwrap_err();
        assert!(err
            .to_string()
            .starts_with("unknown dataset `math500`: expected one of"));
    }

    #[test]
    fn the_livecodebench_instructions_have_no_space_before_the_shared_block() {
        let text = SubDataset::LiveCodeBench.instructions();
        assert!(text.contains("to solve the problem.Do not repeat steps"));
        assert!(text.ends_with("important to answer in as few tokens as possible. The code should be enclosed within ```python delimiters."));
    }

    #[test]
    fn gpqa_options_are_trimmed_and_lettered() {
        assert_eq!(
            gpqa_question("Q?", [" x ", "y", "z", "w\n"]),
            "Q?\nA) x\nB) y\nC) z\nD) w"
        );
    }
}
