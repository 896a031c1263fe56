//! Every command needs someone signed in unless [`OPEN_BEFORE_SIGN_IN`]
//! names it with a reason. The check is by reading the sources (a command
//! cannot be called here without a running Tauri app): the body of each
//! `#[tauri::command]`, or of a function of the same file it hands `&state`
//! to, must go through `as_user(` or `as_user_or_approver(`, call
//! `op_ctx()`, or be the export (which checks inside `export::run`, for the
//! menu's File → Export too).

use std::collections::BTreeMap;
use std::path::Path;

/// The commands that work before anyone signs in, and why. All others
/// refuse with `SignInNeeded` (module doc).
const OPEN_BEFORE_SIGN_IN: &[(&str, &str)] = &[
    (
        "startup",
        "tells the frame whether this is a normal start or recovery mode",
    ),
    ("session", "the sign-in screen: is set-up needed, who is signed in"),
    (
        "setup_shop",
        "the first run: no user exists yet (refused once one does)",
    ),
    (
        "user_names",
        "the sign-in screen's list of names (names and roles only)",
    ),
    ("sign_in", "sign-in itself"),
    ("sign_out", "signing out"),
    (
        "backup_now",
        "Backup Now works for anyone at the till, like the menu item and the close backup",
    ),
    (
        "recovery_info",
        "recovery mode: the database is damaged, nobody can sign in",
    ),
    (
        "recover_from_backup",
        "recovery mode: restores this till's newest verified backup",
    ),
];

/// `as_user_or_approver(` takes `op_ctx()` first, then runs the step as the
/// approving manager when one is given.
const GATES: &[&str] = &["as_user(", "as_user_or_approver(", "op_ctx()", "export::run("];

/// Top-level `fn` bodies of a source file by name (the text up to the first
/// line that is a lone `}`), and which of them are commands.
fn functions(source: &str) -> (BTreeMap<String, String>, Vec<String>) {
    let mut bodies = BTreeMap::new();
    let mut commands = Vec::new();
    let mut command_next = false;
    let lines: Vec<&str> = source.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim() == "#[tauri::command]" {
            command_next = true;
            continue;
        }
        // Top-level functions only (methods and nested functions are neither
        // commands nor the helpers a command hands `&state` to).
        let Some(at) = line.find("fn ").filter(|_| !line.starts_with(char::is_whitespace)) else {
            continue;
        };
        let name: String = line[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let end = lines[i..].iter().position(|l| *l == "}").map_or(lines.len(), |p| i + p);
        bodies.insert(name.clone(), lines[i..end].join("\n"));
        if command_next {
            commands.push(name);
        }
        command_next = false;
    }
    (bodies, commands)
}

#[test]
fn every_command_but_the_listed_few_needs_someone_signed_in() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files: Vec<_> = std::fs::read_dir(root.join("commands"))
        .expect("src/commands")
        .map(|e| e.expect("entry").path())
        .collect();
    files.push(root.join("recovery.rs"));
    let open: Vec<&str> = OPEN_BEFORE_SIGN_IN.iter().map(|(name, _)| *name).collect();
    let mut seen = Vec::new();
    let mut ungated = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("read a command module");
        let (bodies, commands) = functions(&source);
        for command in commands {
            let body = &bodies[&command];
            let helpers = bodies
                .iter()
                .filter(|(name, _)| body.contains(&format!("{name}(&state")))
                .map(|(_, text)| text.as_str());
            let gated = std::iter::once(body.as_str())
                .chain(helpers)
                .any(|text| GATES.iter().any(|gate| text.contains(gate)));
            if !gated && !open.contains(&command.as_str()) {
                ungated.push(format!("{} in {}", command, file.display()));
            }
            seen.push(command);
        }
    }
    assert!(
        ungated.is_empty(),
        "these commands work before anyone signs in; check the sign-in (as_user / op_ctx) \
         or list them in OPEN_BEFORE_SIGN_IN with a reason: {ungated:#?}"
    );
    for name in open {
        assert!(
            seen.iter().any(|c| c == name),
            "OPEN_BEFORE_SIGN_IN names {name}, which is no command"
        );
    }
    for must in [
        "app_info",
        "section_counts",
        "list_backups",
        "export_now",
        "test_server",
    ] {
        assert!(seen.iter().any(|c| c == must), "{must} is read by this test");
    }
}
