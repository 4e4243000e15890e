//! Rules added while the session runs: a custom command's `allowed-tools`, SDK updates, and
//! the user's "yes, don't ask again". The engine only takes them into force; writing them to
//! `.claude/settings.local.json` is the caller's job (`settings::persist_always_allow`).

use super::super::rules::{PATH_TOOLS, RuleBehavior, RuleSource, SourcedRule, Specifier};
use super::{Compiled, PermissionEngine};
use crate::settings::SettingsWriteError;
use std::path::Path;

/// A rule that cannot be granted: it does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a valid permission rule: {message}")]
pub struct InvalidRule {
    pub message: String,
}

impl PermissionEngine {
    /// Adds rules for the rest of the session (malformed ones are skipped).
    pub fn add_session_rules(&self, behavior: RuleBehavior, rules: &[String]) {
        let compiled: Vec<Compiled> = rules
            .iter()
            .filter_map(|r| {
                self.compile(&SourcedRule::new(behavior, r.clone(), RuleSource::Session))
                    .ok()
            })
            .collect();
        self.write_state().rules.extend(compiled);
    }

    /// Removes session rules added by [`add_session_rules`](Self::add_session_rules) (one
    /// occurrence each, the newest first): grants that last one turn, like a custom command's
    /// `allowed-tools`.
    pub fn remove_session_rules(&self, behavior: RuleBehavior, rules: &[String]) {
        let mut st = self.write_state();
        for r in rules {
            if let Some(i) = st.rules.iter().rposition(|c| {
                c.src.source == RuleSource::Session
                    && c.src.behavior == behavior
                    && &c.src.rule == r
            }) {
                st.rules.remove(i);
            }
        }
    }

    /// "Yes, and don't ask again": the rules are in force for this session at once. Returns
    /// the ones that belong in `.claude/settings.local.json` (Bash, WebFetch and other tool
    /// rules; file-path rules stay in the session, as in Claude Code) for the caller to save.
    /// Nothing changes when one of the rules is malformed.
    pub fn grant_always(&self, rules: &[String]) -> Result<Vec<String>, InvalidRule> {
        let mut compiled = Vec::new();
        for r in rules {
            let src = SourcedRule {
                behavior: RuleBehavior::Allow,
                rule: r.clone(),
                source: RuleSource::LocalSettings,
                file: self.local_settings_path.clone(),
            };
            let c = self
                .compile(&src)
                .map_err(|message| InvalidRule { message })?;
            compiled.push(c);
        }
        let (session, to_file): (Vec<Compiled>, Vec<Compiled>) =
            compiled.into_iter().partition(|c| {
                matches!(c.rule.spec, Specifier::Path(_))
                    || c.rule.tool.exact().is_some_and(|t| PATH_TOOLS.contains(&t))
            });
        let file_rules: Vec<String> = to_file.iter().map(|c| c.src.rule.clone()).collect();
        let mut st = self.write_state();
        for mut c in session {
            c.src.source = RuleSource::Session;
            c.src.file = None;
            st.rules.push(c);
        }
        st.rules.extend(to_file);
        Ok(file_rules)
    }

    /// The rule editor (`/permissions`): adds `add` to or removes `remove` from the `behavior`
    /// list of the settings file `file` (of `source`), on disk (atomically, through the settings
    /// writer) and in force at once. Without a file, session rules are edited. Nothing changes
    /// when a rule does not parse or the file cannot be written.
    pub fn edit_rules(
        &self,
        behavior: RuleBehavior,
        source: RuleSource,
        file: Option<&Path>,
        add: &[String],
        remove: &[String],
    ) -> Result<(), SettingsWriteError> {
        let mut compiled = Vec::new();
        for r in add {
            let src = SourcedRule {
                behavior,
                rule: r.clone(),
                source: source.clone(),
                file: file.map(Path::to_path_buf),
            };
            let c = self
                .compile(&src)
                .map_err(|message| SettingsWriteError::InvalidRule { message })?;
            compiled.push(c);
        }
        if let Some(path) = file {
            crate::settings::edit_rules(path, behavior.as_str(), add, remove)?;
        }
        let mut st = self.write_state();
        // One file per source: the source says which rules came from it.
        st.rules.retain(|c| {
            !(c.src.behavior == behavior && c.src.source == source && remove.contains(&c.src.rule))
        });
        for c in compiled {
            if !st.rules.iter().any(|o| {
                o.src.behavior == behavior && o.src.source == source && o.src.rule == c.src.rule
            }) {
                st.rules.push(c);
            }
        }
        Ok(())
    }
}
