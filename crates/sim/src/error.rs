//! The simulator's error type.

use std::net::SocketAddr;
use std::path::PathBuf;

/// What can go wrong starting or configuring a simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The listening address could not be bound.
    #[error("cannot listen on `{addr}`: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The runtime thread could not be started.
    #[error("cannot start the simulator's runtime: {0}")]
    Runtime(std::io::Error),
    /// A file could not be read.
    #[error("cannot read `{path}`: {source}", path = path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The ground-truth log could not be created.
    #[error("cannot create the truth log `{path}`: {source}", path = path.display())]
    TruthLog {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line of a LiveCodeBench solutions file is not what was expected.
    #[error("{path}:{line}: expected {what}", path = path.display())]
    Solutions {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What the line should have held.
        what: String,
    },
}
