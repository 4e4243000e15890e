//! The `Agent` tool (`Task` before Claude Code 2.1): runs a subagent — a nested agent loop with
//! its own conversation, system prompt and tools — and returns its final report as the tool
//! result.
//!
//! A subagent shares with its parent what must stay one: the API client, the permission engine
//! (the parent's rules and mode decide every call it makes), the prompter (questions go to the
//! same user or SDK host) and the Bash sandbox. It gets its own conversation, file-read records,
//! todo list and background shells (ended with it). Its events reach the parent's sink wrapped
//! in [`AgentEvent::Nested`] with the Agent call's id (stream-json's `parent_tool_use_id`); its
//! usage is added to the parent's through the side-usage record. Several Agent calls in one
//! reply run concurrently ([`Tool::is_concurrency_safe`]). Subagents cannot start subagents.

use super::definitions::{AgentDefinition, find};
use super::{Agent, AgentConfig, AgentParts, Outcome, ToolSet};
use crate::BoxFuture;
use crate::api::{ApiClient, ContentBlock, SystemBlock};
use crate::events::{AgentEvent, ChildSink, EventSink, INTERRUPTED_TOOL_USE, ToolOutput};
use crate::permissions::{PermissionEngine, PermissionPrompter};
use crate::tools::{Subject, Tool, ToolContext, ToolRegistry};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

/// The tool's name (Claude Code 2.1's); `Task` is accepted as an alias.
pub const AGENT_TOOL: &str = "Agent";
/// Used when the call names no `subagent_type`.
pub const DEFAULT_AGENT: &str = "general-purpose";

/// Tools a subagent never gets: no nesting, and leaving plan mode is the main thread's.
const NOT_FOR_SUBAGENTS: &[&str] = &[AGENT_TOOL, "ExitPlanMode"];

/// What a subagent borrows from the session that runs it.
pub struct SubagentHost {
    pub client: Arc<ApiClient>,
    /// The parent's registry, as it is when a subagent starts (MCP tools added later included).
    pub tools: ToolSet,
    pub permissions: Arc<PermissionEngine>,
    pub prompter: Arc<dyn PermissionPrompter>,
    pub cwd: PathBuf,
    pub additional_dirs: Vec<PathBuf>,
    pub env: Vec<(String, String)>,
    pub small_model: String,
    pub thinking_budget: Option<u64>,
    pub session_id: String,
    /// The session's hooks: a subagent's calls run them too, and its end fires `SubagentStop`.
    pub hooks: crate::hooks::Hooks,
    /// The session's transcript (set once it is open): each subagent writes its sidechain
    /// beside it.
    pub transcript: std::sync::OnceLock<crate::transcript::Transcript>,
}

/// The Agent tool, for one set of definitions (a new set registers a new tool).
pub struct AgentTool {
    host: Arc<SubagentHost>,
    agents: Arc<Vec<AgentDefinition>>,
    description: String,
}

/// A stable id for the subagent of a tool call (`a` and 16 hex digits, like Claude Code's).
pub fn agent_id(tool_use_id: &str) -> String {
    // FNV-1a, twice with different offsets: stable across runs, no dependency.
    let hash = |seed: u64| {
        tool_use_id.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    format!(
        "a{:08x}{:08x}",
        hash(0xcbf2_9ce4_8422_2325) as u32,
        hash(0x8422_2325_cbf2_9ce4) as u32
    )
}

impl AgentTool {
    pub fn new(host: Arc<SubagentHost>, agents: Vec<AgentDefinition>) -> Self {
        let mut description = String::from(
            "Launch a subagent to carry out a multi-step task on its own, with a fresh context. \
             It returns one final report, which the user does not see: pass on what matters. \
             Give it a complete, self-contained prompt and say what to report back. Several \
             calls in one reply run at once.\nsubagent_type (default general-purpose):",
        );
        for a in &agents {
            let tools = match &a.tools {
                None => "all tools".to_string(),
                Some(t) => t.join(", "),
            };
            description.push_str(&format!("\n- {}: {} ({tools})", a.name, a.description));
        }
        AgentTool {
            host,
            agents: Arc::new(agents),
            description,
        }
    }

    pub fn agents(&self) -> &[AgentDefinition] {
        &self.agents
    }

    /// The parent's tools as a definition allows them.
    fn tools_for(&self, def: &AgentDefinition) -> ToolRegistry {
        let mut reg = self.host.tools.snapshot();
        let allows = |t: &dyn Tool, list: &[String]| {
            list.iter().any(|w| {
                // A rule-like entry (`Bash(git:*)`) names its tool.
                let w = w.split('(').next().unwrap_or(w).trim();
                w == t.name() || t.aliases().contains(&w)
            })
        };
        reg.retain(|t| {
            !NOT_FOR_SUBAGENTS.contains(&t.name())
                && def.tools.as_deref().is_none_or(|list| allows(t, list))
                && !allows(t, &def.disallowed_tools)
        });
        reg
    }

    async fn run(&self, input: Value, ctx: &ToolContext) -> ToolOutput {
        let started = Instant::now();
        let prompt = input.get("prompt").and_then(Value::as_str).unwrap_or("");
        let kind = input
            .get("subagent_type")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_AGENT);
        let Some(def) = find(&self.agents, kind) else {
            let names: Vec<&str> = self.agents.iter().map(|a| a.name.as_str()).collect();
            return ToolOutput::tool_use_error(format!(
                "Agent type '{kind}' not found. Available agents: {}",
                names.join(", ")
            ));
        };
        let host = &self.host;
        let model = input
            .get("model")
            .and_then(Value::as_str)
            .filter(|m| !m.trim().is_empty())
            .or(def.model())
            .map(str::to_string)
            .or_else(|| ctx.env_var("CLAUDE_CODE_SUBAGENT_MODEL"))
            .map(|m| crate::models::resolve_alias(&m))
            .unwrap_or_else(|| ctx.model.clone());
        let env = crate::prompt::Environment::detect(&host.cwd, &host.additional_dirs, &model);
        let mut system = def.prompt.trim().to_string();
        if !system.is_empty() {
            system.push_str("\n\n");
        }
        system.push_str(&env.render());
        let agent_id = agent_id(&ctx.tool_use_id);
        crate::debug_log!(
            crate::log::TOOLS,
            "subagent {agent_id} ({}) started for {} on {model}",
            def.name,
            ctx.tool_use_id
        );
        let mut agent = Agent::new(AgentParts {
            config: AgentConfig {
                model: model.clone(),
                small_model: host.small_model.clone(),
                system: vec![SystemBlock::new(system)],
                max_turns: def.max_turns,
                max_tokens: None,
                thinking_budget: host.thinking_budget,
                max_budget_usd: None,
                session_id: host.session_id.clone(),
                json_schema: None,
            },
            client: host.client.clone(),
            tools: self.tools_for(def),
            permissions: host.permissions.clone(),
            prompter: host.prompter.clone(),
            cwd: host.cwd.clone(),
            env: host.env.clone(),
        });
        let sidechain = host.transcript.get().map(|t| {
            t.subagent(
                &agent_id,
                &serde_json::json!({
                    "agentType": def.name,
                    "description": input.get("description").and_then(Value::as_str).unwrap_or(""),
                    "toolUseId": ctx.tool_use_id,
                    "spawnDepth": 1,
                }),
            )
        });
        let sidechain_path = sidechain.as_ref().map(|t| t.path());
        agent.set_hooks(
            host.hooks
                .for_subagent(&agent_id, &def.name, sidechain_path),
        );
        agent.set_transcript(sidechain);
        if let Some(sb) = ctx.session.sandbox.get() {
            let _ = agent.session_state().sandbox.set(sb.clone());
        }
        let sink = Arc::new(CountingSink {
            inner: ChildSink::new(ctx.events.clone(), ctx.tool_use_id.clone()),
            tool_uses: AtomicU32::new(0),
        });
        let res = agent
            .query(vec![ContentBlock::text(prompt)], sink.clone(), &ctx.cancel)
            .await;
        // Its background shells end with it.
        agent.session_state().shells.kill_all();
        for mu in &res.model_usage {
            ctx.session.record_side_usage(&mu.model, &mu.usage);
        }
        let tool_uses = sink.tool_uses.load(Ordering::Relaxed);
        let duration_ms = started.elapsed().as_millis() as u64;
        crate::debug_log!(
            crate::log::TOOLS,
            "subagent {agent_id} finished ({:?}) after {} requests, {tool_uses} tool calls",
            std::mem::discriminant(&res.outcome),
            res.num_turns
        );
        let text = res.result_text.trim().to_string();
        let (status, output) = match &res.outcome {
            Outcome::Completed | Outcome::MaxBudget | Outcome::StructuredOutputRetries => {
                let shown = if text.is_empty() {
                    "(the agent finished without a report)".to_string()
                } else {
                    text.clone()
                };
                ("completed", ToolOutput::ok(shown))
            }
            Outcome::MaxTurns => (
                "completed",
                ToolOutput::ok(format!(
                    "{text}\n\n[The agent stopped at its limit of {} turns before finishing.]",
                    res.num_turns
                )),
            ),
            Outcome::HookStopped { reason } => (
                "completed",
                ToolOutput::ok(format!("{text}\n\n[A hook stopped the agent: {reason}]")),
            ),
            Outcome::Cancelled => ("killed", ToolOutput::error(INTERRUPTED_TOOL_USE)),
            Outcome::Failed(e) => (
                "failed",
                ToolOutput::error(format!("The agent failed: {e}")),
            ),
        };
        let usage = &res.usage;
        output.with_structured(json!({
            "status": status,
            "agentId": agent_id,
            "agentType": def.name,
            "content": [{"type": "text", "text": text}],
            "totalToolUseCount": tool_uses,
            "totalDurationMs": duration_ms,
            "totalTokens": usage.total_input() + usage.output_tokens,
            "usage": usage,
            "prompt": prompt,
        }))
    }
}

/// Passes a subagent's events on (wrapped with the Agent call's id) and counts its tool calls.
struct CountingSink {
    inner: ChildSink,
    tool_uses: AtomicU32,
}

impl EventSink for CountingSink {
    fn emit(&self, event: AgentEvent) {
        if matches!(event, AgentEvent::ToolFinished { .. }) {
            self.tool_uses.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.emit(event);
    }
}

impl Tool for AgentTool {
    fn name(&self) -> &str {
        AGENT_TOOL
    }

    fn aliases(&self) -> &[&str] {
        &["Task"]
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn input_schema(&self) -> Value {
        // No `additionalProperties: false`: Claude Code's newer fields (`run_in_background`,
        // `isolation`, `effort`) are accepted and the agent runs in the foreground.
        json!({
            "type": "object",
            "properties": {
                "description": {"type": "string", "description": "What the agent will do, in 3-5 words"},
                "prompt": {"type": "string", "description": "The task, complete and self-contained"},
                "subagent_type": {"type": "string", "description": "Which agent to use"},
                "model": {"type": "string", "enum": ["sonnet", "opus", "haiku"], "description": "Model override (default: the agent's own, else yours)"}
            },
            "required": ["description", "prompt"]
        })
    }

    /// What a subagent does is checked call by call, against the parent's rules and mode.
    fn is_read_only(&self) -> bool {
        true
    }

    fn is_concurrency_safe(&self) -> bool {
        true
    }

    fn subject(&self, _input: &Value, _ctx: &ToolContext) -> Subject {
        Subject::Passive
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(self.run(input, ctx))
    }

    fn summary(&self, input: &Value) -> String {
        input
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_ids_are_stable_and_distinct() {
        let a = agent_id("toolu_A");
        assert_eq!(a, agent_id("toolu_A"));
        assert_ne!(a, agent_id("toolu_B"));
        assert_eq!(a.len(), 17);
        assert!(a.starts_with('a') && a[1..].chars().all(|c| c.is_ascii_hexdigit()));
    }
}
