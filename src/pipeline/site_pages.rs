//! Article pages under their site's rules (issue 13). Every request to a site with a rule file carries its
//! `http_header`s; a `single_page_link` replaces the page with its print/single-page view; `next_page_link`
//! pages are fetched and appended (at most [`MAX_PAGES`] pages, each URL once, same site only). Every page
//! goes through the feed's SSRF-guarded [`ContentFetcher`], so politeness, size caps and the address guard
//! apply as to any page.
//! Pages of sites without rules take the plain path: one fetch, one [`extract::extract`].

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use tracing::{debug, info, warn};
use url::Url;

use super::flow::{PageQueue, PageSlot, Slots};
use super::page::PageFailure;
use crate::extract::{self, Article, ExtractError, ExtractOptions};
use crate::fetch::{ContentFetcher, FetchOutcome};
use crate::metrics::Metrics;
use crate::site_rules::{RuleBook, SiteRules, same_site};
use crate::status::without_url;

/// Pages of one multi-page article, the first included; a site whose "next" link never ends stops here.
pub const MAX_PAGES: usize = 10;

/// Where one page's extraction is, for callers that record it (the pipeline marks extractions in progress).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extraction {
    Started,
    Finished,
}

/// An article read from one or more pages.
#[derive(Debug, Clone)]
pub struct ArticlePage {
    pub article: Article,
    /// The first page's URL after redirects (the single-page view's, when one replaced it).
    pub final_url: Url,
    /// The rule file that applied, if any.
    pub rules: Option<PathBuf>,
    /// Every page read, in order.
    pub pages: Vec<Url>,
    /// One line per directive that applied, for `tidings extract --explain`.
    pub explain: Vec<String>,
    /// A `native_ad_clue` matched.
    pub native_ad: bool,
}

/// Fetches article pages and extracts them under the site rules.
#[derive(Clone)]
pub struct PageReader {
    in_flight: Slots,
    extracting: Slots,
    /// Pages between download and the end of their extraction, bounded by bytes (flow control).
    queue: PageQueue,
    rules: Arc<RuleBook>,
    metrics: Arc<Metrics>,
}

/// One page extracted under rules: the article, and the links the rules found.
struct PageOutcome {
    article: Option<Article>,
    single_page: Option<(Url, usize)>,
    next_page: Option<(Url, usize)>,
    explain: Vec<String>,
    native_ad: bool,
    body_required: bool,
}

impl PageReader {
    /// `in_flight` bounds requests, `extracting` bounds CPU-bound extractions; failed extractions and the
    /// page queue are counted in `metrics`.
    pub fn new(in_flight: Slots, extracting: Slots, rules: Arc<RuleBook>, metrics: &Arc<Metrics>) -> Self {
        Self {
            in_flight,
            extracting,
            queue: PageQueue::new(metrics),
            rules,
            metrics: Arc::clone(metrics),
        }
    }

    /// The same reader (its request, extraction and page-queue bounds shared) under another rule book.
    pub fn with_rules(&self, rules: Arc<RuleBook>) -> Self {
        Self {
            rules,
            ..self.clone()
        }
    }

    /// The rule book pages are read under.
    pub fn rules(&self) -> &RuleBook {
        &self.rules
    }

    /// Fetches `url` through `content` and extracts its article, following the site's single-page and
    /// next-page rules. `mark` is called in the extracting thread around each page's extraction.
    pub async fn read<M>(
        &self,
        content: &ContentFetcher,
        url: &Url,
        options: &Arc<ExtractOptions>,
        mark: M,
    ) -> Result<ArticlePage, PageFailure>
    where
        M: Fn(Extraction) + Send + Sync + Clone + 'static,
    {
        let rules = self.rules.for_url(url);
        let (mut final_url, html, queued) = self.fetch(content, url, rules.as_deref()).await?;
        let Some(rules) = rules else {
            let (page_url, options) = (final_url.clone(), Arc::clone(options));
            let article = self
                .extract_blocking(&final_url, mark, move || {
                    extract::extract(&html, &page_url, &options)
                })
                .await?;
            drop(queued);
            return Ok(ArticlePage {
                article,
                pages: vec![final_url.clone()],
                final_url,
                rules: None,
                explain: Vec::new(),
                native_ad: false,
            });
        };
        let mut explain = vec![format!("rules: {}", rules.path.display())];
        let mut visited: HashSet<Url> = [url.clone(), final_url.clone()].into();
        let mut outcome = self
            .extract_with(&rules, html, &final_url, options, true, mark.clone())
            .await?;
        drop(queued);
        if let Some((single, line)) = outcome.single_page.take() {
            explain.push(format!("single_page_link (line {line}): {single}"));
            let (single_final, html, queued) = self.fetch(content, &single, Some(&rules)).await?;
            visited.extend([single, single_final.clone()]);
            final_url = single_final;
            outcome = self
                .extract_with(&rules, html, &final_url, options, false, mark.clone())
                .await?;
            drop(queued);
        }
        explain.append(&mut outcome.explain);
        if outcome.body_required {
            return Err(body_required(&final_url, &rules));
        }
        let native_ad = outcome.native_ad;
        let mut article = outcome.article.unwrap_or_default();
        let mut pages = vec![final_url.clone()];
        let mut next = outcome.next_page.take();
        while let Some((link, line)) = next.take() {
            if pages.len() >= MAX_PAGES {
                info!(url = %final_url, pages = pages.len(), "next_page_link: page limit reached");
                break;
            }
            if !same_site(&link, &final_url) || visited.contains(&link) {
                debug!(url = %link, "next_page_link: other site or already read; not followed");
                break;
            }
            visited.insert(link.clone());
            let (page_url, html, queued) = match self.fetch(content, &link, Some(&rules)).await {
                Ok(page) => page,
                // Out of descriptors is this process's condition, not the page's: retry the whole item rather
                // than store it without its later pages.
                Err(error @ PageFailure::Exhausted(_)) => return Err(error),
                Err(error) => {
                    warn!(url = %link, error = %without_url(&link, &error.to_string()), "next page unavailable; article kept without it");
                    break;
                }
            };
            visited.insert(page_url.clone());
            let mut following = self
                .extract_with(&rules, html, &page_url, options, false, mark.clone())
                .await?;
            drop(queued);
            explain.push(format!("next_page_link (line {line}): {page_url}"));
            if let Some(page) = following.article.take() {
                append(&mut article, page);
            }
            pages.push(page_url);
            next = following.next_page.take();
        }
        Ok(ArticlePage {
            article,
            final_url,
            rules: Some(rules.path.clone()),
            pages,
            explain,
            native_ad,
        })
    }

    /// One GET with the site's headers; the page decoded to text with its final URL, and its place in the
    /// page queue, to hold until its extraction ends. Waits in flow order, each wait holding only what came
    /// before: the host's turn (politeness), room in the page queue (memory), a request slot (concurrency).
    /// So a page is downloaded only when it can be extracted soon, and never waits in memory unaccounted.
    async fn fetch(
        &self,
        content: &ContentFetcher,
        url: &Url,
        rules: Option<&SiteRules>,
    ) -> Result<(Url, String, PageSlot), PageFailure> {
        let headers = rules.map_or(&[][..], |rules| &rules.http_headers[..]);
        let turn = content.turn(url).await.map_err(PageFailure::from)?;
        let mut queued = self.queue.reserve().await;
        let response = {
            let _slot = self.in_flight.enter().await;
            content
                .get_in_turn(turn, url, headers)
                .await
                .map_err(PageFailure::from)?
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
        queued.charge(response.body.len()).await;
        let decoded = crate::charset::decode(&response.body, response.content_type.as_deref());
        Ok((response.final_url, decoded.text, queued))
    }

    async fn extract_with<M>(
        &self,
        rules: &Arc<SiteRules>,
        html: String,
        url: &Url,
        options: &Arc<ExtractOptions>,
        want_single_page: bool,
        mark: M,
    ) -> Result<PageOutcome, PageFailure>
    where
        M: Fn(Extraction) + Send + Sync + 'static,
    {
        let (rules, url, options) = (Arc::clone(rules), url.clone(), Arc::clone(options));
        let page_url = url.clone();
        self.extract_blocking(&page_url, mark, move || {
            extract_page(&rules, &html, &url, &options, want_single_page)
        })
        .await
    }

    async fn extract_blocking<T, M>(
        &self,
        url: &Url,
        mark: M,
        work: impl FnOnce() -> Result<T, ExtractError> + Send + 'static,
    ) -> Result<T, PageFailure>
    where
        T: Send + 'static,
        M: Fn(Extraction) + Send + Sync + 'static,
    {
        let _cpu = self.extracting.enter().await;
        let finished = tokio::task::spawn_blocking(move || {
            // Marked in the extracting thread itself, so only a dead process leaves the mark behind.
            mark(Extraction::Started);
            let result = work();
            mark(Extraction::Finished);
            result
        })
        .await;
        let failure = match finished {
            Ok(Ok(extracted)) => return Ok(extracted),
            Ok(Err(error)) => format!("{url}: extraction stopped: {error}"),
            Err(error) => format!("{url}: extraction failed: {error}"),
        };
        self.metrics.extraction_failed();
        Err(PageFailure::Unavailable(failure))
    }
}

/// Extracts one page under `rules` (CPU-bound; no I/O). With `want_single_page`, a single-page link that
/// leads elsewhere on the site is returned instead of an article.
fn extract_page(
    rules: &SiteRules,
    html: &str,
    url: &Url,
    options: &ExtractOptions,
    want_single_page: bool,
) -> Result<PageOutcome, ExtractError> {
    let html = rules.rewrite(html);
    let mut document = extract::parse_document(&html, &options.budget)?;
    let single_page = rules
        .single_page_url(&document, url)
        .filter(|(link, _)| want_single_page && link != url && same_site(link, url));
    if single_page.is_some() {
        return Ok(PageOutcome {
            article: None,
            single_page,
            next_page: None,
            explain: Vec::new(),
            native_ad: false,
            body_required: false,
        });
    }
    // Read before stripping: a strip rule may well remove the pager.
    let next_page = rules.next_page_url(&document, url);
    let applied = rules.apply(&mut document);
    let options = ExtractOptions {
        body_nodes: applied.body,
        keep_body_whole: rules.prune == Some(false),
        title: applied.title,
        author: applied.author,
        date: applied.date,
        ..options.clone()
    };
    Ok(PageOutcome {
        article: Some(extract::extract_document(&document, url, &options)?),
        single_page: None,
        next_page,
        explain: applied.explain,
        native_ad: applied.native_ad,
        body_required: applied.body_required,
    })
}

/// Extracts an HTML file's article under the rules for `url` (no pages are fetched), for `tidings extract`.
/// Fails only as a page would: no body rule selected anything and the file says `autodetect_on_failure: no`.
pub fn extract_file(
    book: &RuleBook,
    html: &str,
    url: &Url,
    options: &ExtractOptions,
) -> Result<(Article, Vec<String>), PageFailure> {
    let stopped =
        |error: ExtractError| PageFailure::Unavailable(format!("{url}: extraction stopped: {error}"));
    let Some(rules) = book.for_url(url) else {
        return Ok((extract::extract(html, url, options).map_err(stopped)?, Vec::new()));
    };
    let outcome = extract_page(&rules, html, url, options, false).map_err(stopped)?;
    if outcome.body_required {
        return Err(body_required(url, &rules));
    }
    let mut explain = vec![format!("rules: {}", rules.path.display())];
    explain.extend(outcome.explain);
    Ok((outcome.article.unwrap_or_default(), explain))
}

fn body_required(url: &Url, rules: &SiteRules) -> PageFailure {
    PageFailure::Unavailable(format!(
        "{url}: no body rule of {} selected anything and it says autodetect_on_failure: no",
        rules.path.display()
    ))
}

/// A following page's body appended to the article (its metadata is the first page's).
fn append(article: &mut Article, page: Article) {
    for (whole, part) in [
        (&mut article.markdown, page.markdown),
        (&mut article.text, page.text),
    ] {
        if part.trim().is_empty() {
            continue;
        }
        whole.truncate(whole.trim_end().len());
        if !whole.is_empty() {
            whole.push_str("\n\n");
        }
        whole.push_str(&part);
    }
}
