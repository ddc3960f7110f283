//! `--show`: each saved image drawn in the terminal, through viuer — with kitty's or iTerm2's
//! graphics protocol, or sixel, where the terminal speaks one, else in half blocks — and never
//! when stdout is not a terminal (a pipe or a file gets no escape sequences).
//!
//! Which protocol is read from the environment only: viuer can also ask the terminal (kitty and
//! sixel queries), but a terminal that does not answer leaves that question waiting for ever, so
//! it is asked only of terminals known to answer it.

use std::io::IsTerminal;
use std::path::Path;

/// How wide a preview is, in terminal columns: a glance, not a viewer.
const COLUMNS: u32 = 48;

/// The graphics protocol the terminal speaks, by its environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Kitty,
    Iterm,
    Sixel,
    /// Half blocks in colour: any terminal.
    Blocks,
}

impl Protocol {
    /// The protocol of the terminal this runs in.
    pub fn of_terminal() -> Protocol {
        Self::from_env(|name| std::env::var(name).ok())
    }

    fn from_env(var: impl Fn(&str) -> Option<String>) -> Protocol {
        let term = var("TERM").unwrap_or_default();
        let program = var("TERM_PROGRAM").unwrap_or_default();
        if term == "xterm-kitty" || var("KITTY_WINDOW_ID").is_some() || program == "ghostty" {
            Protocol::Kitty
        } else if ["iTerm", "WezTerm", "mintty", "rio", "WarpTerminal"]
            .iter()
            .any(|name| program.contains(name))
        {
            Protocol::Iterm
        } else if ["foot", "mlterm", "contour", "yaft"]
            .iter()
            .any(|name| term.starts_with(name))
        {
            Protocol::Sixel
        } else {
            Protocol::Blocks
        }
    }

    /// Whether images look like images here (not half blocks): `chat` shows them by default then.
    pub fn draws_pictures(self) -> bool {
        self != Protocol::Blocks
    }
}

/// Draws the image at `path` below the cursor, when stdout is a terminal; a picture that cannot
/// be read or drawn is said on stderr and skipped (the file is written already).
pub fn show(path: &Path) {
    if !std::io::stdout().is_terminal() {
        return;
    }
    let protocol = Protocol::of_terminal();
    let config = viuer::Config {
        width: Some(COLUMNS),
        absolute_offset: false,
        use_kitty: protocol == Protocol::Kitty,
        use_iterm: protocol == Protocol::Iterm,
        use_sixel: protocol == Protocol::Sixel,
        truecolor: true,
        ..viuer::Config::default()
    };
    let drawn = image::open(path)
        .map_err(|e| e.to_string())
        .and_then(|picture| viuer::print(&picture, &config).map_err(|e| e.to_string()));
    if let Err(error) = drawn {
        eprintln!("gemini-image: cannot show {}: {error}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protocol(pairs: &[(&str, &str)]) -> Protocol {
        Protocol::from_env(|name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn the_protocol_follows_the_terminal() {
        assert_eq!(protocol(&[("TERM", "xterm-kitty")]), Protocol::Kitty);
        assert_eq!(protocol(&[("TERM_PROGRAM", "iTerm.app")]), Protocol::Iterm);
        assert_eq!(protocol(&[("TERM", "foot-extra")]), Protocol::Sixel);
        assert_eq!(protocol(&[("TERM", "xterm-256color")]), Protocol::Blocks);
        assert!(!Protocol::Blocks.draws_pictures());
        assert!(Protocol::Kitty.draws_pictures());
    }
}
