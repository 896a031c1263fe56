//! What the webview may call: the app's own commands, nothing else.

use serde_json::json;
use sonic_core::{DataDir, SectionKey, Store};
use sonic_e2e::App;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webview_cannot_call_commands_outside_its_capability() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let app = App::launch(dir.path()).await?;

    // A granted command that is open before sign-in works, so the refusals
    // below are the ACL at work, not a broken IPC.
    let session = app.invoke("session", json!({})).await?;
    let session = session.unwrap_or_else(|err| panic!("session is granted and open before sign-in, got {err}"));
    assert_eq!(
        session["setupNeeded"],
        json!(true),
        "a new data folder asks for the first-run set-up: {session}"
    );

    let refused = [
        // Plugins this app does not have at all.
        ("plugin:fs|read_file", json!({ "path": "/etc/passwd" })),
        (
            "plugin:shell|execute",
            json!({ "program": "sh", "args": ["-c", "true"] }),
        ),
        ("plugin:http|fetch", json!({ "url": "http://127.0.0.1:1/" })),
        // The old restore command that took a whole file over IPC is gone.
        ("stage_restore_file", json!({})),
        // The dialog plugin is the Rust side's only: the page cannot open
        // a chooser, nor learn a path from one.
        ("plugin:dialog|open", json!({ "options": {} })),
        // Core commands that exist but are not granted to the window.
        ("plugin:app|version", json!({})),
        ("plugin:path|resolve_directory", json!({ "directory": 1 })),
        ("plugin:window|close", json!({ "label": "main" })),
        (
            "plugin:webview|create_webview_window",
            json!({ "options": { "label": "x", "url": "https://example.com" } }),
        ),
    ];
    for (command, args) in refused {
        let refusal = match app.invoke(command, args).await? {
            Ok(value) => panic!("{command} must be refused to the webview, but it returned {value}"),
            Err(err) => err.to_string(),
        };
        // Refused by the ACL or unknown, not merely failing on its arguments.
        assert!(
            refusal.contains("not allowed") || refusal.contains("not found"),
            "{command} must be refused for lack of permission, not for another reason: {refusal}"
        );
        eprintln!("{command}: {refusal}");
    }

    // The refused window|close really did nothing: the app still answers.
    app.testid("setup-form").await?;

    // The shop's own commands refuse to work for nobody: before anyone
    // signed in, a sale is refused with SignInNeeded and nothing is written.
    let sale = json!({ "input": { "lines": [{ "itemId": "item-1", "qty": 1 }], "currency": "IQD" } });
    let refused = app.invoke("sell", sale).await?;
    let err = refused.expect_err("a sale without a signed-in user must be refused");
    assert_eq!(err["code"], "SignInNeeded", "refused for the missing sign-in: {err}");
    // Reading the counts needs a sign-in too: they are read from the file.
    let refused = app.invoke("section_counts", json!({})).await?;
    let err = refused.expect_err("section_counts without a signed-in user must be refused");
    assert_eq!(err["code"], "SignInNeeded", "refused for the missing sign-in: {err}");
    let counts = Store::open(&DataDir::at(dir.path()))?.counts()?;
    assert_eq!(
        counts.get(&SectionKey::Invoices),
        Some(&0),
        "no invoice was written: {counts:?}"
    );
    app.quit().await
}
