//! A new picture rendered as the mock serves it (drawn at real weight and encoded by
//! `model/encode.rs`), beside the same picture encoded by the `image` crate's default encoder
//! (the reference, in the same run): a 4K JPEG as the Gemini 3 models answer, a 1024² PNG as
//! Gemini 2.5 Flash Image does. Both sides include drawing the picture.
//!
//! `cargo bench -p gemini-image-mock --bench mock_render`; `cargo xtask bench` prints the table.

use std::io::Cursor;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gemini_image_mock::{Drawing, ImageWeight, PictureFormat};
use image::{ImageFormat, RgbImage};

const CAPTION: &str = "Draw a nano banana dish in a fancy restaurant";

fn drawing(width: u32, height: u32, format: PictureFormat) -> Drawing<'static> {
    Drawing {
        width,
        height,
        seed: 7,
        caption: CAPTION,
        format,
        weight: ImageWeight::Real,
    }
}

fn with_image_crate(drawing: &Drawing) -> Vec<u8> {
    let pixels = drawing.pixels();
    let picture = RgbImage::from_raw(drawing.width, drawing.height, pixels)
        .expect("width × height RGB pixels");
    let mut out = Cursor::new(Vec::new());
    let image_format = match drawing.format {
        PictureFormat::Png => ImageFormat::Png,
        PictureFormat::Jpeg => ImageFormat::Jpeg,
    };
    picture.write_to(&mut out, image_format).expect("encodes");
    out.into_inner()
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("mock_render");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    for (name, width, height, format) in [
        ("jpeg_4k", 4096, 4096, PictureFormat::Jpeg),
        ("png_1024", 1024, 1024, PictureFormat::Png),
    ] {
        let drawing = drawing(width, height, format);
        let ours = drawing.render();
        let reference = with_image_crate(&drawing);
        println!(
            "{name}: gemini_image_mock {} bytes, image_default {} bytes, reference size {} bytes",
            ours.len(),
            reference.len(),
            ImageWeight::reference_bytes(width, height, format)
        );
        // Throughput in pixels drawn, as bytes of RGB: the same work on both sides.
        group.throughput(Throughput::Bytes(u64::from(width * height * 3)));
        group.bench_function(format!("{name}/image_default"), |b| {
            b.iter(|| with_image_crate(&drawing))
        });
        group.bench_function(format!("{name}/gemini_image_mock"), |b| {
            b.iter(|| drawing.render())
        });
    }
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
