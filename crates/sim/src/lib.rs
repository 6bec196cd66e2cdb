//! A simulated SGLang server whose timing comes from a model of continuous batching, whose
//! answers are valid harmony and can be scored, and which can inject faults.
//! Must not know about LoadGen.
