//! `cargo xtask`: builds the server binary and the site it serves (hydrated wasm, CSS, static assets).
//!
//! Why hand-written rather than `cargo leptos build`: installing cargo-leptos compiles binaryen's C++ and a
//! JavaScript toolchain from source, about 30 minutes on a 2-core machine before the first page is served, and
//! wasm-bindgen-cli another 4. The site build itself is five steps, each done here by the library or tool made
//! for it: cargo for both targets, the `wasm-bindgen-cli-support` library (pinned to the app's wasm-bindgen, so
//! the glue always matches), npm's `wasm-opt` (binaryen) and npm's Tailwind CLI. The output layout is
//! cargo-leptos's (`target/site/pkg/rewind.{js,wasm,css}`), so `cargo leptos watch` still works for developers
//! who install it. Beside those, each file is published under a content-hashed name listed in
//! `target/site/hash.txt` (cargo-leptos's `hash-files` format), which the server loads and lets browsers
//! cache for good.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

/// The name Leptos's hydration script loads (`/pkg/<name>.js`, `/pkg/<name>.wasm`, `/pkg/<name>.css`).
const OUTPUT_NAME: &str = "rewind";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// Where the hashed names are listed, in the site root (the server reads it; see `server::assets`).
const HASH_FILE: &str = "hash.txt";

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
            run_command(cargo(paths).args([
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
    let wasm = pkg.join(format!("{OUTPUT_NAME}.wasm"));
    // wasm-bindgen's output waits here until the wasm is final, so a running server never serves new
    // glue with an old wasm.
    let staging = pkg.join(".bindgen");
    // What the site's wasm was made from: an unchanged cargo output needs neither wasm-bindgen nor the
    // 100 s of wasm-opt again, which keeps a warm `scripts/dev.sh` within seconds.
    let stamp_file = pkg.join(format!(".{OUTPUT_NAME}.wasm.from"));
    let stamp = format!(
        "{} {}",
        input_stamp(&input)?,
        if dev { "dev" } else { "-Oz" }
    );
    let up_to_date =
        wasm.exists() && std::fs::read_to_string(&stamp_file).ok().as_deref() == Some(&stamp);
    let optimising = if up_to_date {
        eprintln!("xtask: wasm-bindgen and wasm-opt: already done for this wasm");
        None
    } else {
        let _ = std::fs::remove_file(&stamp_file);
        step("wasm-bindgen (JS glue for the wasm)", || {
            bindgen(&input, &staging)
        })?;
        let bound = staging.join(format!("{OUTPUT_NAME}_bg.wasm"));
        let optimised = staging.join(format!("{OUTPUT_NAME}.wasm"));
        if dev {
            std::fs::rename(&bound, &optimised)?;
            None
        } else {
            eprintln!("xtask: wasm-opt -Oz (binaryen from npm; about 100 s) ...");
            // The target_features section wasm-bindgen keeps tells wasm-opt which features it may use.
            let child = Command::new(paths.node_bin("wasm-opt")?)
                .arg("-Oz")
                .arg(&bound)
                .arg("-o")
                .arg(&optimised)
                .spawn()
                .context("cannot start wasm-opt")?;
            Some((child, Instant::now()))
        }
    };
    if let Some((mut child, started)) = optimising {
        let status = child.wait().context("wasm-opt")?;
        if !status.success() {
            bail!("wasm-opt exited with {status}");
        }
        eprintln!(
            "xtask: wasm-opt -Oz: done in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    if !up_to_date {
        publish(&staging, &pkg)?;
        std::fs::write(&stamp_file, &stamp)?;
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
        hashed_names(&pkg, &paths.site.join(HASH_FILE))
    })?;
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
        if !matches!(ext.as_str(), "js" | "wasm" | "css") {
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

/// Publishes `rewind.{js,wasm,css}` and their compressed copies also as `rewind.<hash>.<ext>[.br|.gz]`,
/// the hash being the first 16 hex digits of the file's SHA-256, lists the hashes in `hash_file` as
/// `js: <hash>` lines (the format Leptos's `HydrationScripts` reads), and removes older hashed copies.
/// Hard links where the filesystem allows, so nothing is stored twice.
fn hashed_names(pkg: &Path, hash_file: &Path) -> Result<()> {
    use sha2::{Digest, Sha256};
    let mut listing = String::new();
    let mut keep = Vec::new();
    for ext in ["js", "wasm", "css"] {
        let plain = pkg.join(format!("{OUTPUT_NAME}.{ext}"));
        let data =
            std::fs::read(&plain).with_context(|| format!("cannot read {}", plain.display()))?;
        let digest = Sha256::digest(&data);
        let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        listing.push_str(&format!("{ext}: {hash}\n"));
        for suffix in ["", ".br", ".gz"] {
            let from = pkg.join(format!("{OUTPUT_NAME}.{ext}{suffix}"));
            if !from.exists() {
                continue;
            }
            let name = format!("{OUTPUT_NAME}.{hash}.{ext}{suffix}");
            let to = pkg.join(&name);
            keep.push(name);
            if to.exists() {
                continue;
            }
            let tmp = pkg.join(format!(".{OUTPUT_NAME}.{hash}.{ext}{suffix}.tmp"));
            let _ = std::fs::remove_file(&tmp);
            if std::fs::hard_link(&from, &tmp).is_err() {
                std::fs::copy(&from, &tmp).with_context(|| {
                    format!("cannot copy {} to {}", from.display(), tmp.display())
                })?;
            }
            std::fs::rename(&tmp, &to)?;
        }
    }
    // Written aside and renamed: a running server reads either the old list or the new one.
    let tmp = hash_file.with_extension("txt.tmp");
    std::fs::write(&tmp, listing)?;
    std::fs::rename(&tmp, hash_file)?;
    for entry in std::fs::read_dir(pkg)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let hashed = name
            .strip_prefix(&format!("{OUTPUT_NAME}."))
            .and_then(|rest| rest.split_once('.'))
            .is_some_and(|(hash, _)| {
                hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
            });
        if hashed && !keep.contains(&name) {
            std::fs::remove_file(pkg.join(&name))?;
        }
    }
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

/// wasm-bindgen writes `<name>.js` and `<name>_bg.wasm` (and any inline JS snippets) into `out`.
fn bindgen(input: &Path, out: &Path) -> Result<()> {
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(input)
        .web(true)?
        .out_name(OUTPUT_NAME)
        .typescript(false)
        .remove_name_section(true)
        .remove_producers_section(true)
        .generate(out)?;
    Ok(())
}

/// Moves the final wasm (`<name>.wasm`, as cargo-leptos names it and Leptos loads it), then its glue and
/// snippets, from `staging` into `pkg`.
fn publish(staging: &Path, pkg: &Path) -> Result<()> {
    for file in [format!("{OUTPUT_NAME}.wasm"), format!("{OUTPUT_NAME}.js")] {
        std::fs::rename(staging.join(&file), pkg.join(&file))
            .with_context(|| format!("cannot move {file} into {}", pkg.display()))?;
    }
    let snippets = staging.join("snippets");
    if snippets.exists() {
        let dest = pkg.join("snippets");
        if dest.exists() {
            std::fs::remove_dir_all(&dest)?;
        }
        std::fs::rename(&snippets, &dest)?;
    }
    std::fs::remove_dir_all(staging)?;
    Ok(())
}

/// Size and modification time of cargo's wasm output: cargo rewrites the file whenever it relinks it.
fn input_stamp(input: &Path) -> Result<String> {
    let meta =
        std::fs::metadata(input).with_context(|| format!("cannot read {}", input.display()))?;
    let modified = meta
        .modified()?
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Ok(format!("{} {}", meta.len(), modified.as_nanos()))
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
