//! Test harness: a real [`Agent`] talking to a [`MockServer`] through the real API client, in a
//! temporary working directory, with a chosen tool registry, permission setup and prompter.
//!
//! ```ignore
//! mod common;
//! let mut h = common::Harness::builder(Scenario::new().reply(Reply::text("hi")))
//!     .tool(common::FakeTool::echo())
//!     .build()
//!     .await;
//! let res = h.query("hello").await;
//! assert_eq!(res.result_text, "hi");
//! let second = &h.server.message_requests()[0];
//! ```
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use ccrs_core::BoxFuture;
use ccrs_core::agent::{Agent, AgentConfig, AgentParts, QueryResult};
use ccrs_core::api::{ApiClient, ClientConfig, ContentBlock, SystemBlock};
use ccrs_core::auth::{AuthHeader, AuthProvider, Credential, CredentialSource, StaticAuth};
use ccrs_core::cancel::CancelToken;
use ccrs_core::events::{AgentEvent, EventSink};
use ccrs_core::permissions::{
    DenyPrompter, Mode, PermissionConfig, PermissionEngine, PermissionPrompter, PermissionRequest,
    PromptAnswer, RuleBehavior, RuleSource, SourcedRule,
};
use ccrs_core::tools::{Subject, Tool, ToolContext, ToolOutput, ToolRegistry};
use ccrs_mock::{MockServer, Scenario};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const TEST_API_KEY: &str = "sk-ant-test-key";

/// An API-key credential as `ANTHROPIC_API_KEY` would give.
pub fn api_key_auth(key: &str) -> Arc<dyn AuthProvider> {
    Arc::new(StaticAuth(Credential {
        header: AuthHeader::ApiKey(key.to_string()),
        source: CredentialSource::ApiKeyEnv,
        is_oauth: false,
    }))
}

/// Client settings for tests: no environment, few retries, short timeouts.
pub fn client_config(base_url: &str) -> ClientConfig {
    let mut c = ClientConfig::new(base_url, "00000000-0000-4000-8000-000000000001");
    c.timeout = Duration::from_secs(10);
    c.retry.max_retries = 2;
    c.retry.max_wait = Duration::from_secs(5);
    c
}

pub fn client(server: &MockServer) -> Arc<ApiClient> {
    Arc::new(
        ApiClient::new(
            client_config(&server.base_url()),
            api_key_auth(TEST_API_KEY),
        )
        .unwrap(),
    )
}

/// Records every agent event; optionally cancels a token when an event matches.
#[derive(Default)]
pub struct EventLog {
    events: Mutex<Vec<AgentEvent>>,
    #[allow(clippy::type_complexity)]
    cancel_when: Mutex<Option<(Box<dyn Fn(&AgentEvent) -> bool + Send + Sync>, CancelToken)>>,
}

impl EventLog {
    pub fn events(&self) -> Vec<AgentEvent> {
        self.events.lock().unwrap().clone()
    }

    /// The streamed text, concatenated.
    pub fn text(&self) -> String {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                AgentEvent::TextDelta(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    pub fn count(&self, pred: impl Fn(&AgentEvent) -> bool) -> usize {
        self.events().iter().filter(|e| pred(e)).count()
    }
}

impl EventSink for EventLog {
    fn emit(&self, event: AgentEvent) {
        if let Some((pred, token)) = self.cancel_when.lock().unwrap().as_ref()
            && pred(&event)
        {
            token.cancel();
        }
        self.events.lock().unwrap().push(event);
    }
}

/// Allows every call it is asked about.
pub struct AllowPrompter;

impl PermissionPrompter for AllowPrompter {
    fn ask<'a>(&'a self, _r: &'a PermissionRequest) -> BoxFuture<'a, PromptAnswer> {
        Box::pin(async { PromptAnswer::AllowOnce })
    }
}

/// Answers from a queue (then denies) and records what it was asked.
#[derive(Default)]
pub struct ScriptedPrompter {
    pub answers: Mutex<VecDeque<PromptAnswer>>,
    pub asked: Mutex<Vec<PermissionRequest>>,
}

impl ScriptedPrompter {
    pub fn new(answers: impl IntoIterator<Item = PromptAnswer>) -> Arc<Self> {
        Arc::new(ScriptedPrompter {
            answers: Mutex::new(answers.into_iter().collect()),
            asked: Mutex::new(Vec::new()),
        })
    }
}

impl PermissionPrompter for ScriptedPrompter {
    fn ask<'a>(&'a self, r: &'a PermissionRequest) -> BoxFuture<'a, PromptAnswer> {
        self.asked.lock().unwrap().push(r.clone());
        let a = self
            .answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(PromptAnswer::Deny {
                message: "no scripted answer".into(),
            });
        Box::pin(async move { a })
    }
}

type ConfigFn = Box<dyn FnOnce(&mut ClientConfig)>;
type Handler = Arc<dyn Fn(&Value, &ToolContext) -> ToolOutput + Send + Sync>;

/// A configurable tool for loop tests: fixed schema and subject, a synchronous handler, an
/// optional delay (which ends early on cancellation), and a record of its calls.
#[derive(Clone)]
pub struct FakeTool {
    pub name: String,
    pub schema: Value,
    pub read_only: bool,
    pub subject: Subject,
    pub delay: Option<Duration>,
    pub handler: Handler,
    pub calls: Arc<Mutex<Vec<Value>>>,
}

impl FakeTool {
    pub fn new(
        name: &str,
        schema: Value,
        handler: impl Fn(&Value, &ToolContext) -> ToolOutput + Send + Sync + 'static,
    ) -> Self {
        FakeTool {
            name: name.to_string(),
            schema,
            read_only: true,
            subject: Subject::Passive,
            delay: None,
            handler: Arc::new(handler),
            calls: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// `Echo {text}` → `text`, needing no permission.
    pub fn echo() -> Self {
        Self::new(
            "Echo",
            json!({"type": "object", "properties": {"text": {"type": "string"}},
                "required": ["text"], "additionalProperties": false}),
            |input, _| ToolOutput::ok(input["text"].as_str().unwrap_or_default()),
        )
    }

    pub fn subject(mut self, s: Subject) -> Self {
        self.read_only = matches!(s, Subject::Passive | Subject::Read(_));
        self.subject = s;
        self
    }

    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = Some(d);
        self
    }

    pub fn calls(&self) -> Vec<Value> {
        self.calls.lock().unwrap().clone()
    }

    pub fn arc(&self) -> Arc<dyn Tool> {
        Arc::new(self.clone())
    }
}

impl Tool for FakeTool {
    fn name(&self) -> &str {
        &self.name
    }
    fn description(&self) -> &str {
        "A fake tool for tests."
    }
    fn input_schema(&self) -> Value {
        self.schema.clone()
    }
    fn is_read_only(&self) -> bool {
        self.read_only
    }
    fn subject(&self, _input: &Value, _ctx: &ToolContext) -> Subject {
        self.subject.clone()
    }
    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            self.calls.lock().unwrap().push(input.clone());
            if let Some(d) = self.delay {
                tokio::select! {
                    _ = tokio::time::sleep(d) => {}
                    _ = ctx.cancel.cancelled() => return ToolOutput::error("cancelled by the test"),
                }
            }
            (self.handler)(&input, ctx)
        })
    }
}

pub struct HarnessBuilder {
    scenario: Scenario,
    tools: ToolRegistry,
    mode: Mode,
    rules: Vec<SourcedRule>,
    prompter: Arc<dyn PermissionPrompter>,
    config: AgentConfig,
    client_config: Option<ConfigFn>,
    auth: Option<Arc<dyn AuthProvider>>,
}

impl HarnessBuilder {
    /// Replaces the registry (the default is the built-in tools).
    pub fn tools(mut self, tools: ToolRegistry) -> Self {
        self.tools = tools;
        self
    }

    /// Adds a tool to the registry.
    pub fn tool(mut self, t: impl Tool + 'static) -> Self {
        self.tools.register(Arc::new(t));
        self
    }

    pub fn mode(mut self, m: Mode) -> Self {
        self.mode = m;
        self
    }

    pub fn rule(mut self, behavior: RuleBehavior, rule: &str) -> Self {
        self.rules
            .push(SourcedRule::new(behavior, rule, RuleSource::CliArg));
        self
    }

    pub fn prompter(mut self, p: Arc<dyn PermissionPrompter>) -> Self {
        self.prompter = p;
        self
    }

    pub fn max_turns(mut self, n: u32) -> Self {
        self.config.max_turns = Some(n);
        self
    }

    pub fn thinking_budget(mut self, n: u64) -> Self {
        self.config.thinking_budget = Some(n);
        self
    }

    pub fn max_budget_usd(mut self, usd: f64) -> Self {
        self.config.max_budget_usd = Some(usd);
        self
    }

    pub fn model(mut self, m: &str) -> Self {
        self.config.model = m.to_string();
        self
    }

    pub fn system(mut self, s: &str) -> Self {
        self.config.system = vec![SystemBlock::new(s)];
        self
    }

    /// Adjusts the client settings (retries, timeout, headers).
    pub fn client_config(mut self, f: impl FnOnce(&mut ClientConfig) + 'static) -> Self {
        self.client_config = Some(Box::new(f));
        self
    }

    pub fn auth(mut self, a: Arc<dyn AuthProvider>) -> Self {
        self.auth = Some(a);
        self
    }

    pub async fn build(self) -> Harness {
        let server = MockServer::start(self.scenario).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path().canonicalize().unwrap();
        let mut cc = client_config(&server.base_url());
        if let Some(f) = self.client_config {
            f(&mut cc);
        }
        let auth = self.auth.unwrap_or_else(|| api_key_auth(TEST_API_KEY));
        let client = Arc::new(ApiClient::new(cc, auth).unwrap());
        let permissions = Arc::new(PermissionEngine::new(PermissionConfig {
            mode: self.mode,
            rules: self.rules,
            cwd: cwd.clone(),
            additional_dirs: Vec::new(),
            local_settings_path: Some(cwd.join(".claude").join("settings.local.json")),
            ..Default::default()
        }));
        let agent = Agent::new(AgentParts {
            config: self.config,
            client,
            tools: self.tools,
            permissions,
            prompter: self.prompter,
            cwd,
            env: Vec::new(),
        });
        Harness {
            server,
            dir,
            agent,
            events: Arc::new(EventLog::default()),
            cancel: CancelToken::new(),
        }
    }
}

pub struct Harness {
    pub server: MockServer,
    /// The working directory (removed on drop).
    pub dir: tempfile::TempDir,
    pub agent: Agent,
    pub events: Arc<EventLog>,
    /// Passed to every query; see [`Harness::cancel_when`].
    pub cancel: CancelToken,
}

impl Harness {
    pub fn builder(scenario: Scenario) -> HarnessBuilder {
        HarnessBuilder {
            scenario,
            tools: ToolRegistry::builtin(),
            mode: Mode::Default,
            rules: Vec::new(),
            prompter: Arc::new(DenyPrompter),
            config: AgentConfig {
                model: "claude-sonnet-5".into(),
                small_model: "claude-haiku-4-5".into(),
                system: vec![SystemBlock::new("You are a test agent.")],
                max_turns: None,
                max_tokens: Some(4096),
                thinking_budget: None,
                max_budget_usd: None,
                session_id: "00000000-0000-4000-8000-000000000001".into(),
            },
            client_config: None,
            auth: None,
        }
    }

    pub fn cwd(&self) -> &Path {
        self.dir.path()
    }

    /// Runs one query with a text prompt.
    pub async fn query(&mut self, prompt: &str) -> QueryResult {
        self.query_blocks(vec![ContentBlock::text(prompt)]).await
    }

    pub async fn query_blocks(&mut self, prompt: Vec<ContentBlock>) -> QueryResult {
        let events: Arc<dyn EventSink> = self.events.clone();
        let cancel = self.cancel.clone();
        tokio::time::timeout(
            Duration::from_secs(30),
            self.agent.query(prompt, events, &cancel),
        )
        .await
        .expect("the query hung for 30 s")
    }

    /// Cancels the query's token when an event matching `pred` is emitted.
    pub fn cancel_when(&self, pred: impl Fn(&AgentEvent) -> bool + Send + Sync + 'static) {
        *self.events.cancel_when.lock().unwrap() = Some((Box::new(pred), self.cancel.clone()));
    }

    /// A fresh token for the next query (after a cancellation).
    pub fn reset_cancel(&mut self) {
        self.cancel = CancelToken::new();
        *self.events.cancel_when.lock().unwrap() = None;
    }

    /// The `messages` of the n-th `/v1/messages` request.
    pub fn sent_messages(&self, n: usize) -> Vec<Value> {
        self.server.message_requests()[n].messages().to_vec()
    }
}

/// Asserts what the API requires of a conversation: it starts with a user message, roles
/// alternate, and every tool_use is answered by a tool_result in the next message.
/// The `tool_result` block answering `id` in a sent user message.
pub fn tool_result_of<'a>(msg: &'a Value, id: &str) -> &'a Value {
    msg["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "tool_result" && b["tool_use_id"] == id)
        .unwrap_or_else(|| panic!("no tool_result for {id} in {msg:#}"))
}

pub fn assert_valid_conversation(messages: &[Value]) {
    assert!(!messages.is_empty(), "empty conversation");
    for (i, m) in messages.iter().enumerate() {
        let want = if i % 2 == 0 { "user" } else { "assistant" };
        assert_eq!(
            m["role"], want,
            "message {i} has the wrong role: {messages:#?}"
        );
        let content = m["content"].as_array().expect("content is an array");
        assert!(!content.is_empty(), "message {i} is empty");
        if want == "assistant" {
            let ids: Vec<&str> = content
                .iter()
                .filter(|b| b["type"] == "tool_use")
                .map(|b| b["id"].as_str().unwrap())
                .collect();
            if ids.is_empty() {
                continue;
            }
            let next = messages
                .get(i + 1)
                .unwrap_or_else(|| panic!("tool_use in the last message {i}"));
            let answered: Vec<&str> = next["content"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|b| b["type"] == "tool_result")
                .map(|b| b["tool_use_id"].as_str().unwrap())
                .collect();
            assert_eq!(
                answered, ids,
                "tool_uses of message {i} not answered in order: {messages:#?}"
            );
        }
    }
}

/// The conversation as the API would receive it (via the request body serialiser).
pub fn conversation_json(agent: &Agent) -> Vec<Value> {
    let req = ccrs_core::api::MessagesRequest::new("m", 1);
    let body: Value = serde_json::from_slice(&req.body(agent.messages(), None).unwrap()).unwrap();
    body["messages"].as_array().unwrap().clone()
}
