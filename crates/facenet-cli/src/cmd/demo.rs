//! `facenet demo`: the main job for a newcomer: fetch the models and fixture photos, then print the
//! distance table of the photos' most prominent faces (same/different at the model's threshold).

use super::Status;
use super::pipeline_args::PipelineArgs;
use crate::output::Ctx;
use facenet::assets::Cache;
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
    let table = distance_table(&args.pipeline.build()?, &paths)?;
    if ctx.json {
        ctx.print_json(&table)?;
    } else {
        print_table(&table);
    }
    Ok(Status::Ok)
}

fn print_table(table: &DistanceTable) {
    let names: Vec<String> = table
        .paths
        .iter()
        .map(|p| {
            p.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        })
        .collect();
    let width = names.iter().map(String::len).max().unwrap_or(0).max(10);
    println!("distance ({:?} ≤ {} = same person)", table.metric, table.threshold);
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
