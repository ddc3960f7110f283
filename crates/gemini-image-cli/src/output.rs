//! Images onto disk with the right names, and results onto stdout (for people or for scripts).

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use gemini_image::types::{GenerateContentResponse, Interaction};
use gemini_image::{Image, InteractionExt};
use serde::Serialize;

use crate::failure::Failure;

/// One image written.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Saved {
    pub path: PathBuf,
    pub mime_type: String,
    pub bytes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// Where image `index` of `total` goes: `output` (or `default_stem`) with the extension of the
/// image's type, numbered from 1 when there are several.
pub fn path_for(
    output: Option<&Path>,
    default_stem: &str,
    index: usize,
    total: usize,
    image: &Image,
) -> PathBuf {
    let mut stem = output
        .map(|p| p.with_extension(""))
        .unwrap_or_else(|| PathBuf::from(default_stem));
    if total > 1 {
        let name = stem
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        stem.set_file_name(format!("{name}-{}", index + 1));
    }
    stem.with_extension(image.extension())
}

/// Writes every image to its path, all or none: each is written whole to a temporary file
/// beside its path first, and only when all are written are they renamed into place — a paid
/// answer never leaves half of its images, or half an image, behind. A failure names its path.
pub fn save_all(images: Vec<(&Image, PathBuf)>) -> Result<Vec<Saved>, Failure> {
    let cannot = |path: &Path, error: std::io::Error| {
        Failure::Local(format!("cannot write {}: {error}", path.display()))
    };
    let mut staged = Vec::with_capacity(images.len());
    for (image, path) in images {
        if path.is_dir() {
            return Err(Failure::Local(format!(
                "cannot write {}: it is a directory",
                path.display()
            )));
        }
        let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| cannot(dir, e))?;
                dir.to_path_buf()
            }
            None => PathBuf::from("."),
        };
        // Dropped (and deleted) on any failure below.
        let mut temporary = tempfile::NamedTempFile::new_in(&dir).map_err(|e| cannot(&path, e))?;
        temporary
            .write_all(&image.bytes)
            .and_then(|()| temporary.as_file().sync_all())
            .map_err(|e| cannot(&path, e))?;
        staged.push((image, path, temporary));
    }
    let mut saved: Vec<Saved> = Vec::with_capacity(staged.len());
    for (image, path, temporary) in staged {
        if let Err(error) = temporary.persist(&path) {
            // Rare (the path changed meanwhile): what this call wrote goes, so none is left.
            for written in &saved {
                let _ = std::fs::remove_file(&written.path);
            }
            return Err(cannot(&path, error.error));
        }
        saved.push(read_back(image, path));
    }
    Ok(saved)
}

/// Writes one image to `path` as [`save_all`] does.
pub fn save(image: &Image, path: PathBuf) -> Result<Saved, Failure> {
    let mut saved = save_all(vec![(image, path)])?;
    saved
        .pop()
        .ok_or_else(|| Failure::Local("nothing was written".into()))
}

/// What was written, with the dimensions read back from the image's header.
fn read_back(image: &Image, path: PathBuf) -> Saved {
    let dimensions = image::ImageReader::new(Cursor::new(&image.bytes))
        .with_guessed_format()
        .ok()
        .and_then(|reader| reader.into_dimensions().ok());
    Saved {
        path,
        mime_type: image.mime_type.clone(),
        bytes: image.bytes.len(),
        width: dimensions.map(|d| d.0),
        height: dimensions.map(|d| d.1),
    }
}

/// What a command made.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub backend: String,
    pub model: String,
    pub text: String,
    pub images: Vec<Saved>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked: Option<String>,
    /// The answer's own usage object: `usageMetadata` from generateContent, `usage` from
    /// Interactions (their fields differ, and a script reads the one its API writes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<serde_json::Value>,
}

impl Report {
    /// The text, finish reason and usage of `response`; images are added as they are saved.
    pub fn of(backend: &str, model: &str, response: &GenerateContentResponse) -> Report {
        // Separate parts are separate paragraphs on a terminal (the SDK's `text()` joins them
        // as they came, which is right for streamed pieces).
        let text = response
            .candidates
            .first()
            .and_then(|c| c.content.as_ref())
            .into_iter()
            .flat_map(|c| &c.parts)
            .filter(|p| p.thought != Some(true))
            .filter_map(|p| p.text.as_deref())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        Report {
            backend: backend.to_string(),
            model: model.to_string(),
            text,
            images: Vec::new(),
            finish_reason: response
                .candidates
                .first()
                .and_then(|c| c.finish_reason.as_ref())
                .map(|r| r.to_string()),
            blocked: None,
            usage: usage_json(response.usage_metadata.as_ref()),
        }
    }

    /// The text, status (as the finish reason) and usage of an Interactions answer.
    pub fn of_interaction(backend: &str, model: &str, interaction: &Interaction) -> Report {
        Report {
            backend: backend.to_string(),
            model: model.to_string(),
            text: interaction.output_text().trim().to_string(),
            images: Vec::new(),
            finish_reason: interaction.status.as_ref().map(|s| s.to_string()),
            blocked: None,
            usage: usage_json(interaction.usage.as_ref()),
        }
    }

    /// Prints the report: JSON on one line, or the text and the paths written, each image drawn
    /// below its path when `show` (and stdout is a terminal).
    pub fn print(&self, json: bool, show: bool) {
        if json {
            match serde_json::to_string(self) {
                Ok(line) => println!("{line}"),
                Err(error) => eprintln!("gemini-image: cannot write JSON: {error}"),
            }
            return;
        }
        let text = self.text.trim();
        if !text.is_empty() {
            println!("{text}");
        }
        for saved in &self.images {
            println!("wrote {}", describe(saved));
            if show {
                crate::preview::show(&saved.path);
            }
        }
    }
}

fn usage_json(usage: Option<&impl Serialize>) -> Option<serde_json::Value> {
    usage.and_then(|usage| serde_json::to_value(usage).ok())
}

/// `pig.png (1024×1024 image/png, 235 KB)`.
pub fn describe(saved: &Saved) -> String {
    let size = match (saved.width, saved.height) {
        (Some(w), Some(h)) => format!("{w}×{h} "),
        _ => String::new(),
    };
    format!(
        "{} ({size}{}, {} KB)",
        saved.path.display(),
        saved.mime_type,
        saved.bytes.div_ceil(1024)
    )
}

/// A table on stdout: a header, then rows, each column as wide as its widest cell.
pub fn print_table<const N: usize>(header: [&str; N], rows: &[[String; N]]) {
    let header = header.map(String::from);
    let mut widths = [0usize; N];
    for row in std::iter::once(&header).chain(rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
}

/// `value` as one line of JSON on stdout (`--json`).
pub fn json_line(value: &impl Serialize) -> Result<(), Failure> {
    let line = serde_json::to_string(value).map_err(|e| Failure::Local(e.to_string()))?;
    println!("{line}");
    Ok(())
}

/// `label: value` lines on stdout, labels right-aligned, the fields without a value left out.
pub fn print_fields(fields: &[(&str, Option<&str>)]) {
    let width = fields
        .iter()
        .map(|(label, _)| label.len())
        .max()
        .unwrap_or(0);
    for (label, value) in fields {
        if let Some(value) = value {
            println!("{label:>width$}: {value}");
        }
    }
}
