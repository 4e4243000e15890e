//! Skills through the real `ccrs` binary against the mock: listed to the model in the `Skill`
//! tool (and in stream-json `init`), loaded by it with their files, their `allowed-tools`
//! honoured for the turn, `/skills` in the terminal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Env, Tui, ccrs, env, stderr, stdout, tool_results, wait_requests, write};
use ccrs_mock::{MockServer, Reply, Scenario};
use serde_json::{Value, json};

fn mock(replies: Vec<Reply>) -> MockServer {
    MockServer::start_blocking(
        Scenario::new()
            .replies(replies)
            .fallback(Reply::text("Done.")),
    )
    .unwrap()
}

/// A project skill `deploy` that allows `touch`, with a helper file, and a user skill `notes`
/// kept from the model.
fn skills(e: &Env) {
    write(
        &e.cwd.join(".claude/skills/deploy/SKILL.md"),
        "---\nname: deploy\ndescription: Deploy the site to an environment\nallowed-tools: Bash(touch:*)\n---\n# Deploying\nRun scripts/run.sh for $ARGUMENTS, then touch deployed.txt.\n",
    );
    write(
        &e.cwd.join(".claude/skills/deploy/scripts/run.sh"),
        "echo hi\n",
    );
    write(
        &e.home.join(".claude/skills/notes/SKILL.md"),
        "---\ndescription: Take meeting notes\n---\nWrite notes.\n",
    );
    write(
        &e.home.join(".claude/skills/manual/SKILL.md"),
        "---\ndescription: Only by hand\ndisable-model-invocation: true\n---\nx\n",
    );
}

fn allow(e: &Env, rules: &[&str]) {
    write(
        &e.cwd.join(".claude/settings.json"),
        &json!({"permissions": {"allow": rules}}).to_string(),
    );
}

fn skill_tool(req: &Value) -> Option<Value> {
    req["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Skill")
        .cloned()
}

fn bash(command: &str) -> Reply {
    Reply::tool_use("Bash", json!({"command": command, "description": "d"}))
}

#[test]
fn skills_are_listed_loaded_and_their_tools_allowed_for_the_turn() {
    let e = env();
    skills(&e);
    allow(&e, &["Skill"]);
    let m = mock(vec![
        Reply::tool_use("Skill", json!({"skill": "deploy", "args": "staging"})),
        bash("touch deployed.txt"),
    ]);
    let o = ccrs(
        &e,
        &m,
        &[
            "-p",
            "deploy it",
            "--output-format",
            "stream-json",
            "--verbose",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let init: Value = serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    assert_eq!(init["skills"], json!(["deploy", "manual", "notes"]));

    let reqs = wait_requests(&m, 3);
    let tool = skill_tool(&reqs[0]).expect("Skill tool offered");
    assert_eq!(
        tool["input_schema"]["required"],
        json!(["skill"]),
        "Claude Code 2.1.332's schema"
    );
    let desc = tool["description"].as_str().unwrap();
    assert!(
        desc.contains("\n- deploy: Deploy the site to an environment"),
        "{desc}"
    );
    assert!(desc.contains("\n- notes: Take meeting notes"), "{desc}");
    assert!(!desc.contains("manual"), "disable-model-invocation: {desc}");
    assert!(
        !desc.contains("Run scripts/run.sh"),
        "bodies load on demand: {desc}"
    );

    let loaded = &tool_results(&reqs[1])[0];
    let text = loaded["content"].as_str().unwrap();
    assert_ne!(loaded["is_error"], true, "{text}");
    assert!(
        text.contains("# Deploying\nRun scripts/run.sh for staging, then touch deployed.txt."),
        "{text}"
    );
    assert!(text.contains(&e.cwd.join(".claude/skills/deploy").display().to_string()));
    assert!(text.contains("\n- scripts/run.sh"), "{text}");
    assert!(
        !text.contains("allowed-tools:"),
        "frontmatter stays out: {text}"
    );

    // Print mode asks nobody: the Bash call runs only because the skill allows it.
    assert_ne!(tool_results(&reqs[2])[0]["is_error"], true);
    assert!(e.cwd.join("deployed.txt").exists());
}

#[test]
fn allowed_tools_need_the_skill_and_the_skill_needs_approval() {
    // Without loading the skill, the same call is refused in print mode.
    let e = env();
    skills(&e);
    allow(&e, &["Skill"]);
    let m = mock(vec![bash("touch deployed.txt")]);
    ccrs(&e, &m, &["-p", "go"]);
    assert!(!e.cwd.join("deployed.txt").exists());

    // A skill that grants rules asks before it loads: refused in print mode without a rule,
    // and then grants nothing.
    let e = env();
    skills(&e);
    let m = mock(vec![
        Reply::tool_use("Skill", json!({"skill": "deploy"})),
        bash("touch deployed.txt"),
    ]);
    ccrs(&e, &m, &["-p", "go"]);
    let reqs = wait_requests(&m, 3);
    assert_eq!(tool_results(&reqs[1])[0]["is_error"], true);
    assert!(!e.cwd.join("deployed.txt").exists());

    // One without rules loads without a question; unknown names are refused with the list.
    let e = env();
    skills(&e);
    let m = mock(vec![
        Reply::tool_use("Skill", json!({"skill": "notes"})),
        Reply::tool_use("Skill", json!({"skill": "nope"})),
    ]);
    ccrs(&e, &m, &["-p", "go"]);
    let reqs = wait_requests(&m, 3);
    let r = &tool_results(&reqs[1])[0];
    assert!(
        r["content"].as_str().unwrap().contains("Write notes."),
        "{r}"
    );
    let r = &tool_results(&reqs[2])[0];
    assert_eq!(r["is_error"], true);
    assert!(
        r["content"]
            .as_str()
            .unwrap()
            .contains("Available skills: deploy, notes"),
        "{r}"
    );
}

#[test]
fn no_skills_no_tool_and_tools_flag_selects_it() {
    let e = env();
    let m = mock(vec![]);
    ccrs(&e, &m, &["-p", "hi"]);
    assert!(skill_tool(&wait_requests(&m, 1)[0]).is_none());

    let e = env();
    skills(&e);
    let m = mock(vec![]);
    let o = ccrs(&e, &m, &["-p", "hi", "--tools", "Read"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(skill_tool(&wait_requests(&m, 1)[0]).is_none());
    let m = mock(vec![]);
    let o = ccrs(&e, &m, &["-p", "hi", "--tools", "Read,Skill"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(skill_tool(&wait_requests(&m, 1)[0]).is_some());
}

#[test]
fn slash_skills_lists_them_in_the_terminal() {
    let e = env();
    skills(&e);
    let m = mock(vec![]);
    let mut t = Tui::start(&e, &m);
    t.wait_idle();
    t.submit("/skills");
    let screen = t.wait_text("Only by hand");
    assert!(
        screen.contains("deploy · Deploy the site to an environment (project)"),
        "{screen}"
    );
    assert!(
        screen.contains("notes · Take meeting notes (user)"),
        "{screen}"
    );
    assert!(
        screen.contains("(user, not offered to the model)"),
        "{screen}"
    );
}
