//! `facenet export --onnx OUT.onnx --model M`: the model as a standard ONNX file
//! (`facenet::export::export_onnx`; input `[N, 3, H, W]` standardised crops, output the embeddings).

use super::Status;
use crate::output::Ctx;
use facenet::assets::Cache;
use facenet::pipeline::ModelSpec;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The ONNX file to write.
    #[arg(long)]
    onnx: PathBuf,
    /// The model: facenet (the pretrained Inception-ResNet-v1) or dlib (the dlib ResNet); checkpoints are not exported yet.
    #[arg(long, default_value = "facenet", value_parser = clap::value_parser!(ModelSpec))]
    model: ModelSpec,
}

#[derive(Debug, Serialize)]
struct Written {
    onnx: String,
    bytes: usize,
}

pub fn run(args: ExportArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let bytes = facenet::export::export_onnx(&args.model, &Cache::from_env()?, &args.onnx)?;
    let written = Written {
        onnx: args.onnx.display().to_string(),
        bytes,
    };
    if ctx.json {
        ctx.print_json(&written)?;
    } else {
        println!("wrote {} ({} bytes)", written.onnx, written.bytes);
    }
    Ok(Status::Ok)
}
