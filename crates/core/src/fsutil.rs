//! File writes that never leave a half-written file behind.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Writes `data` to `path` atomically: a temp file in the same directory, fsync, rename.
///
/// An existing file keeps its permission bits; a new file gets `new_mode` (or 0644 minus umask
/// when `None`). The temp file is created with the final mode from the first byte, so a secret
/// is never briefly readable by others.
pub fn atomic_write(path: &Path, data: &[u8], new_mode: Option<u32>) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let existing_mode = fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777);
    let mode = existing_mode.or(new_mode).unwrap_or(0o666);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut attempt = 0u32;
    let (tmp_path, mut file) = loop {
        let tmp = dir.join(format!(
            ".{name}.ccrs-tmp-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 5 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        file.write_all(data)?;
        // `mode` was filtered by the umask at creation; an existing file's bits are restored
        // exactly.
        if let Some(m) = existing_mode {
            file.set_permissions(fs::Permissions::from_mode(m))?;
        }
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp_path, path)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp_path);
    }
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
