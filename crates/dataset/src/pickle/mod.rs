//! pandas DataFrame pickles (`.pkl`), which the reference still accepts "for backward
//! compatibility". No Rust crate reads them (they lose the BlockManager), so this is a small
//! reader of our own in two layers: a pickle machine that never executes anything
//! (`machine`), and a pandas layer that knows the DataFrame → BlockManager → block → numpy
//! layout of pandas 2 and 3 (`frame`), including pandas 3's Arrow-backed strings (`arrow`).
//! Anything else is rejected with a message that gives the one-line pandas conversion to
//! parquet, the main format.

mod arrow;
mod frame;
mod machine;

use std::path::Path;

use crate::assemble::{assemble, token_column, RawTable, TOKEN_COLUMNS};
use crate::error::{DatasetError, Result};
use crate::model::Dataset;
use crate::OpenOptions;

/// Why a pickle could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PickleError {
    /// The file ends inside an opcode (a cut download, or not a pickle).
    #[error("truncated at byte {offset}: expected {needed} more bytes")]
    Truncated {
        /// Byte offset in the file.
        offset: usize,
        /// Bytes the opcode still needed.
        needed: usize,
    },
    /// An opcode this reader does not implement.
    #[error("unsupported pickle opcode `0x{opcode:02x}` at byte {offset}")]
    Opcode {
        /// The opcode byte.
        opcode: u8,
        /// Byte offset in the file.
        offset: usize,
    },
    /// The opcodes do not make a valid pickle.
    #[error("malformed pickle at byte {offset}: {what}")]
    Malformed {
        /// Byte offset in the file.
        offset: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// The pickle is not a DataFrame.
    #[error("it holds {found}, expected a pandas DataFrame")]
    NotADataFrame {
        /// What it holds.
        found: String,
    },
    /// A DataFrame layout this reader does not decode.
    #[error("{what} is not supported; convert the file with pandas: `python3 -c \"import pandas as pd; pd.read_pickle('IN.pkl').to_parquet('OUT.parquet')\"`")]
    Unsupported {
        /// The part that is not supported.
        what: String,
    },
}

/// Reads a pickled DataFrame from its bytes.
pub(crate) fn read(file: &Path, bytes: &[u8], options: &OpenOptions) -> Result<Dataset> {
    let raw = raw_table(file, bytes)?;
    token_column(file, raw.columns.iter().map(|(n, _, _)| n.as_str()))?;
    assemble(raw, options)
}

/// The DataFrame's columns as cells, before any check. Rows are counted by the token column, or
/// by the longest column when there is none (the reference data needs no tokens).
pub(crate) fn raw_table(file: &Path, bytes: &[u8]) -> Result<RawTable> {
    let err = |source| DatasetError::Pickle {
        file: file.to_path_buf(),
        source,
    };
    let (heap, root) = machine::load(bytes).map_err(err)?;
    let columns = frame::dataframe(&heap, root).map_err(err)?;
    let mut raw = Vec::with_capacity(columns.len());
    for column in columns {
        match column.cells {
            Some(cells) => raw.push((column.name, column.type_name, cells)),
            None if TOKEN_COLUMNS.contains(&column.name.as_str())
                || matches!(column.name.as_str(), "dataset" | "ground_truth") =>
            {
                return Err(err(PickleError::Unsupported {
                    what: format!("column `{}` stored as {}", column.name, column.type_name),
                }));
            }
            // Kept in the schema, with no values.
            None => raw.push((column.name, column.type_name, Vec::new())),
        }
    }
    let rows = raw
        .iter()
        .find(|(name, _, _)| TOKEN_COLUMNS.contains(&name.as_str()))
        .map(|(_, _, cells)| cells.len())
        .unwrap_or_else(|| raw.iter().map(|(_, _, c)| c.len()).max().unwrap_or(0));
    for (_, _, cells) in &mut raw {
        if cells.is_empty() {
            cells.resize(
                rows,
                crate::assemble::Cell::Other("an unsupported value".to_owned()),
            );
        }
    }
    Ok(RawTable {
        file: file.to_path_buf(),
        columns: raw,
    })
}
