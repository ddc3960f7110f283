//! `gemini-image files upload|list|get|delete|download`.

use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use futures_util::TryStreamExt;
use gemini_image::types::File;
use gemini_image::{UploadOptions, file_id};
use indicatif::ProgressBar;
use tokio::io::AsyncWrite;

use crate::args::{FilesCommand, UploadArgs};
use crate::commands::Context;
use crate::failure::Failure;
use crate::output::{json_line, print_fields};

pub async fn run(context: &Context, command: FilesCommand) -> Result<(), Failure> {
    match command {
        FilesCommand::Upload(args) => upload(context, args).await,
        FilesCommand::List { page_size } => list(context, page_size).await,
        FilesCommand::Get { name } => {
            context.progress.start("reading the file's metadata");
            let file = context.backend.client.files().get(&name).await;
            context.progress.done();
            print_file(context, &file?)
        }
        FilesCommand::Delete { name } => {
            context.progress.start("deleting");
            let deleted = context.backend.client.files().delete(&name).await;
            context.progress.done();
            deleted?;
            let name = format!("files/{}", file_id(&name));
            if context.json {
                println!("{}", serde_json::json!({ "deleted": name }));
            } else {
                println!("deleted {name}");
            }
            Ok(())
        }
        FilesCommand::Download { name, output } => download(context, &name, output).await,
    }
}

fn print_file(context: &Context, file: &File) -> Result<(), Failure> {
    if context.json {
        return json_line(file);
    }
    let state = file.state.as_ref().map(|s| s.to_string());
    let error = file.error.as_ref().and_then(|e| e.message.as_deref());
    print_fields(&[
        ("name", file.name.as_deref()),
        ("display name", file.display_name.as_deref()),
        ("mime type", file.mime_type.as_deref()),
        ("size", file.size_bytes.as_deref()),
        ("state", state.as_deref()),
        ("uri", file.uri.as_deref()),
        ("download uri", file.download_uri.as_deref()),
        ("created", file.create_time.as_deref()),
        ("expires", file.expiration_time.as_deref()),
        ("sha256", file.sha256_hash.as_deref()),
        ("error", error),
    ]);
    Ok(())
}

async fn upload(context: &Context, args: UploadArgs) -> Result<(), Failure> {
    let size = std::fs::metadata(&args.path)
        .map_err(|e| Failure::Local(format!("{}: {e}", args.path.display())))?
        .len();
    let bar = context
        .progress
        .bytes(size, format!("uploading {}", args.path.display()));
    let shown = bar.clone();
    let mut options = UploadOptions::new().on_progress(move |sent, total| {
        shown.set_length(total);
        shown.set_position(sent);
    });
    if let Some(mime_type) = args.mime_type {
        options = options.mime_type(mime_type);
    }
    if let Some(name) = args.display_name {
        options = options.display_name(name);
    }
    let uploaded = context
        .backend
        .client
        .files()
        .upload(args.path.as_path(), options)
        .await;
    bar.finish_and_clear();
    let file = uploaded?;
    if context.json {
        return json_line(&file);
    }
    println!(
        "uploaded {} as {} ({}, {} bytes, {})",
        args.path.display(),
        file.name.as_deref().unwrap_or("?"),
        file.mime_type.as_deref().unwrap_or("?"),
        file.size_bytes.as_deref().unwrap_or("?"),
        file.state
            .as_ref()
            .map_or_else(|| "no state".to_string(), |s| s.to_string()),
    );
    if let Some(uri) = &file.uri {
        println!("uri: {uri}");
    }
    Ok(())
}

async fn list(context: &Context, page_size: Option<u32>) -> Result<(), Failure> {
    context.progress.start("listing files");
    let files: Result<Vec<File>, _> = context
        .backend
        .client
        .files()
        .list(page_size)
        .try_collect()
        .await;
    context.progress.done();
    let files = files?;
    if context.json {
        return json_line(&files);
    }
    if files.is_empty() {
        println!("no files");
        return Ok(());
    }
    let rows: Vec<[String; 5]> = files
        .iter()
        .map(|f| {
            [
                f.name.clone().unwrap_or_default(),
                f.display_name.clone().unwrap_or_default(),
                f.mime_type.clone().unwrap_or_default(),
                f.size_bytes.clone().unwrap_or_default(),
                f.state.as_ref().map(|s| s.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    let header = ["NAME", "DISPLAY NAME", "MIME TYPE", "BYTES", "STATE"];
    crate::output::print_table(header, &rows);
    Ok(())
}

async fn download(context: &Context, name: &str, output: Option<PathBuf>) -> Result<(), Failure> {
    let files = context.backend.client.files();
    context.progress.start("reading the file's metadata");
    let file = files.get(name).await;
    context.progress.done();
    let file = file?;
    let total = file
        .size_bytes
        .as_deref()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let path = output.unwrap_or_else(|| PathBuf::from(file_id(name)));
    let bar = context
        .progress
        .bytes(total, format!("downloading to {}", path.display()));
    let target = tokio::fs::File::create(&path)
        .await
        .map_err(|e| Failure::Local(format!("{}: {e}", path.display())))?;
    let written = files
        .download(
            name,
            Counting {
                inner: target,
                bar: bar.clone(),
            },
        )
        .await;
    bar.finish_and_clear();
    let written = match written {
        Ok(written) => written,
        Err(error) => {
            // No half file left behind.
            let _ = std::fs::remove_file(&path);
            return Err(error.into());
        }
    };
    if context.json {
        return json_line(&serde_json::json!({
            "name": format!("files/{}", file_id(name)),
            "path": path,
            "bytes": written,
        }));
    }
    println!("wrote {} ({written} bytes)", path.display());
    Ok(())
}

/// A writer that moves a progress bar by what it writes.
struct Counting<W> {
    inner: W,
    bar: ProgressBar,
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Counting<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = written {
            self.bar.inc(n as u64);
        }
        written
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
