//! The network setup every HTTP client of ccrs shares (the API, OAuth, WebFetch, and MCP over
//! HTTP later): proxies from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` (lowercase first,
//! as curl and Node read them), extra trusted CAs from `NODE_EXTRA_CA_CERTS` and
//! `SSL_CERT_FILE` on top of the operating system's store, and error texts that say which
//! variable to set.
//!
//! Variables are read through [`crate::env`], so a settings file's `env` block counts like an
//! exported variable (Claude Code's users set `NODE_EXTRA_CA_CERTS` there). reqwest's own
//! reading of the process environment is switched off: one matcher decides, and the same one
//! explains (`ccrs doctor`).
//!
//! On Linux the OS store is what `rustls-native-certs` loads: the distribution bundle, or the
//! files an exported `SSL_CERT_FILE`/`SSL_CERT_DIR` names (OpenSSL's convention). The
//! certificates of `NODE_EXTRA_CA_CERTS` and `SSL_CERT_FILE` are added on top in every case.

use std::net::IpAddr;
use std::path::PathBuf;

/// A proxy setting in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxySetting {
    /// The variable it came from (`https_proxy`, `HTTPS_PROXY`, `ALL_PROXY`, ...).
    pub var: &'static str,
    /// The URL as used (a scheme-less `host:port` gets `http://`).
    pub url: String,
}

impl ProxySetting {
    /// The URL with any password replaced by `***`, for messages.
    pub fn display(&self) -> String {
        mask_password(&self.url)
    }
}

/// An extra CA file and what reading it gave.
#[derive(Clone, Debug)]
pub struct CaFile {
    pub var: &'static str,
    pub path: PathBuf,
    /// The number of certificates, or why none could be used.
    pub loaded: Result<usize, String>,
}

/// Proxies and trusted CAs, read once per client.
#[derive(Clone, Debug, Default)]
pub struct NetConfig {
    pub https_proxy: Option<ProxySetting>,
    pub http_proxy: Option<ProxySetting>,
    /// The `NO_PROXY` list and its variable.
    pub no_proxy: Option<(&'static str, String)>,
    pub ca_files: Vec<CaFile>,
    /// Settings that cannot work (a SOCKS proxy, an unreadable CA file).
    pub problems: Vec<String>,
    certs: Vec<reqwest::Certificate>,
}

/// The first of `vars` that is set (and not blank).
fn first_var(vars: &[&'static str]) -> Option<(&'static str, String)> {
    vars.iter().find_map(|v| {
        crate::env::nonempty(v)
            .map(|val| (*v, val.trim().to_string()))
            .filter(|(_, val)| !val.is_empty())
    })
}

fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_string()
            };
            format!("{scheme}://{masked}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

impl NetConfig {
    /// Reads the variables (settings `env` included) and the CA files they name.
    pub fn from_env() -> Self {
        let mut cfg = NetConfig::default();
        let proxy = |vars: &[&'static str], problems: &mut Vec<String>| {
            let (var, value) = first_var(vars)?;
            let url = if value.contains("://") {
                value
            } else {
                format!("http://{value}")
            };
            let scheme = url.split("://").next().unwrap_or("").to_ascii_lowercase();
            if scheme != "http" && scheme != "https" {
                problems.push(format!(
                    "{var}={}: ccrs supports HTTP and HTTPS proxies, not {scheme}; the proxy is \
                     not used",
                    mask_password(&url)
                ));
                return None;
            }
            if reqwest::Url::parse(&url).is_err() {
                problems.push(format!(
                    "{var}={}: not a valid proxy URL (expected http://host:port); the proxy is \
                     not used",
                    mask_password(&url)
                ));
                return None;
            }
            Some(ProxySetting { var, url })
        };
        cfg.https_proxy = proxy(
            &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"],
            &mut cfg.problems,
        );
        cfg.http_proxy = proxy(
            &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"],
            &mut cfg.problems,
        );
        cfg.no_proxy = first_var(&["no_proxy", "NO_PROXY"]);
        for var in ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE"] {
            if let Some(path) = crate::env::nonempty(var) {
                cfg.add_ca_file(var, PathBuf::from(path.trim()));
            }
        }
        cfg
    }

    /// Trusts the certificates of the PEM file `path` (as `var` names it in messages) on top
    /// of the OS store; a file that cannot be used becomes a [`problem`](Self::problems).
    pub fn add_ca_file(&mut self, var: &'static str, path: PathBuf) {
        let loaded = std::fs::read(&path)
            .map_err(|e| format!("cannot be read ({e})"))
            .and_then(|pem| {
                reqwest::Certificate::from_pem_bundle(&pem)
                    .map_err(|e| format!("is not a PEM certificate bundle ({e})"))
            })
            .and_then(|certs| {
                if certs.is_empty() {
                    Err("holds no PEM certificate".to_string())
                } else {
                    Ok(certs)
                }
            });
        let loaded = match loaded {
            Ok(certs) => {
                let n = certs.len();
                self.certs.extend(certs);
                Ok(n)
            }
            Err(e) => {
                self.problems.push(format!(
                    "{var}={}: {e}; its certificates are not trusted",
                    path.display()
                ));
                Err(e)
            }
        };
        self.ca_files.push(CaFile { var, path, loaded });
    }

    /// The proxy a request to `url` goes through, if any.
    pub fn proxy_for(&self, url: &reqwest::Url) -> Option<&ProxySetting> {
        let setting = match url.scheme() {
            "https" => self.https_proxy.as_ref(),
            "http" => self.http_proxy.as_ref(),
            _ => None,
        }?;
        let host = url.host_str()?;
        let port = url.port_or_known_default();
        match &self.no_proxy {
            Some((_, list)) if no_proxy_matches(list, host, port) => None,
            _ => Some(setting),
        }
    }

    /// [`proxy_for`](Self::proxy_for) of a URL given as text.
    pub fn proxy_for_str(&self, url: &str) -> Option<&ProxySetting> {
        let url = reqwest::Url::parse(url).ok()?;
        self.proxy_for(&url)
    }

    /// Extra CA certificates that were loaded.
    pub fn extra_certificates(&self) -> usize {
        self.certs.len()
    }

    /// A reqwest client builder with these proxies and CAs. Callers add their timeouts and
    /// redirect policy.
    pub fn builder(&self) -> reqwest::ClientBuilder {
        crate::api::client::install_crypto_provider();
        let mut b = reqwest::Client::builder().no_proxy();
        if self.https_proxy.is_some() || self.http_proxy.is_some() {
            let cfg = self.clone();
            b = b.proxy(reqwest::Proxy::custom(move |url| {
                cfg.proxy_for(url).map(|p| p.url.clone())
            }));
        }
        for c in &self.certs {
            b = b.add_root_certificate(c.clone());
        }
        b
    }
}

/// The shared builder: [`NetConfig::from_env`], then [`NetConfig::builder`].
pub fn client_builder() -> reqwest::ClientBuilder {
    NetConfig::from_env().builder()
}

/// Whether `NO_PROXY`'s `list` exempts `host` (and `port`): `*` exempts everything; an entry
/// matches the host itself and its subdomains (a leading `.` or `*.` is ignored); `host:port`
/// only that port; an IP address only itself, a CIDR block (`10.0.0.0/8`) its addresses.
pub fn no_proxy_matches(list: &str, host: &str, port: Option<u16>) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let host_ip: Option<IpAddr> = host.parse().ok();
    list.split([',', ' ', '\t', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = entry.to_ascii_lowercase();
            // CIDR block.
            if let (Some(ip), Some((net, bits))) = (host_ip, entry.split_once('/')) {
                return match (net.parse::<IpAddr>(), bits.parse::<u32>()) {
                    (Ok(net), Ok(bits)) => in_block(ip, net, bits),
                    _ => false,
                };
            }
            // `[v6]:port`, `v4:port`, `name:port`; a bare IPv6 address has colons of its own.
            let (name, entry_port) = if let Some(rest) = entry.strip_prefix('[') {
                match rest.split_once(']') {
                    Some((h, p)) => (h.to_string(), p.strip_prefix(':').map(str::to_string)),
                    None => (rest.to_string(), None),
                }
            } else if entry.parse::<IpAddr>().is_ok() {
                (entry.clone(), None)
            } else {
                match entry.rsplit_once(':') {
                    Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => {
                        (h.to_string(), Some(p.to_string()))
                    }
                    _ => (entry.clone(), None),
                }
            };
            if let Some(p) = entry_port
                && p.parse::<u16>().ok() != port
            {
                return false;
            }
            if let (Some(ip), Ok(e)) = (host_ip, name.parse::<IpAddr>()) {
                return ip == e;
            }
            let name = name.trim_start_matches("*.").trim_start_matches('.');
            !name.is_empty() && (host == name || host.ends_with(&format!(".{name}")))
        })
}

fn in_block(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// What kind of network failure an error is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The server's certificate was refused (or no CA could be loaded): retrying cannot help.
    Tls,
    /// The proxy refused, needs credentials, or cannot be reached: retrying cannot help.
    Proxy,
    /// No connection to the server (refused, unreachable, DNS): worth a quick retry or two.
    Connect,
    /// Anything else (reset mid-request, a broken body, ...): transient.
    Other,
}

/// A failure and the sentence for the user.
#[derive(Clone, Debug)]
pub struct Explained {
    pub failure: Failure,
    pub message: String,
}

/// Classifies `e` (a failed request to `url`) and says what to check.
pub fn explain(e: &reqwest::Error, url: &str, cfg: &NetConfig) -> Explained {
    explain_chain(&crate::error::error_chain(e), e.is_connect(), url, cfg)
}

/// [`explain`] on the error text (`outer: inner: …`).
pub fn explain_chain(chain: &str, is_connect: bool, url: &str, cfg: &NetConfig) -> Explained {
    let lower = chain.to_ascii_lowercase();
    let parsed = reqwest::Url::parse(url).ok();
    let host = parsed
        .as_ref()
        .and_then(|u| {
            u.host_str()
                .map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(0)))
        })
        .unwrap_or_else(|| url.to_string());
    let proxy = cfg.proxy_for_str(url);
    // The innermost cause is the informative part ("connection refused", "UnknownIssuer").
    let cause = chain.rsplit(": ").next().unwrap_or(chain).trim();
    let via = proxy
        .map(|p| format!(" through the proxy {} (from {})", p.display(), p.var))
        .unwrap_or_default();
    let ca_note = || {
        let files: Vec<String> = cfg
            .ca_files
            .iter()
            .map(|f| match &f.loaded {
                Ok(n) => format!("{}={} ({n} certificates)", f.var, f.path.display()),
                Err(e) => format!("{}={} ({e})", f.var, f.path.display()),
            })
            .collect();
        if files.is_empty() {
            "no extra CA is set".to_string()
        } else {
            format!("extra CAs in force: {}", files.join(", "))
        }
    };
    if lower.contains("no ca certificates were loaded") {
        return Explained {
            failure: Failure::Tls,
            message: format!(
                "no trusted CA certificates: the system store is empty or unreadable ({cause}); \
                 install your distribution's ca-certificates package or set SSL_CERT_FILE (or \
                 NODE_EXTRA_CA_CERTS) to a PEM bundle"
            ),
        };
    }
    if lower.contains("certificate")
        || lower.contains("unknownissuer")
        || lower.contains("received fatal alert")
        || lower.contains("invalid peer")
    {
        return Explained {
            failure: Failure::Tls,
            message: format!(
                "the TLS certificate of {host}{via} is not trusted ({cause}). If a proxy or \
                 firewall inspects TLS, set NODE_EXTRA_CA_CERTS (or SSL_CERT_FILE) to a PEM file \
                 with its CA certificate ({})",
                ca_note()
            ),
        };
    }
    if let Some(p) = proxy {
        let (what, var) = (p.display(), p.var);
        if lower.contains("proxy authorization required") {
            return Explained {
                failure: Failure::Proxy,
                message: format!(
                    "the proxy {what} (from {var}) asks for credentials (HTTP 407): put them in \
                     {var} as http://user:password@host:port"
                ),
            };
        }
        if lower.contains("tunnel error") {
            let detail = if lower.contains("failed to create underlying connection") {
                format!("cannot connect to the proxy ({cause})")
            } else {
                format!("it refused to open a tunnel to {host} ({cause})")
            };
            return Explained {
                failure: Failure::Proxy,
                message: format!(
                    "the proxy {what} (from {var}) failed: {detail} — check {var}, or add the \
                     host to NO_PROXY if it should be reached directly"
                ),
            };
        }
        if is_connect {
            return Explained {
                failure: Failure::Proxy,
                message: format!(
                    "cannot connect to the proxy {what} (from {var}): {cause} — check {var}"
                ),
            };
        }
    }
    if is_connect {
        let dns = lower.contains("dns")
            || lower.contains("failed to lookup")
            || lower.contains("name or service not known")
            || lower.contains("no address");
        let what = if dns {
            format!("cannot resolve the host of {url}")
        } else {
            format!("cannot connect to {host}")
        };
        return Explained {
            failure: Failure::Connect,
            message: format!("{what}: {cause}"),
        };
    }
    Explained {
        failure: Failure::Other,
        message: format!("{chain}{via}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_rules() {
        let list =
            "localhost, .internal.example.com,*.corp, 10.0.0.0/8 ,::1, api.x:8443, [fd00::1]:80";
        for (host, port, expect) in [
            ("localhost", 80, true),
            ("LOCALHOST.", 80, true),
            ("a.internal.example.com", 443, true),
            ("internal.example.com", 443, true),
            ("xinternal.example.com", 443, false),
            ("git.corp", 443, true),
            ("10.1.2.3", 443, true),
            ("11.1.2.3", 443, false),
            ("[::1]", 443, true),
            ("api.x", 8443, true),
            ("api.x", 443, false),
            ("fd00::1", 80, true),
            ("fd00::1", 81, false),
            ("api.anthropic.com", 443, false),
        ] {
            assert_eq!(
                no_proxy_matches(list, host, Some(port)),
                expect,
                "{host}:{port}"
            );
        }
        assert!(no_proxy_matches("*", "anything", None));
        assert!(!no_proxy_matches("", "anything", None));
        assert!(!no_proxy_matches(".", "anything", None));
        assert!(no_proxy_matches("example.com", "sub.example.com", Some(1)));
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask_password("http://me:s3cret@proxy:8080/x"),
            "http://me:***@proxy:8080/x"
        );
        assert_eq!(
            mask_password("http://me@proxy:8080"),
            "http://me@proxy:8080"
        );
        assert_eq!(mask_password("http://proxy:8080"), "http://proxy:8080");
    }

    fn cfg_with_proxy() -> NetConfig {
        NetConfig {
            https_proxy: Some(ProxySetting {
                var: "HTTPS_PROXY",
                url: "http://u:pw@proxy.corp:3128".into(),
            }),
            no_proxy: Some(("NO_PROXY", "localhost".into())),
            ..Default::default()
        }
    }

    #[test]
    fn proxies_apply_per_scheme_and_no_proxy() {
        let cfg = cfg_with_proxy();
        let p = cfg
            .proxy_for_str("https://api.anthropic.com/v1/messages")
            .unwrap();
        assert_eq!(p.var, "HTTPS_PROXY");
        assert!(cfg.proxy_for_str("https://localhost:8443/").is_none());
        assert!(cfg.proxy_for_str("http://api.anthropic.com/").is_none());
    }

    #[test]
    fn errors_name_the_variable_to_set() {
        let cfg = cfg_with_proxy();
        let url = "https://api.anthropic.com/v1/messages";
        let e = explain_chain(
            "error sending request: client error (Connect): invalid peer certificate: UnknownIssuer",
            true,
            url,
            &cfg,
        );
        assert_eq!(e.failure, Failure::Tls);
        assert!(e.message.contains("NODE_EXTRA_CA_CERTS"), "{}", e.message);
        assert!(e.message.contains("UnknownIssuer"), "{}", e.message);
        assert!(e.message.contains("u:***@proxy.corp"), "{}", e.message);
        assert!(!e.message.contains("pw"), "{}", e.message);
        let e = explain_chain(
            "error sending request: client error (Connect): tunnel error: proxy authorization required",
            true,
            url,
            &cfg,
        );
        assert_eq!(e.failure, Failure::Proxy);
        assert!(
            e.message.contains("407") && e.message.contains("HTTPS_PROXY"),
            "{}",
            e.message
        );
        let e = explain_chain(
            "error sending request: client error (Connect): tunnel error: unsuccessful",
            true,
            url,
            &cfg,
        );
        assert!(e.message.contains("refused to open a tunnel") && e.message.contains("NO_PROXY"));
        let e = explain_chain(
            "error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)",
            true,
            "http://localhost:9/v1/messages",
            &cfg,
        );
        assert_eq!(e.failure, Failure::Connect);
        assert_eq!(
            e.message,
            "cannot connect to localhost:9: Connection refused (os error 111)"
        );
        let e = explain_chain(
            "error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)",
            true,
            url,
            &cfg,
        );
        assert_eq!(e.failure, Failure::Proxy);
        assert!(
            e.message.contains("cannot connect to the proxy"),
            "{}",
            e.message
        );
    }
}
