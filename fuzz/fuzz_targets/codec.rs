//! The body codec against serde_json, both ways.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    if let Err(failure) = gemini_image_fuzz::codec::check(input) {
        panic!("{failure}");
    }
});
