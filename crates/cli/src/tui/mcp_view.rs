//! `/mcp`: each server's state, origin, tools and, for a failed one, why (with the end of its
//! stderr).

use super::text;
use super::theme::{self, Style, Theme};
use ccrs_core::mcp::{ServerReport, State};

/// At most this many tool names are listed per server.
const TOOLS_SHOWN: usize = 12;

pub fn lines(t: &Theme, servers: &[ServerReport]) -> Vec<String> {
    let mut out = vec![format!(
        "  {}",
        t.paint(Style::plain().bold(), "MCP servers")
    )];
    if servers.is_empty() {
        out.push(t.paint(
            theme::SECONDARY,
            "    None configured. Add one with `ccrs mcp add`, in .mcp.json or with --mcp-config.",
        ));
        return out;
    }
    for s in servers {
        let (mark, style) = match s.state {
            State::Connected => ("✔", theme::OK),
            State::Pending => ("…", theme::WARN),
            State::Failed(_) | State::NeedsAuth(_) => ("✘", theme::ERROR),
        };
        let mut head = format!(
            "    {} {} {}",
            t.paint(style, mark),
            t.paint(Style::plain().bold(), &text::sanitize(&s.name)),
            t.paint(
                theme::SECONDARY,
                &format!(
                    "({}, {}) · {}",
                    s.scope.as_str(),
                    s.transport,
                    s.state.as_str()
                )
            ),
        );
        if s.state == State::Connected {
            let mut facts = vec![format!(
                "{} tool{}",
                s.tools.len(),
                if s.tools.len() == 1 { "" } else { "s" }
            )];
            if !s.prompts.is_empty() {
                facts.push(format!("{} prompts", s.prompts.len()));
            }
            if s.resources {
                facts.push("resources".into());
            }
            if let Some((name, version)) = &s.server_info {
                facts.push(text::sanitize(format!("{name} {version}").trim()));
            }
            head.push_str(&t.paint(theme::SECONDARY, &format!(" · {}", facts.join(" · "))));
        }
        out.push(head);
        out.push(t.paint(theme::DIM, &format!("      {}", text::sanitize(&s.target))));
        match &s.state {
            State::Failed(why) | State::NeedsAuth(why) => {
                out.push(t.paint(theme::ERROR, &format!("      {}", text::sanitize(why))));
                for l in s.stderr.lines() {
                    out.push(t.paint(theme::SECONDARY, &format!("      │ {}", text::sanitize(l))));
                }
            }
            State::Connected if !s.tools.is_empty() => {
                let shown: Vec<&str> = s
                    .tools
                    .iter()
                    .take(TOOLS_SHOWN)
                    .map(String::as_str)
                    .collect();
                let mut list = shown.join(", ");
                if s.tools.len() > TOOLS_SHOWN {
                    list.push_str(&format!(", … ({} more)", s.tools.len() - TOOLS_SHOWN));
                }
                out.push(format!("      {}", text::sanitize(&list)));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ccrs_core::mcp::Scope;

    fn report(name: &str, state: State, tools: usize) -> ServerReport {
        ServerReport {
            name: name.into(),
            scope: Scope::Project,
            transport: "stdio",
            target: format!("node {name}.js"),
            state,
            tools: (0..tools).map(|i| format!("mcp__{name}__t{i}")).collect(),
            prompts: vec![],
            resources: name == "fs",
            server_info: Some(("secure-filesystem-server".into(), "0.2.0".into())),
            stderr: if name == "broken" {
                "Error: boom\n    at main (x.js:1)".into()
            } else {
                String::new()
            },
            pid: None,
        }
    }

    #[test]
    fn mcp_listing() {
        let t = Theme::PLAIN;
        let servers = vec![
            report("fs", State::Connected, 14),
            report("slow", State::Pending, 0),
            report(
                "broken",
                State::Failed("the server exited with status 1".into()),
                0,
            ),
        ];
        insta::assert_snapshot!(lines(&t, &servers).join("\n"));
        insta::assert_snapshot!("mcp_listing_empty", lines(&t, &[]).join("\n"));
    }
}
