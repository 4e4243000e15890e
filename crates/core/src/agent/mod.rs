//! The agent loop: request → stream → tools → request … until the model stops.
//!
//! `conversation` holds the history (every message enters through one `push`), `tool_call`
//! runs one tool call (validation, permission, execution: the one place every call passes),
//! `tool_set` is the registry that can grow while the session runs. `subagent` is the Agent
//! tool (a nested loop), `definitions` the kinds of subagents, `structured_output` the
//! `--json-schema` tool.

mod compact;
mod conversation;
pub mod deferred;
pub mod definitions;
pub mod structured_output;
pub mod subagent;
mod tool_call;
mod tool_set;

pub use compact::{AutoCompact, CONTINUATION, CompactReport, CompactTrigger, estimate_tokens};
/// Consecutive `Stop` hook blocks after which the loop stops anyway (as Claude Code 2.1).
const MAX_STOP_BLOCKS: u32 = 8;

pub use conversation::Conversation;
pub use definitions::{AgentDefinition, AgentSource};
pub use subagent::{AGENT_TOOL, AgentTool, SubagentHost};
pub use tool_set::ToolSet;

use crate::api::client::{ClientEvent, StreamOutcome};
use crate::api::{
    ApiClient, ContentBlock, Message, MessagesRequest, StreamUpdate, SystemBlock, ToolSpec, Usage,
};
use crate::cancel::CancelToken;
use crate::error::ApiError;
use crate::events::{AgentEvent, EventSink, INTERRUPTED, INTERRUPTED_TOOL_USE};
use crate::hooks::Hooks;
use crate::log;
use crate::permissions::{PermissionEngine, PermissionPrompter, RuleBehavior};
use crate::tools::context::SessionState;
use crate::tools::{ToolContext, ToolRegistry};
use crate::transcript::{AssistantMeta, Item, Kind, Transcript};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a tool gets to wind down after cancellation before it is abandoned.
const CANCEL_GRACE: Duration = Duration::from_millis(1500);
/// The input of a tool call missing from the conversation (cannot happen; never panic on it).
static NO_INPUT: Value = Value::Null;

/// What stays fixed for the agent's requests.
#[derive(Clone, Debug, Default)]
pub struct AgentConfig {
    pub model: String,
    /// The small, fast model for side requests (WebFetch).
    pub small_model: String,
    pub system: Vec<SystemBlock>,
    /// `--max-turns`: API round trips per query.
    pub max_turns: Option<u32>,
    /// `max_tokens` (defaults from the model).
    pub max_tokens: Option<u64>,
    /// Extended thinking budget (`MAX_THINKING_TOKENS`).
    pub thinking_budget: Option<u64>,
    /// `--max-budget-usd`: no new request once the query has cost this much.
    pub max_budget_usd: Option<f64>,
    pub session_id: String,
    /// `--json-schema`: the final answer comes through the `StructuredOutput` tool (which the
    /// session registers with this schema).
    pub json_schema: Option<Value>,
}

/// A model change asked for while a query may be running (the SDK's `set_model`): the loop
/// takes it before its next request.
#[derive(Clone, Debug, Default)]
pub struct ModelSwitch(Arc<Mutex<Option<String>>>);

impl ModelSwitch {
    /// Asks for `model` (an id) from the next request on.
    pub fn set(&self, model: String) {
        if let Ok(mut m) = self.0.lock() {
            *m = Some(model);
        }
    }

    /// The model asked for and not yet taken.
    pub fn pending(&self) -> Option<String> {
        self.0.lock().ok().and_then(|m| m.clone())
    }

    fn take(&self) -> Option<String> {
        self.0.lock().ok().and_then(|mut m| m.take())
    }
}

/// What applies to one query only (a custom command's frontmatter).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TurnOptions {
    /// The model for this query's requests (an id).
    pub model: Option<String>,
    /// Allow rules granted for this query only.
    pub allowed_tools: Vec<String>,
}

/// Everything the agent needs from its host.
pub struct AgentParts {
    pub config: AgentConfig,
    pub client: Arc<ApiClient>,
    pub tools: ToolRegistry,
    pub permissions: Arc<PermissionEngine>,
    pub prompter: Arc<dyn PermissionPrompter>,
    pub cwd: PathBuf,
    /// Extra environment for child processes (the settings' `env`).
    pub env: Vec<(String, String)>,
}

/// A call refused by the rules or the user (`permission_denials`).
#[derive(Clone, Debug, PartialEq)]
pub struct PermissionDenial {
    pub tool_name: String,
    pub tool_use_id: String,
    pub tool_input: Value,
}

/// Tokens and cost per model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelUsage {
    pub model: String,
    pub usage: Usage,
    /// `None` when the model's prices are unknown.
    pub cost_usd: Option<f64>,
}

/// How a query ended.
#[derive(Debug)]
pub enum Outcome {
    /// The model stopped (`end_turn`, `max_tokens`, `stop_sequence`, `refusal`, ...).
    Completed,
    /// `--max-turns` was reached while the model still wanted to continue.
    MaxTurns,
    /// `--max-budget-usd` was reached while the model still wanted to continue.
    MaxBudget,
    /// `--json-schema`: the model kept stopping without a valid `StructuredOutput` call.
    StructuredOutputRetries,
    /// The user interrupted.
    Cancelled,
    /// A transport, HTTP or auth error ended the query.
    Failed(ApiError),
    /// A hook ended it: `continue: false` (`reason` is its `stopReason`), or a
    /// `UserPromptSubmit` hook blocked the prompt (`reason` says so; nothing was sent).
    HookStopped { reason: String },
}

/// The summary of one query (one user prompt and everything it caused).
#[derive(Debug)]
pub struct QueryResult {
    pub outcome: Outcome,
    /// API round trips.
    pub num_turns: u32,
    /// Text of the last text block of the final assistant message.
    pub result_text: String,
    pub stop_reason: Option<String>,
    pub usage: Usage,
    pub model_usage: Vec<ModelUsage>,
    pub total_cost_usd: f64,
    pub duration: Duration,
    pub duration_api: Duration,
    pub ttft: Option<Duration>,
    pub permission_denials: Vec<PermissionDenial>,
    /// `--json-schema`: the input of the valid `StructuredOutput` call.
    pub structured_output: Option<Value>,
}

impl Default for QueryResult {
    fn default() -> Self {
        Self::new()
    }
}

impl QueryResult {
    /// A result with nothing done yet (no request made, outcome `Completed`).
    pub fn new() -> Self {
        QueryResult {
            outcome: Outcome::Completed,
            num_turns: 0,
            result_text: String::new(),
            stop_reason: None,
            usage: Usage::default(),
            model_usage: Vec::new(),
            total_cost_usd: 0.0,
            duration: Duration::ZERO,
            duration_api: Duration::ZERO,
            ttft: None,
            permission_denials: Vec::new(),
            structured_output: None,
        }
    }
}

pub struct Agent {
    pub config: AgentConfig,
    client: Arc<ApiClient>,
    tools: ToolSet,
    permissions: Arc<PermissionEngine>,
    prompter: Arc<dyn PermissionPrompter>,
    session: Arc<SessionState>,
    cwd: PathBuf,
    env: Arc<Vec<(String, String)>>,
    conversation: Conversation,
    /// The session's memory files: reading a file below the cwd brings in the `CLAUDE.md`
    /// files of its directories.
    memory: Option<Arc<std::sync::Mutex<crate::memory::Memory>>>,
    /// Input + output tokens of the last answer: the context's size (0: not known).
    last_context_tokens: u64,
    /// When to compact on its own.
    auto_compact: AutoCompact,
    /// Usage of the whole session, per model.
    session_usage: Vec<ModelUsage>,
    session_api_duration: Duration,
    model_switch: ModelSwitch,
    hooks: Hooks,
    /// Which tools are offered by name only (`ENABLE_TOOL_SEARCH`).
    tool_search: deferred::SearchMode,
}

/// Collects what streamed so far, so an interrupted answer can be kept.
#[derive(Default)]
struct Partial {
    blocks: Vec<ContentBlock>,
    text: String,
}

/// The result of a tool call the user interrupted before it ran.
fn interrupted_result(tool_use_id: String) -> ContentBlock {
    ContentBlock::ToolResult {
        tool_use_id,
        content: crate::api::ToolResultContent::Text(INTERRUPTED_TOOL_USE.into()),
        is_error: true,
    }
}

/// The cost of every model with known prices.
fn total_cost(list: &[ModelUsage]) -> f64 {
    // An empty f64 sum is -0.0, which JSON would show as `-0.0`.
    list.iter().filter_map(|m| m.cost_usd).sum::<f64>() + 0.0
}

fn add_usage(list: &mut Vec<ModelUsage>, model: &str, usage: &Usage) {
    let entry = match list.iter_mut().position(|m| m.model == model) {
        Some(i) => &mut list[i],
        None => {
            list.push(ModelUsage {
                model: model.to_string(),
                ..Default::default()
            });
            let last = list.len() - 1;
            &mut list[last]
        }
    };
    entry.usage.add(usage);
    entry.cost_usd = crate::models::cost_usd(model, &entry.usage);
}

/// A query's grant of `allowed_tools` rules: added for the query, removed when it ends in any
/// way (the guard is dropped with the query's future), with those tools granted meanwhile
/// (`SessionState::turn_grants`, a skill's `allowed-tools`).
struct TurnGrant {
    engine: Arc<PermissionEngine>,
    rules: Vec<String>,
    session: Arc<SessionState>,
}

impl TurnGrant {
    fn new(engine: &Arc<PermissionEngine>, rules: &[String], session: &Arc<SessionState>) -> Self {
        if !rules.is_empty() {
            engine.add_session_rules(RuleBehavior::Allow, rules);
        }
        TurnGrant {
            engine: engine.clone(),
            rules: rules.to_vec(),
            session: session.clone(),
        }
    }
}

impl Drop for TurnGrant {
    fn drop(&mut self) {
        if let Ok(mut g) = self.session.turn_grants.lock() {
            self.rules.append(&mut g);
        }
        if !self.rules.is_empty() {
            self.engine
                .remove_session_rules(RuleBehavior::Allow, &self.rules);
        }
    }
}

impl Agent {
    pub fn new(parts: AgentParts) -> Self {
        let session = Arc::new(SessionState::new(&parts.cwd));
        Agent {
            config: parts.config,
            client: parts.client,
            tools: ToolSet::new(parts.tools),
            permissions: parts.permissions,
            prompter: parts.prompter,
            session,
            cwd: parts.cwd,
            env: Arc::new(parts.env),
            conversation: Conversation::default(),
            memory: None,
            last_context_tokens: 0,
            auto_compact: AutoCompact::default(),
            session_usage: Vec::new(),
            session_api_duration: Duration::ZERO,
            model_switch: ModelSwitch::default(),
            hooks: Hooks::none(),
            tool_search: deferred::SearchMode::Off,
        }
    }

    /// Where a model change for the running query is left (see [`ModelSwitch`]).
    pub fn model_switch(&self) -> &ModelSwitch {
        &self.model_switch
    }

    /// True when calls of `name` may run at the same time as their neighbours.
    fn concurrent(&self, name: &str) -> bool {
        self.tools
            .get(name)
            .is_some_and(|t| t.is_concurrency_safe())
    }

    /// The hooks every tool call and stop of this loop runs (a subagent's loop gets its
    /// parent's [`Hooks::for_subagent`] view, so its stop fires `SubagentStop`).
    pub fn set_hooks(&mut self, hooks: Hooks) {
        self.hooks = hooks;
    }

    pub fn hooks(&self) -> &Hooks {
        &self.hooks
    }

    /// Sets whether deferrable tools are offered by name only (needs ToolSearch registered).
    pub fn set_tool_search(&mut self, mode: deferred::SearchMode) {
        self.tool_search = mode;
    }

    /// The tool registry, shared: tools registered through it are offered from the next
    /// request on, even while a query runs (MCP servers that finish starting late).
    pub fn tools(&self) -> &ToolSet {
        &self.tools
    }

    pub fn permissions(&self) -> &Arc<PermissionEngine> {
        &self.permissions
    }

    /// The directory the agent works in.
    pub fn cwd(&self) -> &std::path::Path {
        &self.cwd
    }

    pub fn client(&self) -> &Arc<ApiClient> {
        &self.client
    }

    pub fn session_state(&self) -> &Arc<SessionState> {
        &self.session
    }

    pub fn set_prompter(&mut self, prompter: Arc<dyn PermissionPrompter>) {
        self.prompter = prompter;
    }

    /// When the conversation is compacted on its own.
    pub fn set_auto_compact(&mut self, auto: AutoCompact) {
        self.auto_compact = auto;
    }

    /// Delivers nested memory files with the results of the Read calls that reach them.
    pub fn set_memory(&mut self, memory: Arc<std::sync::Mutex<crate::memory::Memory>>) {
        self.memory = Some(memory);
    }

    /// The memory files that reading `paths` brings in, as reminder blocks.
    fn memory_for_reads(&self, paths: &[String]) -> Vec<ContentBlock> {
        let Some(memory) = &self.memory else {
            return Vec::new();
        };
        let mut m = memory.lock().unwrap_or_else(|e| e.into_inner());
        paths
            .iter()
            .flat_map(|p| m.on_file_read(&self.cwd.join(p)))
            .map(|f| {
                crate::debug_log!(log::SESSION, "memory: {} (nested)", f.path.display());
                ContentBlock::text(crate::memory::render_later(&f))
            })
            .collect()
    }

    /// The conversation as sent to the API.
    pub fn messages(&self) -> &[Message] {
        self.conversation.messages()
    }

    /// Writes the conversation to `transcript` from now on (`None`: nothing is written).
    pub fn set_transcript(&mut self, transcript: Option<Transcript>) {
        self.conversation.set_transcript(transcript);
    }

    pub fn transcript(&self) -> Option<&Transcript> {
        self.conversation.transcript()
    }

    /// Replaces the conversation with one read from a transcript.
    pub fn restore(&mut self, items: Vec<Item>) {
        self.conversation.restore(items);
    }

    /// The conversation (its prompts, for `/rewind`).
    pub fn conversation(&self) -> &Conversation {
        &self.conversation
    }

    /// Takes the conversation back to just before prompt `i`; returns its text. What tools
    /// remember of files read is forgotten (the model's memory of them went with the turns).
    pub fn rewind(&mut self, i: usize) -> Option<String> {
        let text = self.conversation.rewind(i)?;
        self.session.files.clear();
        Some(text)
    }

    /// Usage of the whole session, per model.
    pub fn session_usage(&self) -> &[ModelUsage] {
        &self.session_usage
    }

    /// Time spent waiting for the API in the whole session.
    pub fn session_api_duration(&self) -> Duration {
        self.session_api_duration
    }

    /// Starts a new conversation (`/clear`): history, read records and todos are forgotten.
    pub fn clear(&mut self) {
        self.conversation.clear();
        self.last_context_tokens = 0;
        self.session.files.clear();
        if let Ok(mut t) = self.session.todos.lock() {
            t.clear();
        }
    }

    /// Total cost of the session so far.
    pub fn session_cost(&self) -> f64 {
        total_cost(&self.session_usage)
    }

    /// Names of the tools offered to the model (bare deny rules hide a tool).
    pub fn offered_tool_names(&self) -> Vec<String> {
        self.tools
            .snapshot()
            .iter()
            .filter(|t| !self.permissions.hides_tool(t.name()))
            .map(|t| t.name().to_string())
            .collect()
    }

    /// Which tools the next request sends whole, deferred or by name only.
    fn tool_plan(&self, model: &str) -> deferred::Plan {
        let visible: Vec<_> = self
            .tools
            .snapshot()
            .iter()
            .filter(|t| !self.permissions.hides_tool(t.name()))
            .cloned()
            .collect();
        deferred::plan(
            &visible,
            self.tool_search,
            self.conversation.messages(),
            crate::models::context_window(model),
        )
    }

    /// `content` with a reminder of the deferred tools the model has not been told about yet
    /// (first, or after tool results, which must come first).
    fn with_deferred_notice(
        &self,
        mut content: Vec<ContentBlock>,
        model: &str,
    ) -> Vec<ContentBlock> {
        let plan = self.tool_plan(model);
        if let Some(n) = deferred::notice(&plan.deferred, self.conversation.messages()) {
            if content
                .first()
                .is_some_and(|b| matches!(b, ContentBlock::ToolResult { .. }))
            {
                content.push(n);
            } else {
                content.insert(0, n);
            }
        }
        content
    }

    fn tool_specs(&self, model: &str) -> Vec<ToolSpec> {
        self.tool_plan(model).specs
    }

    fn request(&self, model: &str) -> MessagesRequest {
        let mut max_tokens = self
            .config
            .max_tokens
            .unwrap_or_else(|| crate::models::max_output_tokens(model));
        let mut req = MessagesRequest::new(model, max_tokens);
        req.system = self.config.system.clone();
        req.tools = self.tool_specs(model);
        if let Some(budget) = self.config.thinking_budget.filter(|b| *b >= 1024) {
            // The budget must stay below max_tokens.
            if budget >= max_tokens {
                max_tokens = budget + 4096;
                req.max_tokens = max_tokens;
            }
            req.thinking = Some(json!({"type": "enabled", "budget_tokens": budget}));
        }
        let user_id = json!({"session_id": self.config.session_id}).to_string();
        req.metadata = Some(json!({"user_id": user_id}));
        req
    }

    /// What every tool call of this session shares: directories, state, environment, the API
    /// client and the permission engine. Calls add their event sink, token and id; front ends
    /// use it as is for previews (what an Edit would write).
    pub fn tool_context(&self) -> ToolContext {
        let mut dirs = vec![self.cwd.clone()];
        dirs.extend(self.permissions.working_dirs().iter().skip(1).cloned());
        let mut ctx = ToolContext::new(&self.cwd, dirs, self.session.clone());
        ctx.env = self.env.clone();
        ctx.api = Some(self.client.clone());
        ctx.small_model = self.config.small_model.clone();
        ctx.model = self.config.model.clone();
        ctx.permissions = Some(self.permissions.clone());
        ctx
    }

    /// Runs one query with the session's own options (see [`Self::query_turn`]).
    pub async fn query(
        &mut self,
        prompt: Vec<ContentBlock>,
        events: Arc<dyn EventSink>,
        cancel: &CancelToken,
    ) -> QueryResult {
        self.query_turn(prompt, &TurnOptions::default(), events, cancel)
            .await
    }

    /// Runs one query: `prompt` is appended as a user message, then requests and tool calls
    /// alternate until the model stops, the turn limit is hit, the user cancels or an error
    /// ends it. `turn` applies to this query only. The conversation stays valid for the API in
    /// every case.
    pub async fn query_turn(
        &mut self,
        prompt: Vec<ContentBlock>,
        turn: &TurnOptions,
        events: Arc<dyn EventSink>,
        cancel: &CancelToken,
    ) -> QueryResult {
        let started = Instant::now();
        let _grant = TurnGrant::new(&self.permissions, &turn.allowed_tools, &self.session);
        let mut model = turn
            .model
            .clone()
            .unwrap_or_else(|| self.config.model.clone());
        if let Some(t) = self.conversation.transcript() {
            t.set_permission_mode(self.permissions.mode().as_str());
        }
        let prompt = self.with_deferred_notice(prompt, &model);
        self.conversation
            .push_as(Message::user(prompt), Kind::Prompt);
        let mut res = QueryResult::new();
        let mut base_ctx = self.tool_context();
        base_ctx.model = model.clone();
        base_ctx.events = events.clone();
        base_ctx.cancel = cancel.clone();
        let mut reminders = 0;
        // A 400 "prompt is too long" compacts and retries once per query.
        let mut compacted_for_length = false;
        // Consecutive times a Stop hook kept the loop going.
        let mut stop_blocks = 0;
        loop {
            if let Some(m) = self.model_switch.take() {
                crate::debug_log!(log::SESSION, "model switched to {m}");
                self.config.model = m.clone();
                base_ctx.model = m.clone();
                model = m;
            }
            if cancel.is_cancelled() {
                self.conversation
                    .push(Message::user(vec![ContentBlock::text(INTERRUPTED)]));
                res.outcome = Outcome::Cancelled;
                break;
            }
            if let Some(budget) = self.config.max_budget_usd
                && res.num_turns > 0
                && total_cost(&res.model_usage) >= budget
            {
                res.outcome = Outcome::MaxBudget;
                break;
            }
            if self.auto_compact.enabled
                && self.last_context_tokens >= self.auto_compact.threshold(&model)
            {
                let report = self.compact(CompactTrigger::Auto, None, cancel).await;
                if !report.nothing {
                    add_usage(&mut res.model_usage, &report.model, &report.usage);
                }
                events.emit(AgentEvent::Warning(report.headline()));
            }
            res.num_turns += 1;
            let req = self.request(&model);
            events.emit(AgentEvent::RequestStarted {
                turn: res.num_turns,
                model: req.model.clone(),
            });
            let mut partial = Partial::default();
            let mut msg_start: Option<(String, String, Usage)> = None;
            let mut request_id: Option<String> = None;
            let outcome = {
                let ev = events.clone();
                let mut on_event = |e: ClientEvent| match e {
                    ClientEvent::ResponseStarted { request_id: rid } => request_id = rid,
                    ClientEvent::Retry(notice) => {
                        crate::debug_log!(
                            log::API,
                            "retry {}/{} in {} ms after {}: {}",
                            notice.attempt,
                            notice.max_retries,
                            notice.delay_ms,
                            notice
                                .status
                                .map_or_else(|| "no response".to_string(), |s| s.to_string()),
                            notice.message
                        );
                        // The failed attempt's output is dropped: the retry starts over (and an
                        // interruption during the wait keeps nothing of it).
                        partial = Partial::default();
                        ev.emit(AgentEvent::ApiRetry(notice))
                    }
                    ClientEvent::Update(u) => match u {
                        StreamUpdate::Raw(v) => ev.emit(AgentEvent::StreamEvent(v)),
                        StreamUpdate::MessageStart { id, model, usage } => {
                            msg_start = Some((id, model, usage));
                        }
                        StreamUpdate::TextDelta(t) => {
                            partial.text.push_str(&t);
                            ev.emit(AgentEvent::TextDelta(t));
                        }
                        StreamUpdate::ThinkingDelta(t) => ev.emit(AgentEvent::ThinkingDelta(t)),
                        StreamUpdate::BlockComplete(block) => {
                            partial.text.clear();
                            partial.blocks.push(block.clone());
                            let (id, model, usage) = msg_start.clone().unwrap_or_default();
                            ev.emit(AgentEvent::BlockComplete {
                                message_id: id,
                                model,
                                block,
                                usage,
                                request_id: request_id.clone(),
                            });
                        }
                    },
                };
                self.client
                    .stream(&req, self.conversation.messages(), cancel, &mut on_event)
                    .await
            };
            let StreamOutcome {
                message,
                malformed_tool_inputs,
                api_duration,
                ttft,
            } = match outcome {
                Ok(o) => o,
                Err(ApiError::Cancelled) => {
                    crate::debug_log!(log::API, "request interrupted by the user");
                    // Keep what streamed so far; its tool calls are answered as interrupted.
                    let mut blocks = partial.blocks;
                    if !partial.text.is_empty() {
                        blocks.push(ContentBlock::text(partial.text));
                    }
                    let assistant = Message::assistant(blocks);
                    let mut content = Vec::new();
                    if conversation::has_content(&assistant) {
                        res.result_text = assistant.last_text().unwrap_or("").to_string();
                        content = assistant
                            .tool_uses()
                            .map(|(id, _, _)| interrupted_result(id.to_string()))
                            .collect();
                        let (id, model, usage) = msg_start.unwrap_or_default();
                        let meta = AssistantMeta {
                            id,
                            model,
                            usage,
                            request_id,
                            ..Default::default()
                        };
                        self.conversation.push_as(assistant, Kind::Assistant(meta));
                    }
                    content.push(ContentBlock::text(INTERRUPTED));
                    self.conversation.push(Message::user(content));
                    res.outcome = Outcome::Cancelled;
                    break;
                }
                Err(ApiError::PromptTooLong { message }) if !compacted_for_length => {
                    crate::debug_log!(log::API, "prompt too long ({message}): compacting");
                    compacted_for_length = true;
                    let report = self.compact(CompactTrigger::Auto, None, cancel).await;
                    if report.nothing || report.blocked.is_some() {
                        // The same request would fail the same way.
                        if report.blocked.is_some() {
                            events.emit(AgentEvent::Warning(report.headline()));
                        }
                        res.outcome = Outcome::Failed(ApiError::PromptTooLong { message });
                        break;
                    }
                    add_usage(&mut res.model_usage, &report.model, &report.usage);
                    events.emit(AgentEvent::Warning(report.headline()));
                    continue;
                }
                Err(e) => {
                    crate::debug_log!(log::API, "request failed: {e}");
                    res.outcome = Outcome::Failed(e);
                    break;
                }
            };
            // The streamed copies are only needed for an interruption; a tool call's input can
            // be tens of MB, so hold no copy of it that the conversation already has.
            drop(partial);
            crate::debug_log!(
                log::API,
                "response {}: stop {}, {} input + {} output tokens, {} ms",
                message.id,
                message.stop_reason.as_deref().unwrap_or("none"),
                message.usage.total_input(),
                message.usage.output_tokens,
                api_duration.as_millis()
            );
            res.duration_api += api_duration;
            self.session_api_duration += api_duration;
            if res.ttft.is_none() {
                res.ttft = ttft;
            }
            self.last_context_tokens = message.usage.total_input() + message.usage.output_tokens;
            res.usage.add(&message.usage);
            add_usage(&mut res.model_usage, &req.model, &message.usage);
            add_usage(&mut self.session_usage, &req.model, &message.usage);
            res.stop_reason = message.stop_reason.clone();
            res.result_text = message.last_text().unwrap_or("").to_string();
            let assistant = message.to_message();
            // What the transcript's assistant line says of the API's message.
            let meta = AssistantMeta {
                id: message.id.clone(),
                model: message.model.clone(),
                stop_reason: message.stop_reason.clone(),
                stop_sequence: message.stop_sequence.clone(),
                usage: message.usage.clone(),
                request_id: message.request_id.clone().or(request_id),
            };
            events.emit(AgentEvent::MessageComplete(message));
            // Ids and names only: each input is borrowed from the conversation when it runs.
            let tool_uses: Vec<(String, String)> = assistant
                .tool_uses()
                .map(|(i, n, _)| (i.to_string(), n.to_string()))
                .collect();
            let has_content = conversation::has_content(&assistant);
            self.conversation.push_as(assistant, Kind::Assistant(meta));
            if tool_uses.is_empty() {
                let at_limit = self.config.max_turns.is_some_and(|m| res.num_turns >= m);
                if res.stop_reason.as_deref() == Some("pause_turn") && has_content {
                    // A server tool paused the turn: send the conversation again to continue.
                    if at_limit {
                        res.outcome = Outcome::MaxTurns;
                        break;
                    }
                    continue;
                }
                if self.config.json_schema.is_some() {
                    // The answer must come through StructuredOutput: remind the model.
                    if reminders >= structured_output::MAX_REMINDERS {
                        res.outcome = Outcome::StructuredOutputRetries;
                        break;
                    }
                    if at_limit {
                        res.outcome = Outcome::MaxTurns;
                        break;
                    }
                    reminders += 1;
                    self.conversation
                        .push(Message::user(vec![ContentBlock::text(
                            structured_output::REMINDER,
                        )]));
                    continue;
                }
                // The model is done, unless a Stop hook says it is not.
                let check = self
                    .hooks
                    .stop(stop_blocks > 0, &res.result_text, &events, cancel)
                    .await;
                if cancel.is_cancelled() {
                    res.outcome = Outcome::Cancelled;
                    break;
                }
                if let Some(reason) = check.stop {
                    res.outcome = Outcome::HookStopped { reason };
                    break;
                }
                let Some(feedback) = check.block else {
                    res.outcome = Outcome::Completed;
                    break;
                };
                if stop_blocks >= MAX_STOP_BLOCKS {
                    events.emit(AgentEvent::Warning(format!(
                        "a Stop hook blocked stopping {MAX_STOP_BLOCKS} times in a row; stopping anyway"
                    )));
                    res.outcome = Outcome::Completed;
                    break;
                }
                stop_blocks += 1;
                crate::debug_log!(
                    log::HOOKS,
                    "Stop blocked ({stop_blocks}): the loop continues"
                );
                self.conversation
                    .push(Message::user(vec![ContentBlock::text(format!(
                        "Stop hook feedback:\n{feedback}"
                    ))]));
                if self.config.max_turns.is_some_and(|m| res.num_turns >= m) {
                    res.outcome = Outcome::MaxTurns;
                    break;
                }
                continue;
            }
            stop_blocks = 0;
            let mut results = Vec::with_capacity(tool_uses.len());
            // Each call's structured result, for the transcript's `toolUseResult`.
            let mut tool_use_results = Vec::new();
            let mut read_paths = Vec::new();
            let mut hook_context = Vec::new();
            let mut hook_stop: Option<String> = None;
            let mut structured = None;
            let mut start = 0;
            while start < tool_uses.len() {
                // Consecutive concurrency-safe calls (subagents) run together; others alone.
                let mut end = start + 1;
                if self.concurrent(&tool_uses[start].1) {
                    while end < tool_uses.len() && self.concurrent(&tool_uses[end].1) {
                        end += 1;
                    }
                }
                let batch = &tool_uses[start..end];
                start = end;
                if cancel.is_cancelled() {
                    results.extend(batch.iter().map(|(id, _)| interrupted_result(id.clone())));
                    continue;
                }
                if hook_stop.is_some() {
                    results.extend(batch.iter().map(|(id, _)| ContentBlock::ToolResult {
                        tool_use_id: id.clone(),
                        content: crate::api::ToolResultContent::Text(
                            "Not run: a hook stopped the session.".into(),
                        ),
                        is_error: true,
                    }));
                    continue;
                }
                let last = self.conversation.messages().last();
                let input_of = |id: &str| {
                    last.and_then(|m| m.tool_uses().find(|(i, _, _)| *i == id))
                        .map_or(&NO_INPUT, |(_, _, v)| v)
                };
                let calls = batch.iter().map(|(id, name)| {
                    let malformed = malformed_tool_inputs
                        .iter()
                        .find(|m| &m.id == id)
                        .map(|m| m.error.clone());
                    let mut ctx = base_ctx.clone();
                    ctx.tool_use_id = id.clone();
                    let input = input_of(id);
                    let events = &events;
                    let this = &*self;
                    async move {
                        let mut denials = Vec::new();
                        let run = this
                            .run_tool(id, name, input, malformed, &ctx, events, &mut denials)
                            .await;
                        (run, denials)
                    }
                });
                let outputs = crate::join::join_all(calls.collect()).await;
                for ((id, name), (run, denials)) in batch.iter().zip(outputs) {
                    res.permission_denials.extend(denials);
                    if name == "Read"
                        && !run.output.is_error
                        && let Some(p) = input_of(id).get("file_path").and_then(Value::as_str)
                    {
                        read_paths.push(p.to_string());
                    }
                    if name == structured_output::STRUCTURED_OUTPUT && !run.output.is_error {
                        structured = run.output.structured.clone();
                    }
                    if let Some(v) = run.output.structured {
                        tool_use_results.push((id.clone(), v));
                    }
                    results.push(ContentBlock::ToolResult {
                        tool_use_id: id.clone(),
                        content: run.output.content,
                        is_error: run.output.is_error,
                    });
                    hook_context.extend(run.context);
                    hook_stop = hook_stop.or(run.stop);
                }
                for (model, usage) in self.session.take_side_usage() {
                    add_usage(&mut res.model_usage, &model, &usage);
                    add_usage(&mut self.session_usage, &model, &usage);
                }
            }
            results.extend(self.memory_for_reads(&read_paths));
            // What hooks add goes after the results (the API wants tool results first).
            results.extend(
                hook_context
                    .iter()
                    .map(|c| ContentBlock::text(crate::hooks::reminder(c))),
            );
            let interrupted = cancel.is_cancelled();
            if interrupted {
                results.push(ContentBlock::text(INTERRUPTED_TOOL_USE));
            }
            let results = self.with_deferred_notice(results, &model);
            let user = Message::user(results);
            events.emit(AgentEvent::ToolResults(user.clone()));
            self.conversation
                .push_as(user, Kind::ToolResults(tool_use_results));
            if interrupted {
                res.outcome = Outcome::Cancelled;
                break;
            }
            if let Some(reason) = hook_stop {
                res.outcome = Outcome::HookStopped { reason };
                break;
            }
            if let Some(v) = structured {
                // The answer is in: the query ends here, as Claude Code's does.
                res.result_text = v.to_string();
                res.structured_output = Some(v);
                res.outcome = Outcome::Completed;
                break;
            }
            if self.config.max_turns.is_some_and(|m| res.num_turns >= m) {
                res.outcome = Outcome::MaxTurns;
                break;
            }
        }
        if let Some(e) = self.conversation.take_transcript_error() {
            events.emit(AgentEvent::Warning(e));
        }
        res.total_cost_usd = total_cost(&res.model_usage);
        res.duration = started.elapsed();
        res
    }
}
