//! The application's state: what every handler and middleware of the server shares (the engine, the
//! metrics, the limits and the permits of the bounded queue).

use crate::engine::Engine;
use crate::limits::Limits;
use crate::metrics::Metrics;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Everything the handlers share.
pub struct App {
    pub engine: Engine,
    pub metrics: Arc<Metrics>,
    pub limits: Limits,
    /// Permits of the bounded queue ([`Limits::queue`]).
    pub queue: Arc<Semaphore>,
}

impl App {
    pub fn new(engine: Engine, metrics: Arc<Metrics>, limits: Limits) -> Arc<Self> {
        Arc::new(Self {
            engine,
            metrics,
            queue: Arc::new(Semaphore::new(limits.queue)),
            limits,
        })
    }
}
