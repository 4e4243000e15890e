//! An incremental Server-Sent Events decoder (WHATWG rules), correct for any chunking: an event
//! may be split at any byte, lines may end in LF, CRLF or CR, `data:` may span several lines,
//! comments and unknown fields are ignored.

/// One dispatched event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field (`"message"` when absent).
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// Feed bytes with [`push`](SseDecoder::push); complete events come out.
#[derive(Default, Debug)]
pub struct SseDecoder {
    /// Bytes of the current, incomplete line.
    line: Vec<u8>,
    /// The previous chunk ended with CR: a leading LF of the next chunk belongs to it.
    pending_cr: bool,
    event: String,
    data: String,
    has_data: bool,
}

/// Upper bound of one line, so a server that never sends a newline cannot exhaust memory.
const MAX_LINE: usize = 64 * 1024 * 1024;

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes `chunk`, appending each completed event to `out`. Fails only if a single line
    /// grows beyond 64 MiB.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), String> {
        let mut start = 0;
        let mut i = 0;
        while i < chunk.len() {
            let b = chunk[i];
            if self.pending_cr {
                self.pending_cr = false;
                if b == b'\n' {
                    i += 1;
                    start = i;
                    continue;
                }
            }
            if b == b'\n' || b == b'\r' {
                self.line.extend_from_slice(&chunk[start..i]);
                let line = std::mem::take(&mut self.line);
                self.process_line(&line, out);
                if b == b'\r' {
                    self.pending_cr = true;
                }
                i += 1;
                start = i;
                continue;
            }
            i += 1;
        }
        self.line.extend_from_slice(&chunk[start..]);
        if self.line.len() > MAX_LINE {
            return Err("an SSE line exceeded 64 MiB".to_string());
        }
        Ok(())
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.has_data || !self.event.is_empty() {
                let event = std::mem::take(&mut self.event);
                out.push(SseEvent {
                    event: if event.is_empty() {
                        "message".to_string()
                    } else {
                        event
                    },
                    data: std::mem::take(&mut self.data),
                });
            }
            self.has_data = false;
            return;
        }
        if line[0] == b':' {
            return; // comment
        }
        let (field, value) = match line.iter().position(|&c| c == b':') {
            Some(p) => {
                let v = &line[p + 1..];
                (&line[..p], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &b""[..]),
        };
        let value = String::from_utf8_lossy(value);
        match field {
            b"event" => self.event = value.into_owned(),
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&value);
                self.has_data = true;
            }
            _ => {} // id, retry and unknown fields are irrelevant here
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        for c in chunks {
            d.push(c, &mut out).unwrap();
        }
        out
    }

    #[test]
    fn basic_lf_crlf_cr() {
        for sep in ["\n", "\r\n", "\r"] {
            let text = format!(
                "event: a{sep}data: 1{sep}{sep}: comment{sep}data: x{sep}data: y{sep}{sep}"
            );
            let ev = decode_all(&[text.as_bytes()]);
            assert_eq!(
                ev,
                vec![
                    SseEvent {
                        event: "a".into(),
                        data: "1".into()
                    },
                    SseEvent {
                        event: "message".into(),
                        data: "x\ny".into()
                    }
                ],
                "separator {sep:?}"
            );
        }
    }

    #[test]
    fn crlf_split_across_chunks_is_one_line_end() {
        let ev = decode_all(&[b"data: 1\r", b"\n\r", b"\n"]);
        assert_eq!(
            ev,
            vec![SseEvent {
                event: "message".into(),
                data: "1".into()
            }]
        );
    }

    #[test]
    fn no_space_after_colon_and_incomplete_tail() {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        d.push(b"data:abc\n\ndata: never finished", &mut out)
            .unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, "abc");
    }

    #[test]
    fn utf8_split_inside_a_character() {
        let text = "data: héllo 🌍\n\n".as_bytes();
        for cut in 0..text.len() {
            let ev = decode_all(&[&text[..cut], &text[cut..]]);
            assert_eq!(ev[0].data, "héllo 🌍", "cut at {cut}");
        }
    }
}
