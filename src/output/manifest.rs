//! `manifest = true`: `index.json` in `output_dir`, one read for builders that want the whole listing — every
//! file tidings wrote, by path relative to `output_dir`, with its front matter as JSON.

use super::Preset;

/// The manifest's name inside `output_dir`. Article names end in `.md` or `.mdx`, so none can take it.
pub const MANIFEST_NAME: &str = "index.json";

/// One listed file: its path relative to `output_dir` and its front matter.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ManifestEntry {
    pub path: String,
    pub front_matter: serde_json::Value,
}

/// The manifest document: `{"generator", "preset", "files": [{path, front_matter}, …]}`, files sorted by path.
pub fn render_manifest(preset: Preset, mut files: Vec<ManifestEntry>) -> String {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let document = serde_json::json!({
        "generator": "tidings",
        "preset": preset.as_str(),
        "files": files,
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
