//! The file tools through the agent loop: the mock scripts the tool_use, the next captured
//! request carries the tool_result, and the file on disk shows the effect.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{AllowPrompter, Harness, assert_valid_conversation};
use ccrs_core::agent::Outcome;
use ccrs_core::permissions::Mode;
use ccrs_mock::{Reply, Scenario};
use serde_json::{Value, json};
use std::sync::Arc;

#[tokio::test]
async fn read_then_edit_through_the_loop() {
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use_with_id(
                "toolu_read",
                "Read",
                json!({"file_path": "src/app.py"}),
            ))
            .reply(Reply::tool_use_with_id(
                "toolu_edit",
                "Edit",
                // Pasted straight from Read's output, prefix included.
                json!({"file_path": "src/app.py", "old_string": "2\tanswer = 41",
                       "new_string": "2\tanswer = 42"}),
            ))
            .reply(Reply::text("Fixed.")),
    )
    .prompter(Arc::new(AllowPrompter))
    .build()
    .await;
    let cwd = h.cwd().canonicalize().unwrap();
    std::fs::create_dir(cwd.join("src")).unwrap();
    std::fs::write(cwd.join("src/app.py"), "import os\r\nanswer = 41\r\n").unwrap();

    let res = h.query("fix the answer").await;
    assert!(
        matches!(res.outcome, Outcome::Completed),
        "{:?}",
        res.outcome
    );
    assert_eq!(res.result_text, "Fixed.");

    let sent = h.sent_messages(1);
    let tr = crate::common::tool_result_of(&sent[2], "toolu_read");
    assert_eq!(tr["content"], "1\timport os\n2\tanswer = 41");
    assert_eq!(tr["is_error"], false);

    let sent = h.sent_messages(2);
    let tr = crate::common::tool_result_of(&sent[4], "toolu_edit");
    assert_eq!(
        tr["content"],
        format!(
            "The file {} has been updated successfully.",
            cwd.join("src/app.py").display()
        )
    );
    assert_eq!(tr["is_error"], false);
    assert_valid_conversation(&sent);
    // CRLF kept.
    assert_eq!(
        std::fs::read(cwd.join("src/app.py")).unwrap(),
        b"import os\r\nanswer = 42\r\n"
    );
}

#[tokio::test]
async fn unread_overwrite_is_refused_through_the_loop() {
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use_with_id(
                "toolu_w",
                "Write",
                json!({"file_path": "keep.txt", "content": "clobbered"}),
            ))
            .reply(Reply::text("ok")),
    )
    .mode(Mode::AcceptEdits)
    .build()
    .await;
    let cwd = h.cwd().canonicalize().unwrap();
    std::fs::write(cwd.join("keep.txt"), "precious").unwrap();
    h.query("overwrite it").await;
    let sent = h.sent_messages(1);
    let tr = crate::common::tool_result_of(&sent[2], "toolu_w");
    assert_eq!(tr["is_error"], true);
    assert_eq!(
        tr["content"],
        "<tool_use_error>File has not been read yet. Read it first before writing to it.</tool_use_error>"
    );
    assert_eq!(
        std::fs::read_to_string(cwd.join("keep.txt")).unwrap(),
        "precious"
    );
}

#[tokio::test]
async fn image_read_goes_out_as_an_image_block() {
    let png: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89,
    ];
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use_with_id(
                "toolu_img",
                "Read",
                json!({"file_path": "shot.dat"}),
            ))
            .reply(Reply::text("A pixel.")),
    )
    .build()
    .await;
    let cwd = h.cwd().canonicalize().unwrap();
    std::fs::write(cwd.join("shot.dat"), png).unwrap();
    h.query("look").await;
    let sent = h.sent_messages(1);
    let tr = crate::common::tool_result_of(&sent[2], "toolu_img");
    assert_eq!(tr["content"][0]["type"], "image");
    assert_eq!(tr["content"][0]["source"]["media_type"], "image/png");
    assert_eq!(tr["content"][0]["source"]["type"], "base64");
}

#[tokio::test]
async fn multi_edit_and_notebook_edit_through_the_loop() {
    let nb = json!({
        "cells": [{"cell_type": "code", "execution_count": 1, "id": "c1", "metadata": {},
                   "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}],
                   "source": ["print(1)"]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5
    });
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use_with_id(
                "t1",
                "Read",
                json!({"file_path": "a.txt"}),
            ))
            .reply(Reply::tool_use_with_id(
                "t2",
                "MultiEdit",
                json!({"file_path": "a.txt", "edits": [
                    {"old_string": "one", "new_string": "1"},
                    {"old_string": "missing", "new_string": "x"}]}),
            ))
            .reply(Reply::tool_use_with_id(
                "t3",
                "Read",
                json!({"file_path": "n.ipynb"}),
            ))
            .reply(Reply::tool_use_with_id(
                "t4",
                "NotebookEdit",
                json!({"notebook_path": "n.ipynb", "cell_id": "c1", "new_source": "print(2)"}),
            ))
            .reply(Reply::text("done")),
    )
    .mode(Mode::AcceptEdits)
    .build()
    .await;
    let cwd = h.cwd().canonicalize().unwrap();
    std::fs::write(cwd.join("a.txt"), "one two\n").unwrap();
    std::fs::write(cwd.join("n.ipynb"), serde_json::to_vec(&nb).unwrap()).unwrap();
    let res = h.query("edit").await;
    assert!(
        matches!(res.outcome, Outcome::Completed),
        "{:?}",
        res.outcome
    );

    let sent = h.sent_messages(2);
    let tr = crate::common::tool_result_of(&sent[4], "t2");
    assert_eq!(tr["is_error"], true);
    assert_eq!(
        tr["content"],
        "<tool_use_error>Edit 2 of 2: String to replace not found in file.\nString: missing</tool_use_error>"
    );
    assert_eq!(
        std::fs::read_to_string(cwd.join("a.txt")).unwrap(),
        "one two\n"
    );

    let sent = h.sent_messages(3);
    let tr = crate::common::tool_result_of(&sent[6], "t3");
    let text = tr["content"].as_str().unwrap();
    assert!(
        text.contains(
            "<cell id=\"c1\" type=\"code\" execution_count=\"1\">\nprint(1)\n<output>\n1\n"
        ),
        "{text}"
    );

    let sent = h.sent_messages(4);
    let tr = crate::common::tool_result_of(&sent[8], "t4");
    assert_eq!(tr["content"], "Updated cell c1.");
    let after: Value =
        serde_json::from_slice(&std::fs::read(cwd.join("n.ipynb")).unwrap()).unwrap();
    assert_eq!(after["cells"][0]["source"], json!(["print(2)"]));
    assert_eq!(after["cells"][0]["outputs"], json!([]));
    assert_valid_conversation(&sent);
}
