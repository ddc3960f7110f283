//! File and upload ids: the ones the mock makes up, the custom ones a client asks for, and the
//! id a `fileData.fileUri` names.

use rand::Rng;

use crate::error::ApiError;

/// Google's limit on a custom file id.
const MAX_ID_CHARS: usize = 40;

/// A new file id, 12 characters of `[a-z0-9]` as Google's (`lyznmka9w110`).
pub fn new_file_id() -> String {
    random(12, b"abcdefghijklmnopqrstuvwxyz0123456789")
}

/// A new upload id, in the alphabet of Google's (`AJ5rDhFmzc9IP0Qn…`).
pub fn new_upload_id() -> String {
    random(
        72,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    )
}

fn random(length: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::rng();
    (0..length)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// A custom id asked for at upload (`files/my-id` or `my-id`), checked as Google checks it.
///
/// # Errors
///
/// Google's 400 for a name with other characters than `[a-z0-9-]` or a dash at either end;
/// ours for one over 40 characters.
pub fn custom_file_id(name: &str) -> Result<String, ApiError> {
    let id = name.strip_prefix("files/").unwrap_or(name);
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    if id.is_empty() || !id.chars().all(allowed) || id.starts_with('-') || id.ends_with('-') {
        return Err(ApiError::file_name_invalid());
    }
    if id.len() > MAX_ID_CHARS {
        return Err(ApiError::file_name_too_long());
    }
    Ok(id.to_string())
}

/// The file id a `fileData.fileUri` names: `files/{id}`, or a URL on any host whose path ends
/// in `/files/{id}` (`https://generativelanguage.googleapis.com/v1beta/files/{id}`). `None` for
/// anything else (a URL of another kind, which the mock accepts without fetching).
pub fn file_id_of_uri(uri: &str) -> Option<&str> {
    let id = if let Some(id) = uri.strip_prefix("files/") {
        id
    } else {
        let (scheme, rest) = uri.split_once("://")?;
        if !matches!(scheme, "http" | "https") {
            return None;
        }
        let path = &rest[rest.find('/')?..];
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let (_, id) = path.rsplit_once("/files/")?;
        id
    };
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_googles() {
        let id = new_file_id();
        assert_eq!(id.len(), 12);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        assert_eq!(new_upload_id().len(), 72);
    }

    #[test]
    fn custom_ids_are_checked_as_google_checks_them() {
        assert_eq!(
            custom_file_id("files/my-id-2").ok().as_deref(),
            Some("my-id-2")
        );
        assert_eq!(custom_file_id("plain").ok().as_deref(), Some("plain"));
        for bad in [
            "files/-a",
            "a-",
            "Upper",
            "under_score",
            "",
            "files/",
            "a b",
        ] {
            assert_eq!(
                custom_file_id(bad),
                Err(ApiError::file_name_invalid()),
                "{bad}"
            );
        }
        assert_eq!(
            custom_file_id(&"a".repeat(41)),
            Err(ApiError::file_name_too_long())
        );
    }

    #[test]
    fn file_uris_in_every_form_clients_send() {
        let google = "https://generativelanguage.googleapis.com/v1beta/files/abc123";
        assert_eq!(file_id_of_uri(google), Some("abc123"));
        assert_eq!(
            file_id_of_uri("http://127.0.0.1:9/v1/files/x-1?alt=media"),
            Some("x-1")
        );
        assert_eq!(file_id_of_uri("files/abc"), Some("abc"));
        assert_eq!(file_id_of_uri("gs://bucket/files/abc"), None);
        assert_eq!(file_id_of_uri("https://example.com/cat.png"), None);
        assert_eq!(file_id_of_uri("https://h/files/"), None);
    }
}
