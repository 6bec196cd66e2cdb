//! The numbers `ossperf dataset inspect` prints: row counts per sub-dataset, input lengths and
//! ids outside the vocabulary. Computed here, not in the CLI, so tests pin them exactly.

use crate::model::Dataset;

/// Input sequence lengths in tokens. Percentiles are nearest-rank: `p50` is the smallest
/// length with at least half of the rows at or below it.
#[derive(Debug, Clone, PartialEq)]
pub struct LengthStats {
    /// Shortest prompt.
    pub min: usize,
    /// Mean length.
    pub mean: f64,
    /// Median (nearest rank).
    pub p50: usize,
    /// 99th percentile (nearest rank).
    pub p99: usize,
    /// Longest prompt.
    pub max: usize,
}

/// A summary of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Number of rows.
    pub rows: usize,
    /// Total prompt tokens.
    pub total_tokens: usize,
    /// Input lengths, `None` for an empty dataset.
    pub lengths: Option<LengthStats>,
    /// Rows per sub-dataset name, sorted by name; rows without a name count under `(none)`.
    pub sub_datasets: Vec<(String, usize)>,
    /// Token ids at or above the vocabulary size.
    pub out_of_vocabulary: usize,
}

impl Summary {
    /// Summarizes `dataset`.
    pub fn of(dataset: &Dataset) -> Self {
        let mut lengths: Vec<usize> = (0..dataset.len()).map(|i| dataset.input_len(i)).collect();
        lengths.sort_unstable();
        let mut counts = std::collections::BTreeMap::new();
        for i in 0..dataset.len() {
            let name = dataset.sub_dataset(i).unwrap_or("(none)");
            *counts.entry(name.to_owned()).or_insert(0) += 1;
        }
        Self {
            rows: dataset.len(),
            total_tokens: dataset.total_tokens(),
            lengths: length_stats(&lengths),
            sub_datasets: counts.into_iter().collect(),
            out_of_vocabulary: dataset.out_of_vocabulary(),
        }
    }
}

fn length_stats(sorted: &[usize]) -> Option<LengthStats> {
    let (&min, &max) = (sorted.first()?, sorted.last()?);
    let n = sorted.len();
    let rank = |p: usize| sorted[(p * n).div_ceil(100).clamp(1, n) - 1];
    Some(LengthStats {
        min,
        mean: sorted.iter().sum::<usize>() as f64 / n as f64,
        p50: rank(50),
        p99: rank(99),
        max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_use_nearest_rank_percentiles() {
        let lengths: Vec<usize> = (1..=200).collect();
        let s = length_stats(&lengths).unwrap();
        assert_eq!((s.min, s.p50, s.p99, s.max), (1, 100, 198, 200));
        assert_eq!(s.mean, 100.5);
        let one = length_stats(&[7]).unwrap();
        assert_eq!((one.p50, one.p99), (7, 7));
        assert_eq!(length_stats(&[]), None);
    }

    #[test]
    fn sub_datasets_are_counted_by_name_with_unnamed_rows_apart() {
        let mut ds = Dataset::from_prompts(&[vec![1], vec![2, 3], vec![4]]);
        ds.sub_datasets = vec![Some("gpqa".into()), None, Some("aime25".into())];
        let s = Summary::of(&ds);
        assert_eq!(
            s.sub_datasets,
            vec![
                ("(none)".into(), 1),
                ("aime25".into(), 1),
                ("gpqa".into(), 1)
            ]
        );
        assert_eq!(s.total_tokens, 4);
        assert_eq!(s.out_of_vocabulary, 0);
    }
}
