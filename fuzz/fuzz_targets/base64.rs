//! `Base64Bytes` against the `base64` crate.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    if let Err(failure) = gemini_image_fuzz::base64::check(input) {
        panic!("{failure}");
    }
});
