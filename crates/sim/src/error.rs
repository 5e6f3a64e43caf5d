//! The crate's error type.

/// What can go wrong when configuring or driving simulated piles.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A configuration value is out of range or unparsable.
    #[error("invalid simulator configuration: {0}")]
    Config(String),
    /// The pile's task has ended (shut down, or it failed); the handle is stale.
    #[error("pile {0} is no longer running")]
    PileGone(String),
    /// A port index outside the pile.
    #[error("pile {pile} has no port index {index}")]
    NoSuchPort {
        /// The pile's id.
        pile: String,
        /// The index asked for.
        index: usize,
    },
    /// Resolving the target address failed.
    #[error("cannot resolve target {target}: {source}")]
    Resolve {
        /// The `HOST:PORT` given.
        target: String,
        /// Why.
        source: std::io::Error,
    },
}
