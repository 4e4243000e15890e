//! `ccrs`: a lightweight, drop-in reimplementation of Claude Code.

mod args;
mod auth_setup;
mod diagnostics;
mod doctor;
mod explain;
mod login;
mod mcp_cmd;
mod output;
mod print_mode;
mod sdk;
mod sdk_messages;
mod setup;
mod tui;

use args::Args;
use std::process::ExitCode;

fn version_line() -> String {
    format!(
        "{} (ccrs; Claude Code {} compatible)",
        ccrs_core::VERSION,
        ccrs_core::CLAUDE_CODE_COMPAT_VERSION
    )
}

fn main() -> ExitCode {
    // `--version` answers before anything else is set up.
    // `args_os`: a non-UTF-8 argument is the parser's error to report, not a panic here.
    let raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if raw.len() == 2 && matches!(raw[1].to_str(), Some("-v" | "--version" | "-V")) {
        output::text(&version_line());
        return ExitCode::SUCCESS;
    }
    // The detached OAuth refresher (ccrs_core::auth::refresher), started by ccrs itself.
    if raw.len() == 2 && raw[1].to_str() == Some(ccrs_core::auth::refresher::CHILD_ARG) {
        return ExitCode::from(ccrs_core::auth::refresher::run_child().clamp(0, 255) as u8);
    }
    // ccrs re-executed as the exec helper between itself and a program it starts: no runtime,
    // no settings, nothing else.
    if raw.len() > 1 && ccrs_core::process::is_helper_arg(&raw[1]) {
        let code = ccrs_core::process::helper::main(&raw[2..]);
        return ExitCode::from(code.clamp(0, 255) as u8);
    }
    // Children run under the helper: ccrs itself, through /proc/self/exe so an upgrade of the
    // binary during the session does not matter.
    ccrs_core::process::set_helper(if std::path::Path::new("/proc/self/exe").exists() {
        std::path::PathBuf::from("/proc/self/exe")
    } else {
        match std::env::current_exe() {
            Ok(p) => p,
            Err(_) => std::path::PathBuf::from(&raw[0]),
        }
    });
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            e.print();
            return ExitCode::from(e.exit_code());
        }
    };
    if args.version {
        output::text(&version_line());
        return ExitCode::SUCCESS;
    }
    // The session id is chosen here so the debug log can be named after it (a resumed
    // session keeps its own).
    if let Some(id) = &args.session_id
        && uuid::Uuid::parse_str(id).is_err()
    {
        eprintln!("Error: Invalid session ID. Must be a valid UUID.");
        return ExitCode::from(1);
    }
    if let Err(e) = setup::check_session_flags(&args) {
        eprintln!("Error: {e}");
        return ExitCode::from(1);
    }
    let resume = if args.command.is_none() {
        let found = std::env::current_dir()
            .map_err(anyhow::Error::from)
            .and_then(|cwd| setup::find_resume(&args, &cwd));
        match found {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{e:#}");
                return ExitCode::from(1);
            }
        }
    } else {
        setup::Resume::New
    };
    let session_id = setup::session_id(&args, &resume);
    let debug_file = match diagnostics::install(&args, &session_id) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("Error: {e:#}");
            return ExitCode::from(1);
        }
    };
    // Atomic writes record their temp files; those of killed runs are removed here.
    ccrs_core::fsutil::temp::enable_journal(
        ccrs_core::paths::ccrs_config_dir().join("pending-writes"),
    );
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ccrs: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = rt.block_on(async move {
        if args.command.is_some() {
            // `login` and `logout` see the settings' `env` as a session would: a key set there
            // still wins over the stored login (and they say so), `CCRS_OAUTH_*` apply.
            let options = setup::options(&args, &std::env::current_dir()?)?;
            ccrs_core::session::load_settings(&options);
        }
        match &args.command {
            Some(args::Command::Login { api_key, oauth }) => {
                let opts = login::LoginOptions {
                    api_key: *api_key,
                    oauth: *oauth,
                    ..login::LoginOptions::default()
                };
                return login::login(&opts).await.map(|()| 0);
            }
            Some(args::Command::Logout) => return login::logout().map(|()| 0),
            Some(args::Command::PermissionsExplain { tool, input }) => {
                return explain::run(&args, tool, input).map(i32::from);
            }
            Some(args::Command::Mcp(cmd)) => {
                let cwd = std::env::current_dir()?;
                return mcp_cmd::run((**cmd).clone(), &cwd).await;
            }
            Some(args::Command::Doctor) => return doctor::run(&args).await,
            None => {}
        }
        if args.input_format == args::InputFormat::StreamJson {
            sdk::run(args, session_id, resume).await
        } else if args.print {
            print_mode::run(args, session_id, resume).await
        } else {
            tui::run(args, session_id, resume, debug_file).await
        }
    });
    // Dropping the runtime would wait for every blocking task, and one stuck in the kernel (a
    // FIFO opened by a dependency, a hung network file system) would keep the process alive
    // after a cancelled tool gave up on it.
    rt.shutdown_timeout(std::time::Duration::from_millis(300));
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::from(1)
        }
    }
}
