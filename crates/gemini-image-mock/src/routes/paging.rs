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
fn sequence_token(query: &HashMap<String, String>) -> Result<Option<u64>, ApiError> {
    page_token(query)
        .map(|token| {
            token.parse::<u64>().map_err(|_| {
                // Our wording: Google's answer to a token it did not issue is not known.
                ApiError::invalid_argument("Invalid page token.")
            })
        })
        .transpose()
}

/// One page of `items` (newest first, each with its increasing `sequence`) as `query` asks for
/// it: the items after the page token, at most the page size (`default` when not given, at
/// most `max`), and the token of the next page when there is one.
pub fn sequence_page<T>(
    query: &HashMap<String, String>,
    default: usize,
    max: usize,
    items: Vec<T>,
    sequence: impl Fn(&T) -> u64,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let page_size = page_size(query, default, max)?;
    let after = sequence_token(query)?;
    let mut items = items
        .into_iter()
        .filter(|item| after.is_none_or(|after| sequence(item) < after));
    let page: Vec<T> = items.by_ref().take(page_size).collect();
    let next_page_token = match items.next() {
        Some(_) => page.last().map(|item| sequence(item).to_string()),
        None => None,
    };
    Ok((page, next_page_token))
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
