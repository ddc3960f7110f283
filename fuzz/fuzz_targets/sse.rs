//! The SSE reader: the same events whatever the split.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    if let Err(failure) = gemini_image_fuzz::sse::check(input) {
        panic!("{failure}");
    }
});
