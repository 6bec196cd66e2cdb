//! The in-memory [`Dataset`]: every prompt's token ids in one flat buffer with row offsets, so
//! the SUT gets a row as a borrowed slice with no allocation, plus the sub-dataset name, the
//! ground truth and whatever other columns the file had. Row `i` is QSL index `i`.

use std::path::{Path, PathBuf};

/// The values of one kept column, one entry per row (`None` for a null cell).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Column {
    /// Text.
    Str(Vec<Option<String>>),
    /// 64-bit integers.
    Int(Vec<Option<i64>>),
    /// 64-bit floats.
    Float(Vec<Option<f64>>),
    /// Booleans.
    Bool(Vec<Option<bool>>),
    /// Lists of integers (for example reference output token ids).
    IntList(Vec<Option<Vec<i64>>>),
}

impl Column {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Self::Str(v) => v.len(),
            Self::Int(v) => v.len(),
            Self::Float(v) => v.len(),
            Self::Bool(v) => v.len(),
            Self::IntList(v) => v.len(),
        }
    }

    /// True when the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A short type name: `string`, `int64`, `float64`, `bool` or `list<int64>`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Str(_) => "string",
            Self::Int(_) => "int64",
            Self::Float(_) => "float64",
            Self::Bool(_) => "bool",
            Self::IntList(_) => "list<int64>",
        }
    }

    fn truncate(&mut self, n: usize) {
        match self {
            Self::Str(v) => v.truncate(n),
            Self::Int(v) => v.truncate(n),
            Self::Float(v) => v.truncate(n),
            Self::Bool(v) => v.truncate(n),
            Self::IntList(v) => v.truncate(n),
        }
    }
}

/// A benchmark dataset: per row the prompt's token ids, the sub-dataset name, the ground truth
/// and the other columns that were kept. Row `i` is QSL index `i`, in the file's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub(crate) source: PathBuf,
    pub(crate) token_column: String,
    pub(crate) tokens: Vec<u32>,
    /// `offsets[i]..offsets[i + 1]` is row `i` in `tokens`; `len() + 1` entries.
    pub(crate) offsets: Vec<usize>,
    pub(crate) sub_datasets: Vec<Option<String>>,
    pub(crate) ground_truth: Vec<Option<String>>,
    pub(crate) columns: Vec<(String, Column)>,
    pub(crate) schema: Vec<(String, String)>,
}

impl Dataset {
    /// A dataset of the given prompts with no sub-dataset names or ground truth (tests, tools).
    pub fn from_prompts(prompts: &[Vec<u32>]) -> Self {
        let mut tokens = Vec::with_capacity(prompts.iter().map(Vec::len).sum());
        let mut offsets = Vec::with_capacity(prompts.len() + 1);
        offsets.push(0);
        for prompt in prompts {
            tokens.extend_from_slice(prompt);
            offsets.push(tokens.len());
        }
        Self {
            source: PathBuf::from("<memory>"),
            token_column: "input_tokens".to_owned(),
            tokens,
            offsets,
            sub_datasets: vec![None; prompts.len()],
            ground_truth: vec![None; prompts.len()],
            columns: Vec::new(),
            schema: vec![("input_tokens".to_owned(), "list<int32>".to_owned())],
        }
    }

    /// Number of rows (QSL samples).
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The prompt token ids of row `i`, a borrowed slice of the flat buffer.
    ///
    /// # Panics
    /// When `i >= len()`, like slice indexing.
    pub fn tokens(&self, i: usize) -> &[u32] {
        &self.tokens[self.offsets[i]..self.offsets[i + 1]]
    }

    /// The prompt token ids of row `i`, or `None` past the end.
    pub fn get_tokens(&self, i: usize) -> Option<&[u32]> {
        let start = *self.offsets.get(i)?;
        let end = *self.offsets.get(i + 1)?;
        self.tokens.get(start..end)
    }

    /// Number of tokens in row `i` (its input sequence length).
    ///
    /// # Panics
    /// When `i >= len()`.
    pub fn input_len(&self, i: usize) -> usize {
        self.offsets[i + 1] - self.offsets[i]
    }

    /// Total number of prompt tokens over all rows.
    pub fn total_tokens(&self) -> usize {
        self.tokens.len()
    }

    /// The sub-dataset name of row `i` (`dataset` column), if the file has one.
    pub fn sub_dataset(&self, i: usize) -> Option<&str> {
        self.sub_datasets.get(i)?.as_deref()
    }

    /// The ground truth of row `i` as text (an integer answer is written in decimal).
    pub fn ground_truth(&self, i: usize) -> Option<&str> {
        self.ground_truth.get(i)?.as_deref()
    }

    /// The file the dataset came from (`<bundled sample>` for [`crate::bundled_sample`]).
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// The name of the token column in the source: `input_tokens` or `tok_input`.
    pub fn token_column(&self) -> &str {
        &self.token_column
    }

    /// The columns kept besides tokens, `dataset` and `ground_truth`, in file order.
    pub fn columns(&self) -> &[(String, Column)] {
        &self.columns
    }

    /// A kept column by name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, column)| column)
    }

    /// Every column of the source file with its type as the file stores it, in file order
    /// (including columns that were not kept because their type is not supported).
    pub fn schema(&self) -> &[(String, String)] {
        &self.schema
    }

    /// Keeps the first `n` rows, like the reference's `--max-samples` (`df.head(n)`).
    pub fn max_samples(mut self, n: usize) -> Self {
        if n >= self.len() {
            return self;
        }
        self.tokens.truncate(self.offsets[n]);
        self.offsets.truncate(n + 1);
        self.sub_datasets.truncate(n);
        self.ground_truth.truncate(n);
        for (_, column) in &mut self.columns {
            column.truncate(n);
        }
        self
    }

    /// Number of token ids at or above the o200k_harmony vocabulary size (only a dataset opened
    /// with [`crate::OpenOptions::check_vocabulary`] off can have any).
    pub fn out_of_vocabulary(&self) -> usize {
        let vocab = u32::try_from(ossperf_harmony::VOCAB_SIZE).unwrap_or(u32::MAX);
        self.tokens.iter().filter(|&&id| id >= vocab).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_slices_of_the_flat_buffer_in_order() {
        let ds = Dataset::from_prompts(&[vec![1, 2, 3], vec![4], vec![5, 6]]);
        assert_eq!(ds.len(), 3);
        assert_eq!(ds.tokens(0), &[1, 2, 3]);
        assert_eq!(ds.tokens(1), &[4]);
        assert_eq!(ds.tokens(2), &[5, 6]);
        assert_eq!(ds.get_tokens(3), None);
        assert_eq!(ds.input_len(2), 2);
        assert_eq!(ds.total_tokens(), 6);
    }

    #[test]
    fn max_samples_keeps_the_first_rows_of_every_column() {
        let mut ds = Dataset::from_prompts(&[vec![1, 2], vec![3], vec![4, 5, 6]]);
        ds.columns
            .push(("n".to_owned(), Column::Int(vec![Some(2), Some(1), Some(3)])));
        let ds = ds.max_samples(2);
        assert_eq!(ds.len(), 2);
        assert_eq!(ds.tokens(1), &[3]);
        assert_eq!(ds.total_tokens(), 3);
        assert_eq!(ds.column("n"), Some(&Column::Int(vec![Some(2), Some(1)])));
        assert_eq!(ds.clone().max_samples(10), ds);
    }
}
