//! Beyond LoadGen's figures (issue 24, items 2 and 5): the time to the first *answer* token
//! (gpt-oss's final channel, after its reasoning), reasoning and answer token counts, why
//! generation stopped, and the prompt lengths that were actually issued.
//!
//! Everything here is derived from the per-request records, with LoadGen's conventions: a
//! time is measured from the sample's scheduled time (as LoadGen's TTFT is) and percentiles
//! use LoadGen's index rule. LoadGen's own figures and `mlperf_log_summary.txt` are untouched;
//! these are the extra lines ossperf prints after the summary, a section of `results.json`
//! and one of the report.

use serde::{Deserialize, Serialize};

use super::fmt::{duration, trim};
use super::model::RequestRecord;
use super::stats::percentile;

/// What the harmony channels of one completed answer showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerRecord {
    /// `answered` (the final channel brought content), `no_answer` (channels were followed
    /// but the final channel never brought content: cut by `max_new_tokens` while reasoning),
    /// `text_only` (the server sent text, not token ids) or `no_markers` (the ids carried no
    /// channel markers: the server dropped special tokens).
    pub status: String,
    /// When the first final-channel content token arrived, ns since the test start; only for
    /// `answered`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_answer_ns: Option<u64>,
    /// Content tokens outside the final channel (analysis, commentary); 0 when unavailable.
    pub reasoning_tokens: u32,
    /// Content tokens on the final channel; 0 when unavailable.
    pub answer_tokens: u32,
}

/// The status of an answer whose first token was timed.
pub const ANSWERED: &str = "answered";
/// The status of an answer whose final channel never brought content.
pub const NO_ANSWER: &str = "no_answer";

impl AnswerRecord {
    /// Why the channels could not be followed, or `None` when they could.
    pub fn unavailable_reason(&self) -> Option<&'static str> {
        match self.status.as_str() {
            ANSWERED | NO_ANSWER => None,
            "text_only" => Some("the server sent text, not token ids"),
            "no_markers" => {
                Some("the token ids carried no harmony channel markers (special tokens dropped)")
            }
            _ => Some("the channels were not followed"),
        }
    }
}

/// Percentiles and mean of a set of values, in the unit of the field that holds them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spread {
    /// How many values.
    pub count: u64,
    /// Their mean.
    pub mean: f64,
    /// LoadGen's p50 (`sorted[usize(n × 0.5)]`).
    pub p50: u64,
    /// LoadGen's p90.
    pub p90: u64,
    /// LoadGen's p99.
    pub p99: u64,
    /// The largest.
    pub max: u64,
}

impl Spread {
    /// The spread of `values` (sorted here), or `None` when there are none.
    pub fn of(mut values: Vec<u64>) -> Option<Spread> {
        values.sort_unstable();
        let max = *values.last()?;
        let sum: u128 = values.iter().map(|&v| u128::from(v)).sum();
        Some(Spread {
            count: values.len() as u64,
            mean: sum as f64 / values.len() as f64,
            p50: percentile(&values, 0.5)?,
            p90: percentile(&values, 0.9)?,
            p99: percentile(&values, 0.99)?,
            max,
        })
    }
}

/// The reasoning-aware figures of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerSummary {
    /// Completed requests whose final channel brought content.
    pub answered: u64,
    /// Completed requests whose channels were followed but whose final channel never brought
    /// content (cut by `max_new_tokens`); their QSL indices are in `no_answer_qsl_idx`.
    pub no_answer: u64,
    /// Completed requests whose channels could not be followed.
    pub unavailable: u64,
    /// Why they could not, one line per distinct reason.
    pub unavailable_reasons: Vec<String>,
    /// The first [`LISTED`] no-answer requests' QSL indices, in issue order.
    pub no_answer_qsl_idx: Vec<u64>,
    /// Scheduled time to the first answer token, ns, over `answered` requests.
    pub time_to_first_answer_ns: Option<Spread>,
    /// Reasoning tokens per request, over `answered` and `no_answer` requests.
    pub reasoning_tokens: Option<Spread>,
    /// Answer tokens per request, over `answered` and `no_answer` requests.
    pub answer_tokens: Option<Spread>,
}

/// How many no-answer requests are listed by index.
pub const LISTED: usize = 20;

/// How many completed requests stopped for each reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinishCount {
    /// `stop` (a stop token or string), `length` (`max_new_tokens`), `other` (any other
    /// reason the server named, or none), `failed` (the request failed: errors by kind are in
    /// the requests; a server's `abort` is a `server_error` failure).
    pub reason: String,
    /// How many requests.
    pub count: u64,
}

/// The reasoning-aware figures, finish reasons and input lengths of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BeyondLoadgen {
    /// Time to first answer and token counts by channel.
    pub answers: AnswerSummary,
    /// Requests by finish reason, in the order `stop`, `length`, `other`, `failed`; reasons
    /// with no request left out.
    pub finish_reasons: Vec<FinishCount>,
    /// Prompt lengths in tokens of every request issued.
    pub input_tokens: Option<Spread>,
}

impl BeyondLoadgen {
    /// The figures of `requests`.
    pub fn of(requests: &[RequestRecord]) -> BeyondLoadgen {
        let mut answers = AnswerSummary {
            answered: 0,
            no_answer: 0,
            unavailable: 0,
            unavailable_reasons: Vec::new(),
            no_answer_qsl_idx: Vec::new(),
            time_to_first_answer_ns: None,
            reasoning_tokens: None,
            answer_tokens: None,
        };
        let (mut ttfa, mut reasoning, mut answer) = (Vec::new(), Vec::new(), Vec::new());
        let mut finish = [0u64; 4];
        for r in requests {
            let slot = match (r.error.is_some(), r.finish_reason.as_deref()) {
                (true, _) => 3,
                (false, Some("stop")) => 0,
                (false, Some("length")) => 1,
                _ => 2,
            };
            finish[slot] += 1;
            let Some(a) = r.answer.as_ref().filter(|_| r.error.is_none()) else {
                continue;
            };
            if let Some(why) = a.unavailable_reason() {
                answers.unavailable += 1;
                if !answers.unavailable_reasons.iter().any(|w| w == why) {
                    answers.unavailable_reasons.push(why.to_string());
                }
                continue;
            }
            reasoning.push(u64::from(a.reasoning_tokens));
            answer.push(u64::from(a.answer_tokens));
            match r.time_to_first_answer_ns() {
                Some(time) => {
                    answers.answered += 1;
                    ttfa.push(time);
                }
                None => {
                    answers.no_answer += 1;
                    if answers.no_answer_qsl_idx.len() < LISTED {
                        answers.no_answer_qsl_idx.push(r.qsl_idx);
                    }
                }
            }
        }
        answers.time_to_first_answer_ns = Spread::of(ttfa);
        answers.reasoning_tokens = Spread::of(reasoning);
        answers.answer_tokens = Spread::of(answer);
        let finish_reasons = ["stop", "length", "other", "failed"]
            .iter()
            .zip(finish)
            .filter(|&(_, count)| count > 0)
            .map(|(reason, count)| FinishCount {
                reason: (*reason).to_string(),
                count,
            })
            .collect();
        BeyondLoadgen {
            answers,
            finish_reasons,
            input_tokens: Spread::of(requests.iter().map(|r| u64::from(r.input_tokens)).collect()),
        }
    }

    /// The lines printed after LoadGen's summary and shown in the report.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let a = &self.answers;
        if let Some(t) = &a.time_to_first_answer_ns {
            lines.push(format!(
                "Time to first answer token (final channel), {} answer(s): p50 {}, p90 {}, p99 {}",
                a.answered,
                duration(t.p50 as f64),
                duration(t.p90 as f64),
                duration(t.p99 as f64)
            ));
        }
        for (name, spread) in [
            ("Reasoning tokens", &a.reasoning_tokens),
            ("Answer tokens", &a.answer_tokens),
        ] {
            if let Some(s) = spread {
                lines.push(format!(
                    "{name} per request: mean {}, p50 {}, p90 {}, p99 {}, max {}",
                    trim(s.mean, 1),
                    s.p50,
                    s.p90,
                    s.p99,
                    s.max
                ));
            }
        }
        if a.no_answer > 0 {
            let listed: Vec<String> = a.no_answer_qsl_idx.iter().map(u64::to_string).collect();
            let more = if a.no_answer as usize > listed.len() {
                ", ..."
            } else {
                ""
            };
            lines.push(format!(
                "No answer: {} request(s) never reached the final channel (qsl_idx {}{more})",
                a.no_answer,
                listed.join(", ")
            ));
        }
        if a.unavailable > 0 {
            lines.push(format!(
                "Time to first answer unavailable for {} request(s): {}",
                a.unavailable,
                a.unavailable_reasons.join("; ")
            ));
        }
        if !self.finish_reasons.is_empty() {
            let counts: Vec<String> = self
                .finish_reasons
                .iter()
                .map(|f| format!("{} {}", f.reason, f.count))
                .collect();
            lines.push(format!("Finish reasons: {}", counts.join(", ")));
        }
        if let Some(s) = &self.input_tokens {
            lines.push(format!(
                "Input tokens of the {} request(s) issued: p50 {}, p99 {}, max {}, mean {}",
                s.count,
                s.p50,
                s.p99,
                s.max,
                trim(s.mean, 1)
            ));
        }
        lines
    }
}

/// The report's "Answers" section: one row per run, then what could not be timed.
pub fn section(runs: &[super::charts::Prepared]) -> String {
    let figures: Vec<(&str, BeyondLoadgen)> = runs
        .iter()
        .map(|p| {
            let figures = p
                .run
                .beyond_loadgen
                .clone()
                .unwrap_or_else(|| BeyondLoadgen::of(&p.run.requests));
            (p.label, figures)
        })
        .collect();
    format!(
        "<p>The time to the first answer token follows the harmony channels of each streamed \
         answer: the first token of the <code>final</code> channel, after the reasoning, counted \
         from the scheduled time as LoadGen's TTFT is. It is unavailable, never the TTFT, where the \
         answers carried no channels.</p>{}",
        table(&figures.iter().map(|(l, f)| (*l, f)).collect::<Vec<_>>())
    )
}

/// The table of answers' figures, one row per labelled set (a run's, a sweep point's), then
/// what could not be timed; the run report and the sweep report share it.
pub fn table(rows: &[(&str, &BeyondLoadgen)]) -> String {
    use super::fmt::escape;
    use std::fmt::Write;
    let mut body = String::new();
    let mut notes = String::new();
    for (label, figures) in rows {
        let a = &figures.answers;
        let time = |s: &Option<Spread>| {
            s.map_or_else(
                || "—".to_string(),
                |s| {
                    format!(
                        "{} / {} / {}",
                        duration(s.p50 as f64),
                        duration(s.p90 as f64),
                        duration(s.p99 as f64)
                    )
                },
            )
        };
        let tokens = |s: &Option<Spread>| {
            s.map_or_else(
                || "—".to_string(),
                |s| format!("{} / {} / {}", trim(s.mean, 1), s.p50, s.p99),
            )
        };
        let finish: Vec<String> = figures
            .finish_reasons
            .iter()
            .map(|f| format!("{} {}", f.reason, f.count))
            .collect();
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td></tr>",
            escape(label),
            a.answered,
            a.no_answer,
            a.unavailable,
            time(&a.time_to_first_answer_ns),
            tokens(&a.reasoning_tokens),
            tokens(&a.answer_tokens),
            escape(&finish.join(", ")),
            figures.input_tokens.map_or_else(
                || "—".to_string(),
                |s| format!("{} / {} / {}", s.p50, s.p99, s.max)
            ),
        );
        for line in figures.lines().iter().filter(|l| {
            l.starts_with("No answer") || l.starts_with("Time to first answer unavailable")
        }) {
            let _ = write!(
                notes,
                "<li class=\"bad\">{}: {}</li>",
                escape(label),
                escape(line)
            );
        }
    }
    let notes = if notes.is_empty() {
        notes
    } else {
        format!("<ul>{notes}</ul>")
    };
    format!(
        "<table><thead><tr><th>run</th><th>answered</th>\
         <th>no answer</th><th>unavailable</th><th>time to first answer p50 / p90 / p99</th>\
         <th>reasoning tokens mean / p50 / p99</th><th>answer tokens mean / p50 / p99</th>\
         <th>finish reasons</th><th>input tokens p50 / p99 / max</th></tr></thead>\
         <tbody>{body}</tbody></table>{notes}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::RequestError;

    fn record(
        qsl_idx: u64,
        input: u32,
        answer: Option<(&str, Option<u64>, u32, u32)>,
    ) -> RequestRecord {
        RequestRecord {
            qsl_idx,
            dataset: "aime25".into(),
            scheduled_ns: 1_000,
            issued_ns: 1_100,
            first_token_ns: Some(5_000),
            complete_ns: 90_000,
            input_tokens: input,
            output_tokens: 50,
            endpoint: 0,
            error: None,
            finish_reason: Some(if answer.is_some_and(|a| a.0 == NO_ANSWER) {
                "length".into()
            } else {
                "stop".into()
            }),
            answer: answer.map(|(status, first, reasoning, answer)| AnswerRecord {
                status: status.into(),
                first_answer_ns: first,
                reasoning_tokens: reasoning,
                answer_tokens: answer,
            }),
        }
    }

    #[test]
    fn figures_follow_loadgens_percentiles_and_keep_each_kind_of_answer_apart() {
        let mut requests: Vec<RequestRecord> = (0..10)
            .map(|i| {
                record(
                    i,
                    100 + i as u32,
                    Some((ANSWERED, Some(1_000 + 1_000 * (i + 1)), 80 + i as u32, 20)),
                )
            })
            .collect();
        requests.push(record(42, 500, Some((NO_ANSWER, None, 50, 0))));
        requests.push(record(43, 7, Some(("text_only", None, 0, 0))));
        let mut failed = record(44, 9, None);
        failed.finish_reason = None;
        failed.error = Some(RequestError {
            kind: "server_error".into(),
            message: "server aborted the request".into(),
        });
        requests.push(failed);
        let b = BeyondLoadgen::of(&requests);
        let a = &b.answers;
        assert_eq!((a.answered, a.no_answer, a.unavailable), (10, 1, 1));
        assert_eq!(a.no_answer_qsl_idx, [42]);
        // Times from the scheduled time: 1,000 … 10,000 ns; index ⌊10 × 0.5⌋ = 5 is 6,000.
        let t = a.time_to_first_answer_ns.expect("times");
        assert_eq!(
            (t.p50, t.p90, t.p99, t.max),
            (6_000, 10_000, 10_000, 10_000)
        );
        let r = a.reasoning_tokens.expect("reasoning");
        assert_eq!((r.count, r.p50, r.max), (11, 84, 89));
        assert_eq!(
            b.lines(),
            [
                "Time to first answer token (final channel), 10 answer(s): p50 6 µs, p90 10 µs, p99 10 µs",
                "Reasoning tokens per request: mean 81.4, p50 84, p90 88, p99 89, max 89",
                "Answer tokens per request: mean 18.2, p50 20, p90 20, p99 20, max 20",
                "No answer: 1 request(s) never reached the final channel (qsl_idx 42)",
                "Time to first answer unavailable for 1 request(s): the server sent text, not token ids",
                "Finish reasons: stop 11, length 1, failed 1",
                "Input tokens of the 13 request(s) issued: p50 104, p99 500, max 500, mean 120.1",
            ]
        );
    }

    #[test]
    fn the_report_shows_the_figures_of_each_run_and_what_could_not_be_timed() {
        let run = crate::report::sample::server_run(200, 3);
        let html = crate::report::render_report(&[("run-a", &run)]);
        let section = html
            .split("<section id=\"answers\">")
            .nth(1)
            .and_then(|s| s.split("</section>").next())
            .expect("an Answers section");
        let b = run.beyond_loadgen.as_ref().expect("figures");
        assert!(
            section.contains(&format!(
                "<td>run-a</td><td>{}</td><td>{}</td><td>0</td>",
                b.answers.answered, b.answers.no_answer
            )),
            "{section}"
        );
        assert!(b.answers.no_answer > 0);
        assert!(
            section.contains("never reached the final channel"),
            "{section}"
        );
    }
}
