//! gpt-oss benchmark datasets: one [`Dataset`] type read from MLCommons parquet, pandas pickles
//! and JSONL, with schema checks and dataset building. Must not know about HTTP.
