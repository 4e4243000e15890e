//! The terminal side of authentication: `ccrs login` / `/login`, `ccrs logout` / `/logout`, and
//! the first launch without a credential.
//!
//! Everything talks through [`LoginIo`], so the same flows run on a plain terminal
//! ([`Terminal`]: hidden key input when stdin is a TTY, plain lines when it is not), inside the
//! interactive UI (which supplies its own `LoginIo`), and in tests.

use anyhow::{Result, anyhow, bail};
use ccrs_core::auth::oauth::{LoginSession, OAuthConfig};
use ccrs_core::auth::store::{LOCK_WAIT, Removed, Saved};
use ccrs_core::auth::{AuthError, CredentialStore, StoredCredential, validate_api_key};
use std::io::{self, BufRead, IsTerminal, Write};

/// How `login` should run (the CLI maps `ccrs login --api-key|--oauth` onto it).
#[derive(Clone, Debug)]
pub struct LoginOptions {
    /// Skip the choice: paste an API key.
    pub api_key: bool,
    /// Skip the choice: log in with a Claude account.
    pub oauth: bool,
    /// Try to open the authorize URL in a browser (it is printed either way).
    pub open_browser: bool,
    /// The corrupt store the session's credential provider already moved aside, to explain
    /// the offer to log in.
    pub moved_aside: Option<ccrs_core::auth::MovedAside>,
}

impl Default for LoginOptions {
    fn default() -> Self {
        LoginOptions {
            api_key: false,
            oauth: false,
            open_browser: true,
            moved_aside: None,
        }
    }
}

/// Where login talks to the user.
pub trait LoginIo {
    /// Shows one or more lines.
    fn say(&mut self, text: &str);
    /// Asks for a visible line; `None` when input ended (or the user cancelled).
    fn ask(&mut self, prompt: &str) -> io::Result<Option<String>>;
    /// Asks for a secret without echoing it; `None` when input ended (or the user cancelled).
    fn ask_secret(&mut self, prompt: &str) -> io::Result<Option<String>>;
}

/// stdin/stdout. Secrets are read in raw mode without echo when stdin is a terminal, as plain
/// lines otherwise (pipes, tests).
pub struct Terminal;

impl Terminal {
    fn read_line() -> io::Result<Option<String>> {
        let mut line = String::new();
        let n = io::stdin().lock().read_line(&mut line)?;
        // Piped input is not echoed: end the prompt's line ourselves.
        if !io::stdin().is_terminal() {
            println!();
        }
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(line.trim_end_matches(['\r', '\n']).to_string()))
    }

    fn prompt(prompt: &str) {
        let mut out = io::stdout().lock();
        let _ = write!(out, "{prompt}");
        let _ = out.flush();
    }
}

/// Leaves raw mode however the hidden read ends.
struct RawMode;

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

fn read_hidden_from_tty() -> io::Result<Option<String>> {
    use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers, read};
    crossterm::terminal::enable_raw_mode()?;
    let raw = RawMode;
    let mut s = String::new();
    let result = loop {
        match read()? {
            Event::Key(k) if k.kind != KeyEventKind::Release => {
                let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
                match k.code {
                    KeyCode::Enter => break Some(s),
                    KeyCode::Char('c') if ctrl => break None,
                    KeyCode::Char('d') if ctrl && s.is_empty() => break None,
                    KeyCode::Char('u') if ctrl => s.clear(),
                    KeyCode::Esc => break None,
                    KeyCode::Backspace => {
                        s.pop();
                    }
                    KeyCode::Char(c) if !ctrl => s.push(c),
                    _ => {}
                }
            }
            Event::Paste(p) => s.push_str(&p),
            _ => {}
        }
    };
    drop(raw);
    println!();
    Ok(result)
}

impl LoginIo for Terminal {
    fn say(&mut self, text: &str) {
        println!("{text}");
    }

    fn ask(&mut self, prompt: &str) -> io::Result<Option<String>> {
        Self::prompt(prompt);
        Self::read_line()
    }

    fn ask_secret(&mut self, prompt: &str) -> io::Result<Option<String>> {
        Self::prompt(prompt);
        if io::stdin().is_terminal() {
            read_hidden_from_tty()
        } else {
            Self::read_line()
        }
    }
}

/// What login stores to and logs in against.
#[derive(Clone, Debug)]
pub struct LoginTarget {
    pub store: CredentialStore,
    pub oauth: OAuthConfig,
}

impl LoginTarget {
    /// The default store and the OAuth endpoints (with `CCRS_OAUTH_*` overrides).
    pub fn from_env() -> Self {
        LoginTarget {
            store: CredentialStore::at_default(),
            oauth: OAuthConfig::from_env(),
        }
    }
}

/// How many times a bad answer is asked again.
const ATTEMPTS: usize = 3;

const API_KEY_URL: &str = "https://console.anthropic.com/settings/keys";

/// `ccrs login` and `/login` on the terminal.
pub async fn login(opts: &LoginOptions) -> Result<()> {
    login_with(opts, &mut Terminal, &LoginTarget::from_env()).await
}

/// `ccrs logout` and `/logout` on the terminal.
pub fn logout() -> Result<()> {
    logout_with(&mut Terminal, &CredentialStore::at_default())
}

/// The interactive first launch with no usable credential: explains, then offers to log in.
/// `Ok(true)` when a credential was saved.
#[allow(dead_code)] // For the interactive UI.
pub async fn first_launch(opts: &LoginOptions) -> Result<bool> {
    first_launch_with(opts, &mut Terminal, &LoginTarget::from_env()).await
}

enum Method {
    ApiKey,
    OAuth,
}

fn choose(opts: &LoginOptions, io: &mut dyn LoginIo) -> Result<Method> {
    if opts.api_key && opts.oauth {
        bail!("choose one of --api-key and --oauth");
    }
    if opts.api_key {
        return Ok(Method::ApiKey);
    }
    if opts.oauth {
        return Ok(Method::OAuth);
    }
    io.say(
        "How do you want to log in?\n  \
         1) API key (recommended)\n  \
         2) Claude account (OAuth)",
    );
    for _ in 0..ATTEMPTS {
        let Some(answer) = io.ask("Choose 1 or 2 [1]: ")? else {
            bail!("login cancelled");
        };
        match answer.trim().to_ascii_lowercase().as_str() {
            "" | "1" | "api" | "api key" | "key" => return Ok(Method::ApiKey),
            "2" | "oauth" | "claude" | "account" => return Ok(Method::OAuth),
            other => io.say(&format!("'{other}' is not a choice: type 1 or 2.")),
        }
    }
    bail!("login cancelled: no valid choice")
}

/// `login` with any [`LoginIo`] and target (the interactive UI's `/login`, tests).
pub async fn login_with(
    opts: &LoginOptions,
    io: &mut (dyn LoginIo + Send),
    target: &LoginTarget,
) -> Result<()> {
    let cred = match choose(opts, io)? {
        Method::ApiKey => read_api_key(io)?,
        Method::OAuth => oauth_login(opts, io, target).await?,
    };
    // The async lock: waiting for another process's refresh must not block the runtime.
    let lock = target.store.lock(LOCK_WAIT).await.map_err(store_error)?;
    let saved = target.store.save(&lock, &cred).map_err(store_error)?;
    drop(lock);
    report_saved(io, &target.store, &cred, &saved);
    Ok(())
}

fn read_api_key(io: &mut dyn LoginIo) -> Result<StoredCredential> {
    io.say(&format!(
        "Paste your Anthropic API key (it will not be shown). Create one at {API_KEY_URL}"
    ));
    for attempt in 1..=ATTEMPTS {
        let Some(key) = io.ask_secret("API key: ")? else {
            bail!("login cancelled");
        };
        let key = key.trim();
        match validate_api_key(key) {
            Ok(()) => return Ok(StoredCredential::ApiKey(key.to_string())),
            Err(why) if attempt < ATTEMPTS => io.say(&format!("{why}. Try again.")),
            Err(why) => bail!("no API key saved: {why}"),
        }
    }
    bail!("no API key saved")
}

async fn oauth_login(
    opts: &LoginOptions,
    io: &mut (dyn LoginIo + Send),
    target: &LoginTarget,
) -> Result<StoredCredential> {
    io.say(
        "Note: an API key is the recommended way to use ccrs. Using a Claude subscription from a \
         third-party client is subject to Anthropic's terms, which restrict using subscription \
         credentials outside Anthropic's own apps (see docs/auth.md).",
    );
    let session = LoginSession::begin(&target.oauth).map_err(|e| anyhow!("{e}"))?;
    io.say("Open this URL in a browser (on any machine), log in and authorize:");
    io.say("");
    // On its own line, unwrapped and undecorated, so it can be copied over SSH.
    io.say(&session.url);
    io.say("");
    if opts.open_browser {
        open_browser(&session.url);
    }
    io.say("Then paste the code shown on the page (`code#state`) or the full URL you landed on.");
    let mut pasted = None;
    for attempt in 1..=ATTEMPTS {
        let Some(input) = io.ask("Code: ")? else {
            bail!("login cancelled");
        };
        match session.check_paste(&input) {
            Ok(p) => {
                pasted = Some(p);
                break;
            }
            Err(e) if attempt < ATTEMPTS => io.say(&format!("{}. Try again.", strip_prefix(&e))),
            Err(e) => bail!("login failed: {}", strip_prefix(&e)),
        }
    }
    let Some(pasted) = pasted else {
        bail!("login cancelled");
    };
    io.say("Exchanging the code...");
    let tokens = session
        .exchange(&target.oauth, &pasted)
        .await
        .map_err(|e| anyhow!("{}", strip_prefix(&e)))?;
    Ok(StoredCredential::OAuth(tokens))
}

/// An [`AuthError::OAuth`] message without its "OAuth error: " prefix (the context is clear).
fn strip_prefix(e: &AuthError) -> String {
    match e {
        AuthError::OAuth(m) => m.clone(),
        other => other.to_string(),
    }
}

fn store_error(e: AuthError) -> anyhow::Error {
    anyhow!("could not save the credential: {e}")
}

/// Environment variables that win over the stored credential.
fn overriding_env() -> Vec<&'static str> {
    [
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_API_KEY",
        "CLAUDE_CODE_OAUTH_TOKEN",
    ]
    .into_iter()
    .filter(|k| ccrs_core::env::nonempty(k).is_some())
    .collect()
}

fn report_saved(
    io: &mut dyn LoginIo,
    store: &CredentialStore,
    cred: &StoredCredential,
    saved: &Saved,
) {
    if let Some(p) = &saved.moved_aside {
        io.say(&format!(
            "The previous credential file could not be read; it was kept as {}.",
            p.display()
        ));
    }
    for w in &saved.warnings {
        io.say(&format!("Warning: {w}"));
    }
    let what = match cred {
        StoredCredential::ApiKey(_) => "Logged in with your API key",
        StoredCredential::OAuth(_) => "Logged in with your Claude account",
    };
    io.say(&format!(
        "{what}. Saved to {} (readable only by you).",
        store.path().display()
    ));
    let env = overriding_env();
    if !env.is_empty() {
        io.say(&format!(
            "Note: {} is set and takes precedence over the saved credential; unset it to use \
             this login.",
            env.join(" and ")
        ));
    }
}

/// `logout` with any [`LoginIo`] and store.
pub fn logout_with(io: &mut dyn LoginIo, store: &CredentialStore) -> Result<()> {
    match store.logout().map_err(|e| anyhow!("logout failed: {e}"))? {
        Removed::Nothing => io.say(&format!(
            "No saved credential to remove ({} does not exist).",
            store.path().display()
        )),
        Removed::Credential(c) => io.say(&format!(
            "Logged out: removed {} from {}.",
            c.describe(),
            store.path().display()
        )),
        Removed::MovedAside(p) => io.say(&format!(
            "Logged out: the credential file could not be read, so it was moved to {} \
             (delete it if you do not need it).",
            p.display()
        )),
    }
    let env = overriding_env();
    if !env.is_empty() {
        io.say(&format!(
            "Note: {} is still set in your environment and will still be used.",
            env.join(" and ")
        ));
    }
    Ok(())
}

/// `first_launch` with any [`LoginIo`] and target.
pub async fn first_launch_with(
    opts: &LoginOptions,
    io: &mut (dyn LoginIo + Send),
    target: &LoginTarget,
) -> Result<bool> {
    match target.store.load() {
        Err(e) => {
            io.say(&format!("Your saved login cannot be used: {e}"));
            // Moved aside now, so this session and the next start cleanly whether or not the
            // user logs in; nothing is deleted.
            match move_aside_unusable(&target.store) {
                Ok(Some(aside)) => io.say(&format!(
                    "The file was moved to {} (kept, not deleted).",
                    aside.display()
                )),
                Ok(None) => {}
                Err(e) => io.say(&format!("It could not be moved aside: {e}")),
            }
            io.say("Log in again, or set ANTHROPIC_API_KEY.");
        }
        // A corrupt store is moved aside by the read itself (ccrs_core::auth::store), now or
        // when the session's credential provider read it.
        Ok(l) if l.moved_aside.is_some() || opts.moved_aside.is_some() => {
            if let Some(m) = l.moved_aside.as_ref().or(opts.moved_aside.as_ref()) {
                io.say(&format!(
                    "Your saved login cannot be used: {}\nThe file was moved to {} (kept, not \
                     deleted).\nLog in again, or set ANTHROPIC_API_KEY.",
                    m.reason,
                    m.moved_to.display()
                ));
            }
        }
        Ok(_) => io.say(
            "Welcome to ccrs. No credentials found.\n\
             Set ANTHROPIC_API_KEY in your environment, or log in now.",
        ),
    }
    let Some(answer) = io.ask("Log in now? [Y/n] ")? else {
        return Ok(false);
    };
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "n" | "no") {
        io.say("Not logged in. Run `ccrs login` or set ANTHROPIC_API_KEY when you are ready.");
        return Ok(false);
    }
    login_with(opts, io, target).await?;
    Ok(true)
}

/// Moves a store that cannot be read aside, under the lock; `None` when it became readable
/// meanwhile (another ccrs logged in), which is then left alone.
fn move_aside_unusable(store: &CredentialStore) -> Result<Option<std::path::PathBuf>, AuthError> {
    let lock = store.lock_blocking(LOCK_WAIT)?;
    if store.load().is_ok() {
        return Ok(None);
    }
    Ok(match store.remove(&lock)? {
        Removed::MovedAside(p) => Some(p),
        Removed::Nothing | Removed::Credential(_) => None,
    })
}

/// Opens `url` in the desktop browser, detached; failures are ignored (the URL is printed).
fn open_browser(url: &str) {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        // Without a display (SSH, containers) xdg-open may start a text browser on this
        // terminal; the printed URL is the way there.
        let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()));
        if !has_display {
            return;
        }
        "xdg-open"
    };
    let child = Command::new(opener)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    if let Ok(mut child) = child {
        // Reap it in the background so it never lingers as a zombie; never wait here.
        let _ = std::thread::Builder::new()
            .name("browser-open".into())
            .spawn(move || {
                let _ = child.wait();
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;
    use std::os::unix::fs::PermissionsExt;

    /// Scripted answers; records everything shown and how each answer was asked for.
    #[derive(Default)]
    pub(crate) struct Script {
        pub answers: VecDeque<String>,
        pub out: String,
        pub asked_secret: usize,
        pub asked: usize,
    }

    impl Script {
        fn new(answers: &[&str]) -> Self {
            Script {
                answers: answers.iter().map(|s| s.to_string()).collect(),
                ..Script::default()
            }
        }
    }

    impl LoginIo for Script {
        fn say(&mut self, text: &str) {
            self.out.push_str(text);
            self.out.push('\n');
        }
        fn ask(&mut self, prompt: &str) -> io::Result<Option<String>> {
            self.asked += 1;
            self.out.push_str(prompt);
            Ok(self.answers.pop_front())
        }
        fn ask_secret(&mut self, prompt: &str) -> io::Result<Option<String>> {
            self.asked_secret += 1;
            self.out.push_str(prompt);
            Ok(self.answers.pop_front())
        }
    }

    fn target(d: &std::path::Path) -> LoginTarget {
        LoginTarget {
            store: CredentialStore::new(d.join("claude-code-rs/credentials.json")),
            oauth: OAuthConfig {
                // Nothing listens here: API-key tests must never contact it.
                token_url: "http://127.0.0.1:1/v1/oauth/token".into(),
                ..OAuthConfig::default()
            },
        }
    }

    const KEY: &str = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345";

    #[tokio::test]
    async fn api_key_login_via_the_choice_saves_a_private_file() {
        let d = tempfile::tempdir().unwrap();
        let t = target(d.path());
        let mut io = Script::new(&["1", KEY]);
        login_with(&LoginOptions::default(), &mut io, &t)
            .await
            .unwrap();
        assert_eq!(io.asked_secret, 1, "the key must be read as a secret");
        assert!(io.out.contains("API key (recommended)"));
        assert!(io.out.contains("Logged in with your API key"));
        assert!(!io.out.contains(KEY), "the key was echoed: {}", io.out);
        assert_eq!(
            t.store.load().unwrap().credential,
            Some(StoredCredential::ApiKey(KEY.into()))
        );
        let mode = std::fs::metadata(t.store.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[tokio::test]
    async fn empty_choice_defaults_to_api_key() {
        let d = tempfile::tempdir().unwrap();
        let t = target(d.path());
        let mut io = Script::new(&["", KEY]);
        login_with(&LoginOptions::default(), &mut io, &t)
            .await
            .unwrap();
        assert_eq!(io.asked_secret, 1);
    }

    #[tokio::test]
    async fn bad_keys_are_explained_and_asked_again() {
        let d = tempfile::tempdir().unwrap();
        let t = target(d.path());
        let opts = LoginOptions {
            api_key: true,
            ..LoginOptions::default()
        };
        let mut io = Script::new(&[
            "sk-proj-notanthropic0123456789",
            "sk-ant-with space 0123456789",
            KEY,
        ]);
        login_with(&opts, &mut io, &t).await.unwrap();
        assert_eq!(io.asked_secret, 3);
        assert!(io.out.contains("start with `sk-ant-`"), "{}", io.out);
        assert!(io.out.contains("spaces"), "{}", io.out);
        assert!(!io.out.contains("notanthropic"), "echoed a key: {}", io.out);
        assert!(t.store.path().exists());

        // Three bad keys: nothing saved, a clear error.
        let d = tempfile::tempdir().unwrap();
        let t = target(d.path());
        let mut io = Script::new(&["nope", "nope", "nope"]);
        let e = login_with(&opts, &mut io, &t)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no API key saved") && e.contains("sk-ant-"),
            "{e}"
        );
        assert!(!t.store.path().exists());
    }

    #[tokio::test]
    async fn end_of_input_cancels_cleanly() {
        let d = tempfile::tempdir().unwrap();
        let t = target(d.path());
        let mut io = Script::new(&[]);
        let e = login_with(&LoginOptions::default(), &mut io, &t)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("cancelled"), "{e}");
        assert!(!t.store.path().exists());
    }

    #[tokio::test]
    async fn login_replaces_a_corrupt_store_and_keeps_the_old_file() {
        let d = tempfile::tempdir().unwrap();
        let t = target(d.path());
        std::fs::create_dir_all(t.store.path().parent().unwrap()).unwrap();
        std::fs::write(t.store.path(), b"{\"oauth\": {broken").unwrap();
        let mut io = Script::new(&["y", "1", KEY]);
        assert!(
            first_launch_with(&LoginOptions::default(), &mut io, &t)
                .await
                .unwrap()
        );
        assert!(io.out.contains("cannot be used"), "{}", io.out);
        assert!(io.out.contains("moved to"), "{}", io.out);
        let kept = corrupt_copies(&t);
        assert_eq!(kept.len(), 1);
        assert_eq!(
            std::fs::read(t.store.path().with_file_name(&kept[0])).unwrap(),
            b"{\"oauth\": {broken"
        );
        assert_eq!(
            t.store.load().unwrap().credential,
            Some(StoredCredential::ApiKey(KEY.into()))
        );
    }

    fn corrupt_copies(t: &LoginTarget) -> Vec<String> {
        std::fs::read_dir(t.store.path().parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("credentials.json.corrupt-"))
            .collect()
    }

    #[tokio::test]
    async fn a_corrupt_store_is_moved_aside_even_when_the_login_is_declined() {
        let d = tempfile::tempdir().unwrap();
        let t = target(d.path());
        std::fs::create_dir_all(t.store.path().parent().unwrap()).unwrap();
        std::fs::write(t.store.path(), b"\0\0garbage").unwrap();
        let mut io = Script::new(&["n"]);
        assert!(
            !first_launch_with(&LoginOptions::default(), &mut io, &t)
                .await
                .unwrap()
        );
        let kept = corrupt_copies(&t);
        assert_eq!(kept.len(), 1, "{}", io.out);
        assert!(io.out.contains(&kept[0]), "{}", io.out);
        assert!(io.out.contains("Log in now?"), "{}", io.out);
        // The next start finds no store (and says so), not the corrupt one again.
        assert!(!t.store.path().exists());
        assert_eq!(t.store.load().unwrap().credential, None);
        // A store that is readable by the time the lock is held is left alone.
        t.store
            .login_save(&StoredCredential::ApiKey(KEY.into()))
            .unwrap();
        assert_eq!(move_aside_unusable(&t.store).unwrap(), None);
        assert!(t.store.path().exists());
    }

    #[tokio::test]
    async fn first_launch_can_be_declined() {
        let d = tempfile::tempdir().unwrap();
        let t = target(d.path());
        let mut io = Script::new(&["n"]);
        assert!(
            !first_launch_with(&LoginOptions::default(), &mut io, &t)
                .await
                .unwrap()
        );
        assert!(io.out.contains("No credentials found"));
        assert!(io.out.contains("ANTHROPIC_API_KEY"));
        assert!(!t.store.path().exists());
    }

    #[test]
    fn logout_says_what_it_removed() {
        let d = tempfile::tempdir().unwrap();
        let t = target(d.path());
        let mut io = Script::new(&[]);
        logout_with(&mut io, &t.store).unwrap();
        assert!(io.out.contains("No saved credential"), "{}", io.out);
        t.store
            .login_save(&StoredCredential::ApiKey(KEY.into()))
            .unwrap();
        let mut io = Script::new(&[]);
        logout_with(&mut io, &t.store).unwrap();
        assert!(io.out.contains("removed an API key"), "{}", io.out);
        assert!(!t.store.path().exists());
    }

    #[tokio::test]
    async fn oauth_prints_the_url_plainly_and_refuses_a_foreign_state() {
        let d = tempfile::tempdir().unwrap();
        let t = target(d.path());
        let opts = LoginOptions {
            oauth: true,
            open_browser: false,
            ..LoginOptions::default()
        };
        let mut io = Script::new(&["garbage", "code#wrong-state", "code#wrong-state"]);
        let e = login_with(&opts, &mut io, &t)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("state mismatch"), "{e}");
        assert!(io.out.contains("Anthropic's terms"), "{}", io.out);
        // The URL is a line of its own.
        let url_line = io
            .out
            .lines()
            .find(|l| l.starts_with("https://claude.ai/oauth/authorize?"))
            .unwrap();
        assert!(url_line.contains("code_challenge_method=S256"));
        assert!(!url_line.contains(' '));
        assert!(io.out.contains("Try again"), "{}", io.out);
        assert!(!t.store.path().exists());
    }
}
