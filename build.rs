//! Reads the word catalogues (`src/i18n/*.toml`), checks them against the
//! English one, and writes the message keys and every language's words as
//! Rust for `src/i18n` to include. A catalogue that lacks a key, has one
//! too many, changes a message's placeholders, or gives a plural message
//! other forms than its language's plural categories fails the build here,
//! naming the file and the key.

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt::Write as _,
    path::{Path, PathBuf},
};

/// The catalogue every other is checked against.
const REFERENCE: &str = "en";
/// The pseudo-language made from the reference for tests: every letter
/// swapped for an accented one, so that English left anywhere stands out.
const PSEUDO: &str = "en-XA";
/// CLDR's plural categories, in CLDR's order; `other` is always there.
const CATEGORIES: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

/// One catalogue, read.
struct Catalogue {
    tag: String,
    /// Its own name, for the links between languages.
    name: String,
    /// Plural categories and their CLDR rules, `other` last (no rule).
    rules: Vec<(String, String)>,
    /// `section.key` → the message: its text, or its plural forms.
    messages: BTreeMap<String, Message>,
}

#[derive(Clone)]
enum Message {
    Text(String),
    Plural(Vec<(String, String)>),
}

fn main() {
    let dir = PathBuf::from("src/i18n");
    println!("cargo::rerun-if-changed=src/i18n");
    let mut catalogues = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("src/i18n exists")
        .map(|entry| entry.expect("a readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for path in &files {
        println!("cargo::rerun-if-changed={}", path.display());
        catalogues.push(read(path).unwrap_or_else(|e| fail(path, &e)));
    }
    let reference_at = catalogues
        .iter()
        .position(|c| c.tag == REFERENCE)
        .unwrap_or_else(|| fail(&dir, "there is no en.toml"));
    let reference = catalogues.remove(reference_at);
    for catalogue in &catalogues {
        let path = dir.join(format!("{}.toml", catalogue.tag));
        if let Err(e) = check(catalogue, &reference) {
            fail(&path, &e);
        }
    }
    catalogues.insert(0, pseudo(&reference));
    catalogues.insert(0, reference);
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("catalogue.rs"), generate(&catalogues)).expect("OUT_DIR is writable");
}

fn fail(path: &Path, problem: &str) -> ! {
    panic!("\n\nword catalogue {}: {problem}\n\n", path.display());
}

fn read(path: &Path) -> Result<Catalogue, String> {
    let tag = path
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or("the file name is not a language tag")?
        .to_owned();
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let language = table
        .get("language")
        .and_then(|v| v.as_table())
        .ok_or("a [language] section is missing")?;
    let name = language
        .get("name")
        .and_then(|v| v.as_str())
        .ok_or("[language] name is missing")?
        .to_owned();
    let mut rules = Vec::new();
    if let Some(plural) = language.get("plural") {
        let plural = plural
            .as_table()
            .ok_or("[language] plural must be a table")?;
        for (category, rule) in plural {
            if !CATEGORIES[..5].contains(&category.as_str()) {
                return Err(format!(
                    "[language] plural.{category} is not a CLDR category (zero, one, two, few, many)"
                ));
            }
            let rule = rule.as_str().ok_or("a plural rule must be text")?;
            rules.push((category.clone(), rule.to_owned()));
        }
    }
    rules.sort_by_key(|(c, _)| CATEGORIES.iter().position(|k| k == c));
    rules.push(("other".into(), String::new()));
    let mut messages = BTreeMap::new();
    for (section, keys) in &table {
        if section == "language" {
            continue;
        }
        let keys = keys
            .as_table()
            .ok_or_else(|| format!("`{section}` must be a [section] of messages"))?;
        for (key, value) in keys {
            let name = format!("{section}.{key}");
            let message = match value {
                toml::Value::String(text) => Message::Text(text.clone()),
                toml::Value::Table(forms) => {
                    let mut plural = Vec::new();
                    for (category, text) in forms {
                        let text = text
                            .as_str()
                            .ok_or_else(|| format!("`{name}.{category}` must be text"))?;
                        plural.push((category.clone(), text.to_owned()));
                    }
                    plural.sort_by_key(|(c, _)| CATEGORIES.iter().position(|k| k == c));
                    Message::Plural(plural)
                }
                _ => return Err(format!("`{name}` must be text or a table of plural forms")),
            };
            messages.insert(name, message);
        }
    }
    let catalogue = Catalogue {
        tag,
        name,
        rules,
        messages,
    };
    check_forms(&catalogue)?;
    Ok(catalogue)
}

/// Each plural message has exactly the language's categories.
fn check_forms(catalogue: &Catalogue) -> Result<(), String> {
    let categories: Vec<&str> = catalogue.rules.iter().map(|(c, _)| c.as_str()).collect();
    for (name, message) in &catalogue.messages {
        if let Message::Plural(forms) = message {
            let given: Vec<&str> = forms.iter().map(|(c, _)| c.as_str()).collect();
            if given != categories {
                return Err(format!(
                    "`{name}` has the plural forms {given:?}; this language has exactly {categories:?}"
                ));
            }
        }
    }
    Ok(())
}

/// The `{placeholders}` of a text.
fn placeholders(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        found.insert(rest[start + 1..start + len].to_owned());
        rest = &rest[start + len + 1..];
    }
    found
}

/// The same keys as the reference, each of the same kind, with the same
/// placeholders (a plural form may leave the number out, as "one" often
/// does, but none may add one).
fn check(catalogue: &Catalogue, reference: &Catalogue) -> Result<(), String> {
    let keys: BTreeSet<&String> = catalogue.messages.keys().collect();
    let expected: BTreeSet<&String> = reference.messages.keys().collect();
    if let Some(missing) = expected.difference(&keys).next() {
        return Err(format!(
            "`{missing}` is missing (it is in {REFERENCE}.toml)"
        ));
    }
    if let Some(extra) = keys.difference(&expected).next() {
        return Err(format!("`{extra}` is not a key of {REFERENCE}.toml"));
    }
    for (name, message) in &catalogue.messages {
        let theirs = &reference.messages[name];
        match (message, theirs) {
            (Message::Text(text), Message::Text(english)) => {
                if placeholders(text) != placeholders(english) {
                    return Err(format!(
                        "`{name}` has the placeholders {:?}; {REFERENCE}.toml has {:?}",
                        placeholders(text),
                        placeholders(english)
                    ));
                }
            }
            (Message::Plural(forms), Message::Plural(english)) => {
                let allowed: BTreeSet<String> =
                    english.iter().flat_map(|(_, t)| placeholders(t)).collect();
                let used: BTreeSet<String> =
                    forms.iter().flat_map(|(_, t)| placeholders(t)).collect();
                if !used.is_subset(&allowed) {
                    return Err(format!(
                        "`{name}`'s forms use the placeholders {used:?}; {REFERENCE}.toml has {allowed:?}"
                    ));
                }
            }
            _ => {
                return Err(format!(
                    "`{name}` is a plural message in one catalogue only"
                ))
            }
        }
    }
    Ok(())
}

/// The pseudo-language: every ASCII letter outside `{placeholders}`
/// swapped for an accented one, and each message bracketed.
fn pseudo(reference: &Catalogue) -> Catalogue {
    fn accent(text: &str) -> String {
        const FROM: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        const TO: [char; 52] = [
            'á', 'ƀ', 'ç', 'đ', 'é', 'ƒ', 'ĝ', 'ĥ', 'í', 'ĵ', 'ķ', 'ĺ', 'ɱ', 'ñ', 'ó', 'þ', 'ǫ',
            'ŕ', 'š', 'ţ', 'ú', 'ṽ', 'ŵ', 'ẋ', 'ý', 'ž', 'Á', 'Ɓ', 'Ç', 'Đ', 'É', 'Ƒ', 'Ĝ', 'Ĥ',
            'Í', 'Ĵ', 'Ķ', 'Ĺ', 'Ṁ', 'Ñ', 'Ó', 'Þ', 'Ǫ', 'Ŕ', 'Š', 'Ţ', 'Ú', 'Ṽ', 'Ŵ', 'Ẋ', 'Ý',
            'Ž',
        ];
        let mut out = String::from("[");
        let mut in_placeholder = false;
        for c in text.chars() {
            match c {
                '{' => in_placeholder = true,
                '}' => in_placeholder = false,
                _ => {}
            }
            match FROM.find(c).filter(|_| !in_placeholder) {
                Some(i) => out.push(TO[i]),
                None => out.push(c),
            }
        }
        out.push(']');
        out
    }
    Catalogue {
        tag: PSEUDO.into(),
        name: accent("Pseudo"),
        rules: reference.rules.clone(),
        messages: reference
            .messages
            .iter()
            .map(|(name, message)| {
                let message = match message {
                    Message::Text(t) => Message::Text(accent(t)),
                    Message::Plural(forms) => {
                        Message::Plural(forms.iter().map(|(c, t)| (c.clone(), accent(t))).collect())
                    }
                };
                (name.clone(), message)
            })
            .collect(),
    }
}

/// `section.some_key` → `SectionSomeKey`.
fn variant(name: &str) -> String {
    name.split(['.', '_'])
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Which of the browser's word lists a section's messages go to. The
/// browser loads the first on every page that runs the client, the others
/// only on the pages that show them, and the last never: mails, and the
/// light pages that the server alone renders (`pages::is_light`).
const AREAS: [&str; 5] = ["base", "admin", "security", "pages", "server"];

/// The area (an index into [`AREAS`]) of a `section.key`: `pages` holds the
/// pages people reach only from a mail, a log or an app (setup, a reset
/// link, a refused sign-in).
fn area(name: &str) -> usize {
    let section = name.split('.').next().unwrap_or_default();
    match section {
        s if s.starts_with("mail_") => 4,
        "login" | "forgot" | "verify" | "continue" => 4,
        s if s.starts_with("admin") => 1,
        "outbox_state" | "outbox_kind" | "audit_event" => 1,
        "security" => 2,
        "setup" | "reset" | "sign_in_problem" | "log_out" => 3,
        _ => 0,
    }
}

fn generate(catalogues: &[Catalogue]) -> String {
    let reference = &catalogues[0];
    // The messages area by area: each word list holds one run of them.
    let mut texts: Vec<&String> = Vec::new();
    let mut plurals: Vec<&String> = Vec::new();
    let mut runs: Vec<((usize, usize), (usize, usize))> = Vec::new();
    for each in 0..AREAS.len() {
        let (text_start, plural_start) = (texts.len(), plurals.len());
        for (name, message) in &reference.messages {
            if area(name) != each {
                continue;
            }
            match message {
                Message::Text(_) => texts.push(name),
                Message::Plural(_) => plurals.push(name),
            }
        }
        runs.push(((text_start, texts.len()), (plural_start, plurals.len())));
    }
    // The browser's areas (all but the server's).
    let browser_areas = AREAS.len() - 1;
    let browser_texts = runs[browser_areas - 1].0 .1;
    let browser_plurals = runs[browser_areas - 1].1 .1;
    let mut out = String::new();
    writeln!(
        out,
        "// Made by build.rs from src/i18n/*.toml: do not edit.\n"
    )
    .unwrap();
    writeln!(
        out,
        "/// A message (its key, `section.key` in the catalogues)."
    )
    .unwrap();
    writeln!(
        out,
        "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\n#[repr(u16)]\npub enum Msg {{"
    )
    .unwrap();
    for name in &texts {
        writeln!(out, "    /// `{name}`\n    {},", variant(name)).unwrap();
    }
    writeln!(out, "}}\n").unwrap();
    writeln!(out, "/// A message with plural forms, chosen by a count.").unwrap();
    writeln!(
        out,
        "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\n#[repr(u16)]\npub enum Plural {{"
    )
    .unwrap();
    for name in &plurals {
        writeln!(out, "    /// `{name}`\n    {},", variant(name)).unwrap();
    }
    writeln!(out, "}}\n").unwrap();
    writeln!(
        out,
        "/// How many of the messages the browser's word lists hold (the first ones)."
    )
    .unwrap();
    writeln!(out, "pub const BROWSER_TEXTS: usize = {browser_texts};").unwrap();
    writeln!(
        out,
        "pub const BROWSER_PLURALS: usize = {browser_plurals};\n"
    )
    .unwrap();
    writeln!(
        out,
        "/// One of the browser's word lists: its name and its runs of messages\n/// and of plural messages (start, end).\npub type WordList = (&'static str, (usize, usize), (usize, usize));\n\n/// The browser's word lists.\npub const WORD_LISTS: [WordList; {browser_areas}] = ["
    )
    .unwrap();
    for (name, (texts_run, plurals_run)) in AREAS.iter().zip(&runs).take(browser_areas) {
        writeln!(out, "    ({name:?}, {texts_run:?}, {plurals_run:?}),").unwrap();
    }
    writeln!(out, "];\n").unwrap();
    writeln!(out, "/// Every message's key, in the enums' order.").unwrap();
    writeln!(
        out,
        "pub const TEXT_KEYS: [&str; {}] = {:?};",
        texts.len(),
        texts
    )
    .unwrap();
    writeln!(
        out,
        "pub const PLURAL_KEYS: [&str; {}] = {:?};\n",
        plurals.len(),
        plurals
    )
    .unwrap();
    writeln!(
        out,
        "#[cfg(feature = \"ssr\")]\npub static CATALOGUES: [Catalogue; {}] = [",
        catalogues.len()
    )
    .unwrap();
    for catalogue in catalogues {
        let texts: Vec<&str> = texts
            .iter()
            .map(|n| match &catalogue.messages[*n] {
                Message::Text(t) => t.as_str(),
                Message::Plural(_) => unreachable!(),
            })
            .collect();
        let forms: Vec<Vec<(&str, &str)>> = plurals
            .iter()
            .map(|n| match &catalogue.messages[*n] {
                Message::Plural(forms) => forms
                    .iter()
                    .map(|(c, t)| (c.as_str(), t.as_str()))
                    .collect(),
                Message::Text(_) => unreachable!(),
            })
            .collect();
        let lists: Vec<String> = runs
            .iter()
            .take(browser_areas)
            .map(|((t0, t1), (p0, p1))| {
                browser_words(catalogue, (*t0, &texts[*t0..*t1]), (*p0, &forms[*p0..*p1]))
            })
            .collect();
        let hashes: Vec<String> = lists.iter().map(|list| fnv(list)).collect();
        let forms_rust: Vec<String> = forms
            .iter()
            .map(|forms| {
                let inner: Vec<String> = forms
                    .iter()
                    .map(|(c, t)| format!("(Category::{}, {:?})", variant(c), t))
                    .collect();
                format!("&[{}]", inner.join(", "))
            })
            .collect();
        let rules: Vec<String> = catalogue
            .rules
            .iter()
            .map(|(c, r)| format!("(Category::{}, {:?})", variant(c), r))
            .collect();
        writeln!(
            out,
            "    Catalogue {{\n        tag: {:?},\n        name: {:?},\n        rules: &[{}],\n        texts: &{:?},\n        plurals: &[{}],\n        browser_words: {:?},\n        browser_words_hash: {:?},\n    }},",
            catalogue.tag,
            catalogue.name,
            rules.join(", "),
            texts,
            forms_rust.join(", "),
            lists,
            hashes,
        )
        .unwrap();
    }
    writeln!(out, "];").unwrap();
    out
}

/// One of the browser's word lists: one JSON array of strings (see
/// `src/i18n/browser.rs`): its messages and plural messages, each run
/// with the index of its first.
fn browser_words(
    catalogue: &Catalogue,
    (text_start, texts): (usize, &[&str]),
    (plural_start, plurals): (usize, &[Vec<(&str, &str)>]),
) -> String {
    let mut list: Vec<String> = vec![catalogue.tag.clone(), catalogue.rules.len().to_string()];
    for (category, rule) in &catalogue.rules {
        list.extend([category.clone(), rule.clone()]);
    }
    list.push(text_start.to_string());
    list.push(texts.len().to_string());
    list.extend(texts.iter().map(|t| (*t).to_owned()));
    list.push(plural_start.to_string());
    list.push(plurals.len().to_string());
    for forms in plurals {
        list.push(forms.len().to_string());
        for (category, text) in forms {
            list.extend([(*category).to_owned(), (*text).to_owned()]);
        }
    }
    serde_json::to_string(&list).expect("strings make JSON")
}

/// A short content hash (FNV-1a, 64 bits, hex) for the word list's file
/// name, so that browsers may keep it for a year.
fn fnv(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}
