//! `Base64Bytes` against an independent implementation (the `base64` crate).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use gemini_image::Base64Bytes;
use proptest::prelude::*;

fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn bytes_survive_every_alphabet_and_padding(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            let text = engine.encode(&bytes);
            let decoded: Base64Bytes = serde_json::from_str(&json_string(&text))
                .map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
            prop_assert_eq!(decoded.as_bytes(), &bytes[..]);
        }
    }

    #[test]
    fn encoding_is_standard_and_padded(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let json = serde_json::to_string(&Base64Bytes::from(bytes.clone())).unwrap();
        prop_assert_eq!(json, json_string(&STANDARD.encode(&bytes)));
    }

    /// Arbitrary text decodes exactly when one of the strict reference engines (the `base64`
    /// crate: canonical bits, no whitespace) accepts it, and to the same bytes.
    #[test]
    fn arbitrary_text_is_read_exactly_as_the_strict_references_read_it(text in "[A-Za-z0-9+/_=\\-!*. \n\u{e9}]{0,40}") {
        agrees_with_the_references(&text)?;
    }

    /// The same for long inputs, where the SIMD kernels do the work: valid base64 with a few
    /// characters changed, removed or added (whitespace among them).
    #[test]
    fn long_text_with_a_few_changes_is_read_as_the_references_read_it(
        bytes in proptest::collection::vec(any::<u8>(), 60..700),
        url_safe in any::<bool>(),
        edits in proptest::collection::vec(
            (any::<prop::sample::Index>(), prop::sample::select(vec!['A', '=', ' ', '\n', '-', '/', '_', '+', '\0']), 0..3u8),
            0..3,
        ),
    ) {
        let mut text = if url_safe { URL_SAFE_NO_PAD.encode(&bytes) } else { STANDARD.encode(&bytes) };
        for (position, character, kind) in edits {
            let at = position.index(text.len());
            match kind {
                0 => text.replace_range(at..at + 1, &character.to_string()),
                1 => { text.remove(at); }
                _ => text.insert(at, character),
            }
        }
        agrees_with_the_references(&text)?;
    }
    #[test]
    fn a_foreign_character_anywhere_is_an_error_naming_its_offset(
        bytes in proptest::collection::vec(any::<u8>(), 1..200),
        position in any::<prop::sample::Index>(),
        bad in prop::sample::select(vec!['!', '*', ' ', '\n', '.', '"', '#', 'é']),
    ) {
        let mut text = STANDARD.encode(&bytes);
        let offset = position.index(text.len());
        text.replace_range(offset..offset + 1, &bad.to_string());
        let error = Base64Bytes::decode(text.as_bytes()).unwrap_err().to_string();
        prop_assert!(error.contains(&format!("at offset {offset}")), "{error}");
    }
}

#[test]
fn errors_say_what_is_wrong() {
    let cases = [
        ("abcde", "one character is left over"),
        ("ab=c", "padding '=' at offset 2 before the end"),
        ("a===", "3 padding characters"),
        ("ab+-", "mixes the standard"),
        ("ab\u{e9}", "unexpected character byte 0xc3 at offset 2"),
    ];
    for (text, expected) in cases {
        let error = Base64Bytes::decode(text.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{text:?}: {error}");
    }
}

#[test]
fn debug_never_prints_the_payload() {
    let image = Base64Bytes::from(vec![0x89u8; 2_000_000]);
    let shown = format!("{image:?}");
    assert_eq!(shown, "Base64Bytes(2000000 bytes: 8989898989898989…)");
}

fn agrees_with_the_references(text: &str) -> Result<(), TestCaseError> {
    let readings: Vec<Vec<u8>> = [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .iter()
        .filter_map(|engine| engine.decode(text).ok())
        .collect();
    match Base64Bytes::decode(text.as_bytes()) {
        Ok(decoded) => prop_assert!(
            readings.iter().any(|r| r[..] == decoded[..]),
            "{text:?} decoded to {decoded:?}, which no strict reference gives"
        ),
        Err(error) => {
            prop_assert!(
                readings.is_empty(),
                "{text:?} was refused ({error}) but a strict reference reads it"
            );
            prop_assert!(error.to_string().starts_with("invalid base64: "));
        }
    }
    Ok(())
}
