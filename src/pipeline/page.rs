//! An item's page: fetched through the feed's SSRF-guarded [`ContentFetcher`], checked to be a web page,
//! and extracted on a blocking thread with the extraction marked in progress in the store meanwhile.

use std::sync::Arc;

use tracing::warn;
use url::Url;

use super::Pipeline;
use crate::extract::{self, Article, ExtractOptions};
use crate::fetch::{ContentFetcher, FetchError, FetchOutcome};

/// Why an item's page gave no article.
pub(super) enum PageFailure {
    /// The link (or a redirect) leads to an internal address: never connected to, not retried.
    Refused(String),
    /// HTTP error, timeout, not a web page, extraction failed: the feed's own full content may stand in.
    Unavailable(String),
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
        let response = {
            let _slot = self.in_flight.acquire().await;
            content.get(url).await.map_err(|error| match error {
                FetchError::Refused { .. } => PageFailure::Refused(error.to_string()),
                _ => PageFailure::Unavailable(error.to_string()),
            })?
        };
        let FetchOutcome::Fetched(response) = response else {
            return Err(PageFailure::Unavailable(format!(
                "{url}: unexpected 304 for an unconditional request"
            )));
        };
        if let Some(content_type) = &response.content_type {
            let essence = content_type
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if !(essence.is_empty() || essence.contains("html") || essence.starts_with("text/")) {
                return Err(PageFailure::Unavailable(format!(
                    "{}: not a web page ({essence})",
                    response.final_url
                )));
            }
        }
        let options = Arc::clone(options);
        let final_url = response.final_url.clone();
        let (store, feed, item_url) = (Arc::clone(&self.store), feed.to_string(), item_url.clone());
        let _cpu = self.extracting.acquire().await;
        let article = tokio::task::spawn_blocking(move || {
            // Marked in the extracting thread itself, so only a dead process leaves the mark behind.
            if let Err(error) = store.begin_extraction(&feed, &item_url) {
                warn!(feed = %feed, url = %item_url, error = %error, "cannot mark the extraction as in progress");
            }
            let decoded = crate::charset::decode(&response.body, response.content_type.as_deref());
            let article = extract::extract(&decoded.text, &response.final_url, &options);
            if let Err(error) = store.end_extraction(&item_url) {
                warn!(feed = %feed, url = %item_url, error = %error, "cannot clear the extraction mark");
            }
            article
        })
        .await
        .map_err(|error| PageFailure::Unavailable(format!("{url}: extraction failed: {error}")))?;
        Ok((article, final_url))
    }
}
