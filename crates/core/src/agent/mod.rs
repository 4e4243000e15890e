//! The agent loop: request → stream → tools → request … until the model stops.

use crate::api::client::{ClientEvent, StreamOutcome};
use crate::api::{
    ApiClient, ContentBlock, Message, MessagesRequest, Role, StreamUpdate, SystemBlock, ToolSpec,
    Usage,
};
use crate::cancel::CancelToken;
use crate::error::ApiError;
use crate::events::{AgentEvent, EventSink, INTERRUPTED, INTERRUPTED_TOOL_USE, ToolOutput};
use crate::permissions::{
    Decision, PermissionEngine, PermissionPrompter, PermissionRequest, PromptAnswer,
};
use crate::tools::context::SessionState;
use crate::tools::{Tool, ToolContext, ToolRegistry, schema};
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

pub struct Agent {
    pub config: AgentConfig,
    client: Arc<ApiClient>,
    tools: ToolRegistry,
    permissions: Arc<PermissionEngine>,
    prompter: Arc<dyn PermissionPrompter>,
    session: Arc<SessionState>,
    cwd: PathBuf,
    env: Arc<Vec<(String, String)>>,
    /// The conversation as sent to the API.
    pub messages: Vec<Message>,
    /// Usage of the whole session, per model.
    pub session_usage: Vec<ModelUsage>,
    pub session_api_duration: Duration,
}

/// Collects what streamed so far, so an interrupted answer can be kept.
#[derive(Default)]
struct Partial {
    blocks: Vec<ContentBlock>,
    text: String,
}

/// True when an assistant message has something the API accepts (it refuses a message of
/// empty text blocks only).
fn has_content(m: &Message) -> bool {
    m.content.iter().any(|b| !b.is_empty_text())
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
    list.iter().filter_map(|m| m.cost_usd).sum()
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

impl Agent {
    pub fn new(parts: AgentParts) -> Self {
        let session = Arc::new(SessionState::new(&parts.cwd));
        Agent {
            config: parts.config,
            client: parts.client,
            tools: parts.tools,
            permissions: parts.permissions,
            prompter: parts.prompter,
            session,
            cwd: parts.cwd,
            env: Arc::new(parts.env),
            messages: Vec::new(),
            session_usage: Vec::new(),
            session_api_duration: Duration::ZERO,
        }
    }

    pub fn tools(&self) -> &ToolRegistry {
        &self.tools
    }

    pub fn permissions(&self) -> &Arc<PermissionEngine> {
        &self.permissions
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

    /// Starts a new conversation (`/clear`): history, read records and todos are forgotten.
    pub fn clear(&mut self) {
        self.messages.clear();
        self.session.files.clear();
        if let Ok(mut t) = self.session.todos.lock() {
            t.clear();
        }
    }

    /// Total cost of the session so far.
    pub fn session_cost(&self) -> f64 {
        total_cost(&self.session_usage)
    }

    /// The tools offered to the model (bare deny rules hide a tool).
    fn offered_tools(&self) -> impl Iterator<Item = &Arc<dyn Tool>> {
        self.tools
            .iter()
            .filter(|t| !self.permissions.hides_tool(t.name()))
    }

    fn tool_specs(&self) -> Vec<ToolSpec> {
        self.offered_tools()
            .map(|t| ToolSpec {
                name: t.name().to_string(),
                description: t.description().to_string(),
                input_schema: t.input_schema(),
            })
            .collect()
    }

    /// Names of the tools offered to the model (without building their schemas).
    pub fn offered_tool_names(&self) -> Vec<String> {
        self.offered_tools().map(|t| t.name().to_string()).collect()
    }

    fn request(&self) -> MessagesRequest {
        let model = self.config.model.clone();
        let mut max_tokens = self
            .config
            .max_tokens
            .unwrap_or_else(|| crate::models::max_output_tokens(&model));
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

    /// Appends user content, merging with a trailing user message (after an error or an
    /// interruption) so roles keep alternating.
    fn push_user(&mut self, content: Vec<ContentBlock>) {
        if let Some(last) = self.messages.last_mut()
            && last.role == Role::User
        {
            last.content.extend(content);
            return;
        }
        self.messages.push(Message::user(content));
    }

    fn base_context(&self, events: Arc<dyn EventSink>, cancel: &CancelToken) -> ToolContext {
        let mut dirs = vec![self.cwd.clone()];
        dirs.extend(self.permissions.working_dirs().iter().skip(1).cloned());
        ToolContext {
            cwd: self.cwd.clone(),
            working_dirs: Arc::new(dirs),
            session: self.session.clone(),
            env: self.env.clone(),
            cancel: cancel.clone(),
            events,
            tool_use_id: String::new(),
            api: Some(self.client.clone()),
            small_model: self.config.small_model.clone(),
            model: self.config.model.clone(),
            permissions: Some(self.permissions.clone()),
        }
    }

    /// Runs one query: `prompt` is appended as a user message, then requests and tool calls
    /// alternate until the model stops, the turn limit is hit, the user cancels or an error
    /// ends it. The conversation stays valid for the API in every case.
    pub async fn query(
        &mut self,
        prompt: Vec<ContentBlock>,
        events: Arc<dyn EventSink>,
        cancel: &CancelToken,
    ) -> QueryResult {
        let started = Instant::now();
        self.push_user(prompt);
        let mut res = QueryResult {
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
        };
        let base_ctx = self.base_context(events.clone(), cancel);
        loop {
            if cancel.is_cancelled() {
                self.push_user(vec![ContentBlock::text(INTERRUPTED)]);
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
            let req = self.request();
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
                    ClientEvent::Retry {
                        attempt,
                        max_retries,
                        delay_ms,
                        status,
                        error,
                    } => {
                        // The failed attempt's output is dropped: the retry starts over (and an
                        // interruption during the wait keeps nothing of it).
                        partial = Partial::default();
                        ev.emit(AgentEvent::ApiRetry {
                            attempt,
                            max_retries,
                            delay_ms,
                            status,
                            error,
                        })
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
                    .stream(&req, &self.messages, cancel, &mut on_event)
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
                    // Keep what streamed so far; its tool calls are answered as interrupted.
                    let mut blocks = partial.blocks;
                    if !partial.text.is_empty() {
                        blocks.push(ContentBlock::text(partial.text));
                    }
                    let assistant = Message::assistant(blocks);
                    let mut content = Vec::new();
                    if has_content(&assistant) {
                        res.result_text = assistant.last_text().unwrap_or("").to_string();
                        content = assistant
                            .tool_uses()
                            .map(|(id, _, _)| interrupted_result(id.to_string()))
                            .collect();
                        self.messages.push(assistant);
                    }
                    content.push(ContentBlock::text(INTERRUPTED));
                    self.push_user(content);
                    res.outcome = Outcome::Cancelled;
                    break;
                }
                Err(e) => {
                    res.outcome = Outcome::Failed(e);
                    break;
                }
            };
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
            let has_content = has_content(&assistant);
            if has_content {
                self.messages.push(assistant);
            }
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
            self.messages.push(user);
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

    /// Validates, checks permission for and runs one tool call.
    #[allow(clippy::too_many_arguments)]
    async fn run_tool(
        &self,
        id: &str,
        name: &str,
        input: &Value,
        malformed: Option<String>,
        ctx: &ToolContext,
        events: &Arc<dyn EventSink>,
        denials: &mut Vec<PermissionDenial>,
    ) -> ToolOutput {
        let finish = |output: ToolOutput| {
            events.emit(AgentEvent::ToolFinished {
                id: id.to_string(),
                name: name.to_string(),
                input: input.clone(),
                output: output.clone(),
            });
            output
        };
        if let Some(err) = malformed {
            return finish(ToolOutput::tool_use_error(format!(
                "InputValidationError: {err}"
            )));
        }
        let Some(tool) = self.tools.get(name).cloned() else {
            return finish(ToolOutput::tool_use_error(format!(
                "Error: No such tool available: {name}"
            )));
        };
        if self.permissions.hides_tool(tool.name()) {
            return finish(ToolOutput::tool_use_error(format!(
                "Error: No such tool available: {name}"
            )));
        }
        let problems = schema::validate(&tool.input_schema(), input);
        if !problems.is_empty() {
            return finish(ToolOutput::tool_use_error(format!(
                "InputValidationError: {} failed due to the following issue{}:\n{}",
                tool.name(),
                if problems.len() == 1 { "" } else { "s" },
                problems.join("\n")
            )));
        }
        let subject = tool.subject(input, ctx);
        let deny = |message: String, denials: &mut Vec<PermissionDenial>| {
            events.emit(AgentEvent::PermissionDenied {
                tool_name: tool.name().to_string(),
                tool_use_id: id.to_string(),
                input: input.clone(),
                reason: message.clone(),
            });
            denials.push(PermissionDenial {
                tool_name: tool.name().to_string(),
                tool_use_id: id.to_string(),
                tool_input: input.clone(),
            });
            ToolOutput::error(message)
        };
        match self.permissions.check(tool.name(), &subject) {
            Decision::Allow { .. } => {}
            Decision::Deny { message, .. } => return finish(deny(message, denials)),
            Decision::Ask {
                reason,
                suggestions,
                ..
            } => {
                let request = PermissionRequest {
                    tool_name: tool.name().to_string(),
                    tool_use_id: id.to_string(),
                    input: input.clone(),
                    subject: subject.clone(),
                    reason,
                    suggestions,
                };
                let answer = tokio::select! {
                    a = self.prompter.ask(&request) => a,
                    _ = ctx.cancel.cancelled() => PromptAnswer::Deny { message: INTERRUPTED_TOOL_USE.to_string() },
                };
                match answer {
                    PromptAnswer::AllowOnce => self.permissions.approved(&request.subject, false),
                    PromptAnswer::AllowAlways => {
                        self.permissions.approved(&request.subject, true);
                        if let Err(e) = crate::settings::persist_always_allow(
                            &self.permissions,
                            &request.suggestions,
                        ) {
                            events.emit(AgentEvent::Warning(format!(
                                "could not save the permission rule: {e}"
                            )));
                        }
                    }
                    PromptAnswer::Deny { message } => return finish(deny(message, denials)),
                }
            }
        }
        events.emit(AgentEvent::ToolStarted {
            id: id.to_string(),
            name: tool.name().to_string(),
            input: input.clone(),
        });
        let call = tool.call_checked(input.clone(), &subject, ctx);
        tokio::pin!(call);
        let output = tokio::select! {
            out = &mut call => out,
            _ = ctx.cancel.cancelled() => {
                // Tools see the token themselves and clean up (killing processes); give them a
                // moment to report, then give up on them.
                match tokio::time::timeout(CANCEL_GRACE, &mut call).await {
                    Ok(out) => out,
                    Err(_) => ToolOutput::error(INTERRUPTED_TOOL_USE),
                }
            }
        };
        finish(output)
    }
}
