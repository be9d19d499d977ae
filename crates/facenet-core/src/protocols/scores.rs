//! Score files: precomputed pair distances with their truth, so any model's output can be evaluated
//! (`facenet eval pairs --scores FILE`, `facenet calibrate`).
//!
//! CSV, one pair per line: `fold,distance,same` or `distance,same` (every line the same form); `same`
//! is `1`/`0` or `true`/`false`. An optional first line names the columns (`fold,distance,same` or
//! `distance,same`); blank lines and lines starting with `#` are skipped. Without a fold column, pairs are
//! split into consecutive folds in file order ([`Folds::contiguous`]).

use super::{ScoredPairs, parse_error, read_text};
use crate::metrics::Folds;
use crate::{Error, Result};
use std::path::Path;

/// The pairs of a score file, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub distances: Vec<f64>,
    pub same: Vec<bool>,
    /// Each pair's fold label, when the file has a fold column.
    pub fold_labels: Option<Vec<u32>>,
}

impl Scores {
    /// The folds: the file's fold column, else `k` consecutive folds.
    pub fn folds(&self, k: usize) -> Result<Folds> {
        match &self.fold_labels {
            Some(labels) => Folds::from_labels(labels),
            None => Folds::contiguous(self.distances.len(), k),
        }
    }

    /// The pairs with their folds (see [`Scores::folds`]), ready for [`ScoredPairs::evaluate`].
    pub fn into_scored(self, k: usize) -> Result<ScoredPairs> {
        let fold_labels = self.folds(k)?.labels_of_pairs();
        Ok(ScoredPairs {
            distances: self.distances,
            same: self.same,
            fold_labels,
            skipped: Vec::new(),
        })
    }
}

/// Reads a score file.
pub fn read_scores(path: &Path) -> Result<Scores> {
    parse_scores(&read_text(path)?, &path.display().to_string())
}

/// Parses the text of a score file; `source` names it in errors (`source:line: problem`).
pub fn parse_scores(text: &str, source: &str) -> Result<Scores> {
    let mut scores = Scores {
        distances: Vec::new(),
        same: Vec::new(),
        fold_labels: None,
    };
    let mut columns = None;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let fields: Vec<&str> = raw.split(',').map(str::trim).collect();
        if raw.trim().is_empty() || raw.trim_start().starts_with('#') {
            continue;
        }
        if columns.is_none() && fields[0].parse::<f64>().is_err() {
            columns = Some(header_columns(&fields).ok_or_else(|| {
                parse_error(
                    source,
                    line,
                    format!("unknown header {raw:?} (expected \"fold,distance,same\" or \"distance,same\")"),
                )
            })?);
            continue;
        }
        if !(2..=3).contains(&fields.len()) {
            return Err(parse_error(
                source,
                line,
                format!(
                    "expected 3 fields (fold,distance,same) or 2 (distance,same), got {}",
                    fields.len()
                ),
            ));
        }
        let expected = *columns.get_or_insert(fields.len());
        if fields.len() != expected {
            let form = if expected == 3 {
                "fold,distance,same"
            } else {
                "distance,same"
            };
            return Err(parse_error(
                source,
                line,
                format!(
                    "expected {expected} fields ({form}) like the lines before, got {}",
                    fields.len()
                ),
            ));
        }
        let (fold, distance, same) = match fields.as_slice() {
            [fold, distance, same] => (Some(*fold), *distance, *same),
            [distance, same] => (None, *distance, *same),
            _ => unreachable!("the field count was checked to be 2 or 3"),
        };
        if let Some(fold) = fold {
            let fold = fold
                .parse::<u32>()
                .map_err(|_| parse_error(source, line, format!("fold {fold:?} is not a non-negative integer")))?;
            scores.fold_labels.get_or_insert_with(Vec::new).push(fold);
        }
        scores
            .distances
            .push(parse_distance(distance).map_err(|m| parse_error(source, line, m))?);
        scores
            .same
            .push(parse_same(same).map_err(|m| parse_error(source, line, m))?);
    }
    if scores.distances.is_empty() {
        return Err(Error::Invalid(format!("{source}: no pairs")));
    }
    Ok(scores)
}

/// The number of columns a header names, if it is one.
fn header_columns(fields: &[&str]) -> Option<usize> {
    let lower: Vec<String> = fields.iter().map(|f| f.to_ascii_lowercase()).collect();
    match lower.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["fold", "distance", "same"] => Some(3),
        ["distance", "same"] => Some(2),
        _ => None,
    }
}

fn parse_distance(field: &str) -> Result<f64, String> {
    match field.parse::<f64>() {
        Ok(d) if d.is_finite() => Ok(d),
        Ok(d) => Err(format!("distance {d} is not finite")),
        Err(_) => Err(format!("distance {field:?} is not a number")),
    }
}

fn parse_same(field: &str) -> Result<bool, String> {
    match field.to_ascii_lowercase().as_str() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(format!("same {field:?} is not 1/0 or true/false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> String {
        parse_scores(text, "s.csv").unwrap_err().to_string()
    }

    #[test]
    fn reads_both_forms() {
        let s = parse_scores("fold,distance,same\n1,0.5,1\n# note\n\n2,1.25,false\n", "s.csv").unwrap();
        assert_eq!(
            (s.distances, s.same, s.fold_labels),
            (vec![0.5, 1.25], vec![true, false], Some(vec![1, 2]))
        );
        let s = parse_scores("0.5,1\n1.25,0\n", "s.csv").unwrap();
        assert_eq!(s.fold_labels, None);
        assert_eq!(s.folds(2).unwrap().count(), 2);
    }

    #[test]
    fn malformed_lines_name_the_line() {
        assert_eq!(
            error_of("fold,distance,same\n1,0.5,1\n2,0.7\n"),
            "s.csv:3: expected 3 fields (fold,distance,same) like the lines before, got 2"
        );
        assert_eq!(
            error_of("0.5,1\n0.7,x\n"),
            "s.csv:2: same \"x\" is not 1/0 or true/false"
        );
        assert_eq!(error_of("0.5,1\nabc,1\n"), "s.csv:2: distance \"abc\" is not a number");
        assert_eq!(error_of("0.5,1\ninf,1\n"), "s.csv:2: distance inf is not finite");
        assert_eq!(
            error_of("x,0.5,1\n"),
            "s.csv:1: unknown header \"x,0.5,1\" (expected \"fold,distance,same\" or \"distance,same\")"
        );
        assert_eq!(
            error_of("1.5,0.5,1\n"),
            "s.csv:1: fold \"1.5\" is not a non-negative integer"
        );
        assert_eq!(
            error_of("1,2,3,4\n"),
            "s.csv:1: expected 3 fields (fold,distance,same) or 2 (distance,same), got 4"
        );
        assert_eq!(error_of("# only a comment\n"), "invalid input: s.csv: no pairs");
    }
}
