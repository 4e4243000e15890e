//! Encodings that round-trip byte for byte: UTF-8 (invalid bytes kept as private-use escapes),
//! UTF-8 with BOM, UTF-16 LE/BE with BOM.

use std::borrow::Cow;

/// How a text file is stored on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
}

/// First char of the range that stands for undecodable bytes (`0x80..=0xFF` → `ESCAPE_BASE + b`),
/// in a private-use plane that real text does not use.
const ESCAPE_BASE: u32 = 0x10_FE00;

fn escape_byte(b: u8) -> char {
    char::from_u32(ESCAPE_BASE + u32::from(b)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

fn unescape_char(c: char) -> Option<u8> {
    let v = u32::from(c);
    (ESCAPE_BASE + 0x80..=ESCAPE_BASE + 0xFF)
        .contains(&v)
        .then(|| (v - ESCAPE_BASE) as u8)
}

/// A text file decoded so that [`TextDoc::encode`] gives back the same bytes for the parts that
/// were not changed: invalid UTF-8 bytes are kept as private-use escape chars, not replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextDoc {
    /// The text with its original line endings.
    pub text: String,
    pub encoding: Encoding,
    /// True when `text` holds escaped invalid bytes.
    escaped: bool,
}

/// Why a file cannot be edited as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// UTF-16 with unpaired surrogates or an odd length, or UTF-8 that already uses the escape
    /// range: it would not be written back unchanged.
    NotRoundTrip,
}

pub fn detect_bom(bytes: &[u8]) -> Encoding {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        Encoding::Utf8Bom
    } else if bytes.starts_with(&[0xFF, 0xFE]) {
        Encoding::Utf16Le
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        Encoding::Utf16Be
    } else {
        Encoding::Utf8
    }
}

fn utf16_units(body: &[u8], le: bool) -> impl Iterator<Item = u16> + '_ {
    body.chunks_exact(2).map(move |c| {
        if le {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    })
}

/// Decodes for display: invalid sequences become U+FFFD.
pub fn decode_lossy(bytes: &[u8]) -> (String, Encoding) {
    let enc = detect_bom(bytes);
    let text = match enc {
        Encoding::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        Encoding::Utf8Bom => String::from_utf8_lossy(&bytes[3..]).into_owned(),
        Encoding::Utf16Le | Encoding::Utf16Be => {
            char::decode_utf16(utf16_units(&bytes[2..], enc == Encoding::Utf16Le))
                .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        }
    };
    (text, enc)
}

impl TextDoc {
    /// Like [`TextDoc::decode`], reusing the buffer when it is plain UTF-8 (the common case).
    pub fn decode_owned(bytes: Vec<u8>) -> Result<TextDoc, DecodeError> {
        if detect_bom(&bytes) == Encoding::Utf8 {
            return match String::from_utf8(bytes) {
                Ok(text) => Ok(TextDoc {
                    text,
                    encoding: Encoding::Utf8,
                    escaped: false,
                }),
                Err(e) => Self::decode(e.as_bytes()),
            };
        }
        Self::decode(&bytes)
    }

    /// Decodes for editing; fails rather than lose bytes.
    pub fn decode(bytes: &[u8]) -> Result<TextDoc, DecodeError> {
        let encoding = detect_bom(bytes);
        match encoding {
            Encoding::Utf16Le | Encoding::Utf16Be => {
                let body = &bytes[2..];
                if !body.len().is_multiple_of(2) {
                    return Err(DecodeError::NotRoundTrip);
                }
                let text = char::decode_utf16(utf16_units(body, encoding == Encoding::Utf16Le))
                    .collect::<Result<String, _>>()
                    .map_err(|_| DecodeError::NotRoundTrip)?;
                Ok(TextDoc {
                    text,
                    encoding,
                    escaped: false,
                })
            }
            Encoding::Utf8 | Encoding::Utf8Bom => {
                let body = if encoding == Encoding::Utf8Bom {
                    &bytes[3..]
                } else {
                    bytes
                };
                if let Ok(s) = std::str::from_utf8(body) {
                    return Ok(TextDoc {
                        text: s.to_string(),
                        encoding,
                        escaped: false,
                    });
                }
                let mut text = String::with_capacity(body.len());
                // Real text in the escape range would be written back as raw bytes.
                let mut conflict = false;
                let mut rest = body;
                loop {
                    let (good, bad) = match std::str::from_utf8(rest) {
                        Ok(s) => (s, None),
                        Err(e) => {
                            let (g, b) = rest.split_at(e.valid_up_to());
                            (
                                std::str::from_utf8(g).unwrap_or_default(),
                                Some((b, e.error_len().unwrap_or(b.len()))),
                            )
                        }
                    };
                    conflict |= good.chars().any(|c| unescape_char(c).is_some());
                    text.push_str(good);
                    let Some((bad, n)) = bad else { break };
                    for &b in &bad[..n] {
                        text.push(escape_byte(b));
                    }
                    rest = &bad[n..];
                }
                if conflict {
                    return Err(DecodeError::NotRoundTrip);
                }
                Ok(TextDoc {
                    text,
                    encoding,
                    escaped: true,
                })
            }
        }
    }

    /// A new document in the same encoding as `self`.
    pub fn with_text(&self, text: String) -> TextDoc {
        TextDoc {
            text,
            encoding: self.encoding,
            escaped: self.escaped,
        }
    }

    pub fn new_utf8(text: String) -> TextDoc {
        TextDoc {
            text,
            encoding: Encoding::Utf8,
            escaped: false,
        }
    }

    /// The bytes to write.
    pub fn encode(&self) -> Vec<u8> {
        encode_text(&self.text, self.encoding, self.escaped)
    }

    /// The bytes to write, borrowed from the text when it is plain UTF-8 (no copy of a large
    /// file).
    pub fn bytes(&self) -> Cow<'_, [u8]> {
        if self.encoding == Encoding::Utf8 && !self.escaped {
            Cow::Borrowed(self.text.as_bytes())
        } else {
            Cow::Owned(self.encode())
        }
    }

    /// [`Self::display_text`], without a copy when nothing is escaped.
    pub fn into_display_text(self) -> String {
        if self.escaped {
            self.display_text().into_owned()
        } else {
            self.text
        }
    }

    /// The text as the model sees it (escaped bytes shown as U+FFFD).
    pub fn display_text(&self) -> Cow<'_, str> {
        if !self.escaped {
            return Cow::Borrowed(&self.text);
        }
        Cow::Owned(
            self.text
                .chars()
                .map(|c| {
                    if unescape_char(c).is_some() {
                        char::REPLACEMENT_CHARACTER
                    } else {
                        c
                    }
                })
                .collect(),
        )
    }
}

/// Encodes `text` in `encoding` (with its BOM).
pub fn encode_text(text: &str, encoding: Encoding, escaped: bool) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 | Encoding::Utf8Bom => {
            let mut out = Vec::with_capacity(text.len() + 3);
            if encoding == Encoding::Utf8Bom {
                out.extend_from_slice(&[0xEF, 0xBB, 0xBF]);
            }
            if escaped {
                let mut buf = [0u8; 4];
                for c in text.chars() {
                    match unescape_char(c) {
                        Some(b) => out.push(b),
                        None => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
                    }
                }
            } else {
                out.extend_from_slice(text.as_bytes());
            }
            out
        }
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let le = encoding == Encoding::Utf16Le;
            let mut out = Vec::with_capacity(text.len() * 2 + 2);
            out.extend_from_slice(if le { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
            for u in text.encode_utf16() {
                out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_invalid_bytes_round_trips() {
        let bytes = b"caf\xe9 ok\n\xff\xfe tail\n".to_vec();
        let d = TextDoc::decode(&bytes).unwrap();
        assert_eq!(d.encode(), bytes);
        assert_eq!(d.bytes(), bytes);
        assert!(d.display_text().contains('\u{FFFD}'));
        let d2 = d.with_text(d.text.replace("ok", "fine"));
        assert_eq!(d2.encode(), b"caf\xe9 fine\n\xff\xfe tail\n".to_vec());
        assert_eq!(TextDoc::decode_owned(bytes.clone()).unwrap(), d);
        let plain = TextDoc::decode_owned(b"plain".to_vec()).unwrap();
        assert_eq!(
            (plain.text.as_str(), plain.encoding),
            ("plain", Encoding::Utf8)
        );
        assert!(matches!(plain.bytes(), Cow::Borrowed(b"plain")));
        let bom = TextDoc::decode_owned(b"\xEF\xBB\xBFb".to_vec()).unwrap();
        assert_eq!((bom.text.as_str(), bom.encoding), ("b", Encoding::Utf8Bom));
        // Real text in the escape range next to invalid bytes cannot round-trip.
        let mut clash = "\u{10FEFF}".as_bytes().to_vec();
        clash.push(0xFF);
        assert_eq!(TextDoc::decode(&clash), Err(DecodeError::NotRoundTrip));
    }

    #[test]
    fn boms_round_trip() {
        let mut u8bom = vec![0xEF, 0xBB, 0xBF];
        u8bom.extend_from_slice("héllo\r\n".as_bytes());
        let d = TextDoc::decode(&u8bom).unwrap();
        assert_eq!(d.encoding, Encoding::Utf8Bom);
        assert_eq!(d.text, "héllo\r\n");
        assert_eq!(d.encode(), u8bom);

        for enc in [Encoding::Utf16Le, Encoding::Utf16Be] {
            let bytes = encode_text("a€b\n😀", enc, false);
            let d = TextDoc::decode(&bytes).unwrap();
            assert_eq!(d.encoding, enc);
            assert_eq!(d.text, "a€b\n😀");
            assert_eq!(d.encode(), bytes);
            assert_eq!(decode_lossy(&bytes).0, "a€b\n😀");
        }
        // Odd length UTF-16 cannot be written back unchanged.
        assert_eq!(
            TextDoc::decode(&[0xFF, 0xFE, 0x41]),
            Err(DecodeError::NotRoundTrip)
        );
    }
}
