//! The agent loop: request → stream → tools → request … until the model stops.
//!
//! `conversation` holds the history (every message enters through one `push`), `tool_call`
//! runs one tool call (validation, permission, execution: the one place every call passes),
//! `tool_set` is the registry that can grow while the session runs.

mod conversation;
mod tool_call;
mod tool_set;

pub use conversation::Conversation;
pub use tool_set::ToolSet;

use crate::api::client::{ClientEvent, StreamOutcome};
use crate::api::{
    ApiClient, ContentBlock, Message, MessagesRequest, StreamUpdate, SystemBlock, ToolSpec, Usage,
};
use crate::cancel::CancelToken;
use crate::error::ApiError;
use crate::events::{AgentEvent, EventSink, INTERRUPTED, INTERRUPTED_TOOL_USE};
use crate::log;
use crate::permissions::{PermissionEngine, PermissionPrompter, RuleBehavior};
use crate::tools::context::SessionState;
use crate::tools::{ToolContext, ToolRegistry};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a tool gets to wind down after cancellation before it is abandoned.
const CANCEL_GRACE: Duration = Duration::from_secs(3);

/// What stays fixed for the agent's requests.
#[derive(Clone, Debug)]
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
    /// The user interrupted.
    Cancelled,
    /// A transport, HTTP or auth error ended the query.
    Failed(ApiError),
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
    /// Usage of the whole session, per model.
    session_usage: Vec<ModelUsage>,
    session_api_duration: Duration,
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
/// way (the guard is dropped with the query's future).
struct TurnGrant {
    engine: Arc<PermissionEngine>,
    rules: Vec<String>,
}

impl TurnGrant {
    fn new(engine: &Arc<PermissionEngine>, rules: &[String]) -> Option<Self> {
        if rules.is_empty() {
            return None;
        }
        engine.add_session_rules(RuleBehavior::Allow, rules);
        Some(TurnGrant {
            engine: engine.clone(),
            rules: rules.to_vec(),
        })
    }
}

impl Drop for TurnGrant {
    fn drop(&mut self) {
        self.engine
            .remove_session_rules(RuleBehavior::Allow, &self.rules);
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
            session_usage: Vec::new(),
            session_api_duration: Duration::ZERO,
        }
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

    /// The conversation as sent to the API.
    pub fn messages(&self) -> &[Message] {
        self.conversation.messages()
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

    fn tool_specs(&self) -> Vec<ToolSpec> {
        self.tools
            .snapshot()
            .iter()
            .filter(|t| !self.permissions.hides_tool(t.name()))
            .map(|t| ToolSpec {
                name: t.name().to_string(),
                description: t.description().to_string(),
                input_schema: t.input_schema(),
            })
            .collect()
    }

    fn request(&self, model: &str) -> MessagesRequest {
        let mut max_tokens = self
            .config
            .max_tokens
            .unwrap_or_else(|| crate::models::max_output_tokens(model));
        let mut req = MessagesRequest::new(model, max_tokens);
        req.system = self.config.system.clone();
        req.tools = self.tool_specs();
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
        let _grant = TurnGrant::new(&self.permissions, &turn.allowed_tools);
        let model = turn
            .model
            .clone()
            .unwrap_or_else(|| self.config.model.clone());
        self.conversation.push(Message::user(prompt));
        let mut res = QueryResult::new();
        let mut base_ctx = self.tool_context();
        base_ctx.model = model.clone();
        base_ctx.events = events.clone();
        base_ctx.cancel = cancel.clone();
        loop {
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
                        self.conversation.push(assistant);
                    }
                    content.push(ContentBlock::text(INTERRUPTED));
                    self.conversation.push(Message::user(content));
                    res.outcome = Outcome::Cancelled;
                    break;
                }
                Err(e) => {
                    crate::debug_log!(log::API, "request failed: {e}");
                    res.outcome = Outcome::Failed(e);
                    break;
                }
            };
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
            res.usage.add(&message.usage);
            add_usage(&mut res.model_usage, &req.model, &message.usage);
            add_usage(&mut self.session_usage, &req.model, &message.usage);
            res.stop_reason = message.stop_reason.clone();
            res.result_text = message.last_text().unwrap_or("").to_string();
            events.emit(AgentEvent::MessageComplete(message.clone()));
            let assistant = message.to_message();
            let tool_uses: Vec<(String, String, Value)> = assistant
                .tool_uses()
                .map(|(i, n, v)| (i.to_string(), n.to_string(), v.clone()))
                .collect();
            let has_content = conversation::has_content(&assistant);
            self.conversation.push(assistant);
            if tool_uses.is_empty() {
                if message.stop_reason.as_deref() == Some("pause_turn") && has_content {
                    // A server tool paused the turn: send the conversation again to continue.
                    if self.config.max_turns.is_some_and(|m| res.num_turns >= m) {
                        res.outcome = Outcome::MaxTurns;
                        break;
                    }
                    continue;
                }
                res.outcome = Outcome::Completed;
                break;
            }
            let mut results = Vec::with_capacity(tool_uses.len());
            for (id, name, input) in tool_uses {
                if cancel.is_cancelled() {
                    results.push(interrupted_result(id));
                    continue;
                }
                let malformed = malformed_tool_inputs
                    .iter()
                    .find(|m| m.id == id)
                    .map(|m| m.error.clone());
                let mut ctx = base_ctx.clone();
                ctx.tool_use_id = id.clone();
                let output = self
                    .run_tool(
                        &id,
                        &name,
                        &input,
                        malformed,
                        &ctx,
                        &events,
                        &mut res.permission_denials,
                    )
                    .await;
                results.push(ContentBlock::ToolResult {
                    tool_use_id: id,
                    content: output.content,
                    is_error: output.is_error,
                });
                for (model, usage) in self.session.take_side_usage() {
                    add_usage(&mut res.model_usage, &model, &usage);
                    add_usage(&mut self.session_usage, &model, &usage);
                }
            }
            let interrupted = cancel.is_cancelled();
            if interrupted {
                results.push(ContentBlock::text(INTERRUPTED_TOOL_USE));
            }
            let user = Message::user(results);
            events.emit(AgentEvent::ToolResults(user.clone()));
            self.conversation.push(user);
            if interrupted {
                res.outcome = Outcome::Cancelled;
                break;
            }
            if self.config.max_turns.is_some_and(|m| res.num_turns >= m) {
                res.outcome = Outcome::MaxTurns;
                break;
            }
        }
        res.total_cost_usd = total_cost(&res.model_usage);
        res.duration = started.elapsed();
        res
    }
}
