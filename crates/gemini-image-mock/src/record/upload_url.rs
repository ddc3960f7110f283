//! A resumable upload's URL pointed back at this mock. The upstream answers an upload's start
//! with the URL its chunks go to (`x-goog-upload-url`), on its own host; Google's SDKs put their
//! base URL's host in its place, but curl, a browser and most other clients send the chunks
//! where they are told — to Google, past the recording. So the recording proxy and the replayer
//! hand out the URL on the host the caller reached (its `Host`), the recording keeping the URL
//! the upstream sent.

use axum::http::{HeaderMap, HeaderValue};

/// The header.
const HEADER: &str = "x-goog-upload-url";

/// Puts `host` (the caller's `Host`) in place of the scheme and authority of the upload URL in
/// `headers`, if there is one; a URL that is not absolute is left as it is.
pub fn point_at(headers: &mut HeaderMap, host: Option<&str>) {
    let Some(host) = host else { return };
    let Some(url) = headers.get(HEADER).and_then(|v| v.to_str().ok()) else {
        return;
    };
    let Some(rebased) = rebase(url, host) else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&rebased) {
        headers.insert(HEADER, value);
    }
}

/// `https://generativelanguage.googleapis.com/upload/v1beta/files?upload_id=x` on `host`:
/// `http://{host}/upload/v1beta/files?upload_id=x`.
fn rebase(url: &str, host: &str) -> Option<String> {
    let (_, rest) = url.split_once("://")?;
    let path = rest.find('/').map_or("/", |at| &rest[at..]);
    Some(format!("http://{host}{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upload_url_is_rebased_on_the_callers_host() {
        let mut headers = HeaderMap::new();
        headers.insert(
            HEADER,
            HeaderValue::from_static(
                "https://generativelanguage.googleapis.com/upload/v1/files?upload_id=a&x=1",
            ),
        );
        point_at(&mut headers, Some("127.0.0.1:7000"));
        assert_eq!(
            headers.get(HEADER).and_then(|v| v.to_str().ok()),
            Some("http://127.0.0.1:7000/upload/v1/files?upload_id=a&x=1")
        );
        let mut relative = HeaderMap::new();
        relative.insert(
            HEADER,
            HeaderValue::from_static("/upload/v1/files?upload_id=a"),
        );
        point_at(&mut relative, Some("127.0.0.1:7000"));
        assert_eq!(
            relative.get(HEADER).and_then(|v| v.to_str().ok()),
            Some("/upload/v1/files?upload_id=a")
        );
        assert_eq!(rebase("http://h", "m:1").as_deref(), Some("http://m:1/"));
    }
}
