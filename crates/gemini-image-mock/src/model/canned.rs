//! The user's own image files, served instead of drawn pictures (`--images DIR`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

/// One image file, read once at start-up.
#[derive(Clone, Debug)]
pub struct CannedImage {
    /// The file it was read from.
    pub path: PathBuf,
    /// Its media type, sniffed from its magic bytes (the extension is not trusted).
    pub mime_type: &'static str,
    /// The file's bytes, served as they are.
    pub bytes: Bytes,
}

/// A fixed set of image files; each request picks one deterministically.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let dir = std::env::temp_dir().join(format!("canned-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// // A 1x1 PNG.
/// let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde\
/// \0\0\0\x0cIDATx\x9cc\xf8\xcf\xc0\0\0\x03\x01\x01\0\xc9\xfe\x92\xef\0\0\0\0IEND\xaeB`\x82";
/// std::fs::write(dir.join("cat.png"), png)?;
/// std::fs::write(dir.join("notes.txt"), "not an image")?;
///
/// let images = gemini_image_mock::CannedImages::from_dir(&dir)?;
/// assert_eq!(images.len(), 1);
/// assert_eq!(images.pick(42).mime_type, "image/png");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct CannedImages {
    images: Arc<[CannedImage]>,
}

impl CannedImages {
    /// Reads every image file directly inside `dir` (PNG, JPEG, WebP, GIF), in name order, so
    /// that the choice for a request does not depend on the file system's listing order.
    /// Files that are not images are skipped; a directory without any is an error.
    ///
    /// # Errors
    ///
    /// The I/O error of reading the directory or a file in it; a directory with no PNG, JPEG, WebP
    /// or GIF file is an `InvalidInput` error.
    pub fn from_dir(dir: impl AsRef<Path>) -> std::io::Result<Self> {
        let dir = dir.as_ref();
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.is_file())
            .collect();
        paths.sort();
        let mut images = Vec::new();
        for path in paths {
            let bytes = std::fs::read(&path)?;
            if let Some(mime_type) = sniff(&bytes) {
                images.push(CannedImage {
                    path,
                    mime_type,
                    bytes: Bytes::from(bytes),
                });
            }
        }
        if images.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "{} holds no PNG, JPEG, WebP or GIF file to serve",
                    dir.display()
                ),
            ));
        }
        Ok(Self {
            images: images.into(),
        })
    }

    /// The image for a request whose content hashes to `hash`.
    pub fn pick(&self, hash: u64) -> &CannedImage {
        // `from_dir` guarantees at least one image, so the index is always in range.
        let index = (hash % self.images.len() as u64) as usize;
        &self.images[index]
    }

    /// How many images there are to choose from.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Always false: a set is never built empty.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }
}

/// The media type of an image the API could return, from its magic bytes.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    match image::guess_format(bytes).ok()? {
        image::ImageFormat::Png => Some("image/png"),
        image::ImageFormat::Jpeg => Some("image/jpeg"),
        image::ImageFormat::WebP => Some("image/webp"),
        image::ImageFormat::Gif => Some("image/gif"),
        _ => None,
    }
}
