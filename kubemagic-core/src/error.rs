//! The one error contract every kubemagic library error fulfils.
//!
//! Each library crate keeps its own `thiserror` enum (an inventory error
//! knows about INI lines, an etcd error about members and TLS), but the two
//! front ends need the same three answers from all of them: *where* (file,
//! line, column, to print `FILE:LINE:COL` and set Python's `.file`/`.line`),
//! and *whose fault* (bad input, or an operation that failed). Answering
//! those through one trait, [`KmError`], and one mapping,
//! [`ErrorKind::exit_code`], means the CLI's exit code and the Python
//! exception raised for the same error are decided in one place and cannot
//! drift apart: a site the CLI rejects with exit 2 is a site Python rejects
//! as bad input, never as a failed operation.
//!
//! The exit codes are the documented contract of every `kubemagic`
//! subcommand (README): 0 ok, 1 findings with errors or a failed operation,
//! 2 bad input. Findings are not errors and do not come here: a check that
//! finds problems *succeeded* and reports them (see
//! [`crate::finding::has_errors`]).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

/// Whose fault an error is, which decides how the front ends report it.
///
/// Two kinds only, because the caller can act on exactly two: fix what they
/// wrote and try again ([`ErrorKind::Input`]), or look at the system that
/// failed and perhaps retry unchanged ([`ErrorKind::Failure`]). Scripts and
/// CI branch on the exit code, so the distinction must be reliable rather
/// than finer-grained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// The input is wrong: a file that does not parse, a path that is not a
    /// site, an unknown phase, a bad argument. Running again unchanged gives
    /// the same error, so the message names the file and line to fix.
    /// CLI exit 2 (like a usage error); in Python an input exception.
    Input,
    /// The input was fine but an operation failed: etcd unreachable, a TLS
    /// handshake refused, ansible-playbook exiting non-zero, a file that
    /// could not be written. May succeed on retry. CLI exit 1; in Python a
    /// failure exception.
    Failure,
}

impl ErrorKind {
    /// The process exit code for this kind: 2 for [`ErrorKind::Input`], 1 for
    /// [`ErrorKind::Failure`]. Never 0, which means success. A `u8` because
    /// that is what `std::process::ExitCode::from` takes.
    pub const fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Input => 2,
            ErrorKind::Failure => 1,
        }
    }

    /// The kind as JSON error output and logs spell it: `input` or
    /// `failure` (the same as its serde form).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Input => "input",
            ErrorKind::Failure => "failure",
        }
    }
}

/// Prints [`ErrorKind::as_str`].
impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the CLI and the Python module need from any kubemagic error.
///
/// Implemented by each library crate's error enum, so that the front ends
/// handle every error through `&dyn KmError` (the trait is dyn-compatible)
/// instead of matching on each crate's variants: a new variant in a library
/// gets the right exit code and exception without touching the CLI or the
/// bindings. The message itself is the error's `Display`, printed through
/// [`crate::redact()`] by the front end.
///
/// Positions are the error's own: the file and line of the text that was
/// wrong (for [`ErrorKind::Input`]), or of the configuration the failed
/// operation came from when there is one. `None` means "no file involved",
/// never "unknown but probably line 1".
pub trait KmError: std::error::Error {
    /// The file the error is about, as it was opened (the front end may
    /// shorten it relative to the site), or `None` when no file is involved
    /// (a refused connection, a bad command-line argument).
    fn file(&self) -> Option<&Path>;

    /// The 1-based line in [`KmError::file`], when known.
    fn line(&self) -> Option<u32>;

    /// The 1-based column on that line, when the reader tracks one (YAML and
    /// INI parse errors do): editors jump straight to it from
    /// `FILE:LINE:COL`. Defaults to `None`, since most errors know a line at
    /// best.
    fn column(&self) -> Option<u32> {
        None
    }

    /// Whose fault the error is; the exit code and the Python exception
    /// class follow from it ([`ErrorKind::exit_code`]).
    fn kind(&self) -> ErrorKind;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A library-style error, as a crate outside the core would write one.
    #[derive(Debug, thiserror::Error)]
    enum SampleError {
        #[error("{file}:{line}:{column}: cannot parse")]
        Parse {
            file: PathBuf,
            line: u32,
            column: u32,
        },
        #[error("etcd unreachable")]
        Unreachable,
    }

    impl KmError for SampleError {
        fn file(&self) -> Option<&Path> {
            match self {
                SampleError::Parse { file, .. } => Some(file),
                SampleError::Unreachable => None,
            }
        }
        fn line(&self) -> Option<u32> {
            match self {
                SampleError::Parse { line, .. } => Some(*line),
                SampleError::Unreachable => None,
            }
        }
        fn column(&self) -> Option<u32> {
            match self {
                SampleError::Parse { column, .. } => Some(*column),
                SampleError::Unreachable => None,
            }
        }
        fn kind(&self) -> ErrorKind {
            match self {
                SampleError::Parse { .. } => ErrorKind::Input,
                SampleError::Unreachable => ErrorKind::Failure,
            }
        }
    }

    /// An error that knows only a file and a line, relying on the default.
    #[derive(Debug, thiserror::Error)]
    #[error("bad value")]
    struct LineOnly;

    impl KmError for LineOnly {
        fn file(&self) -> Option<&Path> {
            Some(Path::new("group_vars/all.yml"))
        }
        fn line(&self) -> Option<u32> {
            Some(7)
        }
        fn kind(&self) -> ErrorKind {
            ErrorKind::Input
        }
    }

    /// What a front end does with any error: the exit code and the place.
    fn report(e: &dyn KmError) -> (u8, Option<String>) {
        let place = e.file().map(|f| {
            let mut s = f.display().to_string();
            if let Some(l) = e.line() {
                s.push_str(&format!(":{l}"));
                if let Some(c) = e.column() {
                    s.push_str(&format!(":{c}"));
                }
            }
            s
        });
        (e.kind().exit_code(), place)
    }

    #[test]
    fn input_exits_2_and_failure_exits_1() {
        assert_eq!(ErrorKind::Input.exit_code(), 2);
        assert_eq!(ErrorKind::Failure.exit_code(), 1);
    }

    #[test]
    fn no_error_kind_exits_0() {
        for k in [ErrorKind::Input, ErrorKind::Failure] {
            assert_ne!(k.exit_code(), 0, "{k} would look like success");
        }
    }

    #[test]
    fn column_defaults_to_none() {
        assert_eq!(LineOnly.column(), None);
        assert_eq!(report(&LineOnly), (2, Some("group_vars/all.yml:7".into())));
    }

    #[test]
    fn front_end_reads_any_error_through_dyn_kmerror() {
        let parse = SampleError::Parse {
            file: "hosts.ini".into(),
            line: 3,
            column: 12,
        };
        assert_eq!(report(&parse), (2, Some("hosts.ini:3:12".into())));
        assert_eq!(report(&SampleError::Unreachable), (1, None));
        // Boxed, as a front end holding errors from several crates would.
        let boxed: Vec<Box<dyn KmError>> = vec![Box::new(parse), Box::new(LineOnly)];
        assert!(boxed.iter().all(|e| e.kind() == ErrorKind::Input));
    }

    #[test]
    fn kmerror_is_a_std_error_with_its_display_message() {
        let e: &dyn KmError = &SampleError::Unreachable;
        assert_eq!(e.to_string(), "etcd unreachable");
        assert!(e.source().is_none());
    }

    #[test]
    fn kind_serialises_as_its_display_name() {
        for k in [ErrorKind::Input, ErrorKind::Failure] {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
            assert_eq!(k.to_string(), k.as_str());
            let back: ErrorKind = serde_json::from_value(k.as_str().into()).unwrap();
            assert_eq!(back, k);
        }
    }
}
