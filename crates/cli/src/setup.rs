//! Builds a session (settings, permissions, credentials, tools, system prompt, agent) from the
//! command line. Shared by print mode and the interactive UI.

use crate::args::Args;
use anyhow::{Context, Result, bail};
use ccrs_core::agent::{Agent, AgentConfig, AgentParts};
use ccrs_core::api::{ApiClient, ClientConfig, SystemBlock};
use ccrs_core::auth::{AuthProvider, CredentialSource};
use ccrs_core::permissions::{
    Mode, PermissionConfig, PermissionEngine, PermissionPrompter, RuleBehavior, RuleSource,
    SourcedRule,
};
use ccrs_core::settings::{LoadOptions, Settings, SettingsSource};
use ccrs_core::tools::ToolRegistry;
use std::path::PathBuf;
use std::sync::Arc;

/// Everything a front end needs to run a session.
#[allow(dead_code)] // `settings` and `cwd` serve the interactive UI (/status, /permissions).
pub struct Session {
    pub agent: Agent,
    pub settings: Settings,
    pub cwd: PathBuf,
    pub session_id: String,
    pub auth_source: CredentialSource,
    /// Problems to show the user (settings files, rules).
    pub warnings: Vec<String>,
}

/// Splits `--setting-sources user,project,local` (an empty string = none).
fn parse_sources(s: &str) -> Result<Vec<SettingsSource>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        out.push(match part {
            "user" => SettingsSource::User,
            "project" => SettingsSource::Project,
            "local" => SettingsSource::Local,
            other => {
                bail!("invalid --setting-sources value '{other}' (expected user, project, local)")
            }
        });
    }
    Ok(out)
}

fn read_text_arg(path: &str, flag: &str) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("{flag}: cannot read {path}"))
}

/// `--permission-mode`, `--dangerously-skip-permissions`, then the settings' `defaultMode`.
fn permission_mode(args: &Args, settings: &Settings, warnings: &mut Vec<String>) -> Result<Mode> {
    let mut mode = match settings.default_mode() {
        Ok(m) => m.unwrap_or_default(),
        Err(e) => {
            warnings.push(format!("settings: permissions.defaultMode: {e}"));
            Mode::Default
        }
    };
    if let Some(m) = &args.permission_mode {
        mode = m.parse::<Mode>().map_err(anyhow::Error::msg)?;
    }
    if args.dangerously_skip_permissions {
        mode = Mode::BypassPermissions;
    }
    if mode == Mode::BypassPermissions
        && let Some(refusal) =
            ccrs_core::permissions::bypass_refusal(settings.disable_bypass_permissions_mode())
    {
        bail!(refusal);
    }
    Ok(mode)
}

/// The system prompt: `--system-prompt(-file)` replaces ccrs's own (an empty one sends none),
/// `--append-system-prompt(-file)` adds a block.
fn system_prompt(
    args: &Args,
    cwd: &std::path::Path,
    extra_dirs: &[PathBuf],
    model: &str,
) -> Result<Vec<SystemBlock>> {
    if args.system_prompt.is_some() && args.system_prompt_file.is_some() {
        bail!("--system-prompt and --system-prompt-file cannot be used together");
    }
    let base = match (&args.system_prompt, &args.system_prompt_file) {
        (Some(s), _) => s.clone(),
        (None, Some(f)) => read_text_arg(f, "--system-prompt-file")?,
        (None, None) => {
            let env = ccrs_core::prompt::Environment::detect(cwd, extra_dirs, model);
            ccrs_core::prompt::default_system_prompt(&env)
        }
    };
    let mut blocks = Vec::new();
    if !base.trim().is_empty() {
        blocks.push(SystemBlock::new(base));
    }
    let append = match (&args.append_system_prompt, &args.append_system_prompt_file) {
        (Some(s), _) => Some(s.clone()),
        (None, Some(f)) => Some(read_text_arg(f, "--append-system-prompt-file")?),
        _ => None,
    };
    if let Some(a) = append.filter(|a| !a.trim().is_empty()) {
        blocks.push(SystemBlock::new(a));
    }
    Ok(blocks)
}

/// Restricts the built-in tools per `--tools` ("" = none, "default" = all, or a list).
fn select_tools(spec: Option<&str>) -> Result<ToolRegistry> {
    let mut reg = ToolRegistry::builtin();
    match spec.map(str::trim) {
        None | Some("default") => {}
        Some("") => reg.retain(|_| false),
        Some(list) => {
            let wanted: Vec<&str> = list
                .split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            for w in &wanted {
                if reg.get(w).is_none() {
                    bail!(
                        "--tools: unknown tool '{w}' (available: {})",
                        reg.names().join(", ")
                    );
                }
            }
            reg.retain(|t| {
                wanted
                    .iter()
                    .any(|w| *w == t.name() || t.aliases().contains(w))
            });
        }
    }
    Ok(reg)
}

/// The model: `--model`, then `ANTHROPIC_MODEL`, then the settings' `model`, then the default.
pub fn choose_model(args: &Args, settings: &Settings) -> String {
    let name = args
        .model
        .clone()
        .filter(|m| !m.trim().is_empty())
        .or_else(|| ccrs_core::env::nonempty("ANTHROPIC_MODEL"))
        .or_else(|| settings.model())
        .unwrap_or_else(|| ccrs_core::models::DEFAULT_MODEL_ALIAS.to_string());
    ccrs_core::models::resolve_alias(&name)
}

pub struct SetupOptions {
    pub prompter: Arc<dyn PermissionPrompter>,
    pub auth: Arc<dyn AuthProvider>,
}

/// Loads settings and installs their `env` overlay (first, so everything after sees it).
pub fn load_settings(args: &Args, cwd: &std::path::Path) -> Result<Settings> {
    let mut opts = LoadOptions::new(cwd);
    opts.flag_settings = args.settings.clone();
    if let Some(s) = &args.setting_sources {
        opts.sources = Some(parse_sources(s)?);
    }
    let settings = Settings::load(&opts);
    ccrs_core::env::set_overlay(settings.env());
    Ok(settings)
}

/// The permission engine the flags and settings describe (also used by `ccrs permissions
/// explain`), and the extra working directories.
pub fn permission_engine(
    args: &Args,
    settings: &Settings,
    cwd: &std::path::Path,
    warnings: &mut Vec<String>,
) -> Result<(PermissionEngine, Vec<PathBuf>)> {
    let mode = permission_mode(args, settings, warnings)?;
    let mut rules = settings.permission_rules();
    for r in Args::split_rules(&args.disallowed_tools) {
        rules.push(SourcedRule::new(RuleBehavior::Deny, r, RuleSource::CliArg));
    }
    for r in Args::split_rules(&args.allowed_tools) {
        rules.push(SourcedRule::new(RuleBehavior::Allow, r, RuleSource::CliArg));
    }
    let mut extra_dirs = settings.additional_directories(cwd);
    for d in &args.add_dir {
        let p = cwd.join(d);
        if !p.is_dir() {
            bail!("--add-dir: {} is not a directory", p.display());
        }
        extra_dirs.push(p);
    }
    let engine = PermissionEngine::new(PermissionConfig {
        mode,
        rules,
        cwd: cwd.to_path_buf(),
        additional_dirs: extra_dirs.clone(),
        local_settings_path: Some(cwd.join(".claude").join("settings.local.json")),
        disable_bypass: settings.disable_bypass_permissions_mode(),
        home: None,
    });
    Ok((engine, extra_dirs))
}

pub fn build(args: &Args, settings: Settings, cwd: PathBuf, opts: SetupOptions) -> Result<Session> {
    let mut warnings = settings.warnings.clone();
    let session_id = match &args.session_id {
        Some(id) => {
            uuid::Uuid::parse_str(id)
                .map_err(|_| anyhow::anyhow!("Invalid session ID. Must be a valid UUID."))?;
            id.clone()
        }
        None => uuid::Uuid::new_v4().to_string(),
    };
    let (permissions, extra_dirs) = permission_engine(args, &settings, &cwd, &mut warnings)?;
    let permissions = Arc::new(permissions);
    warnings.extend(permissions.warnings().iter().cloned());

    let model = choose_model(args, &settings);
    let mut client_cfg = ClientConfig::from_env(&session_id);
    client_cfg.betas = Args::split_rules(&args.betas);
    let auth_source = opts.auth.source();
    let client =
        Arc::new(ApiClient::new(client_cfg, opts.auth).map_err(|e| anyhow::anyhow!("{e}"))?);
    let tools = select_tools(args.tools.as_deref())?;
    let system = system_prompt(args, &cwd, &extra_dirs, &model)?;
    let thinking_budget = args
        .max_thinking_tokens
        .or_else(|| ccrs_core::env::parse::<u64>("MAX_THINKING_TOKENS"))
        .filter(|b| *b > 0);
    let config = AgentConfig {
        model,
        small_model: ccrs_core::models::resolve_alias("haiku"),
        system,
        max_turns: args.max_turns,
        max_tokens: None,
        thinking_budget,
        max_budget_usd: args.max_budget_usd,
        session_id: session_id.clone(),
    };
    let agent = Agent::new(AgentParts {
        config,
        client,
        tools,
        permissions,
        prompter: opts.prompter,
        cwd: cwd.clone(),
        env: settings.env(),
    });
    Ok(Session {
        agent,
        settings,
        cwd,
        session_id,
        auth_source,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_sources_parse() {
        assert!(parse_sources("").unwrap().is_empty());
        assert_eq!(
            parse_sources("user, local").unwrap(),
            vec![SettingsSource::User, SettingsSource::Local]
        );
        assert!(parse_sources("global").is_err());
    }
}
