//! Gatehouse's build tool (`cargo xtask`, the alias in `.cargo/config.toml`).
//!
//! `cargo xtask bundle [--release]` makes the browser bundle under
//! `target/site`, the folder the server serves `/pkg` and the public files
//! from. It does the steps cargo-leptos did for us, with the crates
//! cargo-leptos uses for them, so that a fresh machine needs neither
//! cargo-leptos's own build (about 14 minutes) nor a separate wasm-bindgen
//! install:
//!
//! 1. `cargo build` of the library for `wasm32-unknown-unknown` with the
//!    `hydrate` feature (flags from `.cargo/config.toml`, like every build);
//! 2. WASM splitting: each `#[lazy]` route (the admin pages) becomes its own
//!    chunk, fetched when first needed (`wasm_split_cli_support`);
//! 3. the JS glue (`wasm-bindgen-cli-support`, the library behind the
//!    `wasm-bindgen` command);
//! 4. release only: `wasm-opt` on every module and esbuild on the JS (both
//!    from npm, pinned in `tools/package.json`);
//! 5. the stylesheet through Lightning CSS (npm, pinned): lowered for the
//!    browsers of the `defaults` query, minified in release;
//! 6. content-hashed names, listed in `hash.txt`, so that browsers may keep
//!    the files for a year (the server's cache policy);
//! 7. release only: `.br` and `.gz` copies, which the server sends as they
//!    are.
//!
//! The new site is assembled beside the old one and then moved into place.

mod hashing;

use anyhow::{bail, ensure, Context, Result};
use clap::{Parser, Subcommand};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The name of the WASM and JS files, which Leptos also reads at compile
/// time (`LEPTOS_OUTPUT_NAME` in `.cargo/config.toml`).
const OUTPUT_NAME: &str = "gatehouse";
/// The split loader's name before hashing. wasm-split writes it into every
/// chunk's imports, so its hashed name must have the same length: 22
/// characters, the length of a 128-bit hash in unpadded base64.
const SPLIT_LOADER: &str = "__wasm_split.______________________.js";

/// wasm-opt's arguments for release modules. Its default -Oz makes the raw
/// file smaller but the brotli copy larger, mostly by inlining, which undoes
/// the sharing of code that compresses well; -Os without inlining makes both
/// smaller (BENCHMARKS.md, "WASM size"). The features are those rustc's
/// wasm32 target emits.
const WASM_OPT_ARGS: &[&str] = &[
    "-Os",
    "--always-inline-max-function-size=0",
    "--one-caller-inline-max-function-size=0",
    "--flexible-inline-max-function-size=0",
    "--strip-debug",
    "--strip-producers",
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Browsers the stylesheet is lowered for (a browserslist query).
const CSS_TARGETS: &str = "defaults";

#[derive(Parser)]
#[command(about = "Gatehouse's build tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build the browser bundle into target/site.
    Bundle {
        /// Size-optimised build (profile wasm-release, wasm-opt, minified
        /// JS and CSS, precompressed copies).
        #[arg(long)]
        release: bool,
    },
}

fn main() -> Result<()> {
    match Cli::parse().task {
        Task::Bundle { release } => bundle(&Project::locate()?, release),
    }
}

/// Where things are.
struct Project {
    root: PathBuf,
    target: PathBuf,
}

impl Project {
    fn locate() -> Result<Self> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("xtask lives inside the project")?
            .to_path_buf();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .map(|dir| {
                if dir.is_absolute() {
                    dir
                } else {
                    root.join(dir)
                }
            })
            .unwrap_or_else(|| root.join("target"));
        Ok(Self { root, target })
    }

    /// npm tools pinned in tools/package.json (scripts/setup.sh installs them).
    fn npm_tool(&self, name: &str) -> Result<PathBuf> {
        let path = self.root.join("tools/node_modules/.bin").join(name);
        ensure!(
            path.exists(),
            "{} is missing: run `npm ci --prefix tools` (scripts/setup.sh does)",
            path.display()
        );
        Ok(path)
    }
}

fn bundle(project: &Project, release: bool) -> Result<()> {
    let started = Instant::now();
    let (profile, profile_dir) = if release {
        ("wasm-release", "wasm-release")
    } else {
        ("dev", "debug")
    };

    step("cargo build (wasm32, hydrate)");
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo.current_dir(&project.root).args([
        "build",
        "--package",
        OUTPUT_NAME,
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--no-default-features",
        "--features",
        "hydrate",
        "--profile",
        profile,
    ]);
    run(&mut cargo)?;
    let input = project
        .target
        .join("wasm32-unknown-unknown")
        .join(profile_dir)
        .join(format!("{OUTPUT_NAME}.wasm"));

    let work = project.target.join("front").join(profile_dir);
    recreate_dir(&work)?;
    let site = work.join("site");
    let pkg = site.join("pkg");
    fs::create_dir_all(&pkg)?;

    step("splitting the lazy routes into their own modules");
    let main_wasm = work.join(format!("{OUTPUT_NAME}_split.wasm"));
    let split = split_wasm(&input, &main_wasm, &pkg)?;

    step("wasm-bindgen");
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&main_wasm)
        .out_name(OUTPUT_NAME)
        .web(true)?
        // Kept for the split chunks, which call into the main module.
        .keep_lld_exports(true)
        .demangle(false)
        .typescript(false)
        .generate(&pkg)
        .context("wasm-bindgen")?;
    fs::rename(
        pkg.join(format!("{OUTPUT_NAME}_bg.wasm")),
        pkg.join(format!("{OUTPUT_NAME}.wasm")),
    )?;

    if release {
        step("wasm-opt");
        let mut modules = vec![pkg.join(format!("{OUTPUT_NAME}.wasm"))];
        modules.extend(split.chunks.iter().cloned());
        wasm_opt(project, &modules)?;
        step("esbuild (minify JS)");
        for js in [format!("{OUTPUT_NAME}.js"), SPLIT_LOADER.to_owned()] {
            minify_js(project, &pkg.join(js))?;
        }
    }

    step("Lightning CSS");
    let mut css = Command::new(project.npm_tool("lightningcss")?);
    css.arg("--targets").arg(CSS_TARGETS);
    if release {
        css.arg("--minify");
    }
    css.arg(project.root.join("style/main.css"))
        .arg("-o")
        .arg(pkg.join(format!("{OUTPUT_NAME}.css")));
    run(&mut css)?;

    step("content-hashed names");
    let hashes = hashing::name_by_content(&pkg, OUTPUT_NAME, SPLIT_LOADER, &split)?;
    fs::write(site.join("hash.txt"), hashes.list())?;

    copy_dir(&project.root.join("public"), &site)?;

    if release {
        step("precompressing (brotli, gzip)");
        precompress_dir(&site)?;
    }

    let dest = project.target.join("site");
    replace_dir(&site, &dest)?;
    step(&format!(
        "bundle ready in {} ({:.1} s)",
        dest.display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// What splitting made: the chunks and, for each lazy route, the chunks it
/// needs (the manifest the server reads to preload them).
pub struct Split {
    pub chunks: Vec<PathBuf>,
    pub manifest: std::collections::HashMap<String, Vec<String>>,
}

fn split_wasm(input: &Path, main_out: &Path, pkg: &Path) -> Result<Split> {
    let wasm = fs::read(input).with_context(|| format!("reading {}", input.display()))?;
    let mut options = wasm_split_cli_support::Options::new(&wasm);
    options.output_dir = pkg;
    options.main_out_path = main_out;
    let main_module = format!("./{OUTPUT_NAME}.js");
    options.main_module = &main_module;
    let link_name = format!("./{SPLIT_LOADER}");
    options.link_name = &link_name;
    let split = wasm_split_cli_support::transform(options)
        .map_err(|error| anyhow::anyhow!("wasm-split: {error:?}"))?;
    Ok(Split {
        chunks: split.split_modules,
        manifest: split.prefetch_map,
    })
}

/// Runs wasm-opt on the modules, two at a time (the machine's cores).
fn wasm_opt(project: &Project, modules: &[PathBuf]) -> Result<()> {
    let wasm_opt = project.npm_tool("wasm-opt")?;
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunks: Vec<&[PathBuf]> = modules.chunks(modules.len().div_ceil(threads)).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|part| {
                let wasm_opt = &wasm_opt;
                scope.spawn(move || -> Result<()> {
                    for module in part {
                        run(Command::new(wasm_opt)
                            .args(WASM_OPT_ARGS)
                            .arg(module)
                            .arg("-o")
                            .arg(module))?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|handle| handle.join().expect("wasm-opt thread panicked"))
    })
}

fn minify_js(project: &Project, file: &Path) -> Result<()> {
    let minified = file.with_extension("min.js");
    run(Command::new(project.npm_tool("esbuild")?)
        .arg(file)
        .args(["--minify", "--format=esm", "--log-level=warning"])
        .arg(format!("--outfile={}", minified.display())))?;
    fs::rename(&minified, file)?;
    Ok(())
}

/// Writes `.br` and `.gz` copies beside every file.
fn precompress_dir(dir: &Path) -> Result<()> {
    use std::io::Write;
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            precompress_dir(&path)?;
            continue;
        }
        let data = fs::read(&path)?;
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gzip.write_all(&data)?;
        fs::write(with_suffix(&path, ".gz"), gzip.finish()?)?;
        let mut brotli = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut data.as_slice(), &mut brotli, &params)?;
        fs::write(with_suffix(&path, ".br"), brotli)?;
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

fn recreate_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    fs::create_dir_all(dir)?;
    Ok(())
}

/// Moves the new site into place; the old one is removed only after.
fn replace_dir(new: &Path, dest: &Path) -> Result<()> {
    let old = dest.with_extension("old");
    if old.exists() {
        fs::remove_dir_all(&old)?;
    }
    if dest.exists() {
        fs::rename(dest, &old)?;
    }
    fs::rename(new, dest).with_context(|| format!("moving the bundle to {}", dest.display()))?;
    if old.exists() {
        fs::remove_dir_all(&old)?;
    }
    Ok(())
}

fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("starting {:?}", command.get_program()))?;
    if !status.success() {
        bail!("{:?} failed ({status})", command.get_program());
    }
    Ok(())
}

fn step(message: &str) {
    eprintln!("\x1b[1m  -> {message}\x1b[0m");
}
