//! Cuts the app's lazy pages out of the wasm into chunks the browser fetches when it first shows them
//! (`wasm_split_cli_support`, the library cargo-leptos's `--split` uses), and names every output after
//! the build so browsers may keep it for good.
//!
//! What the library writes, and what is done to it here:
//! - the main wasm, for wasm-bindgen and wasm-opt like an unsplit one;
//! - one wasm per lazy function or shared chunk, named by the library (`split_<fn>_<n>.wasm`,
//!   `chunk_<n>.wasm`). They are renamed `<name>.<build id>.wasm`, so a new build never reuses a name;
//! - the loader (`__wasm_split.<build id>.js`) the main wasm imports the chunks through. It refers to each
//!   chunk as `"./<name>.wasm"`, rewritten here to the renamed file;
//! - which chunks each lazy function needs, written as `__wasm_split_manifest.<build id>.json`, which
//!   Leptos's `HydrationScripts` reads to preload the chunks of the page the server rendered.
//!
//! The build id is a hash of the cargo output and the build mode, so every name is fixed before anything
//! is written: the loader and the main module's JS import each other, and naming them by their own
//! content (as the CSS is) would need each to know the other's hash first.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// What the library wrote into a directory of its own.
pub struct Split {
    /// The main wasm, to go through wasm-bindgen.
    pub main: PathBuf,
    /// Each chunk as published: `<name>.<build id>.wasm`.
    pub chunks: Vec<PathBuf>,
}

/// The loader's file name for a build (Leptos's `HydrationScripts` builds the same from `split: <id>`).
pub fn loader_name(id: &str) -> String {
    format!("__wasm_split.{id}.js")
}

/// The manifest's file name for a build (`manifest: <id>` in the hash file).
pub fn manifest_name(id: &str) -> String {
    format!("__wasm_split_manifest.{id}.json")
}

/// Splits `input` (cargo's wasm, linked with `--emit-relocs`) into `dir`. `main_module` is the name the
/// main module's JS will be published under, which the loader imports.
pub fn split(input: &[u8], dir: &Path, id: &str, main_module: &str) -> Result<Split> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    let main = dir.join("main.wasm");
    let loader = format!("./{}", loader_name(id));
    let main_import = format!("./{main_module}");
    let mut options = wasm_split_cli_support::Options::new(input);
    options.output_dir = dir;
    options.main_out_path = &main;
    options.link_name = &loader;
    options.main_module = &main_import;
    let split = wasm_split_cli_support::transform(options)
        .map_err(|e| anyhow::anyhow!("{e:#}"))
        .context("wasm_split_cli_support")?;

    let mut renamed = HashMap::new();
    let mut chunks = Vec::new();
    for path in &split.split_modules {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .context("a chunk without a name")?
            .to_owned();
        let to = dir.join(format!("{stem}.{id}.wasm"));
        std::fs::rename(path, &to)?;
        renamed.insert(stem.clone(), format!("{stem}.{id}"));
        chunks.push(to);
    }

    let loader_path = dir.join(loader_name(id));
    let mut js = std::fs::read_to_string(&loader_path)
        .with_context(|| format!("cannot read {}", loader_path.display()))?;
    for (stem, new) in &renamed {
        js = js.replace(&format!("\"./{stem}.wasm\""), &format!("\"./{new}.wasm\""));
    }
    std::fs::write(&loader_path, js)?;

    let manifest: HashMap<&String, Vec<&String>> = split
        .prefetch_map
        .iter()
        .map(|(function, stems)| {
            let files = stems
                .iter()
                .map(|stem| renamed.get(stem).unwrap_or(stem))
                .collect();
            (function, files)
        })
        .collect();
    std::fs::write(
        dir.join(manifest_name(id)),
        serde_json::to_string_pretty(&manifest)?,
    )?;
    Ok(Split { main, chunks })
}
