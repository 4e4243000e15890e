//! `ccrs doctor`: the core's health report ([`ccrs_core::doctor`]) as text on stdout; the exit
//! status is 1 when an item fails.

use crate::args::Args;
use crate::setup;
use anyhow::Result;
use ccrs_core::api::ClientConfig;
use ccrs_core::auth::AuthConfig;
use ccrs_core::session::{Origin, SessionSetup};
use std::time::Duration;

pub async fn run(args: &Args) -> Result<i32> {
    let cwd = std::env::current_dir()?;
    let options = setup::options(args, &cwd)?;
    let settings_options = ccrs_core::session::load_options(&options);
    // Reads the settings (installing their `env`) and resolves the model as a session would.
    let prepared = SessionSetup::load(options)?;
    let config = prepared.config();
    let model_from = match &config.model_origin {
        Origin::Flag => "--model".to_string(),
        Origin::Env(var) => (*var).to_string(),
        Origin::Settings(s) => format!("the {} settings' model", s.as_str()),
        Origin::Default => format!("the default, {}", ccrs_core::models::DEFAULT_MODEL_ALIAS),
    };
    let settings = prepared.settings().clone();
    let inputs = ccrs_core::doctor::Inputs {
        binary: std::env::current_exe().ok(),
        model: config.model.clone(),
        model_from,
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
