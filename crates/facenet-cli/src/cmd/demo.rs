//! `facenet demo`: the main job for a newcomer, on the fixture photos.

use super::Status;
use crate::output::Ctx;
use facenet_assets::Cache;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {}

pub fn run(_args: DemoArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let cache = Cache::from_env()?;
    let status = super::models::fetch(&cache, &[], &Ctx { json: false, ..ctx.clone() })?;
    if status != Status::Ok {
        anyhow::bail!("some assets could not be fetched (see above)");
    }
    let list = super::models::ModelsCommand::List { all: false };
    super::models::run(list, ctx)
}
