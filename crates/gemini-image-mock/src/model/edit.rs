//! Image edits that visibly follow the instruction where a simple transform exists.

use image::{DynamicImage, Rgb, RgbImage, imageops};

/// The output of editing `base` as `instruction` says, at `width`×`height`.
pub fn apply(base: &DynamicImage, instruction: &str, width: u32, height: u32) -> RgbImage {
    let mut picture = imageops::resize(
        &base.to_rgb8(),
        width,
        height,
        imageops::FilterType::Triangle,
    );
    let wants = |words: &[&str]| {
        let lower = instruction.to_lowercase();
        words.iter().any(|w| lower.contains(w))
    };
    if wants(&["grayscale", "greyscale", "black and white", "monochrome"]) {
        picture = DynamicImage::ImageRgb8(picture).grayscale().to_rgb8();
    }
    if wants(&["invert", "negative"]) {
        imageops::invert(&mut picture);
    }
    if wants(&["upside down", "flip vertically"]) {
        imageops::flip_vertical_in_place(&mut picture);
    } else if wants(&["mirror", "flip"]) {
        imageops::flip_horizontal_in_place(&mut picture);
    }
    if wants(&["rotate"]) {
        imageops::rotate180_in_place(&mut picture);
    }
    let colours: [(&str, [u8; 3]); 7] = [
        ("blue", [30, 80, 230]),
        ("red", [220, 30, 30]),
        ("green", [30, 180, 60]),
        ("yellow", [240, 220, 30]),
        ("purple", [140, 40, 200]),
        ("orange", [250, 140, 20]),
        ("pink", [250, 120, 180]),
    ];
    if let Some((_, tint)) = colours.iter().find(|(name, _)| wants(&[name])) {
        for Rgb(pixel) in picture.pixels_mut() {
            for (channel, target) in pixel.iter_mut().zip(tint) {
                *channel = ((u16::from(*channel) + 3 * u16::from(*target)) / 4) as u8;
            }
        }
    }
    picture
}
