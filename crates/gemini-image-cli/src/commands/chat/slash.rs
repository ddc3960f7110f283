//! The slash commands: read from a line, answered by the session itself, never sent to the
//! model.

/// Every command with what it does: `/help` prints this, the completer offers the names.
pub const COMMANDS: &[(&str, &str)] = &[
    ("/help", "lists these commands"),
    ("/attach", "PATH — adds an image to the next turn"),
    ("/save", "PATH — saves the last image(s) again under PATH"),
    ("/undo", "drops the last turn from the conversation"),
    ("/new", "starts a fresh conversation"),
    ("/model", "NAME — talks to another model from the next turn"),
    ("/size", "1K|2K|4K — the size of the next pictures"),
    (
        "/aspect",
        "RATIO — the shape of the next pictures, e.g. 16:9",
    ),
    ("/quit", "ends the chat (so does Ctrl-D)"),
];

/// One slash command, its argument trimmed.
#[derive(Debug, PartialEq, Eq)]
pub enum Slash<'a> {
    Help,
    Attach(&'a str),
    Save(&'a str),
    Undo,
    New,
    Model(&'a str),
    Size(&'a str),
    Aspect(&'a str),
    Quit,
    /// A known command whose argument is missing: its name.
    NeedsArgument(&'static str),
    /// `/word`, with the word.
    Unknown(&'a str),
}

/// The command on `line`, or `None` when the line is a prompt (it does not start with `/`).
pub fn parse(line: &str) -> Option<Slash<'_>> {
    let rest = line.strip_prefix('/')?;
    let (word, argument) = match rest.split_once(char::is_whitespace) {
        Some((word, argument)) => (word, argument.trim()),
        None => (rest, ""),
    };
    Some(match word {
        "help" | "?" => Slash::Help,
        "attach" => needs(argument, "/attach", Slash::Attach),
        "save" => needs(argument, "/save", Slash::Save),
        "undo" => Slash::Undo,
        "new" => Slash::New,
        "model" => needs(argument, "/model", Slash::Model),
        "size" => needs(argument, "/size", Slash::Size),
        "aspect" => needs(argument, "/aspect", Slash::Aspect),
        "quit" | "exit" => Slash::Quit,
        _ => Slash::Unknown(word),
    })
}

/// `make(argument)`, or [`Slash::NeedsArgument`] when there is none.
fn needs<'a>(argument: &'a str, name: &'static str, make: fn(&'a str) -> Slash<'a>) -> Slash<'a> {
    if argument.is_empty() {
        Slash::NeedsArgument(name)
    } else {
        make(argument)
    }
}

/// The `/help` text, one command a line.
pub fn help() -> String {
    let width = COMMANDS
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for (name, what) in COMMANDS {
        text.push_str(&format!("  {name:<width$}  {what}\n"));
    }
    text.push_str(
        "  Up/Down recall earlier lines, Tab completes, Ctrl-C cancels a turn, Ctrl-D ends",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_their_arguments() {
        assert_eq!(parse("a red bicycle"), None);
        assert_eq!(parse("/help"), Some(Slash::Help));
        assert_eq!(
            parse("/attach  my photo.png "),
            Some(Slash::Attach("my photo.png"))
        );
        assert_eq!(parse("/attach"), Some(Slash::NeedsArgument("/attach")));
        assert_eq!(parse("/size 2K"), Some(Slash::Size("2K")));
        assert_eq!(parse("/aspect\t16:9"), Some(Slash::Aspect("16:9")));
        assert_eq!(parse("/exit"), Some(Slash::Quit));
        assert_eq!(parse("/frobnicate now"), Some(Slash::Unknown("frobnicate")));
    }

    #[test]
    fn help_names_every_command() {
        let help = help();
        for (name, _) in COMMANDS {
            assert!(help.contains(name), "{name}");
        }
    }
}
