//! Where the browser bundle is, and the names of its files.

use crate::server::platform::config::Settings;
use leptos::config::LeptosOptions;

/// Where `cargo xtask bundle` put the client bundle, unless LEPTOS_* say
/// otherwise.
///
/// The bundle's files have content-hashed names, listed in `hash.txt` in
/// the site folder, so that a bundle and its names travel together. Leptos
/// looks for the list beside the executable; an absolute path sends it to
/// the site.
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let site_root = env("LEPTOS_SITE_ROOT", "target/site");
    let hash_file = std::path::absolute(std::path::Path::new(&site_root).join(HASH_FILE))
        .unwrap_or_else(|_| std::path::Path::new(&site_root).join(HASH_FILE));
    LeptosOptions::builder()
        .output_name(env("LEPTOS_OUTPUT_NAME", "gatehouse"))
        .site_root(site_root)
        .site_pkg_dir(env("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(settings.addr)
        .hash_files(hash_file.exists())
        .hash_file(hash_file.to_string_lossy().into_owned().into())
        .build()
}

/// The list of the bundle's hashed file names, in the site folder.
pub const HASH_FILE: &str = "hash.txt";

/// The stylesheet's address: `/pkg/gatehouse.<hash>.css` when the bundle
/// has hashed names. Read on each page, as Leptos reads the list for the
/// scripts, so a rebuilt bundle is picked up without a restart.
pub fn stylesheet_href(options: &LeptosOptions) -> String {
    let pkg = &options.site_pkg_dir;
    let name = &options.output_name;
    let hash = options
        .hash_files
        .then(|| std::fs::read_to_string(&*options.hash_file).ok())
        .flatten()
        .and_then(|list| {
            list.lines().find_map(|line| {
                let (file, hash) = line.split_once(':')?;
                (file.trim() == "css").then(|| hash.trim().to_owned())
            })
        });
    match hash {
        Some(hash) => format!("/{pkg}/{name}.{hash}.css"),
        None => format!("/{pkg}/{name}.css"),
    }
}
