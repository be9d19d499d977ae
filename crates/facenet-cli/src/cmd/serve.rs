//! `facenet serve`: a CompreFace-compatible REST server (REST API v1) on a gallery; a thin layer over
//! `facenet_server`. Logs the address, model, detector, gallery and key count at start; Ctrl-C or
//! SIGTERM stops accepting, lets requests in flight finish and closes the gallery.

use super::Status;
use super::gallery::DbArg;
use super::pipeline_args::PipelineArgs;
use crate::output::Ctx;
use facenet_server::{App, BatchConfig, Engine, Limits, Metrics};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    db: DbArg,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8000")]
    addr: SocketAddr,
    /// Largest request body in bytes (413 beyond).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1 << 32), default_value_t = Limits::default().body_bytes as u64)]
    max_body: u64,
    /// Requests admitted at once; more get 503 with Retry-After.
    #[arg(value_parser = super::ranges::count, long, default_value_t = Limits::default().queue)]
    queue: usize,
    /// Time limit of one request, seconds (504 beyond).
    #[arg(value_parser = super::ranges::count, long, default_value_t = 30)]
    timeout: usize,
    /// How long the first face of a batch waits for others, milliseconds.
    #[arg(long, default_value_t = 5)]
    batch_window_ms: u64,
    /// Photos decoded and detected at once, in arrival order (worker threads; default: one per core).
    #[arg(value_parser = super::ranges::count, long, default_value_t = Limits::default().workers)]
    workers: usize,
    /// Most faces per embedding batch.
    #[arg(value_parser = super::ranges::count, long, default_value_t = BatchConfig::default().max_faces)]
    max_batch: usize,
    #[command(flatten)]
    pipeline: PipelineArgs,
}

pub fn run(args: ServeArgs, _ctx: &Ctx) -> anyhow::Result<Status> {
    let gallery = args.db.open_existing()?; // before the models load: a mistyped --db fails at once
    let keys = gallery.api_keys()?.iter().filter(|k| k.revoked_at.is_none()).count();
    let gallery_path = gallery.path().to_path_buf();
    let pipeline = args.pipeline.build()?;
    let detector = format!("{:?}", args.pipeline.detector).to_lowercase();
    let detector = detector.split_whitespace().next().unwrap_or("mtcnn").to_string();
    let metrics = Arc::new(Metrics::default());
    let batch = BatchConfig {
        window: Duration::from_millis(args.batch_window_ms),
        max_faces: args.max_batch,
    };
    let engine = Engine::new(
        Arc::new(pipeline),
        gallery,
        &detector,
        batch,
        args.workers,
        metrics.clone(),
    )?;
    let limits = Limits {
        body_bytes: args.max_body as usize,
        queue: args.queue,
        timeout: Duration::from_secs(args.timeout as u64),
        workers: args.workers,
        ..Limits::default()
    };
    let model = engine.model().id.clone();
    let app = App::new(engine, metrics, limits);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr).await?;
        eprintln!(
            "facenet serve: listening on http://{} (model {model}, detector {detector}, gallery {}, {keys} valid API keys)",
            listener.local_addr()?,
            gallery_path.display()
        );
        if keys == 0 {
            eprintln!("warning: no API keys yet; create one with `facenet keys create --db {} --service recognition`", gallery_path.display());
        }
        facenet_server::serve(listener, app, facenet_server::shutdown_signal()).await?;
        eprintln!("facenet serve: stopped, gallery closed");
        anyhow::Ok(())
    })?;
    Ok(Status::Ok)
}
