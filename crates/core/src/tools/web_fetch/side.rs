//! The side request: the small model reads the page and answers the prompt.

use crate::api::{ApiClient, ContentBlock, Message, MessagesRequest, SystemBlock};
use crate::cancel::CancelToken;
use crate::error::ApiError;

/// Output budget of the side request: answers should be short.
const SIDE_MAX_TOKENS: u64 = 2048;

const SIDE_SYSTEM: &str = "You read one web page on behalf of a coding agent and answer its \
request about the page. Use only the page content. Be brief and factual; keep code, commands, \
version numbers and URLs exact. Quote at most a few short passages word for word.";

/// The user message of the side request.
pub fn side_prompt(content: &str, prompt: &str) -> String {
    format!(
        "<page>\n{content}\n</page>\n\nRequest about the page above:\n{prompt}\n\nAnswer from the \
         page alone; if it does not contain the answer, say so."
    )
}

/// Asks the small model `prompt` about `content`.
pub(super) async fn apply_prompt(
    api: &ApiClient,
    model: &str,
    content: &str,
    prompt: &str,
    cancel: &CancelToken,
    session: &crate::tools::context::SessionState,
) -> Result<String, ApiError> {
    let mut req = MessagesRequest::new(model, SIDE_MAX_TOKENS);
    req.system = vec![SystemBlock::new(SIDE_SYSTEM)];
    // A one-off request: nothing to reuse from a cache write.
    req.prompt_caching = false;
    let messages = [Message::user_text(side_prompt(content, prompt))];
    let outcome = api.stream(&req, &messages, cancel, &mut |_| {}).await?;
    session.record_side_usage(model, &outcome.message.usage);
    let text: Vec<&str> = outcome
        .message
        .content
        .iter()
        .filter_map(|b| match b {
            ContentBlock::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    Ok(text.join("\n").trim().to_string())
}
