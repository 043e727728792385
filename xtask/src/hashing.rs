//! Content-hashed file names for the bundle.
//!
//! The main module, its JS glue, the split loader and the chunks refer to
//! one another in a cycle (the glue imports the loader, the loader imports
//! the glue and fetches the chunks, the chunks import the loader), so no one
//! of them can be named after its own final bytes. They are one unit: all of
//! them take one hash of all their contents before the names are written in,
//! which changes whenever any of them changes. The stylesheet, referred to
//! by nothing else, takes its own.
//!
//! Hashes are 128 bits of SHA-256 in unpadded base64url: 22 characters, the
//! length of the placeholder wasm-split writes into the chunks' imports, so
//! the name can be replaced inside the binary modules.

use crate::Split;
use anyhow::{ensure, Context, Result};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The hashes the server reads from `hash.txt` to name the files in a page
/// (the format Leptos's `HydrationScripts` reads).
pub struct Hashes {
    code: String,
    css: String,
}

impl Hashes {
    pub fn list(&self) -> String {
        let Self { code, css } = self;
        format!("js: {code}\nwasm: {code}\ncss: {css}\nmanifest: {code}\nsplit: {code}\n")
    }
}

pub fn name_by_content(
    pkg: &Path,
    output_name: &str,
    loader: &str,
    split: &Split,
) -> Result<Hashes> {
    let css_file = pkg.join(format!("{output_name}.css"));
    let css = hash(&[(css_file.clone(), fs::read(&css_file)?)]);
    fs::rename(&css_file, pkg.join(format!("{output_name}.{css}.css")))?;

    let glue = pkg.join(format!("{output_name}.js"));
    let main = pkg.join(format!("{output_name}.wasm"));
    let loader_file = pkg.join(loader);
    let mut code_files = vec![glue.clone(), main.clone(), loader_file.clone()];
    code_files.extend(split.chunks.iter().cloned());
    let contents = code_files
        .iter()
        .map(|file| {
            Ok((
                file.clone(),
                fs::read(file).with_context(|| file.display().to_string())?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let code = hash(&contents);

    let hashed_loader = loader.replace("______________________", &code);
    ensure!(
        hashed_loader.len() == loader.len(),
        "a hash must have 22 characters"
    );
    let hashed = |file: &Path| -> PathBuf {
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let ext = file
            .extension()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        file.with_file_name(format!("{stem}.{code}.{ext}"))
    };
    let name = |file: &Path| {
        file.file_name()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned()
    };

    // The modules: only the loader's name is written inside them.
    for (file, bytes) in contents
        .into_iter()
        .filter(|(file, _)| file.extension().is_some_and(|e| e == "wasm"))
    {
        let bytes = replace_bytes(bytes, loader.as_bytes(), hashed_loader.as_bytes());
        fs::write(hashed(&file), bytes)?;
        fs::remove_file(&file)?;
    }

    // The glue imports the loader and names the main module as a default.
    let text = fs::read_to_string(&glue)?
        .replace(&format!("./{loader}"), &format!("./{hashed_loader}"))
        .replace(&format!("{output_name}_bg.wasm"), &name(&hashed(&main)));
    fs::write(hashed(&glue), text)?;
    fs::remove_file(&glue)?;

    // The loader imports the glue and fetches the chunks.
    let mut text = fs::read_to_string(&loader_file)?.replace(
        &format!("./{output_name}.js"),
        &format!("./{}", name(&hashed(&glue))),
    );
    for chunk in &split.chunks {
        text = text.replace(
            &format!("./{}", name(chunk)),
            &format!("./{}", name(&hashed(chunk))),
        );
    }
    fs::write(pkg.join(&hashed_loader), text)?;
    fs::remove_file(&loader_file)?;

    // The manifest names chunks by their stems.
    let manifest: BTreeMap<&String, Vec<String>> = split
        .manifest
        .iter()
        .map(|(route, stems)| {
            (
                route,
                stems.iter().map(|stem| format!("{stem}.{code}")).collect(),
            )
        })
        .collect();
    fs::write(
        pkg.join(format!("__wasm_split_manifest.{code}.json")),
        serde_json::to_string(&manifest)?,
    )?;

    check_references(pkg)?;
    Ok(Hashes { code, css })
}

fn hash(files: &[(PathBuf, Vec<u8>)]) -> String {
    let mut sorted: Vec<_> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.file_name().cmp(&b.0.file_name()));
    let mut hasher = Sha256::new();
    for (file, bytes) in sorted {
        let name = file
            .file_name()
            .map(|n| n.as_encoded_bytes())
            .unwrap_or_default();
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    URL_SAFE_NO_PAD.encode(&hasher.finalize()[..16])
}

fn replace_bytes(mut bytes: Vec<u8>, from: &[u8], to: &[u8]) -> Vec<u8> {
    debug_assert_eq!(from.len(), to.len());
    let mut at = 0;
    while let Some(found) = bytes[at..].windows(from.len()).position(|w| w == from) {
        let start = at + found;
        bytes[start..start + from.len()].copy_from_slice(to);
        at = start + from.len();
    }
    bytes
}

/// Every `./name.js` and `./name.wasm` the JS files mention exists, and no
/// placeholder is left anywhere: a wrong name would show only in a browser.
fn check_references(pkg: &Path) -> Result<()> {
    for entry in fs::read_dir(pkg)? {
        let path = entry?.path();
        if path.is_dir() {
            continue;
        }
        let bytes = fs::read(&path)?;
        ensure!(
            !bytes.windows(22).any(|w| w == b"______________________"),
            "{} still holds the hash placeholder",
            path.display()
        );
        if path.extension().is_some_and(|e| e == "js") {
            let text = String::from_utf8(bytes)?;
            let references = text
                .split(['"', '\'', '`'])
                .filter(|s| s.starts_with("./") && (s.ends_with(".js") || s.ends_with(".wasm")))
                // The main module's name for its imports from the glue, not a file.
                .filter(|s| !s.ends_with("_bg.js"));
            for reference in references {
                ensure!(
                    pkg.join(reference).exists(),
                    "{} refers to {reference}, which is not in the bundle",
                    path.display()
                );
            }
        }
    }
    Ok(())
}
