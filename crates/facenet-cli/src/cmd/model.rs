//! `facenet model summary --arch ARCH`: the paper-style table of a FaceNet architecture (per layer output
//! size, weights without biases, multiply-adds), computed by `facenet::nn::FaceNetConfig::summary` from the
//! same layer spec that builds the network.

use super::Status;
use crate::output::Ctx;
use facenet::nn::{Arch, FaceNetConfig};

#[derive(Debug, clap::Subcommand)]
pub enum ModelCommand {
    /// Print the per-layer table (output size, params, multiply-adds) of an architecture.
    Summary(SummaryArgs),
}

#[derive(Debug, clap::Args)]
pub struct SummaryArgs {
    /// nn1, nn2, nn3, nn4, nns1 or nns2.
    #[arg(long)]
    arch: Arch,
    /// Embedding size (the paper tried 64, 128, 256, 512).
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u16).range(1..))]
    embedding_dim: u16,
}

pub fn run(command: ModelCommand, ctx: &Ctx) -> anyhow::Result<Status> {
    match command {
        ModelCommand::Summary(args) => {
            let summary = FaceNetConfig::new(args.arch)
                .with_embedding_dim(args.embedding_dim.into())
                .summary();
            if ctx.json {
                ctx.print_json(&summary)?;
            } else {
                print!("{}", summary.to_table());
            }
            Ok(Status::Ok)
        }
    }
}
