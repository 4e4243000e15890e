//! Reading a memory file without surprises: never blocks on a FIFO or a device, never reads more
//! than the cap, never fails on bad UTF-8.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Claude Code's limit (`MAX_CLAUDE_MD_BYTES`, 4 MiB): a bigger file is not loaded.
pub const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// Why a file was not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// It does not exist (or is a directory): silently skipped, as Claude Code does.
    Missing,
    /// A FIFO, socket or device: reading it could block forever.
    NotRegular,
    /// Larger than [`MAX_BYTES`].
    TooLarge(u64),
    /// Permission denied or another I/O error.
    Unreadable(String),
}

impl Skip {
    /// What the user is told (`None`: nothing worth saying).
    pub fn describe(&self) -> Option<String> {
        match self {
            Skip::Missing => None,
            Skip::NotRegular => Some("not a regular file".into()),
            Skip::TooLarge(n) => Some(format!(
                "{} MB, over the {} MiB limit for memory files",
                n.div_ceil(1_000_000),
                MAX_BYTES / (1024 * 1024)
            )),
            Skip::Unreadable(e) => Some(e.clone()),
        }
    }
}

/// Reads `path` as text (invalid UTF-8 replaced). The file is opened non-blocking and checked
/// with `fstat` before a byte is read, so a FIFO planted as `CLAUDE.md` cannot hang start-up.
pub fn read_text(path: &Path) -> Result<String, Skip> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory => Skip::Missing,
            _ if e.raw_os_error() == Some(libc::EISDIR) => Skip::Missing,
            _ => Skip::Unreadable(e.to_string()),
        })?;
    let meta = file
        .metadata()
        .map_err(|e| Skip::Unreadable(e.to_string()))?;
    if meta.is_dir() {
        return Err(Skip::Missing);
    }
    if !meta.is_file() {
        return Err(Skip::NotRegular);
    }
    if meta.len() > MAX_BYTES {
        return Err(Skip::TooLarge(meta.len()));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    // The file may grow between fstat and read: never past the cap.
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Skip::Unreadable(e.to_string()))?;
    if buf.len() as u64 > MAX_BYTES {
        return Err(Skip::TooLarge(buf.len() as u64));
    }
    Ok(match String::from_utf8(buf) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_files_are_skipped_without_blocking() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(read_text(&d.path().join("none")), Err(Skip::Missing));
        assert_eq!(read_text(d.path()), Err(Skip::Missing));
        let fifo = d.path().join("fifo");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::from(0o600)).unwrap();
        assert_eq!(read_text(&fifo), Err(Skip::NotRegular));
        let big = d.path().join("big");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_BYTES + 1).unwrap();
        assert_eq!(read_text(&big), Err(Skip::TooLarge(MAX_BYTES + 1)));
        let bad = d.path().join("bad.md");
        std::fs::write(&bad, b"ok \xff\xfe end").unwrap();
        assert_eq!(read_text(&bad).unwrap(), "ok \u{fffd}\u{fffd} end");
        assert!(read_text(Path::new("/dev/null")).is_err());
    }
}
