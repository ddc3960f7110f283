//! Google's paged lists (`pageSize`, `pageToken`, `nextPageToken`) as one `Stream` of items:
//! the next page is asked for when the items of the one before have been read. Models, files
//! and batches are listed through it.

use std::future::Future;

use futures_core::Stream;

use crate::error::Error;

/// One page: its items and the token of the next (absent or empty on the last).
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next: Option<String>,
}

/// `page_size` as the generated client takes it (`i32`; a larger request is the maximum).
pub(crate) fn page_size(page_size: Option<u32>) -> Option<i32> {
    page_size.map(|n| i32::try_from(n).unwrap_or(i32::MAX))
}

/// Every item of every page; `fetch(client, token)` asks for the page after `token` (`None`:
/// the first). The stream ends after the first error. (`client` is generic so that this module
/// does not import the client, which lists through it.)
pub(crate) fn items<C, T, F, Fut>(
    client: &C,
    fetch: F,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    C: Clone + Send + 'static,
    T: Send + 'static,
    F: Fn(C, Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>, Error>> + Send,
{
    struct Paging<C, T, F> {
        client: C,
        fetch: F,
        next: Option<String>,
        buffered: std::vec::IntoIter<T>,
        done: bool,
    }
    let state = Paging {
        client: client.clone(),
        fetch,
        next: None,
        buffered: Vec::new().into_iter(),
        done: false,
    };
    futures_util::stream::try_unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.buffered.next() {
                return Ok(Some((item, state)));
            }
            if state.done {
                return Ok(None);
            }
            let page = (state.fetch)(state.client.clone(), state.next.take()).await?;
            state.next = page.next.filter(|t| !t.is_empty());
            state.done = state.next.is_none();
            state.buffered = page.items.into_iter();
        }
    })
}
