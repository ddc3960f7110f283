//! [`IntoParts`]: what a turn can be made of — text, a part, several parts.

use crate::types::Part;

/// The parts of one turn: a `&str` or `String` (one text part), a [`Part`], or a `Vec` or
/// array of things that become parts.
///
/// ```
/// use gemini_image::{IntoParts, image_part};
///
/// assert_eq!("make it blue".into_parts().len(), 1);
/// let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
/// let parts = [image_part(png)?, "add a basket".into()].into_parts();
/// assert!(parts[0].inline_data.is_some());
/// assert_eq!(parts[1].text.as_deref(), Some("add a basket"));
/// # Ok::<(), gemini_image::Error>(())
/// ```
pub trait IntoParts {
    /// The parts, in order.
    fn into_parts(self) -> Vec<Part>;
}

impl IntoParts for &str {
    fn into_parts(self) -> Vec<Part> {
        vec![self.into()]
    }
}

impl IntoParts for String {
    fn into_parts(self) -> Vec<Part> {
        vec![self.into()]
    }
}

impl IntoParts for Part {
    fn into_parts(self) -> Vec<Part> {
        vec![self]
    }
}

impl<P: Into<Part>> IntoParts for Vec<P> {
    fn into_parts(self) -> Vec<Part> {
        self.into_iter().map(Into::into).collect()
    }
}

impl<P: Into<Part>, const N: usize> IntoParts for [P; N] {
    fn into_parts(self) -> Vec<Part> {
        self.into_iter().map(Into::into).collect()
    }
}
