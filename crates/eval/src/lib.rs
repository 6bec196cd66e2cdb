//! Accuracy scoring for gpt-oss-120b (AIME, GPQA, LiveCodeBench with sandboxed execution) and
//! the TEST07 / TEST09 compliance checks. Must not know about HTTP.

pub mod extract;
