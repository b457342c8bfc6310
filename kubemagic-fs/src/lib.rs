//! Careful file I/O: the one way kubemagic opens what it reads and writes
//! what it renders.
//!
//! A site is a directory a user points kubemagic at, and anything can sit in
//! it: a FIFO (reading it blocks for ever), a link to `/dev/zero` (reading it
//! never ends), a file of gigabytes, a link planted where a rendered file is
//! about to be written. Every file kubemagic reads therefore goes through
//! [`read`] / [`read_to_string`]: opened non-blocking (so a FIFO cannot hang
//! the open), checked with `fstat` on the open descriptor (so nothing can be
//! swapped in between check and read) to be a regular file, and read with a
//! size cap. Every file it writes goes through [`write_atomic`]: a temporary
//! file created `O_EXCL | O_NOFOLLOW` in the destination's own directory,
//! written, synced, given its mode, then renamed over the destination, so a
//! reader never sees half a file and a pre-existing link is replaced rather
//! than followed.
//!
//! The limits are data in one place ([`limits`]), shared by every reader.

#![deny(missing_docs)]

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub mod limits {
    //! The caps every reader applies. Generous for real sites (the largest
    //! real inventory file seen is well under a megabyte), small enough that
    //! a hostile file is refused long before memory runs out.

    /// The largest inventory, vars file, kubemagic.yml or env file read.
    pub const MAX_SOURCE_BYTES: u64 = 64 * 1024 * 1024;
    /// The largest state file (journal, lock) read: they hold a few
    /// kilobytes.
    pub const MAX_STATE_BYTES: u64 = 16 * 1024 * 1024;
    /// The largest certificate or kubeconfig file read (`kubemagic certs`):
    /// a CA bundle of every public root is under a megabyte.
    pub const MAX_CERT_BYTES: u64 = 8 * 1024 * 1024;
    /// The deepest nesting of mappings and sequences a YAML or JSON reader
    /// accepts before it refuses the file with its line (a recursive reader
    /// would overflow the stack well before 10,000).
    pub const MAX_NESTING: usize = 128;
}

/// What a careful read or write refused or failed at, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// The path is not a regular file (a FIFO, a device, a socket, a
    /// directory).
    #[error("{}: is {kind}, not a regular file", path.display())]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is instead ("a FIFO", "a character device", ...).
        kind: &'static str,
    },
    /// The file is larger than the reader's cap.
    #[error("{}: larger than {limit} bytes; refusing to read it", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The cap.
        limit: u64,
    },
    /// The destination's directory has no usable name.
    #[error("{}: no parent directory to write into", path.display())]
    NoParent {
        /// The destination.
        path: PathBuf,
    },
    /// The operating system refused.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl FsError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            FsError::NotRegular { path, .. }
            | FsError::TooLarge { path, .. }
            | FsError::NoParent { path }
            | FsError::Io { path, .. } => path,
        }
    }

    /// Whether the file does not exist (callers that treat a missing file
    /// as "nothing yet" ask this).
    pub fn is_not_found(&self) -> bool {
        matches!(self, FsError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }

    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FsError + '_ {
        move |source| FsError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl kubemagic_core::KmError for FsError {
    fn kind(&self) -> kubemagic_core::ErrorKind {
        kubemagic_core::ErrorKind::Input
    }
    fn file(&self) -> Option<&Path> {
        Some(self.path())
    }
    fn line(&self) -> Option<u32> {
        None
    }
}

/// What a file type is, in words, for the refusal.
fn describe(ft: std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading if, and only if, it is a regular file (links
/// are followed: a site may link its group_vars, but what the link reaches
/// must be a regular file). Non-blocking open, so a FIFO is refused instead
/// of hanging; the check is on the open descriptor.
pub fn open_regular(path: &Path) -> Result<(File, u64), FsError> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(FsError::io(path))?;
    let meta = file.metadata().map_err(FsError::io(path))?;
    if !meta.file_type().is_file() {
        return Err(FsError::NotRegular {
            path: path.to_path_buf(),
            kind: describe(meta.file_type()),
        });
    }
    Ok((file, meta.size()))
}

/// Whether `path` is (or links to) a regular file, without opening it: for
/// discovery, which must not pick up a FIFO or a device as a source.
pub fn is_regular(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// Reads a regular file of at most `limit` bytes (see [`limits`]).
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, FsError> {
    let (file, size) = open_regular(path)?;
    let too_large = || FsError::TooLarge {
        path: path.to_path_buf(),
        limit,
    };
    if size > limit {
        return Err(too_large());
    }
    // The size can change under us: read one byte past the cap to know.
    let mut buf = Vec::with_capacity(size as usize);
    file.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(FsError::io(path))?;
    if buf.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(buf)
}

/// [`read`], as UTF-8 text (invalid UTF-8 is an I/O error of kind
/// `InvalidData`, naming the file). Readers that report the failing line
/// of a decoding error read bytes with [`read`] and decode themselves.
pub fn read_to_string(path: &Path, limit: u64) -> Result<String, FsError> {
    let bytes = read(path, limit)?;
    String::from_utf8(bytes).map_err(|e| FsError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })
}

/// Writes `bytes` to `path` atomically with file mode `mode`: a temporary
/// file in the same directory (`O_CREAT | O_EXCL | O_NOFOLLOW`, created with
/// `mode` so it is never wider, even for a moment), synced, then renamed
/// over `path`. A link at `path` is replaced, never followed; a directory at
/// `path` is refused by the rename.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), FsError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        Some(_) => PathBuf::from("."),
        None => {
            return Err(FsError::NoParent {
                path: path.to_path_buf(),
            })
        }
    };
    let name = path.file_name().ok_or_else(|| FsError::NoParent {
        path: path.to_path_buf(),
    })?;
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(
            ".{}.km-tmp-{}-{attempt}",
            name.to_string_lossy(),
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(FsError::io(&tmp)(e)),
        }
    };
    let result = (|| {
        file.write_all(bytes)?;
        // The umask may have narrowed the mode; set it exactly.
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(FsError::io(path)(e));
    }
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_without_hanging() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("fifo");
        let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read(&p, 10).unwrap_err();
        assert!(e.to_string().contains("a FIFO"), "{e}");
    }

    #[test]
    fn dev_zero_is_refused() {
        let e = read(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
    }

    #[test]
    fn a_file_over_the_cap_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big");
        std::fs::write(&p, vec![b'a'; 11]).unwrap();
        assert!(matches!(read(&p, 10), Err(FsError::TooLarge { .. })));
        assert_eq!(read(&p, 11).unwrap().len(), 11);
    }

    #[test]
    fn write_atomic_replaces_a_planted_link_instead_of_following_it() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let dest = d.path().join("haproxy.cfg");
        std::os::unix::fs::symlink(&victim, &dest).unwrap();
        write_atomic(&dest, b"new", 0o600).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "new");
        let meta = std::fs::symlink_metadata(&dest).unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let leftovers: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 2);
    }
}
