//! `Base64Bytes` against an independent implementation (the `base64` crate).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use gemini_sdk::Base64Bytes;
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

    /// Arbitrary text: an error or the very bytes some alphabet gives — never a panic and never
    /// bytes that no reading of the text would give.
    #[test]
    fn arbitrary_text_is_rejected_or_decoded_correctly(text in "[A-Za-z0-9+/_=\\-!*. \n\u{e9}]{0,40}") {
        match Base64Bytes::decode(text.as_bytes()) {
            Ok(decoded) => {
                let readings: Vec<Vec<u8>> = [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
                    .iter()
                    .filter_map(|engine| engine.decode(&text).ok())
                    .collect();
                prop_assert!(readings.iter().any(|r| r[..] == decoded[..]), "{text:?} decoded to {decoded:?}, which no alphabet gives");
            }
            Err(error) => prop_assert!(error.to_string().starts_with("invalid base64: ")),
        }
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
