//! The text files behind the screens, checked without starting the app:
//! every key a screen asks for by name exists in English, and Arabic has
//! every English key (a missing one would show English in an Arabic screen).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

fn ui() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui")
}

fn strings(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a flat JSON object of strings", path.display()))
}

/// The frame's file and every screen's file of one language, merged, by file.
fn language(code: &str) -> anyhow::Result<BTreeMap<String, BTreeMap<String, String>>> {
    let mut files = BTreeMap::new();
    files.insert(
        format!("{code}.json"),
        strings(&ui().join(format!("i18n/{code}.json")))?,
    );
    for entry in std::fs::read_dir(ui().join(format!("i18n/{code}")))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = format!("{code}/{}", path.file_name().unwrap_or_default().to_string_lossy());
            files.insert(name, strings(&path)?);
        }
    }
    Ok(files)
}

/// The keys passed as a plain string literal to `t('…')` in a script.
fn literal_keys(source: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let bytes = source.as_bytes();
    let mut from = 0;
    while let Some(at) = source[from..].find("t('") {
        let start = from + at;
        from = start + 3;
        let before = start.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'$') {
            continue;
        }
        if let Some(len) = source[from..].find('\'') {
            keys.push(source[from..from + len].to_string());
        }
    }
    keys
}

#[test]
fn every_key_a_screen_names_is_in_english_and_arabic_has_every_english_key() -> anyhow::Result<()> {
    let en = language("en")?;
    let ar = language("ar")?;
    let all_en: BTreeMap<&str, &str> = en
        .values()
        .flat_map(|f| f.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .collect();

    let mut problems = Vec::new();
    for (file, keys) in &en {
        let arabic_file = file.replacen("en", "ar", 1);
        let Some(arabic) = ar.get(&arabic_file) else {
            problems.push(format!("{file} has no Arabic file {arabic_file}"));
            continue;
        };
        for key in keys.keys() {
            match arabic.get(key) {
                None => problems.push(format!("{arabic_file} lacks {key}")),
                Some(text) if text.trim().is_empty() => problems.push(format!("{arabic_file} has {key} empty")),
                Some(_) => {}
            }
        }
    }
    let mut checked = 0;
    let mut stack = vec![ui().join("js")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "js") {
                for key in literal_keys(&std::fs::read_to_string(&path)?) {
                    checked += 1;
                    if !all_en.contains_key(key.as_str()) {
                        problems.push(format!(
                            "{} asks for {key:?}, which no English file has",
                            path.display()
                        ));
                    }
                }
            }
        }
    }
    assert!(checked > 300, "the scan found the screens' keys ({checked} uses)");
    assert!(problems.is_empty(), "translation problems:\n{}", problems.join("\n"));
    Ok(())
}

#[test]
fn literal_keys_are_found_only_in_calls_of_t() {
    assert_eq!(
        literal_keys("t('a.b') + format('x') + ctx.t('c') + t('d', { n })"),
        ["a.b", "d"],
        "format('…') and ctx.t are not the translator called by name"
    );
}
