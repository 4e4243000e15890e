//! Opening files to read without ever blocking: FIFOs, devices and sockets are refused.
//!
//! `open(2)` on a FIFO blocks until a writer appears (forever, for a model's stray path), and
//! reading `/dev/zero` never ends; a thread stuck in either cannot be cancelled. Tools therefore
//! read only regular files, as ripgrep does for the files it walks. The type is checked before
//! opening (so a device is never even opened) and again on the open descriptor (so a path
//! swapped for a FIFO in between cannot block either: the open is non-blocking).

use std::fs::{File, FileType, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// What a path is when it is not a regular file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecialKind {
    Directory,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
    Other,
}

impl SpecialKind {
    /// `None` for a regular file.
    pub fn of(ft: FileType) -> Option<SpecialKind> {
        Some(if ft.is_file() {
            return None;
        } else if ft.is_dir() {
            SpecialKind::Directory
        } else if ft.is_fifo() {
            SpecialKind::Fifo
        } else if ft.is_socket() {
            SpecialKind::Socket
        } else if ft.is_char_device() {
            SpecialKind::CharDevice
        } else if ft.is_block_device() {
            SpecialKind::BlockDevice
        } else {
            SpecialKind::Other
        })
    }

    /// `a FIFO`, `a directory`, ... for messages.
    pub fn describe(self) -> &'static str {
        match self {
            SpecialKind::Directory => "a directory",
            SpecialKind::Fifo => "a FIFO (named pipe)",
            SpecialKind::Socket => "a socket",
            SpecialKind::CharDevice => "a character device",
            SpecialKind::BlockDevice => "a block device",
            SpecialKind::Other => "not a regular file",
        }
    }
}

/// Why [`open_regular`] did not open a file.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("no such file")]
    NotFound,
    #[error("{} is {}", .0.display(), .1.describe())]
    NotRegular(std::path::PathBuf, SpecialKind),
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Opens `path` (symlinks followed) for reading if it is a regular file; never blocks on a FIFO,
/// never opens a device or socket. Returns the file and its metadata, taken on the open file.
pub fn open_regular(path: &Path) -> Result<(File, Metadata), OpenError> {
    let not_found = |e: io::Error| {
        if e.kind() == io::ErrorKind::NotFound {
            OpenError::NotFound
        } else {
            OpenError::Io(e)
        }
    };
    let meta = std::fs::metadata(path).map_err(not_found)?;
    if let Some(kind) = SpecialKind::of(meta.file_type()) {
        return Err(OpenError::NotRegular(path.to_path_buf(), kind));
    }
    let file = open_nonblocking(path).map_err(not_found)?;
    let meta = file.metadata()?;
    if let Some(kind) = SpecialKind::of(meta.file_type()) {
        return Err(OpenError::NotRegular(path.to_path_buf(), kind));
    }
    Ok((file, meta))
}

/// Opens `path` for reading with `O_NONBLOCK`, for a caller that already knows it is a regular
/// file (a directory walk's entry): should it have been swapped for a FIFO, the open does not
/// block and reads end at once. O_NONBLOCK has no effect on regular files.
pub fn open_nonblocking(path: &Path) -> io::Result<File> {
    let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY;
    OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
}

/// Reads a whole regular file (see [`open_regular`]).
pub fn read_regular(path: &Path) -> Result<Vec<u8>, OpenError> {
    use std::io::Read;
    let (mut file, meta) = open_regular(path)?;
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
    file.read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn mkfifo(p: &Path) {
        rustix::fs::mknodat(
            rustix::fs::CWD,
            p,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
    }

    #[test]
    fn regular_files_open_and_read() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.txt");
        std::fs::write(&p, "hello").unwrap();
        let (_, meta) = open_regular(&p).unwrap();
        assert_eq!(meta.len(), 5);
        assert_eq!(read_regular(&p).unwrap(), b"hello");
        // Through a symlink too.
        std::os::unix::fs::symlink(&p, d.path().join("link")).unwrap();
        assert_eq!(read_regular(&d.path().join("link")).unwrap(), b"hello");
        assert!(matches!(
            open_regular(&d.path().join("missing")),
            Err(OpenError::NotFound)
        ));
    }

    #[test]
    fn fifos_devices_and_directories_are_refused_at_once() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        mkfifo(&fifo);
        let t = Instant::now();
        let e = open_regular(&fifo).unwrap_err();
        assert!(
            matches!(e, OpenError::NotRegular(_, SpecialKind::Fifo)),
            "{e}"
        );
        assert!(e.to_string().ends_with("is a FIFO (named pipe)"), "{e}");
        // A symlink to a FIFO is followed, and refused.
        std::os::unix::fs::symlink(&fifo, d.path().join("to-fifo")).unwrap();
        assert!(matches!(
            read_regular(&d.path().join("to-fifo")),
            Err(OpenError::NotRegular(_, SpecialKind::Fifo))
        ));
        assert!(matches!(
            open_regular(Path::new("/dev/zero")),
            Err(OpenError::NotRegular(_, SpecialKind::CharDevice))
        ));
        assert!(matches!(
            open_regular(d.path()),
            Err(OpenError::NotRegular(_, SpecialKind::Directory))
        ));
        assert!(t.elapsed() < Duration::from_secs(2));
    }
}
