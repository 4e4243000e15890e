//! What ccrs and its exec helper say to each other: the helper's argv, and the one-line reports
//! it writes on the status pipe.

use super::Exit;
use std::ffi::{OsStr, OsString};

/// `argv[1]` that makes `ccrs` run as the exec helper. Checked first thing in `main`.
pub const HELPER_ARG: &str = "__ccrs-exec-helper";

/// The helper's arguments after [`HELPER_ARG`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelperArgs {
    /// The pid of the ccrs that spawned it (whose descriptors it opens through /proc).
    pub ppid: i32,
    /// ccrs's descriptor of the control pipe's read end; end of file = kill everything.
    pub control_fd: i32,
    /// ccrs's descriptor of the status pipe's write end.
    pub status_fd: i32,
    /// Put the program in a new process group.
    pub group: bool,
    /// Only check that the pipes can be opened, start nothing.
    pub probe: bool,
    /// The confinement to apply, as JSON.
    pub confine: Option<String>,
    pub program: OsString,
    pub args: Vec<OsString>,
}

impl HelperArgs {
    pub fn to_argv(&self) -> Vec<OsString> {
        let mut v: Vec<OsString> = vec![
            HELPER_ARG.into(),
            self.ppid.to_string().into(),
            self.control_fd.to_string().into(),
            self.status_fd.to_string().into(),
            match (self.probe, self.group) {
                (true, _) => "probe",
                (false, true) => "group",
                (false, false) => "nogroup",
            }
            .into(),
            self.confine.clone().unwrap_or_else(|| "-".into()).into(),
            "--".into(),
            self.program.clone(),
        ];
        v.extend(self.args.iter().cloned());
        v
    }

    /// Parses the arguments after [`HELPER_ARG`].
    pub fn parse(argv: &[OsString]) -> Result<Self, String> {
        let s = |i: usize| -> Result<&str, String> {
            argv.get(i)
                .and_then(|a| a.to_str())
                .ok_or_else(|| format!("argument {i} missing or not UTF-8"))
        };
        let num = |i: usize| -> Result<i32, String> {
            s(i)?
                .parse()
                .map_err(|_| format!("argument {i} is not a number"))
        };
        if s(5)? != "--" {
            return Err("malformed helper arguments".into());
        }
        let program = argv.get(6).ok_or("no program")?.clone();
        Ok(HelperArgs {
            ppid: num(0)?,
            control_fd: num(1)?,
            status_fd: num(2)?,
            group: s(3)? == "group",
            probe: s(3)? == "probe",
            confine: Some(s(4)?).filter(|c| *c != "-").map(str::to_string),
            program,
            args: argv[7..].to_vec(),
        })
    }
}

/// One line on the status pipe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    /// Something the confinement could not enforce (sent before `Started`).
    Warning(String),
    /// The program runs with this pid.
    Started(u32),
    /// The program could not be started (confinement or exec failure); the helper exits.
    Failed { errno: i32, message: String },
    /// The program ended (descendants it left may still run under the helper).
    Ended(Exit),
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

impl Report {
    pub fn encode(&self) -> String {
        match self {
            Report::Warning(w) => format!("W {}\n", one_line(w)),
            Report::Started(pid) => format!("S {pid}\n"),
            Report::Failed { errno, message } => format!("F {errno} {}\n", one_line(message)),
            Report::Ended(Exit::Code(c)) => format!("X {c}\n"),
            Report::Ended(Exit::Signal(s)) => format!("K {s}\n"),
        }
    }

    pub fn decode(line: &str) -> Option<Report> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let (tag, rest) = line.split_once(' ').unwrap_or((line, ""));
        match tag {
            "W" => Some(Report::Warning(rest.to_string())),
            "S" => rest.parse().ok().map(Report::Started),
            "F" => {
                let (errno, message) = rest.split_once(' ').unwrap_or((rest, ""));
                Some(Report::Failed {
                    errno: errno.parse().ok()?,
                    message: message.to_string(),
                })
            }
            "X" => rest.parse().ok().map(|c| Report::Ended(Exit::Code(c))),
            "K" => rest.parse().ok().map(|s| Report::Ended(Exit::Signal(s))),
            _ => None,
        }
    }
}

/// Whether `arg` (argv[1]) asks for the exec helper.
pub fn is_helper_arg(arg: &OsStr) -> bool {
    arg == OsStr::new(HELPER_ARG)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_round_trip() {
        let a = HelperArgs {
            ppid: 42,
            control_fd: 7,
            status_fd: 9,
            group: true,
            probe: false,
            confine: Some("{\"a\":1}".into()),
            program: "/bin/sh".into(),
            args: vec!["-c".into(), "echo -- x".into()],
        };
        let argv = a.to_argv();
        assert!(is_helper_arg(&argv[0]));
        assert_eq!(HelperArgs::parse(&argv[1..]).unwrap(), a);
        let b = HelperArgs {
            group: false,
            probe: true,
            confine: None,
            args: vec![],
            ..a
        };
        assert_eq!(HelperArgs::parse(&b.to_argv()[1..]).unwrap(), b);
        assert!(HelperArgs::parse(&[]).is_err());
    }

    #[test]
    fn reports_round_trip() {
        for r in [
            Report::Warning("no network rules\nhere".into()),
            Report::Started(123),
            Report::Failed {
                errno: 2,
                message: "No such file".into(),
            },
            Report::Ended(Exit::Code(3)),
            Report::Ended(Exit::Signal(9)),
        ] {
            let line = r.encode();
            assert_eq!(line.matches('\n').count(), 1);
            let back = Report::decode(&line).unwrap();
            match (&r, &back) {
                (Report::Warning(_), Report::Warning(w)) => assert!(!w.contains('\n')),
                _ => assert_eq!(back, r),
            }
        }
        assert_eq!(Report::decode("garbage"), None);
    }
}
