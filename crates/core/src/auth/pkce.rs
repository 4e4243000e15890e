//! PKCE (RFC 7636, S256), the authorize URL and parsing what the user pastes back.

use super::AuthError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};

/// `n` random bytes, base64url without padding.
pub fn random_urlsafe(n: usize) -> Result<String, AuthError> {
    let mut buf = vec![0u8; n];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| AuthError::OAuth("the system random number generator failed".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(&buf))
}

/// The S256 challenge for a verifier: base64url(SHA-256(verifier)), no padding.
pub fn challenge_for(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, verifier.as_bytes()).as_ref())
}

/// A fresh verifier (32 random bytes, as the official CLI uses) and its challenge.
#[derive(Clone)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Result<Self, AuthError> {
        let verifier = random_urlsafe(32)?;
        let challenge = challenge_for(&verifier);
        Ok(Pkce {
            verifier,
            challenge,
        })
    }
}

impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"***")
            .field("challenge", &self.challenge)
            .finish()
    }
}

/// The authorization code and state the user pasted back.
#[derive(Clone, PartialEq, Eq)]
pub struct Pasted {
    pub code: String,
    pub state: String,
}

impl std::fmt::Debug for Pasted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pasted")
            .field("code", &"***")
            .field("state", &self.state)
            .finish()
    }
}

/// Parses what the user pasted after authorizing: the callback URL
/// (`https://…/callback?code=…&state=…`), the `code#state` the callback page shows, or either
/// with stray whitespace or quotes around it.
pub fn parse_pasted(input: &str) -> Result<Pasted, AuthError> {
    let s = input
        .trim()
        .trim_matches(|c| c == '"' || c == '\'' || c == '<' || c == '>')
        .trim();
    if s.is_empty() {
        return Err(AuthError::OAuth("nothing was pasted".into()));
    }
    if s.contains("://") {
        return parse_callback_url(s);
    }
    let (code, state) = s.split_once('#').ok_or_else(|| {
        AuthError::OAuth(
            "the pasted code has no state: paste the whole value shown after you authorize \
             (it looks like `code#state`), or the full callback URL"
                .into(),
        )
    })?;
    let (code, state) = (code.trim(), state.trim());
    if code.is_empty() || state.is_empty() {
        return Err(AuthError::OAuth(
            "the pasted value is incomplete: expected `code#state`".into(),
        ));
    }
    if code.chars().any(char::is_whitespace) || state.chars().any(char::is_whitespace) {
        return Err(AuthError::OAuth(
            "the pasted value contains spaces: paste it exactly as shown (`code#state`)".into(),
        ));
    }
    Ok(Pasted {
        code: code.to_string(),
        state: state.to_string(),
    })
}

fn parse_callback_url(s: &str) -> Result<Pasted, AuthError> {
    let url = reqwest::Url::parse(s)
        .map_err(|e| AuthError::OAuth(format!("the pasted URL cannot be parsed: {e}")))?;
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut error_description = None;
    for (k, v) in url.query_pairs() {
        match &*k {
            "code" => code = Some(v.into_owned()),
            "state" => state = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            "error_description" => error_description = Some(v.into_owned()),
            _ => {}
        }
    }
    if let Some(e) = error {
        let detail = error_description
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        return Err(AuthError::OAuth(format!(
            "authorization was not granted ({e}{detail})"
        )));
    }
    // Some pages put `#state` after the code instead of a `state` parameter.
    let (code, state) = match (code, state) {
        (Some(c), Some(s)) => (c, s),
        (Some(c), None) => match (c.split_once('#'), url.fragment()) {
            (Some((c, s)), _) => (c.to_string(), s.to_string()),
            (None, Some(f)) if !f.is_empty() => (c, f.to_string()),
            _ => {
                return Err(AuthError::OAuth(
                    "the pasted URL has no `state` parameter: paste the full URL from the \
                     address bar"
                        .into(),
                ));
            }
        },
        (None, _) => {
            return Err(AuthError::OAuth(
                "the pasted URL has no `code` parameter: paste the URL you were sent to after \
                 authorizing, or the `code#state` value shown on that page"
                    .into(),
            ));
        }
    };
    if code.is_empty() || state.is_empty() {
        return Err(AuthError::OAuth(
            "the pasted URL has an empty code or state".into(),
        ));
    }
    Ok(Pasted { code, state })
}

/// Compares two strings in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        // RFC 7636 Appendix B: the 32 octets, their base64url verifier, its S256 challenge.
        let octets: [u8; 32] = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let verifier = URL_SAFE_NO_PAD.encode(octets);
        assert_eq!(verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            challenge_for(&verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifier_is_43_urlsafe_chars_and_random() {
        let a = Pkce::new().unwrap();
        let b = Pkce::new().unwrap();
        assert_eq!(a.verifier.len(), 43);
        assert!(
            a.verifier
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(a.verifier, b.verifier);
        assert_eq!(a.challenge, challenge_for(&a.verifier));
        assert!(!format!("{a:?}").contains(&a.verifier));
    }

    #[test]
    fn parses_code_hash_state() {
        let p = parse_pasted("  abc123#st-ate_9 \n").unwrap();
        assert_eq!(p.code, "abc123");
        assert_eq!(p.state, "st-ate_9");
        let p = parse_pasted("\"abc#def\"").unwrap();
        assert_eq!((p.code.as_str(), p.state.as_str()), ("abc", "def"));
    }

    #[test]
    fn parses_callback_url() {
        let p = parse_pasted(
            "https://console.anthropic.com/oauth/code/callback?code=c%2Fd+e&state=xyz&extra=1",
        )
        .unwrap();
        assert_eq!(p.code, "c/d e");
        assert_eq!(p.state, "xyz");
        let p = parse_pasted("http://127.0.0.1:9/cb?code=abc#st").unwrap();
        assert_eq!((p.code.as_str(), p.state.as_str()), ("abc", "st"));
    }

    #[test]
    fn rejects_incomplete_pastes() {
        for bad in [
            "",
            "   ",
            "justacode",
            "#state",
            "code#",
            "co de#state",
            "https://x.example/cb?state=abc",
            "https://x.example/cb?code=abc",
            "https://x.example/cb?code=&state=s",
        ] {
            assert!(parse_pasted(bad).is_err(), "accepted {bad:?}");
        }
        let e = parse_pasted("https://x.example/cb?error=access_denied&error_description=no")
            .unwrap_err()
            .to_string();
        assert!(e.contains("access_denied") && e.contains("no"), "{e}");
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
        assert!(constant_time_eq("", ""));
    }
}
