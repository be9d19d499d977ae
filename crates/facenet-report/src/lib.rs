//! facenet-report: evaluation reports people look at, with no deep-learning dependency.
//!
//! - [`write_report`]: a folder with `report.json`, `roc.png` (VAL against log FAR), `histogram.png`
//!   (same vs different distances and the chosen threshold) and `index.html` joining them, from a
//!   [`facenet_core::metrics::Evaluation`]. `facenet eval … --report DIR` writes it.
//! - [`line_chart`]: any named (x, y) series as a PNG, e.g. training loss and VAL per epoch.
//! - [`roc_chart`], [`distance_histogram`]: the two charts on their own.
//!
//! Charts are drawn with plotters' bitmap backend. Text needs a font, looked up at run time (see
//! [`text_available`]; no font file ships with facenet); without one, charts are drawn without text.
//!
//! ```no_run
//! use facenet_report::{line_chart, Series};
//! let loss = Series::new("triplet loss", vec![(1.0, 0.9), (2.0, 0.5), (3.0, 0.3)]);
//! line_chart("loss.png".as_ref(), "training", "epoch", "loss", &[loss]).unwrap();
//! ```

mod chart;
mod error;
mod font;
mod html;
mod report;

pub use chart::{CHART_SIZE, Series, distance_histogram, line_chart, roc_chart};
pub use error::{Error, Result};
pub use font::text_available;
pub use report::{ReportFiles, ReportInput, write_report};
