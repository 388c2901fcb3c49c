//! The pages' one way to run blocking domain calls (everything that reads or writes the
//! store) off the async threads, and their one error type for it: the domain's own error, or
//! the task lost. Pages match the domain errors they explain to the visitor and draw one
//! "try again later" page for everything else.

use std::fmt;

/// Why a page's blocking call gave no result.
#[derive(Debug)]
pub enum PageError<E> {
    /// The domain refused or failed, with its reason.
    Failed(E),
    /// The task panicked or the runtime is shutting down.
    Lost(String),
}

impl<E: fmt::Display> fmt::Display for PageError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PageError::Failed(e) => e.fmt(f),
            PageError::Lost(reason) => write!(f, "a background task failed: {reason}"),
        }
    }
}

/// Runs `work` on tokio's blocking threads.
pub async fn blocking<T, E>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, PageError<E>>
where
    T: Send + 'static,
    E: Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(PageError::Failed),
        Err(e) => Err(PageError::Lost(e.to_string())),
    }
}
