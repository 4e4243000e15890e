//! `ccrs doctor`: the core's health report ([`ccrs_core::doctor`]) as text on stdout; the exit
//! status is 1 when an item fails.

use crate::args::Args;
use crate::setup;
use anyhow::Result;
use ccrs_core::api::ClientConfig;
use ccrs_core::auth::AuthConfig;
use std::time::Duration;

/// Where the model a session would use comes from, in `setup::choose_model`'s order.
fn model_source(args: &Args, settings: &ccrs_core::settings::Settings) -> String {
    if args.model.as_deref().is_some_and(|m| !m.trim().is_empty()) {
        "--model".into()
    } else if ccrs_core::env::nonempty("ANTHROPIC_MODEL").is_some() {
        "ANTHROPIC_MODEL".into()
    } else if settings.model().is_some() {
        "the settings' model".into()
    } else {
        format!("the default, {}", ccrs_core::models::DEFAULT_MODEL_ALIAS)
    }
}

pub async fn run(args: &Args) -> Result<i32> {
    let cwd = std::env::current_dir()?;
    let settings_options = setup::settings_options(args, &cwd)?;
    let settings = setup::load_settings(args, &cwd)?;
    let inputs = ccrs_core::doctor::Inputs {
        binary: std::env::current_exe().ok(),
        model: setup::choose_model(args, &settings),
        model_from: model_source(args, &settings),
        auth: AuthConfig::from_env(settings.api_key_helper()),
        client: ClientConfig::from_env("ccrs-doctor"),
        settings,
        settings_options,
        api_timeout: Duration::from_secs(10),
    };
    let report = ccrs_core::doctor::check(&inputs).await;
    print!("{}", report.to_text());
    Ok(if report.failed() { 1 } else { 0 })
}
