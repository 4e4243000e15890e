//! URLs from the model (checked, upgraded to https) and which redirects are followed.

use super::{FetchError, MAX_URL_LEN, status_text};
use reqwest::Url;
use std::net::IpAddr;

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks and normalises a URL from the model: length, scheme, host, no credentials, and the
/// https upgrade.
pub fn prepare_url(raw: &str) -> Result<Url, FetchError> {
    let raw = raw.trim();
    let n = raw.chars().count();
    if n > MAX_URL_LEN {
        return Err(FetchError::InvalidUrl(format!(
            "The URL is too long ({n} characters; the limit is {MAX_URL_LEN})"
        )));
    }
    let mut url =
        Url::parse(raw).map_err(|e| FetchError::InvalidUrl(format!("Invalid URL {raw}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::InvalidUrl(format!(
            "Only http and https URLs can be fetched, not {}",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(FetchError::InvalidUrl(format!("The URL {raw} has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FetchError::InvalidUrl(
            "URLs with a user name or password are not fetched".into(),
        ));
    }
    if url.scheme() == "http" && !is_loopback(&url) {
        // Both schemes are "special", so this cannot fail; keep http if it somehow does.
        let _ = url.set_scheme("https");
    }
    Ok(url)
}

fn strip_www(h: &str) -> &str {
    h.strip_prefix("www.").unwrap_or(h)
}

/// Whether a redirect from `from` to `to` stays on the same site and may be followed: same host
/// (ignoring a `www.` prefix), same port, no credentials, and no downgrade from https.
pub fn redirect_allowed(from: &Url, to: &Url) -> bool {
    if !to.username().is_empty() || to.password().is_some() {
        return false;
    }
    let same_scheme = from.scheme() == to.scheme();
    let upgrade = from.scheme() == "http" && to.scheme() == "https";
    if !(same_scheme || upgrade) {
        return false;
    }
    if same_scheme && from.port_or_known_default() != to.port_or_known_default() {
        return false;
    }
    match (from.host_str(), to.host_str()) {
        (Some(a), Some(b)) => strip_www(a).eq_ignore_ascii_case(strip_www(b)),
        _ => false,
    }
}

/// The message for a redirect to another host.
pub fn redirect_message(original: &str, target: &str, status: u16, prompt: &str) -> String {
    let reason = status_text(status);
    format!(
        "REDIRECT DETECTED: The URL redirects to a different host.\n\n\
         Original URL: {original}\n\
         Redirect URL: {target}\n\
         Status: {status} {reason}\n\n\
         The redirect was not followed. To read the page, call WebFetch again with \
         url \"{target}\" and prompt \"{prompt}\".",
    )
    .replace(" \n", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn urls_are_checked_and_upgraded() {
        assert_eq!(
            prepare_url("http://example.com/a?b=1").unwrap().as_str(),
            "https://example.com/a?b=1"
        );
        assert_eq!(
            prepare_url(" https://example.com ").unwrap().as_str(),
            "https://example.com/"
        );
        assert_eq!(
            prepare_url("http://example.com:8080/").unwrap().as_str(),
            "https://example.com:8080/"
        );
        // Loopback stays plain HTTP.
        for local in [
            "http://127.0.0.1:8080/x",
            "http://localhost/",
            "http://[::1]:9/",
            "http://127.1.2.3/",
        ] {
            assert_eq!(prepare_url(local).unwrap().scheme(), "http", "{local}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(
            prepare_url(&long)
                .unwrap_err()
                .to_string()
                .contains("too long")
        );
        for bad in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "not a url",
            "https://user:pw@example.com/",
            "",
        ] {
            assert!(
                matches!(prepare_url(bad), Err(FetchError::InvalidUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn redirect_rules() {
        let ok = [
            ("https://a.com/x", "https://a.com/y"),
            ("https://a.com/x", "https://www.a.com/y"),
            ("https://www.a.com/x", "https://a.com/"),
            ("https://A.com/", "https://a.COM/z"),
            ("http://127.0.0.1:5/", "http://127.0.0.1:5/other"),
            ("http://a.com/", "https://a.com/"),
        ];
        for (from, to) in ok {
            assert!(redirect_allowed(&u(from), &u(to)), "{from} -> {to}");
        }
        let refused = [
            ("https://a.com/", "https://b.com/"),
            ("https://a.com/", "https://sub.a.com/"),
            ("https://a.com/", "https://a.com.evil.net/"),
            ("https://a.com/", "http://a.com/"),
            ("https://a.com/", "https://a.com:8443/"),
            ("http://127.0.0.1:5/", "http://127.0.0.1:6/"),
            ("https://a.com/", "https://u:p@a.com/"),
            ("http://localhost:5/", "http://127.0.0.1:5/"),
        ];
        for (from, to) in refused {
            assert!(!redirect_allowed(&u(from), &u(to)), "{from} -> {to}");
        }
    }

    #[test]
    fn redirect_message_names_both_urls_and_status() {
        let m = redirect_message("https://a.com/x", "https://b.com/y", 301, "get docs");
        assert!(m.starts_with("REDIRECT DETECTED: The URL redirects to a different host."));
        assert!(m.contains("Original URL: https://a.com/x"));
        assert!(m.contains("Redirect URL: https://b.com/y"));
        assert!(m.contains("Status: 301 Moved Permanently"));
        assert!(m.contains("call WebFetch again with url \"https://b.com/y\""));
    }
}
