//! An item's page: read by the [`PageReader`](super::PageReader) (through the feed's SSRF-guarded
//! [`ContentFetcher`], under the site's rules), with the extraction marked in progress in the store meanwhile.

use std::sync::Arc;

use tracing::{info, warn};
use url::Url;

use super::Pipeline;
use super::site_pages::Extraction;
use crate::extract::{Article, ExtractOptions};
use crate::fetch::{ContentFetcher, FetchError};

/// Why an item's page gave no article.
#[derive(Debug)]
pub enum PageFailure {
    /// The link (or a redirect) leads to an internal address: never connected to, not retried.
    Refused(String),
    /// This process ran out of file descriptors: the item is retried next poll, never downgraded to the
    /// feed's teaser.
    Exhausted(String),
    /// HTTP error, timeout, not a web page, extraction failed: the feed's own full content may stand in.
    Unavailable(String),
}

impl std::fmt::Display for PageFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageFailure::Refused(reason)
            | PageFailure::Exhausted(reason)
            | PageFailure::Unavailable(reason) => f.write_str(reason),
        }
    }
}

impl From<FetchError> for PageFailure {
    fn from(error: FetchError) -> Self {
        match error {
            FetchError::Refused { .. } => PageFailure::Refused(error.to_string()),
            FetchError::OutOfDescriptors { .. } => PageFailure::Exhausted(error.to_string()),
            _ => PageFailure::Unavailable(error.to_string()),
        }
    }
}

impl Pipeline {
    /// Fetches and extracts the page at `url`, the link of the item known as `item_url` in `feed`.
    pub(super) async fn fetch_page(
        &self,
        content: &ContentFetcher,
        feed: &str,
        item_url: &Url,
        url: &Url,
        options: &Arc<ExtractOptions>,
    ) -> Result<(Article, Url), PageFailure> {
        let (store, feed_name, marked) = (Arc::clone(&self.store), feed.to_string(), item_url.clone());
        let mark = move |stage: Extraction| {
            // Called in the extracting thread itself, so only a dead process leaves the mark behind.
            let result = match stage {
                Extraction::Started => store.begin_extraction(&feed_name, &marked),
                Extraction::Finished => store.end_extraction(&marked),
            };
            if let Err(error) = result {
                warn!(feed = %feed_name, url = %marked, error = %error, "cannot record the extraction mark");
            }
        };
        let page = self.pages.read(content, url, options, mark).await?;
        if page.native_ad {
            info!(feed = %feed, url = %page.final_url, "sponsored content (native_ad_clue)");
        }
        let (article, final_url) = (page.article, page.final_url);
        Ok((article, final_url))
    }
}
