//! `facenet synth`: writes a synthetic face set (facenet::vision::synth) in the folder-per-identity layout.

use super::Status;
use crate::output::Ctx;
use facenet::vision::synth::{Layout, SynthSpec, write_dataset};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// Number of identities (ignored with --lfw-layout).
    #[arg(value_parser = super::ranges::count, long, default_value_t = 100)]
    identities: usize,
    /// Photos per identity (ignored with --lfw-layout).
    #[arg(value_parser = super::ranges::count, long, default_value_t = 20)]
    per_identity: usize,
    /// Photo width and height in pixels.
    #[arg(long, default_value_t = 96, value_parser = clap::value_parser!(u32).range(8..=1024))]
    size: u32,
    /// Seed: the same seed writes the same bytes.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output folder (DIR/identity/0001.png).
    #[arg(long)]
    out: PathBuf,
    /// Use LFW's real identity names and image counts (DIR/Name/Name_0001.jpg) so LFW's protocol files run.
    #[arg(long)]
    lfw_layout: bool,
}

pub fn run(args: SynthArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let spec = SynthSpec {
        identities: args.identities,
        per_identity: args.per_identity,
        size: args.size,
        seed: args.seed,
    };
    let layout = if args.lfw_layout { Layout::Lfw } else { Layout::Numbered };
    let total = match layout {
        Layout::Lfw => facenet::vision::synth::lfw_names().iter().map(|(_, n)| n).sum(),
        Layout::Numbered => spec.identities * spec.per_identity,
    };
    let bar = if ctx.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} photos, {per_sec}, eta {eta}")
            .expect("progress template should parse"),
    );
    let summary = write_dataset(&spec, layout, &args.out, &|| bar.inc(1))?;
    bar.finish_and_clear();
    if ctx.json {
        ctx.print_json(&summary)?;
    } else {
        println!(
            "wrote {} photos of {} identities to {}",
            summary.images,
            summary.identities,
            summary.out.display()
        );
    }
    Ok(Status::Ok)
}
