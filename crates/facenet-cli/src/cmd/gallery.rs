//! `facenet gallery list|show|remove|rename|export|import|migrate`: manage the face gallery (facenet-gallery),
//! and the `--db` flag every gallery command shares.

use super::Status;
use crate::output::Ctx;
use facenet::gallery::{Gallery, GalleryLocation, jsonl, migrate};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

/// The gallery flag: a SQLite file or a PostgreSQL URL.
#[derive(Debug, Clone, clap::Args)]
pub struct DbArg {
    /// The gallery: a SQLite file, or a PostgreSQL database as `postgres://user@host:port/db` (anything
    /// starting with postgres:// or postgresql:// is a URL, never a file; HNSW settings as URL options
    /// `hnsw_m`, `hnsw_ef_construction`, `hnsw_ef_search`). Only `enroll`, `gallery import` and
    /// `keys create` create a gallery file (the file, not its folder); every other command refuses one
    /// that does not exist. Default: the platform data folder, e.g. ~/.local/share/facenet/gallery.db.
    #[arg(long, value_name = "FILE|URL")]
    pub db: Option<String>,
}

impl DbArg {
    /// The location given, or the default file in the platform data folder.
    pub fn location(&self) -> anyhow::Result<GalleryLocation> {
        match &self.db {
            Some(text) => Ok(GalleryLocation::parse(text)),
            None => Ok(GalleryLocation::File(
                dirs::data_dir()
                    .ok_or_else(|| anyhow::anyhow!("no data folder on this platform; pass --db FILE"))?
                    .join("facenet")
                    .join("gallery.db"),
            )),
        }
    }

    /// The gallery, which must exist (reading commands).
    pub fn open_existing(&self) -> anyhow::Result<Gallery> {
        Ok(Gallery::open_location(&self.location()?, false)?)
    }

    /// The gallery, created if missing (enroll, import, keys create): the default's folder is made if
    /// missing; a folder given with `--db` must exist.
    pub fn open_or_create(&self) -> anyhow::Result<Gallery> {
        let location = self.location()?;
        if let (None, GalleryLocation::File(path)) = (&self.db, &location)
            && let Some(dir) = path.parent()
        {
            std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
        }
        Ok(Gallery::open_location(&location, true)?)
    }
}

#[derive(Debug, clap::Args)]
pub struct GalleryArgs {
    #[command(flatten)]
    db: DbArg,
    #[command(subcommand)]
    command: GalleryCommand,
}

#[derive(Debug, clap::Subcommand)]
enum GalleryCommand {
    /// Subjects with their number of faces.
    List,
    /// The faces of one subject.
    Show { name: String },
    /// Remove a subject and its faces (or only the faces given with --face).
    Remove {
        name: String,
        /// Only these face ids (see `show`).
        #[arg(long = "face", value_name = "ID")]
        faces: Vec<i64>,
    },
    /// Rename a subject.
    Rename { from: String, to: String },
    /// Write the gallery as JSON Lines (a header, then one face per line) to FILE, or stdout with `-`.
    Export {
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Add the faces of a JSONL export (the gallery must be empty or of the same model).
    Import { file: PathBuf },
    /// Copy a gallery into an empty one, e.g. a SQLite file into PostgreSQL or back: ids, names and
    /// embeddings bit for bit, the model; prints a checksum of both sides (the same value when the copy is
    /// exact). Examples' photos and API keys are copied too.
    Migrate {
        /// The gallery to copy (file or postgres:// URL).
        #[arg(long, value_name = "FILE|URL")]
        from: String,
        /// The empty gallery to fill (file, created if missing, or postgres:// URL).
        #[arg(long, value_name = "FILE|URL")]
        to: String,
    },
}

pub fn run(args: GalleryArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    if let GalleryCommand::Migrate { from, to } = &args.command {
        return migrate(from, to, ctx);
    }
    let mut gallery = match args.command {
        GalleryCommand::Import { .. } => args.db.open_or_create()?,
        _ => args.db.open_existing()?,
    };
    match args.command {
        GalleryCommand::List => list(&gallery, ctx),
        GalleryCommand::Show { name } => show(&gallery, &name, ctx),
        GalleryCommand::Remove { name, faces } => remove(&mut gallery, &name, &faces, ctx),
        GalleryCommand::Rename { from, to } => {
            gallery.rename_subject(&from, &to)?;
            if ctx.json {
                ctx.print_json(&serde_json::json!({ "renamed": from, "to": to }))?;
            } else {
                println!("renamed {from:?} to {to:?}");
            }
            Ok(Status::Ok)
        }
        GalleryCommand::Export { out } => export(&gallery, &out, ctx),
        GalleryCommand::Import { file } => {
            let input = std::fs::File::open(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let report = jsonl::import(&mut gallery, BufReader::new(input), &file)?;
            if ctx.json {
                ctx.print_json(&report)?;
            } else {
                println!(
                    "imported {} faces into {} ({} already there, skipped)",
                    report.faces,
                    gallery.path().display(),
                    report.duplicates
                );
            }
            Ok(Status::Ok)
        }
        GalleryCommand::Migrate { .. } => unreachable!("handled above"),
    }
}

/// `gallery migrate`: a thin layer over [`migrate::migrate`] with a progress bar.
fn migrate(from: &str, to: &str, ctx: &Ctx) -> anyhow::Result<Status> {
    let source = Gallery::open_location(&GalleryLocation::parse(from), false)?;
    let mut target = Gallery::open_location(&GalleryLocation::parse(to), true)?;
    let progress = ProgressBar::new(source.face_count()? as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} faces [{elapsed}<{eta}]")
            .expect("the progress template should parse"),
    );
    let done = migrate::migrate(&source, &mut target, |done, _| progress.set_position(done as u64))?;
    progress.finish_and_clear();
    if ctx.json {
        ctx.print_json(&done)?;
    } else {
        println!(
            "source {}: {} subjects, {} faces, checksum {}",
            source.path().display(),
            done.subjects,
            done.faces,
            done.source_checksum
        );
        println!(
            "target {}: {} subjects, {} faces, checksum {}",
            target.path().display(),
            done.subjects,
            done.faces,
            done.target_checksum
        );
        println!(
            "copied too: {} examples (stored photos), {} API keys",
            done.examples, done.api_keys
        );
    }
    anyhow::ensure!(
        done.source_checksum == done.target_checksum,
        "the checksums differ: the copy in {} is not exact",
        target.path().display()
    );
    Ok(Status::Ok)
}

fn list(gallery: &Gallery, ctx: &Ctx) -> anyhow::Result<Status> {
    let subjects = gallery.subjects()?;
    if ctx.json {
        ctx.print_json(&subjects)?;
        return Ok(Status::Ok);
    }
    match gallery.model() {
        Some(m) => println!(
            "gallery {} — model {} ({}-D, {:?} threshold {})",
            gallery.path().display(),
            m.id,
            m.dim,
            m.metric,
            m.threshold
        ),
        None => println!("gallery {} — empty", gallery.path().display()),
    }
    for s in &subjects {
        println!("{:>6}  {}", s.faces, s.name);
    }
    println!(
        "{} subjects, {} faces",
        subjects.len(),
        subjects.iter().map(|s| s.faces).sum::<usize>()
    );
    Ok(Status::Ok)
}

fn show(gallery: &Gallery, name: &str, ctx: &Ctx) -> anyhow::Result<Status> {
    let faces = gallery.faces_of(name)?;
    if ctx.json {
        ctx.print_json(&faces)?;
        return Ok(Status::Ok);
    }
    println!("{name}: {} faces", faces.len());
    for f in &faces {
        let source = f
            .face
            .source
            .as_ref()
            .map_or("-".to_string(), |s| format!("{} (face {})", s.path, s.face_index));
        let bbox = f.face.detection.as_ref().map_or("-".to_string(), |d| {
            format!("{:?}", d.bbox.to_array().map(|v| v.round() as i64))
        });
        println!("{:>8}  {source}  box {bbox}", f.id);
    }
    Ok(Status::Ok)
}

fn remove(gallery: &mut Gallery, name: &str, faces: &[i64], ctx: &Ctx) -> anyhow::Result<Status> {
    let removed = if faces.is_empty() {
        gallery.remove_subject(name)?
    } else {
        let own: Vec<i64> = gallery.faces_of(name)?.iter().map(|f| f.id).collect();
        if let Some(other) = faces.iter().find(|id| !own.contains(id)) {
            anyhow::bail!("face {other} is not one of {name:?}'s faces");
        }
        let mut n = 0;
        for &id in faces {
            n += usize::from(gallery.remove_face(id)?);
        }
        n
    };
    if ctx.json {
        ctx.print_json(&serde_json::json!({ "subject": name, "removed_faces": removed }))?;
    } else {
        println!("removed {removed} faces of {name:?}");
    }
    Ok(Status::Ok)
}

fn export(gallery: &Gallery, out: &Path, ctx: &Ctx) -> anyhow::Result<Status> {
    let count = if out == Path::new("-") {
        jsonl::export(gallery, &mut std::io::stdout().lock(), Path::new("<stdout>"))?
    } else {
        let file = std::fs::File::create(out).map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
        let count = jsonl::export(gallery, &mut BufWriter::new(file), out)?;
        if ctx.json {
            ctx.print_json(&serde_json::json!({ "path": out, "faces": count }))?;
        } else {
            println!("exported {count} faces to {}", out.display());
        }
        count
    };
    tracing::info!("exported {count} faces");
    Ok(Status::Ok)
}
