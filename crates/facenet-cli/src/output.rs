//! How commands print: a table for people, or JSON on stdout with `--json`.

use serde::Serialize;

/// What every command gets from the global flags.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// `--json`: one JSON document on stdout.
    pub json: bool,
}

impl Ctx {
    /// Prints `value` as pretty JSON on stdout.
    pub fn print_json<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        println!("{}", serde_json::to_string_pretty(value)?);
        Ok(())
    }
}

/// Bytes as a short human size (1.2 MB).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "kB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
