//! The credential store: `$XDG_CONFIG_HOME/claude-code-rs/credentials.json`.
//!
//! `{"oauth": {"access_token", "refresh_token", "expires_at": <unix ms>, "scopes": [..]}}` or
//! `{"api_key": "sk-ant-…"}`. The directory is created 0700 and the file 0600 from its first
//! byte; every write is atomic (temp file + rename) and made under an exclusive lock on
//! `credentials.json.lock`, so concurrent ccrs processes never lose a rotated refresh token.
//! Readers need no lock: a rename is atomic.

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

/// A read of the store.
#[derive(Debug, Default)]
pub struct Loaded {
    pub credential: Option<StoredCredential>,
    /// Things the user should hear about (e.g. permissions that were fixed).
    pub warnings: Vec<String>,
}

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

    /// Reads the store. A missing file is `Ok` with no credential; a file readable by others
    /// is fixed to 0600 (with a warning) or refused; an unreadable or corrupt file is a clear
    /// error telling the user to log in again.
    pub fn load(&self) -> Result<Loaded, AuthError> {
        let (file, warnings) = self.read_file()?;
        Ok(Loaded {
            credential: file.and_then(|f| f.credential()),
            warnings,
        })
    }

    /// [`load`](Self::load)'s read: the parsed file (`None` when there is none) and warnings.
    fn read_file(&self) -> Result<(Option<StoreFile>, Vec<String>), AuthError> {
        let mut warnings = Vec::new();
        let meta = match fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((None, warnings)),
            Err(e) => return Err(self.err(format!("cannot be read ({e})"))),
        };
        let mode = meta.permissions().mode() & 0o777;
        if let Some(w) = self.fix_mode(mode, |p| {
            fs::set_permissions(p, fs::Permissions::from_mode(0o600))
        })? {
            warnings.push(w);
        }
        let bytes = fs::read(&self.path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => self.err("disappeared while being read"),
            _ => self.err(format!(
                "cannot be read ({e}); run `ccrs login` to replace it"
            )),
        });
        let bytes = match bytes {
            Ok(b) => b,
            // Removed between stat and read: treat as logged out.
            Err(_) if !self.path.exists() => return Ok((None, warnings)),
            Err(e) => return Err(e),
        };
        let file: StoreFile = serde_json::from_slice(&bytes).map_err(|e| {
            self.err(format!(
                "is corrupt ({e}); run `ccrs login` to log in again (the old file will be kept \
                 as {}.corrupt-<time>)",
                self.path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ))
        })?;
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
        match cred {
            StoredCredential::ApiKey(k) => file.api_key = Some(k.clone()),
            StoredCredential::OAuth(t) => file.oauth = Some(t.clone()),
        }
        let mut data = serde_json::to_vec_pretty(&file)
            .map_err(|e| self.err(format!("cannot encode ({e})")))?;
        data.push(b'\n');
        crate::fsutil::atomic_write(&self.path, &data, Some(0o600))
            .map_err(|e| self.err(format!("cannot be written ({e})")))?;
        // `atomic_write` keeps an existing file's mode; `load` above made it 0600 already, but
        // check rather than trust.
        let mode = fs::metadata(&self.path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        if mode & 0o077 != 0 {
            fs::set_permissions(&self.path, fs::Permissions::from_mode(0o600))
                .map_err(|e| self.err(format!("cannot be made private ({e})")))?;
        }
        Ok(saved)
    }

    /// Removes the stored credential. Needs the lock. A file that cannot be read is moved
    /// aside instead of deleted.
    pub fn remove(&self, _lock: &StoreLock) -> Result<Removed, AuthError> {
        if !self.path.exists() {
            return Ok(Removed::Nothing);
        }
        match self.load() {
            Ok(l) => {
                fs::remove_file(&self.path)
                    .map_err(|e| self.err(format!("cannot be removed ({e})")))?;
                Ok(match l.credential {
                    Some(c) => Removed::Credential(c),
                    None => Removed::Nothing,
                })
            }
            Err(_) => Ok(Removed::MovedAside(self.move_aside()?)),
        }
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
    fn corrupt_store_is_a_clear_error_and_moved_aside_on_login() {
        let d = tempfile::tempdir().unwrap();
        let s = CredentialStore::new(d.path().join("credentials.json"));
        crate::fsutil::atomic_write(s.path(), b"{not json", Some(0o600)).unwrap();
        let e = s.load().unwrap_err().to_string();
        assert!(e.contains("corrupt") && e.contains("ccrs login"), "{e}");
        assert_eq!(s.peek(), CredentialSource::None);
        // Still there: never silently deleted.
        assert!(s.path().exists());
        let saved = s
            .login_save(&StoredCredential::ApiKey("sk-ant-2".into()))
            .unwrap();
        let aside = saved.moved_aside.unwrap();
        assert!(
            aside
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("credentials.json.corrupt-")
        );
        assert_eq!(fs::read(&aside).unwrap(), b"{not json");
        assert_eq!(
            s.load().unwrap().credential,
            Some(StoredCredential::ApiKey("sk-ant-2".into()))
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
