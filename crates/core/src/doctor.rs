//! The health report behind `ccrs doctor` and `/doctor`: what ccrs runs with, what it would
//! ignore, and whether the API answers — each item marked so a front end can colour it, and
//! [`Report::failed`] deciding the exit status.
//!
//! Checks read and never repair: a corrupt credential store or a leftover temp file is reported
//! here and repaired by the next session. The only network use is one `GET /v1/models` to the
//! API through the configured proxy and CAs.

use crate::api::ClientConfig;
use crate::auth::{AuthConfig, CredentialSource, StoredCredential};
use crate::net::{Failure, NetConfig};
use crate::settings::{LoadOptions, Settings, SettingsSource};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How an item fares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// A fact, neither good nor bad.
    Info,
    Ok,
    /// Works, but something is ignored or will not work as the user may think.
    Warn,
    /// Something does not work: `ccrs doctor` exits non-zero.
    Fail,
}

/// One line of the report, with optional detail lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub status: Status,
    pub text: String,
    pub detail: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub title: String,
    pub items: Vec<Item>,
}

impl Section {
    fn new(title: &str) -> Self {
        Section {
            title: title.to_string(),
            items: Vec::new(),
        }
    }

    fn add(&mut self, status: Status, text: impl Into<String>) -> &mut Item {
        self.items.push(Item {
            status,
            text: text.into(),
            detail: Vec::new(),
        });
        let last = self.items.len() - 1;
        &mut self.items[last]
    }
}

impl Item {
    fn detail(&mut self, line: impl Into<String>) -> &mut Self {
        self.detail.push(line.into());
        self
    }
}

/// The whole report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub sections: Vec<Section>,
}

impl Report {
    /// Whether any item failed (`ccrs doctor` exits 1).
    pub fn failed(&self) -> bool {
        self.worst() == Status::Fail
    }

    pub fn worst(&self) -> Status {
        self.sections
            .iter()
            .flat_map(|s| &s.items)
            .map(|i| i.status)
            .max()
            .unwrap_or(Status::Info)
    }

    /// The section titled `title`, added at the end if missing (MCP servers add theirs).
    pub fn section_mut(&mut self, title: &str) -> &mut Section {
        if let Some(i) = self.sections.iter().position(|s| s.title == title) {
            return &mut self.sections[i];
        }
        self.sections.push(Section::new(title));
        let last = self.sections.len() - 1;
        &mut self.sections[last]
    }

    /// Plain text: a title per section, `✓`/`!`/`✗`/`·` per item, detail lines indented.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.sections.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&s.title);
            out.push('\n');
            for item in &s.items {
                let mark = match item.status {
                    Status::Ok => "✓",
                    Status::Info => "·",
                    Status::Warn => "!",
                    Status::Fail => "✗",
                };
                out.push_str(&format!("  {mark} {}\n", item.text));
                for d in &item.detail {
                    out.push_str(&format!("      {d}\n"));
                }
            }
        }
        let (fails, warns) =
            self.sections
                .iter()
                .flat_map(|s| &s.items)
                .fold((0, 0), |(f, w), i| match i.status {
                    Status::Fail => (f + 1, w),
                    Status::Warn => (f, w + 1),
                    _ => (f, w),
                });
        out.push('\n');
        out.push_str(&match (fails, warns) {
            (0, 0) => "No problems found.\n".to_string(),
            (0, w) => format!("{w} warning{}; nothing fails.\n", plural(w)),
            (f, w) => format!("{f} problem{} and {w} warning{}.\n", plural(f), plural(w)),
        });
        out
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What the report looks at.
pub struct Inputs {
    /// The path of the running binary.
    pub binary: Option<PathBuf>,
    pub settings: Settings,
    /// Where settings were looked for.
    pub settings_options: LoadOptions,
    pub auth: AuthConfig,
    pub client: ClientConfig,
    /// The model a session would use, and why.
    pub model: String,
    pub model_from: String,
    /// How long the API check may take.
    pub api_timeout: Duration,
}

/// Builds the report (one request to the API).
pub async fn check(inputs: &Inputs) -> Report {
    let mut r = Report::default();
    let s = r.section_mut("ccrs");
    s.add(
        Status::Info,
        format!(
            "version {} (Claude Code {} compatible)",
            crate::VERSION,
            crate::CLAUDE_CODE_COMPAT_VERSION
        ),
    );
    match &inputs.binary {
        Some(p) => s.add(Status::Info, format!("binary {}", p.display())),
        None => s.add(Status::Warn, "the path of this binary is unknown"),
    };
    credentials(r.section_mut("Credentials"), &inputs.auth);
    settings(r.section_mut("Settings"), inputs);
    network(r.section_mut("Network"), inputs).await;
    models(r.section_mut("Models"), inputs);
    r.section_mut("MCP servers").add(
        Status::Info,
        "this ccrs does not start MCP servers yet; their state will be listed here",
    );
    r
}

const PRECEDENCE: [(CredentialSource, &str); 5] = [
    (CredentialSource::AuthTokenEnv, "ANTHROPIC_AUTH_TOKEN"),
    (CredentialSource::ApiKeyEnv, "ANTHROPIC_API_KEY"),
    (CredentialSource::ApiKeyHelper, "apiKeyHelper (settings)"),
    (CredentialSource::OAuthTokenEnv, "CLAUDE_CODE_OAUTH_TOKEN"),
    (
        CredentialSource::StoredApiKey,
        "the stored login (`ccrs login`)",
    ),
];

fn credentials(s: &mut Section, auth: &AuthConfig) {
    let winner = auth.source();
    let set = [
        auth.auth_token.is_some(),
        auth.api_key.is_some(),
        auth.api_key_helper.is_some(),
        auth.oauth_token.is_some(),
    ];
    let stored = store_state(auth);
    if winner == CredentialSource::None {
        s.add(Status::Fail, "no credential: requests cannot be sent")
            .detail("set ANTHROPIC_API_KEY, or run `ccrs login`");
    } else {
        let later: Vec<&str> = PRECEDENCE
            .iter()
            .skip_while(|(src, _)| {
                *src != winner
                    && !(winner == CredentialSource::StoredOAuth
                        && *src == CredentialSource::StoredApiKey)
            })
            .skip(1)
            .map(|(_, name)| *name)
            .collect();
        let item = s.add(Status::Ok, format!("in use: {}", winner.describe()));
        if later.is_empty() {
            item.detail("it is the last source in Claude Code's order");
        } else {
            item.detail(format!(
                "it comes before {} in Claude Code's order",
                later.join(", ")
            ));
        }
    }
    for (i, (src, name)) in PRECEDENCE.iter().take(4).enumerate() {
        if set[i] && *src != winner {
            s.add(Status::Info, format!("{name} is set too (not used)"));
        }
    }
    let store_item = s.add(stored.status, stored.text);
    for d in stored.detail {
        store_item.detail(d);
    }
}

struct StoreState {
    status: Status,
    text: String,
    detail: Vec<String>,
}

/// The store as it is on disk, read without repairing anything.
fn store_state(auth: &AuthConfig) -> StoreState {
    let path = auth.store.path();
    let mut st = StoreState {
        status: Status::Info,
        text: format!("credential store {}: empty", path.display()),
        detail: Vec::new(),
    };
    let leftovers = std::fs::read_dir(path.parent().unwrap_or(std::path::Path::new(".")))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| {
                    let n = e.file_name();
                    let n = n.to_string_lossy();
                    n.starts_with(".credentials.json.new-")
                        || n.starts_with(".credentials.json.ccrs-tmp-")
                })
                .count()
        })
        .unwrap_or(0);
    if leftovers > 0 {
        st.detail.push(format!(
            "{leftovers} temp file(s) of a stopped writer: the next session recovers or removes them"
        ));
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return st,
        Err(e) => {
            st.status = Status::Fail;
            st.text = format!("credential store {}: cannot be read ({e})", path.display());
            return st;
        }
    };
    // Parsed the way the store parses it, so a corrupt file is reported the same way.
    let loaded = crate::auth::CredentialStore::new(path.to_path_buf()).peek_file(&bytes);
    match loaded {
        Err(reason) => {
            st.status = Status::Fail;
            st.text = format!("credential store {}: corrupt ({reason})", path.display());
            st.detail.push(
                "the next session moves it aside (kept) and asks for a new login; `ccrs login` \
                 does the same now"
                    .into(),
            );
        }
        Ok(None) => {}
        Ok(Some(StoredCredential::ApiKey(_))) => {
            st.text = format!("credential store {}: an API key", path.display());
        }
        Ok(Some(StoredCredential::OAuth(t))) => {
            st.text = format!(
                "credential store {}: a Claude account login (OAuth)",
                path.display()
            );
            let now = crate::timeutil::now_ms();
            match (t.expires_at, t.refresh_token.is_some()) {
                (Some(e), _) if e > now => st.detail.push(format!(
                    "access token valid for {} more minutes",
                    (e - now) / 60_000
                )),
                (Some(_), true) => st
                    .detail
                    .push("access token expired; it is refreshed on the next request".into()),
                (Some(_), false) => {
                    st.status = Status::Fail;
                    st.detail.push(
                        "access token expired and there is no refresh token: run `ccrs login`"
                            .into(),
                    );
                }
                (None, _) => {}
            }
        }
    }
    st
}

/// Top-level settings keys ccrs acts on; others are read by Claude Code only.
const HONOURED_KEYS: &[&str] = &[
    "model",
    "apiKeyHelper",
    "includeCoAuthoredBy",
    "env",
    "permissions",
    "$schema",
];

fn settings(s: &mut Section, inputs: &Inputs) {
    let o = &inputs.settings_options;
    let project = o.cwd.join(".claude");
    let mut candidates: Vec<(SettingsSource, Option<PathBuf>)> =
        vec![(SettingsSource::Managed, Some(o.managed_path.clone()))];
    if let Some(flag) = &o.flag_settings {
        let inline = flag.trim_start().starts_with('{');
        candidates.push((SettingsSource::Flag, (!inline).then(|| o.cwd.join(flag))));
    }
    candidates.push((
        SettingsSource::Local,
        Some(project.join("settings.local.json")),
    ));
    candidates.push((SettingsSource::Project, Some(project.join("settings.json"))));
    candidates.push((
        SettingsSource::User,
        Some(o.claude_dir.join("settings.json")),
    ));
    let warnings = &inputs.settings.warnings;
    for (source, path) in candidates {
        let shown = path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "--settings (inline JSON)".into());
        let layer = inputs
            .settings
            .layers
            .iter()
            .find(|l| l.source == source && l.path == path);
        let mine: Vec<&String> = warnings
            .iter()
            .filter(|w| w.starts_with(&shown) || (path.is_none() && w.starts_with("--settings")))
            .collect();
        let Some(layer) = layer else {
            if mine.is_empty() {
                if source == SettingsSource::Managed || path.as_ref().is_some_and(|p| !p.exists()) {
                    s.add(
                        Status::Info,
                        format!("{} {shown}: not found", source.as_str()),
                    );
                } else {
                    s.add(Status::Info, format!("{} {shown}: empty", source.as_str()));
                }
            } else {
                let item = s.add(
                    Status::Fail,
                    format!("{} {shown}: not used", source.as_str()),
                );
                for w in mine {
                    item.detail(w.clone());
                }
            }
            continue;
        };
        let ignored: Vec<&str> = layer
            .value
            .keys()
            .map(String::as_str)
            .filter(|k| !HONOURED_KEYS.contains(k))
            .collect();
        let status = if !mine.is_empty() || !ignored.is_empty() {
            Status::Warn
        } else {
            Status::Ok
        };
        let item = s.add(status, format!("{} {shown}: read", source.as_str()));
        for w in mine {
            item.detail(w.clone());
        }
        if !ignored.is_empty() {
            item.detail(format!("keys ccrs ignores: {}", ignored.join(", ")));
        }
    }
    rules(s, inputs);
}

/// Permission rules that cannot work as written.
fn rules(s: &mut Section, inputs: &Inputs) {
    use crate::permissions::{PermissionConfig, PermissionEngine};
    let rules = inputs.settings.permission_rules();
    let engine = PermissionEngine::new(PermissionConfig {
        mode: crate::permissions::Mode::Default,
        rules: rules.clone(),
        cwd: inputs.settings_options.cwd.clone(),
        additional_dirs: Vec::new(),
        local_settings_path: None,
        disable_bypass: false,
        home: None,
    });
    let tools = crate::tools::ToolRegistry::builtin();
    let unknown_tool = |rule: &str| {
        let name = rule.split('(').next().unwrap_or("").trim();
        (!name.is_empty() && !name.starts_with("mcp__") && tools.get(name).is_none())
            .then(|| name.to_string())
    };
    // A rule naming a tool ccrs lacks gets one message (the engine's would be about its
    // specifier); the engine's stand for the rest.
    let mut problems: Vec<String> = engine
        .warnings()
        .iter()
        .filter(|w| w.contains(" rule \""))
        .filter(|w| {
            !rules
                .iter()
                .any(|r| unknown_tool(&r.rule).is_some() && w.contains(&format!("\"{}\"", r.rule)))
        })
        .cloned()
        .collect();
    for r in &rules {
        let Some(name) = unknown_tool(&r.rule) else {
            continue;
        };
        let hint = tools
            .names()
            .into_iter()
            .find(|t| t.eq_ignore_ascii_case(&name))
            .map(|t| format!(" (tool names are case-sensitive: did you mean \"{t}\"?)"))
            .unwrap_or_default();
        problems.push(format!(
            "the {} rule \"{}\" from {} names \"{name}\", which is not a ccrs tool{hint}: it never matches",
            r.behavior.as_str(),
            r.rule,
            r.origin()
        ));
    }
    if rules.is_empty() {
        s.add(Status::Info, "no permission rules");
    } else if problems.is_empty() {
        s.add(
            Status::Ok,
            format!(
                "{} permission rule{}, all usable",
                rules.len(),
                plural(rules.len())
            ),
        );
    } else {
        let item = s.add(
            Status::Warn,
            format!(
                "{} of {} permission rule{} cannot work as written",
                problems.len(),
                rules.len(),
                plural(rules.len())
            ),
        );
        for p in problems {
            item.detail(p);
        }
    }
}

async fn network(s: &mut Section, inputs: &Inputs) {
    let c = &inputs.client;
    let net: &NetConfig = &c.net;
    let from = if crate::env::nonempty("ANTHROPIC_BASE_URL").is_some() {
        "ANTHROPIC_BASE_URL"
    } else {
        "the default"
    };
    s.add(
        Status::Info,
        format!("API base URL {} ({from})", c.base_url),
    );
    match net.proxy_for_str(&c.base_url) {
        Some(p) => s.add(
            Status::Info,
            format!("proxy {} (from {})", p.display(), p.var),
        ),
        None => s.add(
            Status::Info,
            match (&net.https_proxy, &net.http_proxy) {
                (None, None) => "no proxy".to_string(),
                _ => "no proxy for the API (NO_PROXY, or none for its scheme)".to_string(),
            },
        ),
    };
    if let Some((var, list)) = &net.no_proxy {
        s.add(Status::Info, format!("{var}={list}"));
    }
    for f in &net.ca_files {
        match &f.loaded {
            Ok(n) => s.add(
                Status::Ok,
                format!(
                    "{}={}: {n} extra trusted certificate{}",
                    f.var,
                    f.path.display(),
                    plural(*n)
                ),
            ),
            Err(e) => s.add(Status::Fail, format!("{}={}: {e}", f.var, f.path.display())),
        };
    }
    for p in net
        .problems
        .iter()
        .filter(|p| !net.ca_files.iter().any(|f| p.starts_with(f.var)))
    {
        s.add(Status::Fail, p.clone());
    }
    if net.ca_files.is_empty() {
        s.add(
            Status::Info,
            "trusted CAs: the system store (NODE_EXTRA_CA_CERTS and SSL_CERT_FILE add more)",
        );
    }
    reachability(s, inputs).await;
}

/// `GET /v1/models` through the configured network, with the credential when one is at hand
/// without running anything.
async fn reachability(s: &mut Section, inputs: &Inputs) {
    let c = &inputs.client;
    let url = format!("{}/v1/models", c.base_url);
    let client = match c.net.builder().timeout(inputs.api_timeout).build() {
        Ok(h) => h,
        Err(e) => {
            let x = crate::net::explain(&e, &url, &c.net);
            s.add(Status::Fail, format!("cannot set up HTTP: {}", x.message));
            return;
        }
    };
    let mut rb = client
        .get(&url)
        .header("anthropic-version", "2023-06-01")
        .header("user-agent", &c.user_agent);
    let a = &inputs.auth;
    let stored = crate::auth::CredentialStore::new(a.store.path().to_path_buf()).peek_credential();
    let sent = if let Some(t) = &a.auth_token {
        rb = rb.bearer_auth(t);
        true
    } else if let Some(k) = &a.api_key {
        rb = rb.header("x-api-key", k);
        true
    } else if a.api_key_helper.is_some() {
        false
    } else if let Some(t) = &a.oauth_token {
        rb = rb
            .bearer_auth(t)
            .header("anthropic-beta", "oauth-2025-04-20");
        true
    } else {
        match stored {
            Some(StoredCredential::ApiKey(k)) => {
                rb = rb.header("x-api-key", k);
                true
            }
            Some(StoredCredential::OAuth(t)) => {
                rb = rb
                    .bearer_auth(t.access_token)
                    .header("anthropic-beta", "oauth-2025-04-20");
                true
            }
            None => false,
        }
    };
    let started = Instant::now();
    let resp = match rb.send().await {
        Ok(r) => r,
        Err(e) => {
            let x = crate::net::explain(&e, &url, &c.net);
            let item = s.add(
                Status::Fail,
                format!("the API does not answer: {}", x.message),
            );
            if x.failure == Failure::Connect {
                item.detail("check ANTHROPIC_BASE_URL and the network");
            }
            return;
        }
    };
    let ms = started.elapsed().as_millis();
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = resp.bytes().await.unwrap_or_default();
    let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let Some(json) = json else {
        s.add(
            Status::Fail,
            format!(
                "{url} answered HTTP {status} with {}, not the API: check ANTHROPIC_BASE_URL and \
                 whether a proxy or captive portal is in the way",
                if ct.is_empty() {
                    "no content type"
                } else {
                    ct.as_str()
                }
            ),
        );
        return;
    };
    let message = json
        .get("error")
        .and_then(|e| e.get("message"))
        .and_then(|m| m.as_str())
        .unwrap_or("")
        .to_string();
    match status {
        200 => {
            let n = json
                .get("data")
                .and_then(|d| d.as_array())
                .map_or(0, Vec::len);
            s.add(
                Status::Ok,
                format!("the API answers (HTTP 200 in {ms} ms, {n} models listed)"),
            );
        }
        401 | 403 if sent => {
            s.add(
                Status::Fail,
                format!("the API answers but refuses the credential (HTTP {status}): {message}"),
            );
        }
        401 | 403 => {
            s.add(
                Status::Ok,
                format!(
                    "the API answers (HTTP {status} in {ms} ms without a credential{})",
                    if a.api_key_helper.is_some() {
                        "; doctor does not run apiKeyHelper"
                    } else {
                        ""
                    }
                ),
            );
        }
        _ => {
            s.add(
                Status::Warn,
                format!("the API answers HTTP {status}: {message}"),
            );
        }
    }
}

fn models(s: &mut Section, inputs: &Inputs) {
    let id = &inputs.model;
    let (base, long) = crate::models::split_1m(id);
    let known = crate::models::info(base);
    let item = s.add(
        if known.is_some() {
            Status::Ok
        } else {
            Status::Info
        },
        format!("model {id} ({})", inputs.model_from),
    );
    match known {
        Some(m) => {
            let window = if m.context_window % 1_000_000 == 0 {
                format!("{}M", m.context_window / 1_000_000)
            } else {
                format!("{}k", m.context_window / 1000)
            };
            item.detail(format!(
                "{}: {window} context, ${}/${} per million input/output tokens",
                m.display, m.input, m.output
            ));
        }
        None => {
            item.detail("not in ccrs's price table: costs are not computed");
        }
    }
    if long {
        item.detail(format!(
            "sent as {base} with the {} beta",
            crate::models::CONTEXT_1M_BETA
        ));
    }
    match &inputs.client.model_cache {
        None => {}
        Some(p) => match crate::models::catalog::read(p) {
            Some(c) if c.is_fresh(&inputs.client.base_url, crate::timeutil::now_ms()) => {
                s.add(
                    Status::Info,
                    format!(
                        "aliases follow the API's model list ({} models, cached in {})",
                        c.models.len(),
                        p.display()
                    ),
                );
            }
            _ => {
                s.add(
                    Status::Info,
                    "aliases use ccrs's built-in table (the API's model list is fetched alongside \
                     the next request)",
                );
            }
        },
    }
}
