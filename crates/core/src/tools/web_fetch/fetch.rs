//! The HTTP side: same-host redirects followed, the body read up to a limit and converted.

use super::body::{BodyKind, classify, decode_text, mime_of, sniff, truncate_chars};
use super::cache::FetchedPage;
use super::url::redirect_allowed;
use super::{FETCH_TIMEOUT, FetchError, MAX_BODY_BYTES, MAX_CONTENT_CHARS, MAX_REDIRECTS};
use crate::cancel::CancelToken;
use crate::tools::html::html_to_markdown;
use reqwest::Url;
use std::sync::OnceLock;
use std::time::Duration;

fn user_agent() -> String {
    format!("Claude-User (ccrs/{})", crate::VERSION)
}

fn http_client() -> Result<&'static reqwest::Client, String> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            // Proxies and extra CAs as every ccrs client has them (crate::net).
            crate::net::client_builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(Duration::from_secs(30))
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn describe(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(err) = src {
        let s = err.to_string();
        if !msg.contains(&s) {
            msg.push_str(": ");
            msg.push_str(&s);
        }
        src = err.source();
    }
    msg
}

/// What a fetch produced.
#[derive(Clone, Debug, PartialEq)]
pub enum Fetched {
    Page(FetchedPage),
    /// A redirect to another host, not followed.
    Redirect {
        original: String,
        target: String,
        status: u16,
    },
}

/// Fetches `url` (already prepared), following same-host redirects, within the time limit.
pub async fn fetch(url: Url, cancel: &CancelToken) -> Result<Fetched, FetchError> {
    let shown = url.to_string();
    tokio::select! {
        r = tokio::time::timeout(FETCH_TIMEOUT, fetch_inner(url)) => match r {
            Ok(r) => r,
            Err(_) => Err(FetchError::Timeout { url: shown }),
        },
        _ = cancel.cancelled() => Err(FetchError::Cancelled),
    }
}

async fn fetch_inner(url: Url) -> Result<Fetched, FetchError> {
    let client = http_client().map_err(|message| FetchError::Network {
        url: url.to_string(),
        message,
    })?;
    let original = url.to_string();
    let mut current = url;
    for _ in 0..=MAX_REDIRECTS {
        let resp = client
            .get(current.clone())
            .header(reqwest::header::USER_AGENT, user_agent())
            .header(
                reqwest::header::ACCEPT,
                "text/markdown, text/html;q=0.9, text/plain;q=0.8, */*;q=0.5",
            )
            .send()
            .await
            .map_err(|e| FetchError::Network {
                url: current.to_string(),
                message: describe(&e),
            })?;
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if matches!(status, 301 | 302 | 303 | 307 | 308)
            && let Some(loc) = location
        {
            let target = current.join(loc.trim()).map_err(|e| FetchError::Network {
                url: current.to_string(),
                message: format!("invalid redirect location {loc:?}: {e}"),
            })?;
            if redirect_allowed(&current, &target) {
                current = target;
                continue;
            }
            return Ok(Fetched::Redirect {
                original,
                target: target.to_string(),
                status,
            });
        }
        if !(200..300).contains(&status) {
            return Err(FetchError::Status {
                status,
                url: current.to_string(),
            });
        }
        return read_page(resp, current).await.map(Fetched::Page);
    }
    Err(FetchError::TooManyRedirects { url: original })
}

async fn read_page(mut resp: reqwest::Response, url: Url) -> Result<FetchedPage, FetchError> {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let declared = classify(&content_type);
    if declared == Some(BodyKind::Binary) {
        return Err(FetchError::Binary {
            url: url.to_string(),
            content_type: mime_of(&content_type),
        });
    }
    let mut body: Vec<u8> = Vec::new();
    let mut cut = false;
    while let Some(chunk) = resp.chunk().await.map_err(|e| FetchError::Network {
        url: url.to_string(),
        message: describe(&e),
    })? {
        let room = MAX_BODY_BYTES - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            cut = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    let kind = declared.unwrap_or_else(|| sniff(&body));
    if kind == BodyKind::Binary {
        return Err(FetchError::Binary {
            url: url.to_string(),
            content_type: if content_type.is_empty() {
                "unknown type".into()
            } else {
                mime_of(&content_type)
            },
        });
    }
    let text = decode_text(&body, &content_type);
    let converted = match kind {
        BodyKind::Html => html_to_markdown(&text, Some(url.as_str())),
        _ => text,
    };
    let (mut content, truncated) = truncate_chars(converted, MAX_CONTENT_CHARS);
    if cut {
        content.push_str(&format!(
            "\n\n[The response was larger than {} MB; only the first {} MB were read.]",
            MAX_BODY_BYTES / (1024 * 1024),
            MAX_BODY_BYTES / (1024 * 1024)
        ));
    }
    if truncated {
        content.push_str(&format!(
            "\n\n[Content truncated to the first {MAX_CONTENT_CHARS} characters.]"
        ));
    }
    Ok(FetchedPage {
        url: url.to_string(),
        status,
        content_type: mime_of(&content_type),
        bytes: body.len(),
        content,
    })
}
