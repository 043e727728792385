//! The README's layout section is the map of the tree: it names every
//! folder of `src/` and every file of `src/server/` (in the lines of its
//! capability's folder), and every path it gives exists.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The fenced block under `## Layout`, line by line.
fn layout_lines() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let section = readme
        .split("\n## Layout\n")
        .nth(1)
        .expect("a Layout section");
    let block = section
        .split("```")
        .nth(1)
        .expect("a block in the Layout section");
    block.lines().map(str::to_owned).collect()
}

/// The words of some lines: names, with a folder's `/` and a file's
/// extension kept.
fn words(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .flat_map(|line| {
            line.split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | ':' | ';'))
                .map(|w| w.trim_matches('`').to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The lines of the entry that starts with `name` (at any indentation),
/// up to the next entry at the same or a lesser indentation.
fn entry(lines: &[String], name: &str) -> Vec<String> {
    let Some(start) = lines
        .iter()
        .position(|l| l.trim_start().starts_with(&format!("{name} ")))
    else {
        return Vec::new();
    };
    let indent = lines[start].len() - lines[start].trim_start().len();
    let mut taken = vec![lines[start].clone()];
    for line in &lines[start + 1..] {
        let text = line.trim_start();
        let this_indent = line.len() - text.len();
        // Continuation lines are indented past the entry's description.
        if this_indent <= indent + 2 && !text.is_empty() {
            break;
        }
        taken.push(line.clone());
    }
    taken
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, found);
        }
        found.push(path);
    }
}

#[test]
fn the_map_names_every_folder_of_src_and_every_file_of_the_server() {
    let lines = layout_lines();
    let all = words(&lines);
    let mut paths = Vec::new();
    walk(&root().join("src"), &mut paths);
    let mut missing = Vec::new();
    for path in &paths {
        let relative = path.strip_prefix(root().join("src")).unwrap();
        let parts: Vec<String> = relative
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let named = if path.is_dir() {
            all.iter()
                .any(|w| w.trim_end_matches('/').ends_with(&stem) && w.ends_with('/'))
        } else if parts[0] == "server" && path.extension().is_some_and(|e| e == "rs") {
            // A capability's files are named in its folder's lines; the
            // files of server/ itself anywhere, with their extension.
            match parts.len() {
                2 => stem == "mod" || all.contains(&format!("{stem}.rs")),
                _ => {
                    let here = words(&entry(&lines, &format!("{}/", parts[1])));
                    stem == "mod"
                        || here.iter().any(|w| {
                            w == &stem || w == &format!("{stem}.rs") || w == &format!("{stem}/")
                        })
                }
            }
        } else {
            true
        };
        if !named {
            missing.push(relative.display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "README's layout does not name: {missing:?}"
    );
}

#[test]
fn every_path_the_map_gives_exists() {
    let top_level = [
        "src/",
        "tests/",
        "migrations/",
        "end2end/",
        "benches/",
        "xtask/",
        "tools/",
        ".cargo/",
        "scripts/",
        "build.rs",
    ];
    for word in words(&layout_lines()) {
        if top_level.iter().any(|t| word.starts_with(t)) {
            assert!(
                root().join(&word).exists(),
                "README's layout names {word}, which is not there"
            );
        }
    }
}
