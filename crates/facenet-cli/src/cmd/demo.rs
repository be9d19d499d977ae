//! `facenet demo`: the main job for a newcomer: fetch the models and fixture photos, then print the
//! distance table of the photos' most prominent faces (same/different at the model's threshold): the
//! pretrained FaceNet's first and, below it, the dlib ResNet's (with `--model`, that model's alone).

use super::Status;
use super::pipeline_args::PipelineArgs;
use crate::output::Ctx;
use facenet::assets::Cache;
use facenet::pipeline::ModelSpec;
use facenet::vision::tasks::{DistanceTable, distance_table};

/// The fixture photos: three of Obama, one of Biden (face_recognition's test photos).
const PHOTOS: [&str; 4] = ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg"];

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

pub fn run(args: DemoArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let cache = Cache::from_env()?;
    let status = super::models::fetch_quietly(&cache, &[])?;
    if status != Status::Ok {
        anyhow::bail!("some assets could not be fetched (see above)");
    }
    let paths = PHOTOS
        .iter()
        .map(|name| cache.ensure(name))
        .collect::<Result<Vec<_>, _>>()?;
    let mut models = vec![args.pipeline.clone()];
    if args.pipeline.model == ModelSpec::FaceNet {
        models.push(PipelineArgs {
            model: ModelSpec::Dlib,
            ..args.pipeline.clone()
        });
    }
    let mut tables = Vec::new();
    for model in &models {
        let pipeline = model.build()?;
        let table = distance_table(&pipeline, &paths)?;
        if !ctx.json {
            if !tables.is_empty() {
                println!();
            }
            print_table(&pipeline.model_info().id, &table);
        }
        tables.push(table);
    }
    if ctx.json {
        ctx.print_json(&tables)?;
    }
    Ok(Status::Ok)
}

fn print_table(model: &str, table: &DistanceTable) {
    let names: Vec<String> = table
        .paths
        .iter()
        .map(|p| {
            p.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        })
        .collect();
    let width = names.iter().map(String::len).max().unwrap_or(0).max(10);
    println!(
        "{model}: distance ({:?} ≤ {} = same person)",
        table.metric, table.threshold
    );
    println!(
        "{:width$}  {}",
        "",
        names
            .iter()
            .map(|n| format!("{n:>width$}"))
            .collect::<Vec<_>>()
            .join("  ")
    );
    for (name, row) in names.iter().zip(&table.distances) {
        let cells: Vec<String> = row
            .iter()
            .map(|d| {
                format!(
                    "{:>w$}",
                    format!("{d:.3}{}", if *d <= table.threshold { " =" } else { " ≠" }),
                    w = width
                )
            })
            .collect();
        println!("{name:width$}  {}", cells.join("  "));
    }
}
