//! OAuth refreshes that outlive the process asking for them.
//!
//! The token endpoint spends the old refresh token the moment it decides a refresh; if the
//! process that asked is killed before the answer arrives (or before it is saved), the login is
//! gone: the new tokens exist only in the lost answer. So ccrs does the exchange in a small
//! detached process of its own binary (`ccrs __ccrs-oauth-refresh`): the asking process spawns
//! it in a process group of its own (a terminal's SIGINT or SIGHUP to the session does not reach
//! it), hands it the job on stdin, and waits for its one-line answer on stdout. The child takes
//! the store lock, re-reads the store (another process may have refreshed already), exchanges
//! the token, saves the answer durably and exits. If the asking process dies, the child still
//! finishes and stores the answer; the next ccrs finds the new login.
//!
//! The child cannot run forever and leaves nothing behind: it waits at most [`CHILD_LOCK_WAIT`]
//! for the lock (nothing is spent yet), then makes at most three token requests of the OAuth
//! timeout each (20 s) and saves; so it exits within [`CHILD_DEADLINE`]. No timer cuts an
//! exchange in flight — that is the moment that must not be cut. It holds no terminal, its
//! stderr is discarded, and its exit is reaped by whoever is its parent then.

use super::AuthError;
use super::oauth::OAuthConfig;
use super::store::{CredentialStore, StoredCredential};
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// The hidden first argument that makes the `ccrs` binary a refresher.
pub const CHILD_ARG: &str = "__ccrs-oauth-refresh";

/// The longest a refresher waits for the store lock (another refresher holds it at most as
/// long as an exchange takes).
pub const CHILD_LOCK_WAIT: Duration = Duration::from_secs(60);

/// The longest a refresher lives: the lock wait, three token requests of 20 s with their pauses,
/// the save.
pub const CHILD_DEADLINE: Duration = Duration::from_secs(130);

/// Where refreshes run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refresher {
    /// In this process (tests, and the fallback when no refresher can be started).
    InProcess,
    /// In a detached child: `program args…` speaking the protocol of [`run_child`].
    Detached {
        program: PathBuf,
        args: Vec<OsString>,
    },
}

impl Refresher {
    /// This executable as the refresher (the `ccrs` binary), else in-process.
    pub fn this_binary() -> Self {
        match std::env::current_exe() {
            Ok(program) => Refresher::Detached {
                program,
                args: vec![CHILD_ARG.into()],
            },
            Err(_) => Refresher::InProcess,
        }
    }
}

/// What the child is asked to do.
#[derive(Serialize, Deserialize)]
struct Job {
    store: PathBuf,
    client_id: String,
    authorize_url: String,
    token_url: String,
    redirect_uri: String,
    scopes: Vec<String>,
    timeout_ms: u64,
    margin_ms: u64,
    /// The access token the asker considers spent (sent on the pipe, never on the command line).
    stale: String,
    force: bool,
}

/// The child's answer.
#[derive(Serialize, Deserialize, Default)]
struct Answer {
    ok: bool,
    /// `login_expired`, `missing`, `store`, `oauth`, `moved_aside` or `internal` on failure.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    warnings: Vec<String>,
}

impl Answer {
    fn from_error(e: &AuthError) -> Self {
        let kind = match e {
            AuthError::LoginExpired(_) => "login_expired",
            AuthError::Missing => "missing",
            AuthError::Store { .. } => "store",
            AuthError::StoreMovedAside(_) => "moved_aside",
            _ => "oauth",
        };
        let message = match e {
            AuthError::LoginExpired(m) | AuthError::OAuth(m) => m.clone(),
            other => other.to_string(),
        };
        Answer {
            ok: false,
            kind: kind.into(),
            message,
            warnings: Vec::new(),
        }
    }

    fn into_result(self, store: &CredentialStore) -> Result<Vec<String>, AuthError> {
        if self.ok {
            return Ok(self.warnings);
        }
        Err(match self.kind.as_str() {
            "login_expired" => AuthError::LoginExpired(self.message),
            "missing" => AuthError::Missing,
            "store" | "moved_aside" => AuthError::Store {
                path: store.path().display().to_string(),
                message: self.message,
            },
            _ => AuthError::OAuth(self.message),
        })
    }
}

/// The outcome of a refresh: the credential now stored (if any) and warnings for the user.
pub(crate) struct Refreshed {
    pub credential: Option<StoredCredential>,
    pub warnings: Vec<String>,
}

/// Runs a refresh in a detached child and reads the store it left. `Ok(None)` when no child
/// could be started (the caller refreshes in-process instead).
pub(crate) async fn refresh_detached(
    program: &std::path::Path,
    args: &[OsString],
    store: &CredentialStore,
    oauth: &OAuthConfig,
    margin: Duration,
    stale: &str,
    force: bool,
) -> Result<Option<Refreshed>, AuthError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let job = Job {
        store: store.path().to_path_buf(),
        client_id: oauth.client_id.clone(),
        authorize_url: oauth.authorize_url.clone(),
        token_url: oauth.token_url.clone(),
        redirect_uri: oauth.redirect_uri.clone(),
        scopes: oauth.scopes.clone(),
        timeout_ms: oauth.timeout.as_millis() as u64,
        margin_ms: margin.as_millis() as u64,
        stale: stale.to_string(),
        force,
    };
    let Ok(job) = serde_json::to_vec(&job) else {
        return Ok(None);
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        // The settings' `env` (proxy, CA) as this process sees it.
        .envs(crate::env::overlay())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        // Its own process group: Ctrl-C and a hang-up of the terminal do not stop it.
        .process_group(0)
        // Dropping the wait (a cancelled request) must not stop it either.
        .kill_on_drop(false);
    let Ok(mut child) = cmd.spawn() else {
        return Ok(None);
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(&job).await;
    }
    let mut out = Vec::new();
    let read = async {
        if let Some(mut stdout) = child.stdout.take() {
            let _ = stdout.read_to_end(&mut out).await;
        }
        child.wait().await
    };
    // The child bounds itself; the margin covers its start-up.
    let status = tokio::time::timeout(CHILD_DEADLINE + Duration::from_secs(10), read).await;
    let answer: Option<Answer> = serde_json::from_slice(&out).ok();
    let warnings = match (status, answer) {
        (_, Some(a)) => a.into_result(store)?,
        // It ended without an answer (not a refresher, or it crashed): refreshing in-process
        // is safe, since that re-reads the store under the lock first and adopts whatever the
        // child may have saved.
        (Ok(Ok(_)), None) => return Ok(None),
        _ => {
            return Err(AuthError::OAuth(
                "the login refresh process did not answer in time".into(),
            ));
        }
    };
    let loaded = store.load()?;
    let mut all = warnings;
    all.extend(loaded.warnings);
    Ok(Some(Refreshed {
        credential: loaded.credential,
        warnings: all,
    }))
}

/// The refresher's `main`: reads a job from stdin, refreshes, prints the answer. Returns the
/// exit code.
pub fn run_child() -> i32 {
    use std::io::{Read, Write};
    let mut input = Vec::new();
    let answer = match std::io::stdin().take(1 << 20).read_to_end(&mut input) {
        Err(e) => Answer {
            kind: "internal".into(),
            message: format!("cannot read the job: {e}"),
            ..Default::default()
        },
        Ok(_) => match serde_json::from_slice::<Job>(&input) {
            Err(e) => Answer {
                kind: "internal".into(),
                message: format!("bad job: {e}"),
                ..Default::default()
            },
            Ok(job) => run_job(job),
        },
    };
    let mut line = serde_json::to_vec(&answer).unwrap_or_default();
    line.push(b'\n');
    // The asker may be gone: then nobody reads this, and that is fine.
    let _ = std::io::stdout().write_all(&line);
    if answer.ok { 0 } else { 1 }
}

fn run_job(job: Job) -> Answer {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return Answer {
                kind: "internal".into(),
                message: format!("cannot start a runtime: {e}"),
                ..Default::default()
            };
        }
    };
    let store = CredentialStore::new(job.store);
    let oauth = OAuthConfig {
        client_id: job.client_id,
        authorize_url: job.authorize_url,
        token_url: job.token_url,
        redirect_uri: job.redirect_uri,
        scopes: job.scopes,
        timeout: Duration::from_millis(job.timeout_ms),
    };
    let margin = Duration::from_millis(job.margin_ms);
    let work = super::provider::refresh_store(
        &store,
        &oauth,
        margin,
        &job.stale,
        job.force,
        CHILD_LOCK_WAIT,
    );
    match rt.block_on(work) {
        Ok(r) => Answer {
            ok: true,
            warnings: r.warnings,
            ..Default::default()
        },
        Err(e) => Answer::from_error(&e),
    }
}
