//! The mock's router in-process: no panic, no 5xx, every 4xx Google-shaped.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    if let Err(failure) = gemini_image_fuzz::mock_router::check(input) {
        panic!("{failure}");
    }
});
