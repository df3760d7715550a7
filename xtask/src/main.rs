//! `cargo xtask`: builds the server binary and the site it serves (hydrated wasm, CSS, static assets).
//!
//! Why hand-written rather than `cargo leptos build`: installing cargo-leptos compiles binaryen's C++ and a
//! JavaScript toolchain from source, about 30 minutes on a 2-core machine before the first page is served, and
//! wasm-bindgen-cli another 4. The site build itself is six steps, each done here by the library or tool made
//! for it: cargo for both targets, `wasm_split_cli_support` (the lazy pages' chunks, as cargo-leptos's
//! `--split`; see `split`), the `wasm-bindgen-cli-support` library (pinned to the app's wasm-bindgen, so the
//! glue always matches), npm's `wasm-opt` (binaryen) and npm's Tailwind CLI. The output goes where
//! cargo-leptos puts it (`target/site/pkg`), named as its `hash-files` names it: the JS and wasm after the
//! build (`rewind.<build id>.{js,wasm}`), the CSS after its content (`rewind.<hash>.css`), all listed in
//! `target/site/hash.txt`, which the server loads and which lets browsers cache every file for good.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

mod split;

/// The name Leptos's hydration script loads (`/pkg/<name>.js`, `/pkg/<name>.wasm`, `/pkg/<name>.css`).
const OUTPUT_NAME: &str = "rewind";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Where the hashed names are listed, in the site root (the server reads it; see `server::assets`).
const HASH_FILE: &str = "hash.txt";
/// The build id of the wasm in `pkg`, kept beside it so an unchanged wasm is not split again.
const HASH_ID_FILE: &str = ".build-id";
/// What turns cargo's wasm into the site, beside binaryen's version: part of every build id.
const PIPELINE: &str =
    "wasm_split_cli_support 0.2.4, wasm-bindgen 0.2.130 keeping lld exports, mangled names";

const USAGE: &str = "usage: cargo xtask <build|site> [--dev] [--profile NAME]
  build   the `rewind` server binary and the site under target/site
  site    the site only: hydrated wasm, CSS and static assets
  --dev   unoptimised wasm, no wasm-opt, unminified CSS (quicker while iterating)
  --profile NAME   the cargo profile of the server binary (default release; scripts/dev.sh uses demo)";

fn main() {
    if let Err(e) = run(std::env::args().skip(1).collect()) {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}

fn run(args: Vec<String>) -> Result<()> {
    let dev = args.iter().any(|a| a == "--dev");
    let profile = match args.iter().position(|a| a == "--profile") {
        Some(i) => match args.get(i + 1) {
            Some(name) if !name.starts_with("--") => name.clone(),
            _ => bail!("--profile needs a name\n{USAGE}"),
        },
        None => "release".to_owned(),
    };
    let command = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || args[*i - 1] != "--profile"))
        .map(|(_, a)| a.as_str());
    let paths = Paths::discover()?;
    let with_server = match command {
        Some("build") => true,
        Some("site") => false,
        _ => bail!("{USAGE}"),
    };
    build(&paths, dev, with_server.then_some(profile.as_str()))
}

struct Paths {
    root: PathBuf,
    target: PathBuf,
    site: PathBuf,
    cargo: String,
}

impl Paths {
    fn discover() -> Result<Self> {
        // `cargo run` sets CARGO_MANIFEST_DIR for the checkout it runs in. The compile-time value is
        // only a fallback: several checkouts sharing one target directory get each other's xtask
        // binary (cargo hashes workspace paths relative to the root), and a baked-in root pointed
        // a fresh clone's build at another, since deleted, checkout.
        let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let root = manifest
            .parent()
            .context("xtask sits inside the workspace")?
            .to_path_buf();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        let site = std::env::var_os("LEPTOS_SITE_ROOT")
            .map(|s| root.join(s))
            .unwrap_or_else(|| root.join("target/site"));
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        Ok(Self {
            root,
            target,
            site,
            cargo,
        })
    }

    /// The version of npm's binaryen (wasm-opt), or "unknown" before `npm ci` put it there.
    fn binaryen_version(&self) -> String {
        std::fs::read_to_string(self.root.join("node_modules/binaryen/package.json"))
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|package| package["version"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "unknown".to_owned())
    }

    fn node_bin(&self, name: &str) -> Result<PathBuf> {
        let bin = self.root.join("node_modules/.bin").join(name);
        if !bin.exists() {
            bail!(
                "{} is missing: run `bash scripts/install.sh` (it runs `npm ci` for the build tools)",
                bin.display()
            );
        }
        Ok(bin)
    }
}

/// Runs one named step, saying what it is before (so a long step never looks hung) and how long it took.
fn step<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    eprintln!("xtask: {name} ...");
    let started = Instant::now();
    let out = f().with_context(|| format!("{name} failed"))?;
    eprintln!(
        "xtask: {name}: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(out)
}

fn run_command(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{:?} exited with {status}", cmd.get_program());
    }
    Ok(())
}

fn cargo(paths: &Paths) -> Command {
    // LEPTOS_OUTPUT_NAME (= OUTPUT_NAME) comes from .cargo/config.toml's [env], for every build alike.
    let mut cmd = Command::new(&paths.cargo);
    cmd.current_dir(&paths.root);
    cmd
}

fn build_server(paths: &Paths, profile: &str) -> Result<()> {
    step(
        &format!("server binary (cargo build --profile {profile}; several minutes the first time)"),
        || {
            run_command(cargo(paths).args([
                "build",
                "--profile",
                profile,
                "-p",
                "server",
                "--bin",
                "rewind",
            ]))
        },
    )
}

/// The site first, then the server. wasm-opt (single-threaded, about 100 s on the full bundle) once ran
/// beside the server's compilation: on 2 cores that made the cold build slower (the server's compile
/// took 878 s instead of 688 s, for 98 s of wasm-opt), so they now run one after the other.
/// `server`: the cargo profile to build the server binary with, or None for the site alone.
fn build(paths: &Paths, dev: bool, server: Option<&str>) -> Result<()> {
    let profile = if dev { "dev" } else { "wasm-release" };
    let profile_dir = if dev { "debug" } else { "wasm-release" };
    step(
        &format!("hydrated wasm (cargo build --target {WASM_TARGET} --profile {profile}; several minutes the first time)"),
        || {
            let mut cmd = cargo(paths);
            // RUSTFLAGS from the environment replaces .cargo/config.toml's wasm flags: the split needs
            // the linker's relocations whichever way the flags come.
            if let Some(flags) = std::env::var("RUSTFLAGS").ok().filter(|f| !f.trim().is_empty()) {
                cmd.env("RUSTFLAGS", format!("{flags} -Clink-args=--emit-relocs"));
            }
            run_command(cmd.args([
                "build",
                "-p",
                "frontend",
                "--lib",
                "--target",
                WASM_TARGET,
                "--profile",
                profile,
            ]))
        },
    )?;
    let pkg = paths.site.join("pkg");
    std::fs::create_dir_all(&pkg).with_context(|| format!("cannot create {}", pkg.display()))?;
    let input = paths
        .target
        .join(WASM_TARGET)
        .join(profile_dir)
        .join("frontend.wasm");
    // The build mode and the tools that turn cargo's wasm into the site: outputs named after a build must
    // change when any of them does, even if cargo's wasm did not.
    let mode = format!(
        "{} {PIPELINE} binaryen {}",
        if dev { "dev" } else { "-Oz" },
        paths.binaryen_version()
    );
    // The build id says what the site's wasm was made from: an unchanged cargo output, built the same way,
    // needs neither the split, wasm-bindgen nor the 100 s of wasm-opt again, which keeps a warm
    // `scripts/dev.sh` within seconds.
    let wasm = std::fs::read(&input).with_context(|| format!("cannot read {}", input.display()))?;
    let id = short_sha256(&[&wasm, mode.as_bytes()]);
    let published = std::fs::read_to_string(pkg.join(HASH_ID_FILE))
        .is_ok_and(|built| built.trim() == id)
        && ["js", "wasm"]
            .iter()
            .all(|ext| pkg.join(format!("{OUTPUT_NAME}.{id}.{ext}")).exists());
    if published {
        eprintln!("xtask: split, wasm-bindgen and wasm-opt: already done for this wasm");
    } else {
        let _ = std::fs::remove_file(pkg.join(HASH_ID_FILE));
        // Everything waits in `staging` until it is final, so a running server never serves new glue
        // with an old wasm.
        let staging = pkg.join(".staging");
        let split = step("wasm split (lazy pages into chunks of their own)", || {
            split::split(
                &wasm,
                &staging.join("split"),
                &id,
                &format!("{OUTPUT_NAME}.{id}.js"),
            )
        })?;
        let bound = staging.join("bindgen");
        step("wasm-bindgen (JS glue for the wasm)", || {
            bindgen(&split.main, &bound)
        })?;
        let main = bound.join(format!("{OUTPUT_NAME}_bg.wasm"));
        if !dev {
            step(
                &format!(
                    "wasm-opt -Oz (binaryen from npm; about 100 s for the main wasm and {} chunks)",
                    split.chunks.len()
                ),
                || {
                    wasm_opt(paths, &main)?;
                    split
                        .chunks
                        .iter()
                        .try_for_each(|chunk| wasm_opt(paths, chunk))
                },
            )?;
        }
        publish(&staging, &bound, &pkg, &id)?;
        std::fs::write(pkg.join(HASH_ID_FILE), &id)?;
    }
    if let Some(profile) = server {
        build_server(paths, profile)?;
    }
    let tailwind = paths.node_bin("tailwindcss")?;
    step("Tailwind CSS", || {
        let mut cmd = Command::new(&tailwind);
        cmd.current_dir(&paths.root)
            .args(["--input", "style/tailwind.css", "--output"])
            .arg(pkg.join(format!("{OUTPUT_NAME}.css")));
        if !dev {
            cmd.arg("--minify");
        }
        run_command(&mut cmd)
    })?;
    step("static assets (public/)", || {
        copy_dir(&paths.root.join("public"), &paths.site)
    })?;
    step("precompressed copies (brotli, gzip)", || {
        precompress(&pkg, dev)
    })?;
    step("content-hashed names (hash.txt)", || {
        hashed_names(&pkg, &paths.site.join(HASH_FILE), &id)
    })?;
    let wasm = pkg.join(format!("{OUTPUT_NAME}.wasm"));
    let size = std::fs::metadata(&wasm)
        .with_context(|| format!("cannot read {}", wasm.display()))?
        .len();
    eprintln!(
        "xtask: site ready in {} ({OUTPUT_NAME}.wasm {size} bytes)",
        paths.site.display()
    );
    Ok(())
}

/// Writes `<file>.br` (brotli 11) and `<file>.gz` (gzip 9) beside each JS, wasm and CSS file of `pkg`
/// whose copies are older than it, for the server to send as the browser accepts. A dev build only
/// removes stale copies: the server would otherwise send an old compressed wasm with new glue.
fn precompress(pkg: &Path, dev: bool) -> Result<()> {
    type Compress = fn(&[u8]) -> Result<Vec<u8>>;
    let encoders: [(&str, Compress); 2] = [("br", brotli_bytes), ("gz", gzip_bytes)];
    for entry in std::fs::read_dir(pkg).with_context(|| format!("cannot read {}", pkg.display()))? {
        let path = entry?.path();
        let Some(ext) = path.extension().and_then(|e| e.to_str()).map(str::to_owned) else {
            continue;
        };
        // The plain-named wasm is only there for size reports: no page loads it.
        let unserved =
            path.file_name() == Some(std::ffi::OsStr::new(&format!("{OUTPUT_NAME}.wasm")));
        if !matches!(ext.as_str(), "js" | "wasm" | "css") || unserved {
            continue;
        }
        let modified = std::fs::metadata(&path)?.modified()?;
        let mut data = None;
        for (suffix, compress) in encoders {
            let out = path.with_extension(format!("{ext}.{suffix}"));
            let fresh = std::fs::metadata(&out)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= modified);
            if fresh {
                continue;
            }
            if dev {
                let _ = std::fs::remove_file(&out);
                continue;
            }
            if data.is_none() {
                data = Some(std::fs::read(&path)?);
            }
            let compressed = compress(data.as_deref().unwrap_or_default())?;
            // Written aside and renamed, so a running server never sends half a file.
            let tmp = path.with_extension(format!("{ext}.{suffix}.tmp"));
            std::fs::write(&tmp, &compressed)?;
            std::fs::rename(&tmp, &out)?;
        }
    }
    Ok(())
}

/// Publishes the stylesheet also as `rewind.<hash>.css[.br|.gz]`, the hash being the first 16 hex digits
/// of its SHA-256, lists it with the wasm's build id in `hash_file` in the format Leptos's
/// `HydrationScripts` reads (`js: <id>`, `wasm: <id>`, `split: <id>`, `manifest: <id>`, `css: <hash>`),
/// and removes files of builds before the previous one.
fn hashed_names(pkg: &Path, hash_file: &Path, id: &str) -> Result<()> {
    let plain = pkg.join(format!("{OUTPUT_NAME}.css"));
    let data = std::fs::read(&plain).with_context(|| format!("cannot read {}", plain.display()))?;
    let hash = short_sha256(&[&data]);
    for suffix in ["", ".br", ".gz"] {
        let from = pkg.join(format!("{OUTPUT_NAME}.css{suffix}"));
        let to = pkg.join(format!("{OUTPUT_NAME}.{hash}.css{suffix}"));
        if from.exists() && !to.exists() {
            // A copy, not a link: Tailwind rewrites `rewind.css` in place, which would change a linked
            // name that browsers keep for good.
            let tmp = to.with_extension("tmp");
            std::fs::copy(&from, &tmp)
                .with_context(|| format!("cannot copy {} to {}", from.display(), tmp.display()))?;
            std::fs::rename(&tmp, &to)?;
        }
    }
    // The build the list named until now stays on disk: a page a browser opened from it still fetches
    // its lazy pages' chunks (a missing chunk stops that page's app), until the build after this one.
    let previous: Vec<String> = std::fs::read_to_string(hash_file)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once(':').map(|(_, tag)| tag.trim().to_owned()))
        .collect();
    let listing = format!("js: {id}\nwasm: {id}\nsplit: {id}\nmanifest: {id}\ncss: {hash}\n");
    // Written aside and renamed: a running server reads either the old list or the new one.
    let tmp = hash_file.with_extension("txt.tmp");
    std::fs::write(&tmp, listing)?;
    std::fs::rename(&tmp, hash_file)?;
    for entry in std::fs::read_dir(pkg)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let stale = build_tag(&name)
            .is_some_and(|tag| tag != id && tag != hash && !previous.iter().any(|p| p == tag));
        if stale {
            std::fs::remove_file(pkg.join(&name))?;
        }
    }
    Ok(())
}

/// The build id or content hash in a published name (`<stem>.<16 hex digits>.<ext>...`), if it has one.
fn build_tag(name: &str) -> Option<&str> {
    name.split('.')
        .nth(1)
        .filter(|tag| tag.len() == 16 && tag.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The first 16 hex digits of the SHA-256 of `parts`, one after the other: the CSS's content hash, and the
/// build id every output of one wasm build carries (cargo's wasm and the build mode: a dev and a release
/// build of the same code differ).
fn short_sha256(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let digest = parts
        .iter()
        .fold(Sha256::new(), |hasher, part| hasher.chain_update(part))
        .finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// `to` as a hard link to `from` (a copy where links are refused), written aside and renamed so a running
/// server never sends half a file.
fn link_or_copy(from: &Path, to: &Path) -> Result<()> {
    let tmp = to.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    if std::fs::hard_link(from, &tmp).is_err() {
        std::fs::copy(from, &tmp)
            .with_context(|| format!("cannot copy {} to {}", from.display(), tmp.display()))?;
    }
    std::fs::rename(&tmp, to)?;
    Ok(())
}

/// Runs wasm-opt -Oz on `file` in place. The target_features section wasm-bindgen keeps tells wasm-opt
/// which features it may use.
fn wasm_opt(paths: &Paths, file: &Path) -> Result<()> {
    let out = file.with_extension("opt.wasm");
    run_command(
        Command::new(paths.node_bin("wasm-opt")?)
            .arg("-Oz")
            .arg(file)
            .arg("-o")
            .arg(&out),
    )?;
    std::fs::rename(&out, file)?;
    Ok(())
}

fn brotli_bytes(data: &[u8]) -> Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    let mut out = Vec::new();
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).context("brotli")?;
    Ok(out)
}

fn gzip_bytes(data: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data)?;
    Ok(encoder.finish()?)
}

/// wasm-bindgen writes `<name>.js` and `<name>_bg.wasm` (and any inline JS snippets) into `out`. The
/// main wasm of a split keeps the linker's exports its chunks import, and its mangled names, which
/// the loader refers to (as cargo-leptos runs wasm-bindgen for `--split`).
fn bindgen(input: &Path, out: &Path) -> Result<()> {
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(input)
        .web(true)?
        .out_name(OUTPUT_NAME)
        .typescript(false)
        .keep_lld_exports(true)
        .demangle(false)
        .remove_name_section(true)
        .remove_producers_section(true)
        .generate(out)?;
    Ok(())
}

/// Moves one build's files from `staging` into `pkg`: the main module's glue and wasm as
/// `rewind.<id>.js` and `rewind.<id>.wasm` (and the wasm also as plain `rewind.wasm`, for size reports;
/// no page loads it), the chunks, the loader, the manifest and the glue's snippets. The wasm files
/// first, the JS that loads them last.
fn publish(staging: &Path, bound: &Path, pkg: &Path, id: &str) -> Result<()> {
    let move_file = |from: PathBuf, name: &str| {
        std::fs::rename(&from, pkg.join(name))
            .with_context(|| format!("cannot move {} into {}", from.display(), pkg.display()))
    };
    let split_dir = staging.join("split");
    for entry in std::fs::read_dir(&split_dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if name.ends_with(&format!(".{id}.wasm")) {
            move_file(path, &name)?;
        }
    }
    // Plain-named glue and compressed wasm of builds before the split: no page loads them, and the glue
    // no longer matches any wasm.
    for stale in ["js", "js.br", "js.gz", "wasm.br", "wasm.gz"] {
        let _ = std::fs::remove_file(pkg.join(format!("{OUTPUT_NAME}.{stale}")));
    }
    let main = format!("{OUTPUT_NAME}.{id}.wasm");
    move_file(bound.join(format!("{OUTPUT_NAME}_bg.wasm")), &main)?;
    link_or_copy(&pkg.join(&main), &pkg.join(format!("{OUTPUT_NAME}.wasm")))?;
    move_file(
        split_dir.join(split::manifest_name(id)),
        &split::manifest_name(id),
    )?;
    let snippets = bound.join("snippets");
    if snippets.exists() {
        let dest = pkg.join("snippets");
        if dest.exists() {
            std::fs::remove_dir_all(&dest)?;
        }
        std::fs::rename(&snippets, &dest)?;
    }
    move_file(
        split_dir.join(split::loader_name(id)),
        &split::loader_name(id),
    )?;
    move_file(
        bound.join(format!("{OUTPUT_NAME}.js")),
        &format!("{OUTPUT_NAME}.{id}.js"),
    )?;
    std::fs::remove_dir_all(staging)?;
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), &dest)
                .with_context(|| format!("cannot copy to {}", dest.display()))?;
        }
    }
    Ok(())
}
