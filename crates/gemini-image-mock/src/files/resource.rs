//! A stored file as Google shows it: the generated `File`, written in Google's key order by
//! `wire`.

use std::time::{Duration, SystemTime};

use gemini_image_types::types::{File, FileSource, FileState};

use super::store::{Source, StoredFile};
use crate::clock::rfc3339;

/// Where every file's `uri` points, whatever the version or host it was created through.
pub const URI_BASE: &str = "https://generativelanguage.googleapis.com/v1beta/files/";

/// The state of `file` at `now`: an uploaded file is `PROCESSING` for `processing` after its
/// upload, then `ACTIVE`; a generated one is `ACTIVE` at once.
pub fn state(file: &StoredFile, now: SystemTime, processing: Duration) -> FileState {
    if file.source == Source::Uploaded && now < file.created + processing {
        FileState::Processing
    } else {
        FileState::Active
    }
}

/// `file` as the API shows it at `now`.
pub fn describe(file: &StoredFile, now: SystemTime, processing: Duration) -> File {
    let state = state(file, now, processing);
    // The file changed when its processing ended.
    let updated = if state == FileState::Active && file.source == Source::Uploaded {
        file.created + processing
    } else {
        file.created
    };
    let uri = format!("{URI_BASE}{}", file.id);
    File {
        name: Some(format!("files/{}", file.id)),
        display_name: file.display_name.clone(),
        mime_type: Some(file.mime_type.clone()),
        size_bytes: Some(file.size.to_string()),
        create_time: Some(rfc3339(file.created, 6)),
        update_time: Some(rfc3339(updated, 6)),
        expiration_time: Some(rfc3339(file.expires(), 9)),
        sha256_hash: Some(base64_of_hex(&file.sha256_hex)),
        download_uri: (file.source == Source::Generated)
            .then(|| format!("{uri}:download?alt=media")),
        uri: Some(uri),
        state: Some(state.into()),
        source: Some(
            match file.source {
                Source::Uploaded => FileSource::Uploaded,
                Source::Generated => FileSource::Generated,
            }
            .into(),
        ),
        ..File::default()
    }
}

/// Google's `sha256Hash`: base64 of the hex digest's ASCII, not of the raw digest.
fn base64_of_hex(hex: &str) -> String {
    gemini_image_types::Base64Bytes::new(hex.as_bytes().to_vec()).encode()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_base64_of_the_hex_as_google_writes_it() {
        // The real finalize answer of an ellmer cassette: the hash decodes to the hex digest.
        let hex = "1a89fa80cbe7fa4c5712f7b15418c4bb33b9c2c0680d0c273d95328a2eee0e6f";
        assert_eq!(
            base64_of_hex(hex),
            "MWE4OWZhODBjYmU3ZmE0YzU3MTJmN2IxNTQxOGM0YmIzM2I5YzJjMDY4MGQwYzI3M2Q5NTMyOGEyZWVlMGU2Zg=="
        );
    }
}
