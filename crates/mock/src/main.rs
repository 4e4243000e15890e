//! `ccrs-mock [--port N] [--scenario FILE]`: a scripted stand-in for the Anthropic API on
//! 127.0.0.1. Without a scenario it answers with a small demo brain (see README.md).

use ccrs_mock::{MockServer, Reply, Scenario};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: ccrs-mock [--port N] [--scenario FILE] [--tls DIR]

Serves a scripted Anthropic Messages API on 127.0.0.1 until killed.
  --port N         port to bind (default 0: any free port)
  --scenario FILE  scenario JSON (replies, fallback, routes, oauth); without it a demo
                   brain answers: \"run <cmd>\" -> a Bash tool call, tool results are echoed
  --tls DIR        serve HTTPS with a test CA made now; its certificate is written to
                   DIR/ca.pem (point NODE_EXTRA_CA_CERTS at it)
Prints `listening on http://127.0.0.1:PORT` (https with --tls) once ready.";

struct Args {
    port: u16,
    scenario: Option<PathBuf>,
    tls: Option<PathBuf>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut out = Args {
        port: 0,
        scenario: None,
        tls: None,
    };
    while let Some(a) = args.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                let v = value()?;
                out.port = v.parse().map_err(|_| format!("invalid port '{v}'"))?;
            }
            "--scenario" => out.scenario = Some(PathBuf::from(value()?)),
            "--tls" => out.tls = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(Some(out))
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("ccrs-mock: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let scenario = match &args.scenario {
        Some(path) => match Scenario::from_file(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("ccrs-mock: cannot load scenario: {e}");
                return ExitCode::from(2);
            }
        },
        None => Scenario::new().fallback(Reply::demo()),
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ccrs-mock: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let ca = match &args.tls {
        None => None,
        Some(dir) => {
            let made = ccrs_mock::TestCa::new("ccrs-mock test CA").and_then(|ca| {
                std::fs::create_dir_all(dir)?;
                std::fs::write(dir.join("ca.pem"), &ca.ca_pem)?;
                Ok(ca)
            });
            match made {
                Ok(ca) => Some(ca),
                Err(e) => {
                    eprintln!("ccrs-mock: --tls {}: {e}", dir.display());
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    rt.block_on(async {
        let started = match &ca {
            Some(ca) => MockServer::start_tls_on(scenario, args.port, ca).await,
            None => MockServer::start_on(scenario, args.port).await,
        };
        let server = match started {
            Ok(s) => s,
            Err(e) => {
                eprintln!("ccrs-mock: cannot bind 127.0.0.1:{}: {e}", args.port);
                return ExitCode::FAILURE;
            }
        };
        let mut out = std::io::stdout();
        let _ = writeln!(out, "listening on {}", server.base_url());
        let _ = out.flush();
        std::future::pending::<()>().await;
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(a: &[&str]) -> Result<Option<Args>, String> {
        parse_args(a.iter().map(|s| s.to_string()))
    }

    #[test]
    fn args() {
        let a = parse(&["--port", "8080", "--scenario=x.json", "--tls", "d"])
            .unwrap()
            .unwrap();
        assert_eq!(a.port, 8080);
        assert_eq!(a.scenario, Some(PathBuf::from("x.json")));
        assert_eq!(a.tls, Some(PathBuf::from("d")));
        assert!(parse(&["--help"]).unwrap().is_none());
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--port", "x"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }
}
