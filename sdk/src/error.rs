//! The one error type filter code returns, and the error a host sees when an invocation fails.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Result of filter code: `transform_frame` and `#[method]`s.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error raised by filter code.
///
/// ```
/// fn check(percent: f32) -> filmstrip::Result<()> {
///     if !(0.0..=1.0).contains(&percent) {
///         return Err(filmstrip::Error::invalid_param("percent must be within 0..1"));
///     }
///     Ok(())
/// }
/// assert!(check(2.0).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// Why an operation failed; hosts map these to protocol error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// The filter, module or host has no operation of that name.
    UnknownOperation,
    /// A parameter is missing, of the wrong type or out of range.
    InvalidParam,
    /// The operation ran and failed.
    Failed,
    /// Filter code panicked; the element is unusable from now on.
    Panicked,
}

impl Error {
    /// A failure of the operation itself.
    pub fn new(message: impl Into<String>) -> Self {
        Self::with_kind(ErrorKind::Failed, message)
    }

    /// A caller passed a bad value.
    pub fn invalid_param(message: impl Into<String>) -> Self {
        Self::with_kind(ErrorKind::InvalidParam, message)
    }

    /// An error of the given kind.
    pub fn with_kind(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// Why it failed.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The one-line explanation.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Self::new(err.to_string())
    }
}

#[cfg(feature = "opencv")]
impl From<opencv::Error> for Error {
    fn from(err: opencv::Error) -> Self {
        Self::new(format!("OpenCV: {}", err.message))
    }
}

/// The serialised form of [`Error`] that crosses the module ABI.
#[derive(Serialize, Deserialize)]
pub(crate) struct WireError {
    pub kind: ErrorKind,
    pub message: String,
}

impl From<&Error> for WireError {
    fn from(err: &Error) -> Self {
        Self {
            kind: err.kind,
            message: err.message.clone(),
        }
    }
}

impl From<WireError> for Error {
    fn from(wire: WireError) -> Self {
        Self::with_kind(wire.kind, wire.message)
    }
}
