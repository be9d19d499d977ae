//! PNG charts (plotters, bitmap backend): a generic [`line_chart`], the ROC curve on a log-FAR axis
//! ([`roc_chart`]) and the distance histogram of same vs different pairs ([`distance_histogram`]).

use crate::font::{FAMILY, text_available};
use crate::{Error, Result};
use facenet_core::metrics::RocPoint;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use std::ops::Range;
use std::path::Path;

/// The size of every chart, in pixels.
pub const CHART_SIZE: (u32, u32) = (800, 600);

/// One named line of a [`line_chart`].
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// (x, y) points, drawn in order.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
        }
    }
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// Draws on a white PNG canvas at `path` and writes it.
fn draw_png(path: &Path, draw: impl FnOnce(&Area, bool) -> DrawResult) -> Result<()> {
    let fail = |message: String| Error::Chart {
        path: path.to_path_buf(),
        message,
    };
    let root = BitMapBackend::new(path, CHART_SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
    draw(&root, text_available()).map_err(|e| fail(e.to_string()))?;
    root.present().map_err(|e| fail(e.to_string()))
}

/// A chart frame with a title and axis labels when text can be drawn.
#[allow(clippy::type_complexity)]
fn frame<'a, 'b, X: AsRangedCoord, Y: AsRangedCoord>(
    area: &'a Area<'b>,
    text: bool,
    title: &str,
    x: X,
    y: Y,
) -> std::result::Result<
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<X::CoordDescType, Y::CoordDescType>>,
    Box<dyn std::error::Error>,
> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(20)
        .x_label_area_size(if text { 50 } else { 10 })
        .y_label_area_size(if text { 60 } else { 10 });
    if text {
        builder.caption(title, (FAMILY, 24));
    }
    Ok(builder.build_cartesian_2d(x, y)?)
}

fn draw_mesh<X, Y>(
    chart: &mut ChartContext<'_, BitMapBackend<'_>, Cartesian2d<X, Y>>,
    text: bool,
    x_label: &str,
    y_label: &str,
) -> DrawResult
where
    X: Ranged + ValueFormatter<X::ValueType>,
    Y: Ranged + ValueFormatter<Y::ValueType>,
{
    let mut mesh = chart.configure_mesh();
    if text {
        mesh.x_desc(x_label)
            .y_desc(y_label)
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 16));
    } else {
        mesh.x_labels(0).y_labels(0);
    }
    mesh.draw()?;
    Ok(())
}

fn draw_legend<'a, 'b: 'a, X: Ranged, Y: Ranged>(
    chart: &mut ChartContext<'a, BitMapBackend<'b>, Cartesian2d<X, Y>>,
    text: bool,
    position: SeriesLabelPosition,
) -> DrawResult {
    if text {
        chart
            .configure_series_labels()
            .position(position)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FAMILY, 14))
            .draw()?;
    }
    Ok(())
}

/// The smallest range holding every value, widened when it is a single point.
fn span(values: impl Iterator<Item = f64>) -> Option<Range<f64>> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() || !hi.is_finite() {
        return None;
    }
    let pad = if hi > lo { (hi - lo) * 0.02 } else { 0.5 };
    Some(lo - pad..hi + pad)
}

/// A line chart of one or more series (e.g. training loss and VAL per epoch) as a PNG at `path`.
/// Every point must be finite and there must be at least one.
pub fn line_chart(path: &Path, title: &str, x_label: &str, y_label: &str, series: &[Series]) -> Result<()> {
    let points = || series.iter().flat_map(|s| s.points.iter());
    if let Some(bad) = points().find(|(x, y)| !x.is_finite() || !y.is_finite()) {
        return Err(Error::Invalid(format!(
            "line chart {title:?}: point {bad:?} is not finite"
        )));
    }
    let (Some(x), Some(y)) = (span(points().map(|p| p.0)), span(points().map(|p| p.1))) else {
        return Err(Error::Invalid(format!("line chart {title:?}: no points")));
    };
    draw_png(path, |area, text| {
        let mut chart = frame(area, text, title, x, y)?;
        draw_mesh(&mut chart, text, x_label, y_label)?;
        for (i, s) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(s.points.iter().copied(), color.stroke_width(2)))?
                .label(s.name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        draw_legend(&mut chart, text, SeriesLabelPosition::UpperRight)
    })
}

/// The ROC curve (VAL against FAR, FAR on a log axis) as a PNG at `path`, with a vertical mark at
/// `target_far`. Points at FAR = 0 cannot sit on a log axis and are left out; the axis starts at the
/// power of ten below the smallest non-zero FAR.
pub fn roc_chart(path: &Path, title: &str, points: &[RocPoint], target_far: f64) -> Result<()> {
    let shown: Vec<(f64, f64)> = points.iter().filter(|p| p.far > 0.0).map(|p| (p.far, p.val)).collect();
    let Some(smallest) = shown.iter().map(|p| p.0).reduce(f64::min) else {
        return Err(Error::Invalid(format!("ROC chart {title:?}: no point with FAR > 0")));
    };
    let low = 10f64.powf(smallest.log10().floor()).min(0.1);
    draw_png(path, |area, text| {
        let mut chart = frame(area, text, title, (low..1.0).log_scale(), 0.0..1.0)?;
        draw_mesh(&mut chart, text, "FAR (log)", "VAL")?;
        if target_far > low && target_far < 1.0 {
            let mark = RGBColor(230, 120, 0);
            chart
                .draw_series(LineSeries::new(
                    [(target_far, 0.0), (target_far, 1.0)],
                    mark.stroke_width(2),
                ))?
                .label(format!("FAR = {target_far:e}"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], mark.stroke_width(2)));
        }
        chart
            .draw_series(LineSeries::new(shown.iter().copied(), BLUE.stroke_width(2)))?
            .label("ROC")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
        draw_legend(&mut chart, text, SeriesLabelPosition::LowerRight)
    })
}

/// The number of bins of [`distance_histogram`].
const BINS: usize = 60;

/// Histograms of the same-pair and the different-pair distances (each as a fraction of its class, so
/// classes of any size compare), overlaid, with a vertical line at `threshold`, as a PNG at `path`.
pub fn distance_histogram(path: &Path, title: &str, distances: &[f64], same: &[bool], threshold: f64) -> Result<()> {
    let Some(range) = span(distances.iter().copied().chain([threshold]).filter(|d| d.is_finite())) else {
        return Err(Error::Invalid(format!("histogram {title:?}: no finite distance")));
    };
    let width = (range.end - range.start) / BINS as f64;
    let fractions = |class: bool| {
        let mut counts = [0u64; BINS];
        let members = distances
            .iter()
            .zip(same)
            .filter(|(d, s)| **s == class && d.is_finite());
        for (d, _) in members {
            counts[(((d - range.start) / width) as usize).min(BINS - 1)] += 1;
        }
        let total = counts.iter().sum::<u64>().max(1) as f64;
        counts.map(|c| c as f64 / total)
    };
    let (same_fraction, diff_fraction) = (fractions(true), fractions(false));
    let top = same_fraction
        .iter()
        .chain(&diff_fraction)
        .copied()
        .fold(0.0, f64::max)
        .max(1e-9)
        * 1.1;
    draw_png(path, |area, text| {
        let mut chart = frame(area, text, title, range.clone(), 0.0..top)?;
        draw_mesh(&mut chart, text, "distance", "fraction of pairs")?;
        for (fractions, color, name) in [(same_fraction, BLUE, "same"), (diff_fraction, RED, "different")] {
            let fill = color.mix(0.45).filled();
            let bars = fractions.into_iter().enumerate().map(move |(i, f)| {
                let x0 = range.start + i as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width, f)], fill)
            });
            chart
                .draw_series(bars)?
                .label(name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], fill));
        }
        chart
            .draw_series(LineSeries::new(
                [(threshold, 0.0), (threshold, top)],
                BLACK.stroke_width(2),
            ))?
            .label(format!("threshold {threshold:.4}"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2)));
        draw_legend(&mut chart, text, SeriesLabelPosition::UpperRight)
    })
}
