//! The credential store: `$XDG_CONFIG_HOME/claude-code-rs/credentials.json`.
//!
//! `{"oauth": {"access_token", "refresh_token", "expires_at": <unix ms>, "scopes": [..]}}` or
//! `{"api_key": "sk-ant-…"}`. The directory is created 0700 and the file 0600 from its first
//! byte; every write is made under an exclusive lock on `credentials.json.lock` and is durable
//! before it returns: a temp file `.credentials.json.new-*` is written and fsynced, renamed over
//! the store, and the directory fsynced. Readers need no lock: a rename is atomic.
//!
//! A process killed between its fsync and its rename leaves a complete temp file holding the
//! newest login (a rotated refresh token the server has already spent the old one for): the
//! next [`load`](CredentialStore::load) takes the lock and installs it if it is newer than the
//! store, and removes temp files of dead writers. A store that cannot be parsed is moved aside
//! to `credentials.json.corrupt-<ms>` (kept, never deleted) and reported as [`MovedAside`], so
//! the front end can offer a new login.

use super::{AuthError, CredentialSource};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Claude-account tokens.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthTokens {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Unix milliseconds; `None` when the server gave no lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl OAuthTokens {
    /// True when the access token expires within `margin` of `now_ms` (or already has).
    pub fn expires_within(&self, margin: Duration, now_ms: u64) -> bool {
        self.expires_at
            .is_some_and(|e| e <= now_ms.saturating_add(margin.as_millis() as u64))
    }
}

impl std::fmt::Debug for OAuthTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthTokens")
            .field("access_token", &"***")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// What the store holds.
#[derive(Clone, PartialEq, Eq)]
pub enum StoredCredential {
    ApiKey(String),
    OAuth(OAuthTokens),
}

impl StoredCredential {
    pub fn source(&self) -> CredentialSource {
        match self {
            StoredCredential::ApiKey(_) => CredentialSource::StoredApiKey,
            StoredCredential::OAuth(_) => CredentialSource::StoredOAuth,
        }
    }

    /// "an API key" / "a Claude account login (OAuth)", for messages.
    pub fn describe(&self) -> &'static str {
        match self {
            StoredCredential::ApiKey(_) => "an API key",
            StoredCredential::OAuth(_) => "a Claude account login (OAuth)",
        }
    }
}

impl std::fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoredCredential::ApiKey(_) => f.write_str("ApiKey(***)"),
            StoredCredential::OAuth(t) => f.debug_tuple("OAuth").field(t).finish(),
        }
    }
}

#[derive(Default, Serialize, Deserialize)]
struct StoreFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    oauth: Option<OAuthTokens>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_key: Option<String>,
    /// Keys a newer ccrs may have written; kept on rewrite.
    #[serde(flatten)]
    other: serde_json::Map<String, serde_json::Value>,
}

impl StoreFile {
    fn credential(&self) -> Option<StoredCredential> {
        // Only one is ever written; if a hand edit left both, the API key (the recommended
        // way) wins.
        if let Some(k) = self.api_key.as_ref().filter(|k| !k.trim().is_empty()) {
            return Some(StoredCredential::ApiKey(k.trim().to_string()));
        }
        self.oauth
            .as_ref()
            .filter(|t| !t.access_token.is_empty())
            .map(|t| StoredCredential::OAuth(t.clone()))
    }
}

/// A store file that could not be parsed, kept under another name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovedAside {
    pub path: PathBuf,
    pub moved_to: PathBuf,
    /// Why it could not be used (the parse error).
    pub reason: String,
}

/// A read of the store.
#[derive(Debug, Default)]
pub struct Loaded {
    pub credential: Option<StoredCredential>,
    /// Things the user should hear about (e.g. permissions that were fixed).
    pub warnings: Vec<String>,
    /// The store was corrupt and has been moved aside (nothing was loaded).
    pub moved_aside: Option<MovedAside>,
}

/// Why a read failed.
enum ReadError {
    Auth(AuthError),
    /// The file exists but is not a store (bad JSON, wrong types).
    Corrupt(String),
}

/// How long a reader waits for the lock to repair the store (recover a temp file, move a
/// corrupt file aside) before it reads without repairing.
const REPAIR_WAIT: Duration = Duration::from_secs(10);

/// The result of a write.
#[derive(Debug, Default)]
pub struct Saved {
    /// Where an unreadable or corrupt previous file was moved.
    pub moved_aside: Option<PathBuf>,
    pub warnings: Vec<String>,
}

/// What `remove` removed.
#[derive(Debug)]
pub enum Removed {
    Nothing,
    Credential(StoredCredential),
    /// The file could not be read; it was moved here rather than deleted.
    MovedAside(PathBuf),
}

/// An exclusive lock on the store; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

/// How long to wait for another process holding the lock (it holds it at most for a refresh).
pub const LOCK_WAIT: Duration = Duration::from_secs(120);

#[derive(Clone, Debug)]
pub struct CredentialStore {
    path: PathBuf,
}

impl CredentialStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CredentialStore { path: path.into() }
    }

    /// `ccrs_config_dir()/credentials.json`.
    pub fn default_path() -> PathBuf {
        crate::paths::ccrs_config_dir().join("credentials.json")
    }

    pub fn at_default() -> Self {
        CredentialStore::new(Self::default_path())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn lock_path(&self) -> PathBuf {
        sibling(&self.path, ".lock")
    }

    fn err(&self, message: impl Into<String>) -> AuthError {
        AuthError::Store {
            path: self.path.display().to_string(),
            message: message.into(),
        }
    }

    /// Where the stored credential comes from, without fixing anything or reporting errors
    /// (for the start-up banner and `apiKeySource`).
    pub fn peek(&self) -> CredentialSource {
        fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice::<StoreFile>(&b).ok())
            .and_then(|f| f.credential())
            .map_or(CredentialSource::None, |c| c.source())
    }

    /// The stored credential, read without repairing or reporting anything (`ccrs doctor`).
    pub fn peek_credential(&self) -> Option<StoredCredential> {
        fs::read(&self.path)
            .ok()
            .and_then(|b| self.peek_file(&b).ok().flatten())
    }

    /// Parses store file contents as [`load`](Self::load) would: `Err` with the reason when
    /// they are corrupt.
    pub fn peek_file(&self, bytes: &[u8]) -> Result<Option<StoredCredential>, String> {
        serde_json::from_slice::<StoreFile>(bytes)
            .map(|f| f.credential())
            .map_err(|e| e.to_string())
    }

    /// Reads the store. A missing file is `Ok` with no credential; a file readable by others
    /// is fixed to 0600 (with a warning) or refused; an unreadable file is an error. Repairs
    /// what a killed or broken writer left (see the module docs) under the lock first.
    pub fn load(&self) -> Result<Loaded, AuthError> {
        if self.temp_files().is_empty() {
            match self.read_file() {
                Ok((file, warnings)) => {
                    return Ok(Loaded {
                        credential: file.and_then(|f| f.credential()),
                        warnings,
                        moved_aside: None,
                    });
                }
                Err(ReadError::Auth(e)) => return Err(e),
                Err(ReadError::Corrupt(_)) => {}
            }
        }
        match self.lock_blocking(REPAIR_WAIT) {
            Ok(lock) => self.load_locked(&lock),
            // Someone holds the lock for long: read without repairing.
            Err(_) => match self.read_file() {
                Ok((file, warnings)) => Ok(Loaded {
                    credential: file.and_then(|f| f.credential()),
                    warnings,
                    moved_aside: None,
                }),
                Err(ReadError::Auth(e)) => Err(e),
                Err(ReadError::Corrupt(reason)) => Err(self.err(format!(
                    "is corrupt ({reason}); run `ccrs login` to log in again"
                ))),
            },
        }
    }

    /// [`load`](Self::load) for a holder of the lock: recovers a complete temp file a killed
    /// writer left, removes dead writers' temp files, and moves a corrupt store aside.
    pub fn load_locked(&self, lock: &StoreLock) -> Result<Loaded, AuthError> {
        let mut warnings = Vec::new();
        warnings.extend(self.recover(lock));
        match self.read_file() {
            Ok((file, w)) => {
                warnings.extend(w);
                Ok(Loaded {
                    credential: file.and_then(|f| f.credential()),
                    warnings,
                    moved_aside: None,
                })
            }
            Err(ReadError::Auth(e)) => Err(e),
            Err(ReadError::Corrupt(reason)) => {
                let moved_to = self.move_aside()?;
                Ok(Loaded {
                    credential: None,
                    warnings,
                    moved_aside: Some(MovedAside {
                        path: self.path.clone(),
                        moved_to,
                        reason,
                    }),
                })
            }
        }
    }

    /// Temp files of this store's writers (`.credentials.json.new-*`, and the
    /// `.credentials.json.ccrs-tmp-*` of ccrs versions that used the generic atomic write):
    /// regular files only, never symlinks.
    fn temp_files(&self) -> Vec<PathBuf> {
        let (Some(dir), Some(name)) = (self.path.parent(), self.path.file_name()) else {
            return Vec::new();
        };
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let name = name.to_string_lossy();
        let prefixes = [format!(".{name}.new-"), format!(".{name}.ccrs-tmp-")];
        let Ok(entries) = fs::read_dir(dir) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter(|e| {
                let n = e.file_name();
                let n = n.to_string_lossy();
                prefixes.iter().any(|p| n.starts_with(p.as_str()))
                    && e.file_type().is_ok_and(|t| t.is_file())
            })
            .map(|e| e.path())
            .collect()
    }

    /// Under the lock every temp file is a dead writer's. The newest complete one is installed
    /// when it is newer than the store (or the store is missing or corrupt); the rest are
    /// removed. Returns a warning when a login was recovered.
    fn recover(&self, _lock: &StoreLock) -> Option<String> {
        let mtime = |p: &Path| fs::symlink_metadata(p).and_then(|m| m.modified()).ok();
        let mut best: Option<(std::time::SystemTime, PathBuf)> = None;
        for t in self.temp_files() {
            let complete = fs::read(&t)
                .ok()
                .and_then(|b| serde_json::from_slice::<StoreFile>(&b).ok())
                .is_some_and(|f| f.credential().is_some());
            match (complete, mtime(&t)) {
                (true, Some(m)) if best.as_ref().is_none_or(|(bm, _)| m > *bm) => {
                    if let Some((_, old)) = best.replace((m, t)) {
                        let _ = fs::remove_file(old);
                    }
                }
                _ => {
                    let _ = fs::remove_file(&t);
                }
            }
        }
        let (when, temp) = best?;
        let store_ok = fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice::<StoreFile>(&b).ok())
            .is_some_and(|f| f.credential().is_some());
        if store_ok && mtime(&self.path).is_some_and(|m| m >= when) {
            let _ = fs::remove_file(&temp);
            return None;
        }
        if fs::rename(&temp, &self.path).is_err() {
            return None;
        }
        sync_dir(&self.path);
        Some(format!(
            "recovered a login that a ccrs process saved in {} just before it was stopped",
            temp.display()
        ))
    }

    /// [`load`](Self::load)'s read: the parsed file (`None` when there is none) and warnings.
    fn read_file(&self) -> Result<(Option<StoreFile>, Vec<String>), ReadError> {
        let mut warnings = Vec::new();
        let meta = match fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((None, warnings)),
            Err(e) => return Err(ReadError::Auth(self.err(format!("cannot be read ({e})")))),
        };
        let mode = meta.permissions().mode() & 0o777;
        if let Some(w) = self
            .fix_mode(mode, |p| {
                fs::set_permissions(p, fs::Permissions::from_mode(0o600))
            })
            .map_err(ReadError::Auth)?
        {
            warnings.push(w);
        }
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            // Removed between stat and read: treat as logged out.
            Err(_) if !self.path.exists() => return Ok((None, warnings)),
            Err(e) => {
                return Err(ReadError::Auth(self.err(format!(
                    "cannot be read ({e}); run `ccrs login` to replace it"
                ))));
            }
        };
        let file: StoreFile =
            serde_json::from_slice(&bytes).map_err(|e| ReadError::Corrupt(e.to_string()))?;
        Ok((Some(file), warnings))
    }

    /// Makes a store readable by others private (a warning) or refuses it if that fails.
    fn fix_mode(
        &self,
        mode: u32,
        chmod: impl FnOnce(&Path) -> io::Result<()>,
    ) -> Result<Option<String>, AuthError> {
        if mode & 0o077 == 0 {
            return Ok(None);
        }
        match chmod(&self.path) {
            Ok(()) => Ok(Some(format!(
                "{} was readable by other users (mode {mode:04o}); its mode is now 0600",
                self.path.display()
            ))),
            Err(e) => Err(self.err(format!(
                "is readable by other users (mode {mode:04o}) and its permissions cannot be \
                 fixed ({e}); run `chmod 600 {}`",
                self.path.display()
            ))),
        }
    }

    fn ensure_dir(&self) -> Result<(), AuthError> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => return Ok(()),
        };
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| self.err(format!("cannot create {} ({e})", dir.display())))
    }

    fn open_lock_file(&self) -> Result<File, AuthError> {
        self.ensure_dir()?;
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(self.lock_path())
            .map_err(|e| {
                self.err(format!(
                    "cannot open the lock file {} ({e})",
                    self.lock_path().display()
                ))
            })
    }

    fn try_lock_file(&self, f: &File) -> Result<bool, AuthError> {
        match f.try_lock() {
            Ok(()) => Ok(true),
            Err(fs::TryLockError::WouldBlock) => Ok(false),
            Err(fs::TryLockError::Error(e)) => {
                Err(self.err(format!("cannot lock {} ({e})", self.lock_path().display())))
            }
        }
    }

    fn lock_timeout(&self) -> AuthError {
        self.err(format!(
            "another ccrs process has held {} for over {}s; try again (or remove that process)",
            self.lock_path().display(),
            LOCK_WAIT.as_secs()
        ))
    }

    /// Takes the exclusive lock, waiting (without blocking the runtime) up to `wait`.
    pub async fn lock(&self, wait: Duration) -> Result<StoreLock, AuthError> {
        let f = self.open_lock_file()?;
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(2);
        loop {
            if self.try_lock_file(&f)? {
                return Ok(StoreLock { _file: f });
            }
            if Instant::now() >= deadline {
                return Err(self.lock_timeout());
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Takes the exclusive lock from synchronous code (login, logout), waiting up to `wait`.
    pub fn lock_blocking(&self, wait: Duration) -> Result<StoreLock, AuthError> {
        let f = self.open_lock_file()?;
        let deadline = Instant::now() + wait;
        let mut pause = Duration::from_millis(2);
        loop {
            if self.try_lock_file(&f)? {
                return Ok(StoreLock { _file: f });
            }
            if Instant::now() >= deadline {
                return Err(self.lock_timeout());
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Moves an unreadable or corrupt store aside (never deletes it).
    fn move_aside(&self) -> Result<PathBuf, AuthError> {
        let aside = sibling(
            &self.path,
            &format!(".corrupt-{}", crate::timeutil::now_ms()),
        );
        fs::rename(&self.path, &aside).map_err(|e| {
            self.err(format!(
                "cannot be read and cannot be moved aside ({e}); remove it by hand"
            ))
        })?;
        Ok(aside)
    }

    /// Writes `cred` (replacing whatever was stored) atomically, mode 0600. Needs the lock.
    /// A previous file that cannot be read is moved aside first; unknown keys of a readable
    /// one are kept.
    pub fn save(&self, _lock: &StoreLock, cred: &StoredCredential) -> Result<Saved, AuthError> {
        self.ensure_dir()?;
        let mut saved = Saved::default();
        let mut file = StoreFile::default();
        if self.path.exists() {
            match self.read_file() {
                Ok((prev, warnings)) => {
                    saved.warnings = warnings;
                    if let Some(prev) = prev {
                        file.other = prev.other;
                    }
                }
                Err(_) => saved.moved_aside = Some(self.move_aside()?),
            }
        }
        // Whatever dead writers left is superseded by this write.
        for t in self.temp_files() {
            let _ = fs::remove_file(t);
        }
        match cred {
            StoredCredential::ApiKey(k) => file.api_key = Some(k.clone()),
            StoredCredential::OAuth(t) => file.oauth = Some(t.clone()),
        }
        let mut data = serde_json::to_vec_pretty(&file)
            .map_err(|e| self.err(format!("cannot encode ({e})")))?;
        data.push(b'\n');
        self.write_durably(&data)
            .map_err(|e| self.err(format!("cannot be written ({e})")))?;
        Ok(saved)
    }

    /// Writes `data` as the store: a 0600 temp file, fsync, rename, fsync of the directory. When
    /// this returns, the new content survives a crash or power loss.
    fn write_durably(&self, data: &[u8]) -> io::Result<()> {
        use std::io::Write;
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = self.path.with_file_name(format!(
            ".{name}.new-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let result = (|| {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            // The umask cannot widen 0600, but a umask of 0o7xx could narrow it to nothing.
            f.set_permissions(fs::Permissions::from_mode(0o600))?;
            f.write_all(data)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, &self.path)?;
            sync_dir(&self.path);
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Removes the stored credential. Needs the lock. A file that cannot be read is moved
    /// aside instead of deleted.
    pub fn remove(&self, lock: &StoreLock) -> Result<Removed, AuthError> {
        let loaded = match self.load_locked(lock) {
            Ok(l) => l,
            Err(_) if self.path.exists() => return Ok(Removed::MovedAside(self.move_aside()?)),
            Err(e) => return Err(e),
        };
        if let Some(m) = loaded.moved_aside {
            return Ok(Removed::MovedAside(m.moved_to));
        }
        if !self.path.exists() {
            return Ok(Removed::Nothing);
        }
        fs::remove_file(&self.path).map_err(|e| self.err(format!("cannot be removed ({e})")))?;
        sync_dir(&self.path);
        Ok(match loaded.credential {
            Some(c) => Removed::Credential(c),
            None => Removed::Nothing,
        })
    }

    /// Takes the lock and saves: what `ccrs login` does once it has a credential.
    pub fn login_save(&self, cred: &StoredCredential) -> Result<Saved, AuthError> {
        let lock = self.lock_blocking(LOCK_WAIT)?;
        self.save(&lock, cred)
    }

    /// Takes the lock and removes: `ccrs logout`.
    pub fn logout(&self) -> Result<Removed, AuthError> {
        let lock = self.lock_blocking(LOCK_WAIT)?;
        self.remove(&lock)
    }
}

/// Fsyncs the directory of `path`, so a rename in it is durable.
fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Arc, Barrier};

    fn tokens(a: &str, r: &str) -> OAuthTokens {
        OAuthTokens {
            access_token: a.into(),
            refresh_token: Some(r.into()),
            expires_at: Some(1_700_000_000_000),
            scopes: vec!["user:inference".into()],
        }
    }

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn missing_store_is_empty_not_an_error() {
        let d = tempfile::tempdir().unwrap();
        let s = CredentialStore::new(d.path().join("x/credentials.json"));
        let l = s.load().unwrap();
        assert!(l.credential.is_none());
        assert_eq!(s.peek(), CredentialSource::None);
    }

    #[test]
    fn save_creates_private_dir_and_file_and_round_trips() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("cfg/claude-code-rs");
        let s = CredentialStore::new(dir.join("credentials.json"));
        let lock = s.lock_blocking(LOCK_WAIT).unwrap();
        let c = StoredCredential::OAuth(tokens("at", "rt"));
        s.save(&lock, &c).unwrap();
        drop(lock);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(s.path()), 0o600);
        assert_eq!(mode(&s.lock_path()), 0o600);
        assert_eq!(s.load().unwrap().credential, Some(c));
        assert_eq!(s.peek(), CredentialSource::StoredOAuth);
        let v: serde_json::Value = serde_json::from_slice(&fs::read(s.path()).unwrap()).unwrap();
        assert_eq!(v["oauth"]["access_token"], "at");
        assert_eq!(v["oauth"]["refresh_token"], "rt");
        assert_eq!(v["oauth"]["expires_at"], 1_700_000_000_000u64);
        assert_eq!(v["oauth"]["scopes"][0], "user:inference");
        assert!(v.get("api_key").is_none());

        // Logging in with an API key replaces the OAuth login.
        s.login_save(&StoredCredential::ApiKey("sk-ant-api03-x".into()))
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&fs::read(s.path()).unwrap()).unwrap();
        assert_eq!(v, serde_json::json!({"api_key": "sk-ant-api03-x"}));
        assert_eq!(s.peek(), CredentialSource::StoredApiKey);
    }

    #[test]
    fn unknown_keys_survive_a_rewrite() {
        let d = tempfile::tempdir().unwrap();
        let s = CredentialStore::new(d.path().join("credentials.json"));
        crate::fsutil::atomic_write(
            s.path(),
            br#"{"api_key":"sk-ant-1","future":{"x":1}}"#,
            Some(0o600),
        )
        .unwrap();
        s.login_save(&StoredCredential::OAuth(tokens("a", "r")))
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&fs::read(s.path()).unwrap()).unwrap();
        assert_eq!(v["future"]["x"], 1);
        assert_eq!(v["oauth"]["access_token"], "a");
    }

    #[test]
    fn loose_permissions_are_fixed_with_a_warning() {
        let d = tempfile::tempdir().unwrap();
        let s = CredentialStore::new(d.path().join("credentials.json"));
        fs::write(s.path(), br#"{"api_key":"sk-ant-1"}"#).unwrap();
        fs::set_permissions(s.path(), fs::Permissions::from_mode(0o644)).unwrap();
        let l = s.load().unwrap();
        assert_eq!(
            l.credential,
            Some(StoredCredential::ApiKey("sk-ant-1".into()))
        );
        assert_eq!(l.warnings.len(), 1);
        assert!(l.warnings[0].contains("0644"), "{:?}", l.warnings);
        assert_eq!(mode(s.path()), 0o600);
        // Second read: nothing to fix.
        assert!(s.load().unwrap().warnings.is_empty());
    }

    #[test]
    fn a_corrupt_store_is_moved_aside_and_reported() {
        let d = tempfile::tempdir().unwrap();
        let s = CredentialStore::new(d.path().join("credentials.json"));
        fs::write(s.path(), b"{not json").unwrap();
        assert_eq!(s.peek(), CredentialSource::None);
        let l = s.load().unwrap();
        assert!(l.credential.is_none());
        let m = l.moved_aside.unwrap();
        assert_eq!(m.path, s.path());
        assert!(m.reason.contains("line 1"), "{}", m.reason);
        assert!(
            m.moved_to
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("credentials.json.corrupt-")
        );
        // Kept, never deleted; the store is free for a new login.
        assert_eq!(fs::read(&m.moved_to).unwrap(), b"{not json");
        assert!(!s.path().exists());
        s.login_save(&StoredCredential::ApiKey("sk-ant-2".into()))
            .unwrap();
        assert_eq!(
            s.load().unwrap().credential,
            Some(StoredCredential::ApiKey("sk-ant-2".into()))
        );
        // A save over a corrupt file (written while this process ran) moves it aside too.
        fs::write(s.path(), b"[]").unwrap();
        let saved = s
            .login_save(&StoredCredential::ApiKey("sk-ant-3".into()))
            .unwrap();
        assert_eq!(fs::read(saved.moved_aside.unwrap()).unwrap(), b"[]");
    }

    /// A temp file as a writer killed after its fsync (before its rename) leaves it.
    fn leave_temp(s: &CredentialStore, tag: &str, body: &[u8], age_secs: u64) -> PathBuf {
        let t = s
            .path()
            .with_file_name(format!(".credentials.json.new-{tag}"));
        fs::write(&t, body).unwrap();
        age(&t, age_secs);
        t
    }

    fn age(p: &Path, secs: u64) {
        let when = std::time::SystemTime::now() - Duration::from_secs(secs);
        File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(when)
            .unwrap();
    }

    #[test]
    fn a_complete_newer_temp_file_is_recovered_and_dead_ones_removed() {
        let d = tempfile::tempdir().unwrap();
        let s = CredentialStore::new(d.path().join("credentials.json"));
        s.login_save(&StoredCredential::OAuth(tokens("old-a", "old-r")))
            .unwrap();
        age(s.path(), 60);
        let newer = serde_json::to_vec(&serde_json::json!({"oauth": {
            "access_token": "new-a", "refresh_token": "new-r", "expires_at": 1, "scopes": []}}))
        .unwrap();
        leave_temp(&s, "1-a", &newer, 10);
        let cut = leave_temp(&s, "2-b", &newer[..newer.len() / 2], 5);
        let older = leave_temp(&s, "3-c", br#"{"api_key":"sk-ant-older"}"#, 30);
        // A symlink with the same prefix is not ours to touch.
        let link = s.path().with_file_name(".credentials.json.new-link");
        std::os::unix::fs::symlink(d.path().join("elsewhere"), &link).unwrap();
        let l = s.load().unwrap();
        match l.credential {
            Some(StoredCredential::OAuth(t)) => {
                assert_eq!(t.refresh_token.as_deref(), Some("new-r"))
            }
            other => panic!("{other:?}"),
        }
        assert!(
            l.warnings.iter().any(|w| w.contains("recovered")),
            "{:?}",
            l.warnings
        );
        assert!(!cut.exists() && !older.exists());
        assert!(fs::symlink_metadata(&link).is_ok());
        assert_eq!(mode(s.path()), 0o600);
        // Nothing left to recover: the next read changes nothing.
        assert!(s.load().unwrap().warnings.is_empty());
    }

    #[test]
    fn an_older_temp_file_never_replaces_the_store() {
        let d = tempfile::tempdir().unwrap();
        let s = CredentialStore::new(d.path().join("credentials.json"));
        s.login_save(&StoredCredential::ApiKey("sk-ant-current".into()))
            .unwrap();
        let stale = leave_temp(&s, "9-z", br#"{"api_key":"sk-ant-stale"}"#, 3600);
        assert_eq!(
            s.load().unwrap().credential,
            Some(StoredCredential::ApiKey("sk-ant-current".into()))
        );
        assert!(!stale.exists(), "a dead writer's temp file is removed");
        // A temp file next to no store at all is the login.
        fs::remove_file(s.path()).unwrap();
        leave_temp(&s, "8-y", br#"{"api_key":"sk-ant-only"}"#, 3600);
        assert_eq!(
            s.load().unwrap().credential,
            Some(StoredCredential::ApiKey("sk-ant-only".into()))
        );
    }

    #[test]
    fn logout_removes_and_reports() {
        let d = tempfile::tempdir().unwrap();
        let s = CredentialStore::new(d.path().join("credentials.json"));
        assert!(matches!(s.logout().unwrap(), Removed::Nothing));
        s.login_save(&StoredCredential::OAuth(tokens("a", "r")))
            .unwrap();
        match s.logout().unwrap() {
            Removed::Credential(StoredCredential::OAuth(t)) => assert_eq!(t.access_token, "a"),
            other => panic!("unexpected {other:?}"),
        }
        assert!(!s.path().exists());
        // A corrupt file is moved aside, not deleted.
        fs::write(s.path(), b"garbage").unwrap();
        match s.logout().unwrap() {
            Removed::MovedAside(p) => assert_eq!(fs::read(p).unwrap(), b"garbage"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn debug_never_shows_secrets() {
        let t = tokens("sk-ant-oat01-SECRET", "sk-ant-ort01-SECRET");
        let s = format!(
            "{:?} {:?}",
            StoredCredential::OAuth(t),
            StoredCredential::ApiKey("sk-ant-SECRET".into())
        );
        assert!(!s.contains("SECRET"), "{s}");
    }

    #[test]
    fn expiry_margin() {
        let t = tokens("a", "r");
        let e = t.expires_at.unwrap();
        assert!(t.expires_within(Duration::from_secs(300), e - 1000));
        assert!(!t.expires_within(Duration::from_secs(300), e - 301_000));
        assert!(t.expires_within(Duration::ZERO, e + 1));
        let never = OAuthTokens {
            expires_at: None,
            ..t
        };
        assert!(!never.expires_within(Duration::from_secs(300), u64::MAX));
    }

    #[test]
    fn lock_is_exclusive_across_threads() {
        let d = tempfile::tempdir().unwrap();
        let s = Arc::new(CredentialStore::new(d.path().join("credentials.json")));
        let inside = Arc::new(AtomicU32::new(0));
        let max_inside = Arc::new(AtomicU32::new(0));
        let barrier = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let (s, inside, max_inside, barrier) = (
                    s.clone(),
                    inside.clone(),
                    max_inside.clone(),
                    barrier.clone(),
                );
                std::thread::spawn(move || {
                    barrier.wait();
                    for j in 0..10 {
                        let lock = s.lock_blocking(LOCK_WAIT).unwrap();
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        max_inside.fetch_max(now, Ordering::SeqCst);
                        // A read-modify-write that would lose updates without the lock.
                        let n = match s.load().unwrap().credential {
                            Some(StoredCredential::ApiKey(k)) => {
                                k.trim_start_matches("sk-ant-").parse::<u32>().unwrap()
                            }
                            _ => 0,
                        };
                        std::thread::sleep(Duration::from_micros(200 + (i * 10 + j) as u64));
                        s.save(
                            &lock,
                            &StoredCredential::ApiKey(format!("sk-ant-{}", n + 1)),
                        )
                        .unwrap();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(max_inside.load(Ordering::SeqCst), 1);
        assert_eq!(
            s.load().unwrap().credential,
            Some(StoredCredential::ApiKey("sk-ant-80".into()))
        );
    }

    #[tokio::test]
    async fn async_lock_waits_for_the_holder_and_times_out() {
        let d = tempfile::tempdir().unwrap();
        let s = CredentialStore::new(d.path().join("credentials.json"));
        let held = s.lock_blocking(LOCK_WAIT).unwrap();
        let e = s.lock(Duration::from_millis(100)).await.unwrap_err();
        assert!(e.to_string().contains("another ccrs process"), "{e}");
        let s2 = s.clone();
        let waiter = tokio::spawn(async move { s2.lock(Duration::from_secs(10)).await.is_ok() });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished());
        drop(held);
        assert!(waiter.await.unwrap());
    }

    #[test]
    fn unfixable_permissions_are_refused() {
        let s = CredentialStore::new("/nowhere/credentials.json");
        assert!(
            s.fix_mode(0o600, |_| panic!("no chmod needed"))
                .unwrap()
                .is_none()
        );
        let e = s
            .fix_mode(0o640, |_| {
                Err(io::Error::from(io::ErrorKind::PermissionDenied))
            })
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("readable by other users (mode 0640)") && e.contains("chmod 600"),
            "{e}"
        );
    }
}
