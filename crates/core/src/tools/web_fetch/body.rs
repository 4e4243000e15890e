//! Response bodies: what the Content-Type (or the bytes) say they are, and their decoding.

use crate::tools::html::cp1252_high;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum BodyKind {
    Html,
    Text,
    Binary,
}

pub(super) fn mime_of(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// What the Content-Type says, or `None` when only the bytes can tell.
pub(super) fn classify(content_type: &str) -> Option<BodyKind> {
    let mime = mime_of(content_type);
    match mime.as_str() {
        "" | "application/octet-stream" | "binary/octet-stream" => None,
        "text/html" | "application/xhtml+xml" => Some(BodyKind::Html),
        m if m.starts_with("text/") => Some(BodyKind::Text),
        m if m.ends_with("+json") || m.ends_with("+xml") || m.ends_with("+yaml") => {
            Some(BodyKind::Text)
        }
        "application/json"
        | "application/xml"
        | "application/javascript"
        | "application/ecmascript"
        | "application/x-javascript"
        | "application/x-sh"
        | "application/x-httpd-php"
        | "application/toml"
        | "application/yaml"
        | "application/x-yaml"
        | "application/x-ndjson"
        | "application/jsonl"
        | "application/graphql"
        | "application/sql" => Some(BodyKind::Text),
        _ => Some(BodyKind::Binary),
    }
}

/// Guesses from the bytes: NULs or mostly invalid UTF-8 mean binary; an HTML start means HTML.
pub(super) fn sniff(body: &[u8]) -> BodyKind {
    let head = &body[..body.len().min(8192)];
    if head.contains(&0) {
        return BodyKind::Binary;
    }
    // A cut multi-byte char at the end of `head` is fine; real binary fails early.
    if let Err(e) = std::str::from_utf8(head)
        && e.error_len().is_some()
        && e.valid_up_to() < head.len() / 2
    {
        return BodyKind::Binary;
    }
    let start: String = String::from_utf8_lossy(&head[..head.len().min(512)])
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .take(20)
        .collect::<String>()
        .to_ascii_lowercase();
    if start.starts_with("<!doctype html") || start.starts_with("<html") {
        BodyKind::Html
    } else {
        BodyKind::Text
    }
}

fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_ascii_lowercase())
    })
}

/// Bytes to text: UTF-8 when valid, else Windows-1252 (the web's usual legacy encoding, a
/// superset of Latin-1) unless another charset is declared, which is decoded lossily.
pub(super) fn decode_text(body: &[u8], content_type: &str) -> String {
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    if let Ok(s) = std::str::from_utf8(body) {
        return s.to_string();
    }
    let latin = charset_of(content_type).is_none_or(|c| {
        matches!(
            c.as_str(),
            "iso-8859-1" | "latin1" | "windows-1252" | "cp1252" | "us-ascii" | "ascii"
        )
    });
    if !latin {
        return String::from_utf8_lossy(body).into_owned();
    }
    body.iter()
        .map(|&b| {
            if (0x80..=0x9f).contains(&b) {
                cp1252_high(b)
            } else {
                char::from(b)
            }
        })
        .collect()
}

/// The first `max` chars of `s`, and whether anything was cut.
pub(super) fn truncate_chars(s: String, max: usize) -> (String, bool) {
    match s.char_indices().nth(max) {
        Some((i, _)) => {
            let mut s = s;
            s.truncate(i);
            (s, true)
        }
        None => (s, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(classify("text/html; charset=UTF-8"), Some(BodyKind::Html));
        assert_eq!(classify("application/xhtml+xml"), Some(BodyKind::Html));
        for t in [
            "text/plain",
            "text/markdown",
            "application/json",
            "application/ld+json",
            "image/svg+xml",
            "text/csv",
        ] {
            assert_eq!(classify(t), Some(BodyKind::Text), "{t}");
        }
        for t in [
            "image/png",
            "application/pdf",
            "video/mp4",
            "application/zip",
        ] {
            assert_eq!(classify(t), Some(BodyKind::Binary), "{t}");
        }
        assert_eq!(classify(""), None);
        assert_eq!(classify("application/octet-stream"), None);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0"), BodyKind::Binary);
        assert_eq!(sniff(b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8"), BodyKind::Binary);
        assert_eq!(sniff(b"  <!DOCTYPE html><p>x"), BodyKind::Html);
        assert_eq!(sniff(b"\xef\xbb\xbf<html>"), BodyKind::Html);
        assert_eq!(sniff("plain text é".as_bytes()), BodyKind::Text);
    }

    #[test]
    fn decoding() {
        assert_eq!(decode_text("é".as_bytes(), "text/html"), "é");
        assert_eq!(decode_text(b"\xef\xbb\xbfx", ""), "x");
        assert_eq!(
            decode_text(b"caf\xe9 \x93q\x94", "text/html; charset=ISO-8859-1"),
            "café “q”"
        );
        assert_eq!(decode_text(b"caf\xe9", ""), "café");
        assert_eq!(
            decode_text(b"\x82\xa0x\xff", "text/html; charset=\"Shift_JIS\""),
            "\u{fffd}\u{fffd}x\u{fffd}"
        );
        assert_eq!(
            charset_of("text/html; Charset=\"UTF-8\""),
            Some("utf-8".into())
        );
    }

    #[test]
    fn truncation_counts_chars() {
        assert_eq!(truncate_chars("héllo".into(), 2), ("hé".into(), true));
        assert_eq!(truncate_chars("hé".into(), 2), ("hé".into(), false));
    }
}
