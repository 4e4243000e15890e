//! File system helpers of the leaf layer: atomic writes, non-blocking opens of regular files,
//! and ccrs's temp files.

pub mod open;
pub mod temp;

pub use open::{OpenError, SpecialKind, open_nonblocking, open_regular, read_regular};

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use temp::TempName;

/// Bytes written between two cancellation checks.
const WRITE_CHUNK: usize = 4 << 20;

/// Writes `data` to `path` atomically: a temp file in the same directory, fsync, rename.
///
/// An existing file keeps its permission bits; a new file gets `new_mode` (or 0644 minus umask
/// when `None`). The temp file is created with the final mode from the first byte, so a secret
/// is never briefly readable by others. Its name is recognisably ccrs's ([`temp`]), so that one
/// left behind by a killed process can be removed safely later.
pub fn atomic_write(path: &Path, data: &[u8], new_mode: Option<u32>) -> io::Result<()> {
    atomic_write_cancellable(path, data, new_mode, &|| false)
}

/// [`atomic_write`] that gives up (removing its temp file, leaving the target untouched) when
/// `cancelled` returns true between chunks; the error is then [`io::ErrorKind::Interrupted`].
pub fn atomic_write_cancellable(
    path: &Path,
    data: &[u8],
    new_mode: Option<u32>,
    cancelled: &dyn Fn() -> bool,
) -> io::Result<()> {
    let dir = temp::parent_dir(path);
    let existing_mode = fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777);
    let mode = existing_mode.or(new_mode).unwrap_or(0o666);
    let target_name = path.file_name().unwrap_or_default();
    let mut attempt = 0u32;
    let (tmp_path, entry, mut file) = loop {
        let name = TempName::new(target_name);
        let tmp = dir.join(name.file_name());
        let entry = temp::journal_add(&tmp, &name);
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
        {
            Ok(f) => break (tmp, entry, f),
            Err(e) => {
                temp::journal_remove(entry);
                if e.kind() == io::ErrorKind::AlreadyExists && attempt < 5 {
                    attempt += 1;
                } else {
                    return Err(e);
                }
            }
        }
    };
    let result = (|| {
        for chunk in data.chunks(WRITE_CHUNK) {
            if cancelled() {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
            }
            file.write_all(chunk)?;
        }
        // `mode` was filtered by the umask at creation; an existing file's bits are restored
        // exactly.
        if let Some(m) = existing_mode {
            file.set_permissions(fs::Permissions::from_mode(m))?;
        }
        file.sync_all()?;
        drop(file);
        if cancelled() {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
        }
        fs::rename(&tmp_path, path)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp_path);
    }
    temp::journal_remove(entry);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_keeps_mode() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.sh");
        atomic_write(&p, b"one", None).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"one");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o751)).unwrap();
        atomic_write(&p, b"two", None).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o751
        );
        // No temp files left behind.
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn cancelled_write_leaves_the_target_and_no_temp() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.txt");
        fs::write(&p, "old").unwrap();
        let calls = std::cell::Cell::new(0);
        let cancel_second = || {
            calls.set(calls.get() + 1);
            calls.get() > 1
        };
        let data = vec![b'x'; WRITE_CHUNK * 2];
        let e = atomic_write_cancellable(&p, &data, None, &cancel_second).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::Interrupted);
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn new_secret_file_is_private() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("creds.json");
        atomic_write(&p, b"{}", Some(0o600)).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn missing_directory_is_an_error_not_a_panic() {
        let d = tempfile::tempdir().unwrap();
        assert!(atomic_write(&d.path().join("no/such/dir/f"), b"x", None).is_err());
    }
}
