//! Learning-rate schedules: the paper's AdaGrad runs at 0.05, "lowered to finalise". Either a step decay
//! (× factor every N steps) or a table read from a `--lr-schedule` file of `step:lr` lines.

use facenet_nn::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How the learning rate changes with the step (steps count from 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LrSchedule {
    /// The base rate throughout.
    #[default]
    Constant,
    /// base · factor^⌊step / every⌋.
    StepDecay { every: u64, factor: f64 },
    /// From each listed step on, its rate (the base rate before the first); steps ascending.
    Table { points: Vec<(u64, f64)> },
}

impl LrSchedule {
    /// The rate at `step` for base rate `base`.
    pub fn lr_at(&self, base: f64, step: u64) -> f64 {
        match self {
            LrSchedule::Constant => base,
            LrSchedule::StepDecay { every, factor } => base * factor.powi((step / (*every).max(1)) as i32),
            LrSchedule::Table { points } => points
                .iter()
                .take_while(|(from, _)| *from <= step)
                .last()
                .map_or(base, |(_, lr)| *lr),
        }
    }

    /// Reads a table: one `step:lr` per line, `#` starts a comment, blank lines ignored. Errors name the
    /// file and line.
    pub fn read_table(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Invalid(format!("{}: cannot read: {e}", path.display())))?;
        Self::parse_table(&text, &path.display().to_string())
    }

    /// Parses the text of a table file (`name` stands for the file in errors).
    pub fn parse_table(text: &str, name: &str) -> Result<Self> {
        let mut points: Vec<(u64, f64)> = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = |why: &str| Error::Invalid(format!("{name}:{}: {why}: {line:?} (expected step:lr)", number + 1));
            let (step, lr) = line.split_once(':').ok_or_else(|| bad("no ':'"))?;
            let step: u64 = step.trim().parse().map_err(|_| bad("bad step"))?;
            let lr: f64 = lr.trim().parse().map_err(|_| bad("bad learning rate"))?;
            if !(lr.is_finite() && lr >= 0.0) {
                return Err(bad("learning rate must be finite and ≥ 0"));
            }
            if points.last().is_some_and(|(last, _)| *last >= step) {
                return Err(bad("steps must increase"));
            }
            points.push((step, lr));
        }
        if points.is_empty() {
            return Err(Error::Invalid(format!("{name}: no step:lr lines")));
        }
        Ok(LrSchedule::Table { points })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_holds_each_rate_from_its_step() {
        let table = LrSchedule::parse_table("# warm\n0: 0.05\n100:0.01\n\n250 : 0.001 # final\n", "t").unwrap();
        assert_eq!(table.lr_at(0.05, 0), 0.05);
        assert_eq!(table.lr_at(0.05, 99), 0.05);
        assert_eq!(table.lr_at(0.05, 100), 0.01);
        assert_eq!(table.lr_at(0.05, 1000), 0.001);
    }

    #[test]
    fn bad_tables_name_the_line() {
        let err = LrSchedule::parse_table("0:0.1\nten:0.2\n", "lr.txt")
            .unwrap_err()
            .to_string();
        assert!(err.contains("lr.txt:2"), "{err}");
        assert!(LrSchedule::parse_table("5:0.1\n5:0.2\n", "x").is_err());
        assert!(LrSchedule::parse_table("# nothing\n", "x").is_err());
    }

    #[test]
    fn step_decay_multiplies_every_interval() {
        let decay = LrSchedule::StepDecay { every: 10, factor: 0.5 };
        assert_eq!(decay.lr_at(0.08, 9), 0.08);
        assert_eq!(decay.lr_at(0.08, 25), 0.02);
    }
}
