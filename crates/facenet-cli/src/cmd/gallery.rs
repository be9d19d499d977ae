//! `facenet gallery list|show|remove|rename|export|import`: manage the face gallery (facenet-gallery),
//! and the `--db` flag every gallery command shares.

use super::Status;
use crate::output::Ctx;
use facenet::gallery::{Gallery, jsonl};
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

/// The gallery file flag.
#[derive(Debug, Clone, clap::Args)]
pub struct DbArg {
    /// The gallery database. Only `enroll` and `gallery import` create it (the file, not its folder);
    /// every other command refuses a gallery that does not exist. Default: the platform data folder,
    /// e.g. ~/.local/share/facenet/gallery.db.
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
}

impl DbArg {
    /// The path given, or the default in the platform data folder.
    pub fn path(&self) -> anyhow::Result<PathBuf> {
        match &self.db {
            Some(path) => Ok(path.clone()),
            None => Ok(dirs::data_dir()
                .ok_or_else(|| anyhow::anyhow!("no data folder on this platform; pass --db FILE"))?
                .join("facenet")
                .join("gallery.db")),
        }
    }

    /// The gallery, which must exist (reading commands).
    pub fn open_existing(&self) -> anyhow::Result<Gallery> {
        Ok(Gallery::open_existing(&self.path()?)?)
    }

    /// The path of a gallery a command may create (enroll, import): the default's folder is made if
    /// missing; a folder given with `--db` must exist.
    pub fn path_to_create(&self) -> anyhow::Result<PathBuf> {
        let path = self.path()?;
        if self.db.is_none()
            && let Some(dir) = path.parent()
        {
            std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
        }
        Ok(path)
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
}

pub fn run(args: GalleryArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let mut gallery = match args.command {
        GalleryCommand::Import { .. } => Gallery::open(&args.db.path_to_create()?)?,
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
    }
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
