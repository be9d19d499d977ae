//! The font chart text is drawn with, found at run time (never shipped): `FACENET_REPORT_FONT` (a .ttf/.otf
//! path, or `none`), else the first of a few common system paths. Without one, charts are drawn without
//! text (no title, axis labels or legend) rather than failing.

use std::sync::OnceLock;

/// The family name the font is registered under.
pub(crate) const FAMILY: &str = "sans-serif";

const SYSTEM_FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// Whether charts can draw text: registers the font on first use.
pub fn text_available() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(register_font)
}

fn register_font() -> bool {
    let candidates: Vec<String> = match std::env::var("FACENET_REPORT_FONT") {
        Ok(v) if v == "none" => return false,
        Ok(v) => vec![v],
        Err(_) => SYSTEM_FONTS.iter().map(|p| p.to_string()).collect(),
    };
    for path in candidates {
        let Ok(bytes) = std::fs::read(&path) else { continue };
        // plotters keeps fonts for the whole run: the bytes live as long as the process.
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        if plotters::style::register_font(FAMILY, plotters::style::FontStyle::Normal, bytes).is_ok() {
            return true;
        }
    }
    false
}
