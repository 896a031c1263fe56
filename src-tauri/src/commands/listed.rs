//! A command is named in five places besides its module: the handler lists
//! in `lib.rs` and `recovery.rs` (what runs), `COMMANDS` in `build.rs` (what
//! gets a permission), `capabilities/default.json` (what the window is
//! granted) and `ui/js/api.js` (what the screens call). Nothing in Tauri
//! checks that they agree: a command missing from the capability fails only
//! when a cashier reaches it. This test reads the five lists and compares them.

use std::collections::BTreeSet;
use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()))
}

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("{start:?} not found")) + start.len();
    let to = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?} after {start:?}"));
    &text[from..from + to]
}

/// The last path segment of every entry of every `generate_handler![…]`.
fn handlers(source: &str) -> BTreeSet<String> {
    source
        .split("generate_handler![")
        .skip(1)
        .flat_map(|rest| rest[..rest.find(']').expect("generate_handler! is closed")].split(','))
        .map(|entry| entry.trim().rsplit("::").next().unwrap_or_default().to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

fn build_rs() -> BTreeSet<String> {
    between(&read("build.rs"), "const COMMANDS: &[&str] = &[", "];")
        .split(',')
        .map(|entry| entry.trim().trim_matches('"').to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

fn capability() -> BTreeSet<String> {
    let json: serde_json::Value =
        serde_json::from_str(&read("capabilities/default.json")).expect("capabilities/default.json is JSON");
    json["permissions"]
        .as_array()
        .expect("the capability lists permissions")
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|name| name.replace('-', "_"))
        .collect()
}

fn api_js() -> BTreeSet<String> {
    // `callRaw` (a bytes argument) wraps a command as `call` does.
    read("../ui/js/api.js")
        .replace("callRaw('", "call('")
        .split("call('")
        .skip(1)
        .map(|rest| rest[..rest.find('\'').expect("a quoted command name")].to_string())
        .collect()
}

#[test]
fn every_command_is_registered_permitted_granted_and_wrapped() {
    let mut registered = handlers(&read("src/lib.rs"));
    registered.extend(handlers(&read("src/recovery.rs")));
    assert!(registered.contains("print"), "the lists were read: {registered:?}");

    assert_eq!(
        build_rs(),
        registered,
        "build.rs COMMANDS = the commands lib.rs and recovery.rs register"
    );
    assert_eq!(
        capability(),
        registered,
        "capabilities/default.json grants exactly the registered commands"
    );
    assert_eq!(
        api_js(),
        registered,
        "ui/js/api.js wraps exactly the registered commands"
    );
}
