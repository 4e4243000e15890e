//! The session's tool registry behind a shared handle: the agent takes a snapshot per request
//! and per call, so a tool registered while a query runs (an MCP server that finished starting)
//! is offered from the next request on.

use crate::tools::{Tool, ToolRegistry};
use std::sync::{Arc, RwLock};

#[derive(Clone, Default)]
pub struct ToolSet(Arc<RwLock<ToolRegistry>>);

impl ToolSet {
    pub fn new(registry: ToolRegistry) -> Self {
        ToolSet(Arc::new(RwLock::new(registry)))
    }

    /// Adds a tool (replacing one of the same name).
    pub fn register(&self, tool: Arc<dyn Tool>) {
        if let Ok(mut r) = self.0.write() {
            r.register(tool);
        }
    }

    /// Removes the tools for which `keep` is false (a server that went away).
    pub fn retain(&self, keep: impl FnMut(&dyn Tool) -> bool) {
        if let Ok(mut r) = self.0.write() {
            r.retain(keep);
        }
    }

    /// The tool called `name` (or with that alias).
    pub fn get(&self, name: &str) -> Option<Arc<dyn Tool>> {
        self.0.read().ok().and_then(|r| r.get(name).cloned())
    }

    /// The registry as it is now (cheap: the tools are shared).
    pub fn snapshot(&self) -> ToolRegistry {
        self.0.read().map(|r| r.clone()).unwrap_or_default()
    }

    pub fn names(&self) -> Vec<String> {
        self.snapshot().names()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registered_tool_shows_in_every_handle() {
        let set = ToolSet::new(ToolRegistry::new());
        let other = set.clone();
        other.register(Arc::new(crate::tools::todo_write::TodoWrite));
        assert_eq!(set.names(), ["TodoWrite"]);
        assert!(set.get("TodoWrite").is_some());
        set.retain(|_| false);
        assert!(other.snapshot().is_empty());
    }
}
