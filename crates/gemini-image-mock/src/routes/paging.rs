//! The paging parameters of a list call (`models.list`, `files.list`, `batches.list`), read one
//! way for all.

use std::collections::HashMap;

use crate::error::ApiError;

/// `pageSize` (or `page_size`): `default` when absent or 0, at most `max`. A value that is not a
/// positive int32 is refused as Google's parser words a bad int32.
pub fn page_size(
    query: &HashMap<String, String>,
    default: usize,
    max: usize,
) -> Result<usize, ApiError> {
    let Some(text) = query.get("pageSize").or_else(|| query.get("page_size")) else {
        return Ok(default);
    };
    match text.parse::<i32>() {
        Ok(0) => Ok(default),
        Ok(size) if size > 0 => Ok(usize::try_from(size).unwrap_or(max).min(max)),
        _ => Err(ApiError::invalid_argument(format!(
            "Invalid value at 'page_size' (TYPE_INT32), \"{text}\""
        ))),
    }
}

/// `pageToken` (or `page_token`), when given and not empty.
pub fn page_token(query: &HashMap<String, String>) -> Option<&str> {
    query
        .get("pageToken")
        .or_else(|| query.get("page_token"))
        .map(String::as_str)
        .filter(|token| !token.is_empty())
}

/// The page token of a list ordered by sequence number (files, batches): the sequence of the
/// last item of the previous page, so that a page is never shifted by items deleted or added
/// meanwhile.
pub fn sequence_token(query: &HashMap<String, String>) -> Result<Option<u64>, ApiError> {
    page_token(query)
        .map(|token| {
            token.parse::<u64>().map_err(|_| {
                // Our wording: Google's answer to a token it did not issue is not known.
                ApiError::invalid_argument("Invalid page token.")
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn sizes_default_clamp_and_refuse() {
        assert_eq!(page_size(&query(&[]), 10, 100).ok(), Some(10));
        assert_eq!(
            page_size(&query(&[("pageSize", "0")]), 10, 100).ok(),
            Some(10)
        );
        assert_eq!(
            page_size(&query(&[("page_size", "7")]), 10, 100).ok(),
            Some(7)
        );
        assert_eq!(
            page_size(&query(&[("pageSize", "500")]), 10, 100).ok(),
            Some(100)
        );
        for bad in ["-1", "2147483648", "ten"] {
            assert!(
                page_size(&query(&[("pageSize", bad)]), 10, 100).is_err(),
                "{bad}"
            );
        }
        assert_eq!(page_token(&query(&[("page_token", "abc")])), Some("abc"));
        assert_eq!(page_token(&query(&[("pageToken", "")])), None);
    }
}
