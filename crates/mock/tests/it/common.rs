//! A deliberately tiny, strict HTTP/1.1 client and SSE reader, so the mock's wire format is
//! checked by something independent of the client it is meant to test.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Each chunk of a chunked body, in order.
    pub chunks: Vec<Vec<u8>>,
    pub chunked: bool,
    /// False when the connection ended before the body did.
    pub complete: bool,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The SSE events of the body as (event name, data JSON).
    pub fn events(&self) -> Vec<(String, Value)> {
        parse_sse(&self.text())
    }
}

/// Parses an SSE body strictly: every event must have `event:` and one `data:` line with JSON.
pub fn parse_sse(body: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for block in body.split("\n\n").filter(|b| !b.is_empty()) {
        let mut name = None;
        let mut data = None;
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event: ") {
                name = Some(v.to_string());
            } else if let Some(v) = line.strip_prefix("data: ") {
                assert!(data.is_none(), "two data lines in {block:?}");
                data = Some(
                    serde_json::from_str::<Value>(v)
                        .unwrap_or_else(|e| panic!("bad JSON in {block:?}: {e}")),
                );
            } else {
                panic!("unexpected line {line:?}");
            }
        }
        let name = name.unwrap_or_else(|| panic!("no event name in {block:?}"));
        let data = data.unwrap_or_else(|| panic!("no data in {block:?}"));
        assert_eq!(
            data["type"],
            Value::String(name.clone()),
            "event name = data.type"
        );
        out.push((name, data));
    }
    out
}

impl Conn {
    pub fn open(port: u16) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Conn {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
        }
    }

    pub fn reader(&mut self) -> &mut BufReader<TcpStream> {
        &mut self.reader
    }

    pub fn set_read_timeout(&self, d: Duration) {
        self.writer.set_read_timeout(Some(d)).unwrap();
    }

    pub fn send_raw(&mut self, raw: &[u8]) {
        self.writer.write_all(raw).unwrap();
        self.writer.flush().unwrap();
    }

    /// Sends a request with a Content-Length body.
    pub fn send(&mut self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) {
        let mut raw = format!("{method} {target} HTTP/1.1\r\nhost: 127.0.0.1\r\n");
        for (k, v) in headers {
            raw.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            raw.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        raw.push_str("\r\n");
        let mut bytes = raw.into_bytes();
        bytes.extend_from_slice(body);
        self.send_raw(&bytes);
    }

    fn line(&mut self) -> Option<String> {
        let mut l = String::new();
        match self.reader.read_line(&mut l) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(l.trim_end_matches(['\r', '\n']).to_string()),
        }
    }

    /// Reads one response. `head_request`: no body follows.
    pub fn read_response_to(&mut self, head_request: bool) -> Response {
        let status_line = self.line().expect("connection closed before a response");
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let mut headers = Vec::new();
        loop {
            let l = self.line().expect("closed in headers");
            if l.is_empty() {
                break;
            }
            let (k, v) = l.split_once(':').expect("header without colon");
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        let mut resp = Response {
            status,
            headers,
            body: Vec::new(),
            chunks: Vec::new(),
            chunked: false,
            complete: true,
        };
        if head_request || status == 100 {
            return resp;
        }
        if resp
            .header("transfer-encoding")
            .is_some_and(|t| t.contains("chunked"))
        {
            resp.chunked = true;
            loop {
                let Some(size_line) = self.line() else {
                    resp.complete = false;
                    break;
                };
                let size = usize::from_str_radix(&size_line, 16)
                    .unwrap_or_else(|_| panic!("bad chunk size {size_line:?}"));
                if size == 0 {
                    assert_eq!(self.line().as_deref(), Some(""), "no CRLF after last chunk");
                    break;
                }
                let mut chunk = vec![0; size + 2];
                if self.reader.read_exact(&mut chunk).is_err() {
                    resp.complete = false;
                    break;
                }
                assert_eq!(&chunk[size..], b"\r\n");
                chunk.truncate(size);
                resp.body.extend_from_slice(&chunk);
                resp.chunks.push(chunk);
            }
        } else if let Some(len) = resp.header("content-length") {
            let mut body = vec![0; len.parse().unwrap()];
            self.reader.read_exact(&mut body).unwrap();
            resp.body = body;
        } else {
            self.reader.read_to_end(&mut resp.body).unwrap();
        }
        resp
    }

    pub fn read_response(&mut self) -> Response {
        self.read_response_to(false)
    }

    /// True when the server closed the connection (EOF within the read timeout).
    pub fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.reader.read(&mut b), Ok(0))
    }
}

/// One request on a fresh connection.
pub fn request(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut c = Conn::open(port);
    c.send(method, target, headers, body);
    c.read_response_to(method == "HEAD")
}

/// `POST /v1/messages` with a minimal body for `model` and a user `text`.
pub fn post_message(port: u16, model: &str, text: &str) -> Response {
    let body = serde_json::json!({"model": model, "max_tokens": 100, "stream": true,
        "messages": [{"role": "user", "content": text}]});
    request(
        port,
        "POST",
        "/v1/messages",
        &[("content-type", "application/json")],
        body.to_string().as_bytes(),
    )
}

pub fn post_json(port: u16, target: &str, body: &Value) -> Response {
    request(
        port,
        "POST",
        target,
        &[("content-type", "application/json")],
        body.to_string().as_bytes(),
    )
}
