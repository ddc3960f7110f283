//! Text is a part: `"a red bicycle".into()` makes a [`Part`] with that text.
//!
//! ```
//! use gemini_image_types::types::Part;
//!
//! let part: Part = "make it blue".into();
//! assert_eq!(part.text.as_deref(), Some("make it blue"));
//! ```

use crate::types::Part;

impl From<&str> for Part {
    fn from(text: &str) -> Self {
        Part {
            text: Some(text.to_string()),
            ..Default::default()
        }
    }
}

impl From<String> for Part {
    fn from(text: String) -> Self {
        Part {
            text: Some(text),
            ..Default::default()
        }
    }
}
