//! `ccrs`: a lightweight, drop-in reimplementation of Claude Code.

mod args;
mod auth_setup;
mod explain;
mod login;
mod print_mode;
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
        println!("{}", version_line());
        return ExitCode::SUCCESS;
    }
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            e.print();
            return ExitCode::from(e.exit_code());
        }
    };
    if args.version {
        println!("{}", version_line());
        return ExitCode::SUCCESS;
    }
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
            setup::load_settings(&args, &std::env::current_dir()?)?;
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
            None => {}
        }
        if args.print {
            print_mode::run(args).await
        } else {
            tui::run(args).await
        }
    });
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("Error: {e:#}");
            ExitCode::from(1)
        }
    }
}
