//! `images = "download"`: copies of an article's cover and in-article images, fetched through the feed's
//! guarded content fetcher (SSRF rules, per-host politeness, the page size cap), kept only when the response
//! says it is a raster image and its bytes agree. A failed image keeps its remote URL; the article is recorded
//! as pending and the image is tried again on the feed's next polls, never holding the article back; one that
//! can never be copied (an internal address, too large, not a raster image) is logged and left remote.

use tracing::warn;
use url::Url;

use super::Pipeline;
use crate::config::FeedConfig;
use crate::fetch::{ContentFetcher, FetchError, FetchOutcome};
use crate::output::images::{
    article_image_urls, existing_copy, image_extension, image_file_name, image_folder, join,
    sniffed_extension,
};
use crate::record::StoredArticle;

/// What copying an article's images did.
#[derive(Debug, Default)]
pub(super) struct Copied {
    /// Copies made now.
    pub new: usize,
    /// Images that could not be copied, with why.
    pub failed: Vec<(Url, String)>,
}

impl Pipeline {
    /// Copies the images of `stored` (of `feed`, written as `name`) that have no copy on disk yet.
    pub(super) async fn copy_images(&self, feed: &FeedConfig, stored: &StoredArticle, name: &str) -> Copied {
        let settings = &self.settings;
        let mut urls = article_image_urls(stored.record.cover_image.as_ref(), &stored.record.body);
        let dir = settings.output_dir.clone();
        urls.retain(|url| existing_copy(&dir, name, &settings.images_dir, url).is_none());
        let mut copied = Copied::default();
        if urls.is_empty() {
            return copied;
        }
        let content = match self
            .fetcher
            .for_content_of(&feed.url, feed.private_addresses_allowed(settings))
            .await
        {
            Ok(content) => content,
            Err(error) => {
                copied.failed = urls.into_iter().map(|url| (url, error.to_string())).collect();
                return copied;
            }
        };
        let folder = image_folder(name, &settings.images_dir);
        for url in urls {
            let saved = match self.fetch_image(&content, &url).await {
                Ok((bytes, extension)) => {
                    let (dir, file) = (dir.clone(), join(&folder, &image_file_name(&url, extension)));
                    tokio::task::spawn_blocking(move || crate::output::write_atomically(&dir, &file, &bytes))
                        .await
                        .map_err(|error| error.to_string())
                        .and_then(|written| written.map(drop).map_err(|error| error.to_string()))
                        .map_err(Failure::Retry)
                }
                Err(failure) => Err(failure),
            };
            match saved {
                Ok(()) => copied.new += 1,
                Err(Failure::Retry(reason)) => {
                    warn!(feed = %feed.name, url = %url, article = %stored.record.canonical_url, error = %reason, "image not copied; the remote URL stays until a later poll copies it");
                    copied.failed.push((url, reason));
                }
                Err(Failure::Never(reason)) => {
                    warn!(feed = %feed.name, url = %url, article = %stored.record.canonical_url, error = %reason, "image never copied; the remote URL stays");
                }
            }
        }
        copied
    }

    /// The bytes of the image at `url` and their extension, under the same politeness and global bound as
    /// pages.
    async fn fetch_image(
        &self,
        content: &ContentFetcher,
        url: &Url,
    ) -> Result<(Vec<u8>, &'static str), Failure> {
        let turn = content.turn(url).await.map_err(Failure::of)?;
        let _slot = self.in_flight.enter().await;
        let response = match content.get_in_turn(turn, url, &[]).await {
            Ok(FetchOutcome::Fetched(response)) => response,
            Ok(FetchOutcome::NotModified { .. }) => {
                return Err(Failure::Retry("unexpected 304 Not Modified".into()));
            }
            Err(error) => return Err(Failure::of(error)),
        };
        let declared = response.content_type.as_deref().unwrap_or("none");
        let extension = image_extension(declared)
            .ok_or_else(|| Failure::Never(format!("not an image kept (content type {declared})")))?;
        if sniffed_extension(&response.body) != Some(extension) {
            return Err(Failure::Never(format!(
                "the bytes are not the {declared} the server declared"
            )));
        }
        Ok((response.body, extension))
    }
}

/// Why an image was not copied, and whether a later poll should try again.
enum Failure {
    /// Maybe later: not found yet, a timeout, a server error, a full disk.
    Retry(String),
    /// Not worth another request: an internal address, too large, not a raster image.
    Never(String),
}

impl Failure {
    fn of(error: FetchError) -> Self {
        match error {
            FetchError::Refused { .. } | FetchError::TooLarge { .. } => Failure::Never(error.to_string()),
            // A client error says the request itself is refused (410 Gone, 403), except those that mean
            // "not yet" or "not now": 404 (an image published after its article), 408, 425, 429.
            FetchError::Status { status, .. }
                if (400..500).contains(&status) && !matches!(status, 404 | 408 | 425 | 429) =>
            {
                Failure::Never(error.to_string())
            }
            _ => Failure::Retry(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> FetchError {
        FetchError::Status {
            url: Url::parse("https://cdn.example/a.png").expect("url"),
            status,
            retry_after: None,
        }
    }

    #[test]
    fn gone_and_forbidden_images_are_not_retried_missing_and_busy_ones_are() {
        for never in [403, 410, 451] {
            assert!(matches!(Failure::of(status(never)), Failure::Never(_)), "{never}");
        }
        for retry in [404, 408, 429, 500, 503] {
            assert!(matches!(Failure::of(status(retry)), Failure::Retry(_)), "{retry}");
        }
    }
}
