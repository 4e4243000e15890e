//! `WebFetch(domain:…)` patterns and URL host extraction.

/// The host part of `domain:…`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainPattern {
    /// `domain:*`
    Any,
    /// `domain:example.com`
    Exact(String),
    /// `domain:*.example.com`: any subdomain (not the apex itself).
    Subdomains(String),
}

impl DomainPattern {
    /// Parses the specifier of a `WebFetch(...)` rule.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let Some(host) = spec.trim().strip_prefix("domain:") else {
            return Err("WebFetch rules take the form WebFetch(domain:example.com)".into());
        };
        let host = host.trim();
        if host == "*" {
            return Ok(DomainPattern::Any);
        }
        let (sub, name) = match host.strip_prefix("*.") {
            Some(rest) => (true, normalize_host(rest)),
            None => (false, normalize_host(host)),
        };
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':'))
            && !name.starts_with('.')
            && !name.contains("..");
        if !valid {
            return Err(format!("'{spec}' is not a valid domain pattern"));
        }
        Ok(if sub {
            DomainPattern::Subdomains(name)
        } else {
            DomainPattern::Exact(name)
        })
    }

    /// Does the URL's host match? `host` is already normalised ([`url_host`]).
    pub fn matches(&self, host: Option<&str>) -> bool {
        match (self, host) {
            (DomainPattern::Any, _) => true,
            (_, None) => false,
            (DomainPattern::Exact(d), Some(h)) => d == h,
            (DomainPattern::Subdomains(d), Some(h)) => h
                .strip_suffix(d.as_str())
                .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.')),
        }
    }
}

fn normalize_host(h: &str) -> String {
    h.trim_end_matches('.').to_ascii_lowercase()
}

/// The host of an http(s) URL, lowercased, without port, userinfo or trailing dot. `None` when
/// the URL has no recognisable host.
pub fn url_host(url: &str) -> Option<String> {
    let url = url.trim();
    let (_, rest) = url.split_once("://")?;
    // The authority ends at the first of `/ \ ? #` (browsers treat `\` like `/`).
    let end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let hostport = match authority.rfind('@') {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        hostport.split(':').next()?
    };
    let host = normalize_host(host);
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            url_host("https://Example.COM/x").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            url_host("http://u:p@evil.com:8080/").as_deref(),
            Some("evil.com")
        );
        assert_eq!(
            url_host("https://example.com@evil.com/").as_deref(),
            Some("evil.com")
        );
        assert_eq!(
            url_host("https://evil.com\\@example.com/").as_deref(),
            Some("evil.com")
        );
        assert_eq!(
            url_host("https://example.com./").as_deref(),
            Some("example.com")
        );
        assert_eq!(url_host("https://[::1]:80/").as_deref(), Some("::1"));
        assert_eq!(url_host("not a url"), None);
    }

    #[test]
    fn patterns() {
        let p = DomainPattern::parse("domain:Example.com").unwrap();
        assert!(p.matches(Some("example.com")));
        assert!(!p.matches(Some("sub.example.com")));
        assert!(!p.matches(Some("notexample.com")));
        let p = DomainPattern::parse("domain:*.example.com").unwrap();
        assert!(p.matches(Some("a.example.com")));
        assert!(p.matches(Some("a.b.example.com")));
        assert!(!p.matches(Some("example.com")));
        assert!(!p.matches(Some("badexample.com")));
        assert!(DomainPattern::parse("domain:*").unwrap().matches(None));
        assert!(DomainPattern::parse("example.com").is_err());
        assert!(DomainPattern::parse("domain:").is_err());
        assert!(DomainPattern::parse("domain:a b").is_err());
        assert!(DomainPattern::parse("domain:*.").is_err());
    }
}
