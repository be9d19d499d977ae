//! facenet-server: `facenet serve`, a REST server that speaks CompreFace's REST API v1
//! (exadel-inc/CompreFace, `docs/Rest-API-description.md`: same paths, parameters, field names, status
//! codes and error bodies) over the facenet pipeline and gallery, so CompreFace's clients and SDKs run
//! unchanged against it.
//!
//! - [`app`]: the state and the router; [`recognition`], [`subjects`], [`detection`], [`verification`]:
//!   one module per API family; [`input`]: a face request parsed (`FaceRequest::parse`: its query, then
//!   images from multipart or base64 JSON); [`params`]: query parameters; [`face_json`]: faces as
//!   CompreFace reports them; [`similarity`]: distance → similarity.
//! - [`keys`]: `x-api-key` per service; [`limits`]: body size, queue, time limit; [`errors`]: the error
//!   body; [`batching`]: concurrent requests share forward passes; [`metrics`]: `/metrics`; [`openapi`]: `/openapi.json`.
//! - [`web`]: the web page at `/`.
//! - [`engine`]: the pipeline, the gallery, the search index and the keys behind the handlers;
//!   [`workers`]: the first-in-first-out pool of one thread per core that decodes and detects photos.

pub mod app;
pub mod batching;
pub mod detection;
pub mod engine;
pub mod errors;
pub mod face_json;
pub mod input;
pub mod keys;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod params;
pub mod recognition;
pub mod similarity;
pub mod state;
pub mod subjects;
pub mod verification;
pub mod web;
pub mod workers;

pub use app::router;
pub use batching::BatchConfig;
pub use engine::Engine;
pub use limits::Limits;
pub use metrics::Metrics;
pub use state::App;

use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting, lets the requests in
/// flight finish, and returns (dropping the last `App` closes the gallery).
pub async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C: stopping"),
        _ = terminate => tracing::info!("SIGTERM: stopping"),
    }
}
