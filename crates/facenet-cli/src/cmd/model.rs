//! `facenet model summary --arch ARCH`: the paper-style table of a FaceNet architecture (per layer output
//! size, weights without biases, multiply-adds), computed by `facenet::nn::models::summary` from the
//! same layer spec that builds the network (`inception-resnet-v1`: per block, params = the frozen graph's
//! stored floats).

use super::Status;
use crate::output::Ctx;
use facenet::nn::models::summary;

#[derive(Debug, clap::Subcommand)]
pub enum ModelCommand {
    /// Print the per-layer table (output size, params, multiply-adds) of an architecture.
    Summary(SummaryArgs),
}

#[derive(Debug, clap::Args)]
pub struct SummaryArgs {
    /// nn1, nn2, nn3, nn4, nns1, nns2 or inception-resnet-v1 (davidsandberg's pretrained FaceNet, 512-D).
    #[arg(long, value_parser = known_arch)]
    arch: String,
    /// Embedding size (the paper tried 64, 128, 256, 512).
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u16).range(1..))]
    embedding_dim: u16,
}

/// Accepts the names [`summary`] knows (an unknown one is a usage error).
fn known_arch(name: &str) -> Result<String, String> {
    summary(name, 128).map(|_| name.to_string())
}

pub fn run(command: ModelCommand, ctx: &Ctx) -> anyhow::Result<Status> {
    match command {
        ModelCommand::Summary(args) => {
            let summary = summary(&args.arch, args.embedding_dim.into()).map_err(anyhow::Error::msg)?;
            if ctx.json {
                ctx.print_json(&summary)?;
            } else {
                print!("{}", summary.to_table());
            }
            Ok(Status::Ok)
        }
    }
}
