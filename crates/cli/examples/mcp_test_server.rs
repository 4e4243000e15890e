//! An MCP server for ccrs's tests (std + serde_json only, independent of ccrs's client code).
//!
//! `mcp_test_server [--http] [--crash] [--tools N] [--child MARKER]`
//!   stdio (default): newline-delimited JSON-RPC on stdin/stdout.
//!   --http           streamable HTTP on 127.0.0.1 (port 0); prints `listening on <url>` and
//!                    answers each POST with one JSON body (issues an `Mcp-Session-Id`).
//!   --crash          writes a reason on stderr and exits 3 before reading anything.
//!   --tools N        also offers N generated tools `tool_000`… (first-request measurements).
//!   --child SECS     starts `sleep SECS` (a unique number such as `77777.123`, which the
//!                    no-orphans tests look for in /proc).
//!
//! Tools: `echo {text}` (text), `add {a,b}` (text), `picture` (an image and a resource link),
//! `fail` (isError), `whoami` (the Authorization header seen over HTTP, or "stdio"),
//! `slow {secs}` (answers late; stdio handles one message at a time).
//! Prompt: `greet {name}`. Resource: `test://hello` (text).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

struct Opts {
    extra_tools: usize,
}

fn tools(o: &Opts) -> Vec<Value> {
    let obj =
        |props: Value, req: &[&str]| json!({"type":"object","properties":props,"required":req});
    let mut t = vec![
        json!({"name":"echo","description":"Echo the text back","inputSchema":obj(json!({"text":{"type":"string"}}), &["text"])}),
        json!({"name":"add","description":"Add two numbers","inputSchema":obj(json!({"a":{"type":"number"},"b":{"type":"number"}}), &["a","b"])}),
        json!({"name":"picture","description":"A 1x1 PNG and a link","inputSchema":obj(json!({}), &[])}),
        json!({"name":"fail","description":"Always fails","inputSchema":obj(json!({}), &[])}),
        json!({"name":"whoami","description":"The Authorization header received","inputSchema":obj(json!({}), &[])}),
        json!({"name":"slow","description":"Answers after `secs` seconds","inputSchema":obj(json!({"secs":{"type":"number"}}), &["secs"])}),
    ];
    for i in 0..o.extra_tools {
        t.push(json!({
            "name": format!("tool_{i:03}"),
            "description": format!("Generated tool number {i}: looks up record {i} in the test catalogue and returns its fields"),
            "inputSchema": obj(json!({
                "id": {"type":"string","description":"The record's identifier"},
                "fields": {"type":"array","items":{"type":"string"},"description":"Which fields to return"},
                "limit": {"type":"integer","description":"At most this many results"}
            }), &["id"]),
        }));
    }
    t
}

const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

fn text(s: impl Into<String>) -> Value {
    json!({"content":[{"type":"text","text":s.into()}]})
}

/// The answer to one message, `None` for notifications.
fn handle(msg: &Value, o: &Opts, auth: &str) -> Option<Value> {
    let id = msg.get("id")?.clone();
    let method = msg["method"].as_str().unwrap_or("");
    let p = &msg["params"];
    let result = match method {
        "initialize" => json!({
            "protocolVersion": p["protocolVersion"].as_str().unwrap_or("2025-06-18"),
            "capabilities": {"tools":{"listChanged":true},"prompts":{},"resources":{}},
            "serverInfo": {"name":"ccrs-test-server","version":"1.0.0"},
        }),
        "ping" => json!({}),
        "tools/list" => json!({"tools": tools(o)}),
        "tools/call" => {
            let args = &p["arguments"];
            match p["name"].as_str().unwrap_or("") {
                "echo" => text(args["text"].as_str().unwrap_or("")),
                "add" => text(format!(
                    "{}",
                    args["a"].as_f64().unwrap_or(0.0) + args["b"].as_f64().unwrap_or(0.0)
                )),
                "picture" => json!({"content":[
                    {"type":"image","data":PNG_1X1,"mimeType":"image/png"},
                    {"type":"resource_link","uri":"test://hello","name":"hello"},
                ]}),
                "fail" => {
                    json!({"content":[{"type":"text","text":"this tool always fails"}],"isError":true})
                }
                "whoami" => text(auth),
                "slow" => {
                    let secs = args["secs"].as_f64().unwrap_or(0.0);
                    std::thread::sleep(std::time::Duration::from_secs_f64(secs));
                    text("slept")
                }
                n if n.starts_with("tool_") => text(format!("record of {n}")),
                n => {
                    return Some(json!({"jsonrpc":"2.0","id":id,
                        "error":{"code":-32602,"message":format!("unknown tool {n}")}}));
                }
            }
        }
        "prompts/list" => json!({"prompts":[{"name":"greet","description":"Greet someone",
            "arguments":[{"name":"name","required":true}]}]}),
        "prompts/get" => json!({"messages":[{"role":"user","content":{"type":"text",
            "text":format!("Say hello to {}.", p["arguments"]["name"].as_str().unwrap_or("?"))}}]}),
        "resources/list" => json!({"resources":[{"uri":"test://hello","name":"hello",
            "mimeType":"text/plain"}]}),
        "resources/read" => json!({"contents":[{"uri":"test://hello","mimeType":"text/plain",
            "text":"hello from the test resource"}]}),
        m => {
            return Some(json!({"jsonrpc":"2.0","id":id,
                "error":{"code":-32601,"message":format!("method not found: {m}")}}));
        }
    };
    Some(json!({"jsonrpc":"2.0","id":id,"result":result}))
}

fn stdio(o: &Opts) {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let Ok(msg) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if let Some(r) = handle(&msg, o, "stdio") {
            writeln!(out, "{r}").unwrap();
            out.flush().unwrap();
        }
    }
}

fn serve_http(mut s: TcpStream, o: &Opts) {
    let mut r = BufReader::new(s.try_clone().unwrap());
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let method = line.split(' ').next().unwrap_or("").to_string();
        let (mut len, mut auth, mut session) = (0usize, String::new(), String::new());
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').unwrap_or((h, ""));
            match k.to_ascii_lowercase().as_str() {
                "content-length" => len = v.trim().parse().unwrap_or(0),
                "authorization" => auth = v.trim().to_string(),
                "mcp-session-id" => session = v.trim().to_string(),
                _ => {}
            }
        }
        let mut body = vec![0; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        let reply = |s: &mut TcpStream, status: &str, extra: &str, body: &str| {
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}\r\n{body}",
                body.len()
            );
        };
        if method != "POST" {
            reply(&mut s, "405 Method Not Allowed", "", "");
            continue;
        }
        let msg: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let init = msg["method"] == "initialize";
        if !init && session != "test-session-1" {
            reply(
                &mut s,
                "400 Bad Request",
                "",
                r#"{"error":"missing session"}"#,
            );
            continue;
        }
        match handle(&msg, o, if auth.is_empty() { "none" } else { &auth }) {
            Some(v) => {
                let extra = if init {
                    "mcp-session-id: test-session-1\r\n"
                } else {
                    ""
                };
                reply(&mut s, "200 OK", extra, &v.to_string());
            }
            None => reply(&mut s, "202 Accepted", "", ""),
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let value = |f: &str| {
        args.iter()
            .position(|a| a == f)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    if flag("--crash") {
        eprintln!("test server: cannot open the database (crashing on purpose)");
        std::process::exit(3);
    }
    let o = Opts {
        extra_tools: value("--tools").and_then(|n| n.parse().ok()).unwrap_or(0),
    };
    if let Some(secs) = value("--child") {
        let mut child = std::process::Command::new("sleep")
            .arg(secs)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::spawn(move || child.wait());
    }
    if flag("--http") {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        println!("listening on http://{}/mcp", l.local_addr().unwrap());
        std::io::stdout().flush().unwrap();
        for s in l.incoming().flatten() {
            let o = Opts {
                extra_tools: o.extra_tools,
            };
            std::thread::spawn(move || serve_http(s, &o));
        }
    } else {
        stdio(&o);
    }
}
