//! The HTML page of a report: the summary figures, the per-fold table, the two charts and notes.

use facenet_core::metrics::Evaluation;
use std::fmt::Write;

/// `text` with the HTML special characters escaped.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn percent(x: f64) -> String {
    format!("{:.2} %", 100.0 * x)
}

/// The page, referring to the chart and JSON files by their names in the same folder.
pub(crate) fn page(title: &str, evaluation: &Evaluation, files: &[(&str, &str)], notes: &[String]) -> String {
    let cv = &evaluation.cross_validation;
    let title = escape(title);
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{title}</title>\n\
         <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:4px 10px;text-align:right}}</style></head>\n<body>\n<h1>{title}</h1>\n"
    );
    let summary = [
        (
            "pairs",
            format!(
                "{} ({} same, {} different)",
                evaluation.pairs, evaluation.n_same, evaluation.n_diff
            ),
        ),
        (
            "accuracy",
            format!(
                "{} ± {} (standard error; std {})",
                percent(cv.accuracy_mean),
                percent(cv.accuracy_se),
                percent(cv.accuracy_std)
            ),
        ),
        (
            &format!("VAL @ FAR {:e}", cv.target_far),
            format!(
                "{} ± {} (std), FAR {}",
                percent(cv.val_mean),
                percent(cv.val_std),
                percent(cv.far_mean)
            ),
        ),
        ("AUC", format!("{:.6}", evaluation.auc)),
        (
            "EER",
            format!(
                "{} at threshold {:.4}",
                percent(evaluation.eer),
                evaluation.eer_threshold
            ),
        ),
    ];
    html.push_str("<table id=\"summary\">\n");
    for (name, value) in summary {
        let _ = writeln!(html, "<tr><th>{}</th><td>{}</td></tr>", escape(name), escape(&value));
    }
    html.push_str("</table>\n");
    for (file, caption) in files.iter().filter(|(f, _)| f.ends_with(".png")) {
        let _ = writeln!(
            html,
            "<figure><img src=\"{file}\" alt=\"{0}\"><figcaption>{0}</figcaption></figure>",
            escape(caption)
        );
    }
    html.push_str("<h2>Folds</h2>\n<table id=\"folds\">\n<tr><th>fold</th><th>pairs</th><th>threshold</th><th>accuracy</th><th>VAL threshold</th><th>VAL</th><th>FAR</th></tr>\n");
    for f in &cv.folds {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{:.4}</td><td>{}</td><td>{:.4}</td><td>{}</td><td>{}</td></tr>",
            f.fold,
            f.pairs,
            f.threshold,
            percent(f.accuracy),
            f.val_threshold,
            percent(f.val),
            percent(f.far)
        );
    }
    html.push_str("</table>\n");
    if !notes.is_empty() {
        html.push_str("<h2>Notes</h2>\n<ul>\n");
        for note in notes {
            let _ = writeln!(html, "<li>{}</li>", escape(note));
        }
        html.push_str("</ul>\n");
    }
    for (file, caption) in files.iter().filter(|(f, _)| f.ends_with(".json")) {
        let _ = writeln!(html, "<p><a href=\"{file}\">{}</a></p>", escape(caption));
    }
    html.push_str("</body>\n</html>\n");
    html
}
