//! Publishing: stored articles → files in `output_dir`, with the store's record of what this renderer (one
//! `output_dir`) wrote. That record is what makes deletions stick: a file the admin deletes is tombstoned,
//! not written again; `rebuild` moves only files recorded as ours; retention removes only those.
//!
//! Order on a new article: the row commits, a name is claimed (`writing`), the file is renamed into place,
//! the record says `written`. A process killed in between leaves `writing` (or no record), and start-up
//! writes the file then; a `written` file that is gone was deleted on purpose.
//! Synchronous: callers on the async runtime run these on blocking threads.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use tracing::{info, warn};
use url::Url;

use crate::canonical_url::canonicalize;
use crate::config::Settings;
use crate::output::images::{self, ImageMode, ImagePlaces};
use crate::output::{self, MANIFEST_NAME, ManifestEntry, OutputError, Page};
use crate::record::StoredArticle;
use crate::store::{FileState, Store, StoreError, WrittenFile};

/// Why publishing failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("{url}: no stored article has this URL")]
    NotStored { url: Url },
}

/// Articles read from the store at once when walking all of them: bounds the bodies held in memory.
const PAGE: u32 = 256;

/// Calls `each` on every article `page_after(last id seen)` returns, page by page, until a page is empty.
fn for_each_article(
    page_after: impl Fn(i64) -> Result<Vec<StoredArticle>, StoreError>,
    mut each: impl FnMut(StoredArticle) -> Result<(), PublishError>,
) -> Result<(), PublishError> {
    let mut after = 0;
    loop {
        let page = page_after(after)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.id;
        for article in page {
            each(article)?;
        }
    }
}

/// What a check of the files found and did ([`Publisher::reconcile`], [`Publisher::check_files`]).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconciled {
    /// Files written for articles that had none yet (killed between commit and rename).
    pub written: Vec<PathBuf>,
    /// Files the admin deleted since the last check; now tombstones.
    pub tombstoned: usize,
    /// Files removed by retention.
    pub expired: Vec<PathBuf>,
}

/// What `tidings rebuild` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rebuilt {
    /// Files re-rendered under the name they had.
    pub rewritten: usize,
    /// Files moved to a new name (old path, new path).
    pub moved: Vec<(PathBuf, PathBuf)>,
    /// Articles written for the first time.
    pub written: usize,
    /// Tombstoned articles left alone.
    pub tombstones: usize,
}

/// Where an article's file stands before a write ([`Publisher::claim`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// No file yet: it is to be written under this name.
    New(String),
    /// Written and in place under this name.
    InPlace(String),
    /// Nothing to write: a tombstone, or too old for retention.
    Settled,
}

/// One renderer: the output folder, its settings and the store.
pub struct Publisher<'a> {
    store: &'a Arc<dyn Store>,
    settings: &'a Settings,
    /// The record's key: the output folder's real path.
    renderer: String,
}

impl<'a> Publisher<'a> {
    /// The renderer of `settings.output_dir`, keyed by its absolute path (which exists or not: a folder that
    /// is missing now keeps its records for when it is back).
    pub fn new(store: &'a Arc<dyn Store>, settings: &'a Settings) -> Result<Self, PublishError> {
        let dir = &settings.output_dir;
        let renderer = std::path::absolute(dir).map_err(|source| OutputError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(Self {
            store,
            settings,
            renderer: renderer.to_string_lossy().into_owned(),
        })
    }

    fn dir(&self) -> &Path {
        &self.settings.output_dir
    }

    /// True when retention (`max_age_days`) says an article of `date` is too old to keep.
    fn is_expired(&self, date: NaiveDate) -> bool {
        self.settings
            .max_age_days
            .is_some_and(|days| Utc::now().date_naive() - date > chrono::TimeDelta::days(i64::from(days)))
    }

    /// Whether the file `name` is there. Only a look, so no `resolve`: its canonicalising walks every folder
    /// of the path, which was most of the cost of checking a feed's files on each poll.
    fn exists(&self, name: &str) -> bool {
        output::is_safe_relative(name) && self.dir().join(name).symlink_metadata().is_ok()
    }

    /// The paths among `records` that are there, by listing each folder they are in once. What cannot be
    /// listed is left out, as [`exists`](Self::exists) would find it missing.
    fn listed_files(&self, records: &[WrittenFile]) -> HashSet<String> {
        let folders: HashSet<&str> = records
            .iter()
            .filter(|record| output::is_safe_relative(&record.path))
            .map(|record| record.path.rsplit_once('/').map_or("", |(folder, _)| folder))
            .collect();
        let mut listed = HashSet::new();
        for folder in folders {
            let Ok(entries) = std::fs::read_dir(self.dir().join(folder)) else {
                continue;
            };
            for entry in entries.flatten() {
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                listed.insert(match folder {
                    "" => name,
                    folder => format!("{folder}/{name}"),
                });
            }
        }
        listed
    }

    /// This renderer's record of each article's file, by article id.
    pub fn files_by_article(&self) -> Result<HashMap<i64, WrittenFile>, PublishError> {
        Ok(self
            .store
            .written_files(&self.renderer, None)?
            .into_iter()
            .map(|record| (record.article_id, record))
            .collect())
    }

    /// A name a new file may take: nothing is there, and it is not the manifest's.
    fn is_free(&self, name: &str) -> bool {
        name != MANIFEST_NAME && !self.exists(name)
    }

    /// True when an image of `article` written as `name` has no copy on disk.
    fn lacks_copies(&self, article: &StoredArticle, name: &str) -> bool {
        images::article_image_urls(article.record.cover_image.as_ref(), &article.record.body)
            .iter()
            .any(|url| images::existing_copy(self.dir(), name, &self.settings.images_dir, url).is_none())
    }

    /// What the file of `article` shows when written as `name`: with `images = "download"`, its images point
    /// at the local copies that are on disk.
    fn page<'b>(&self, article: &'b StoredArticle, name: &str) -> Page<'b> {
        let mut page = Page {
            updated: article.updated,
            ..Page::of(&article.record)
        };
        if self.settings.images == ImageMode::Download {
            let places = ImagePlaces {
                output_dir: self.dir(),
                images_dir: &self.settings.images_dir,
                images_url: self.settings.images_url.as_deref(),
            };
            let (cover, body) = images::localized(
                places,
                name,
                article.record.cover_image.as_ref(),
                &article.record.body,
            );
            page.cover = cover.or(page.cover);
            page.body = body;
        }
        page
    }

    fn write(&self, article: &StoredArticle, name: &str) -> Result<PathBuf, PublishError> {
        // Written here without downloading (start-up, rebuild, forget): images still to copy make the
        // article pending, so its feed's next poll copies them (see pipeline::images).
        if self.settings.images == ImageMode::Download && self.lacks_copies(article, name) {
            self.store.record_pending_file(article, "images not copied yet")?;
        }
        let contents = output::render(
            self.settings.preset,
            &self.page(article, name),
            output::is_mdx(name),
        );
        Ok(output::write_atomically(self.dir(), name, contents.as_bytes())?)
    }

    fn name_for<'s>(&'s self, article: &'s StoredArticle) -> impl Fn(u32) -> String + 's {
        move |attempt| output::file_name(&self.settings.filename, &article.record, attempt)
    }

    /// Where `article` stands before a write: the name its new file gets (recorded as `Writing`), the name of
    /// the file already in place, or nothing to write (a tombstone, or retention would remove it at once when
    /// `keep_old` is false).
    pub fn claim(&self, article: &StoredArticle, keep_old: bool) -> Result<Claim, PublishError> {
        let claimed =
            self.store
                .claim_file(&self.renderer, article.id, &self.name_for(article), &|name| {
                    self.is_free(name)
                })?;
        match claimed.state {
            FileState::Writing if !keep_old && self.is_expired(article.record.date) => {
                self.store
                    .set_file(&self.renderer, article.id, &claimed.path, FileState::Expired)?;
                Ok(Claim::Settled)
            }
            FileState::Writing => Ok(Claim::New(claimed.path)),
            FileState::Written if self.exists(&claimed.path) => Ok(Claim::InPlace(claimed.path)),
            _ => Ok(Claim::Settled),
        }
    }

    /// Writes the file of `article` under `name` (from [`claim`](Self::claim)) and records it written.
    pub fn write_claimed(&self, article: &StoredArticle, name: &str) -> Result<PathBuf, PublishError> {
        let path = self.write(article, name)?;
        self.store
            .set_file(&self.renderer, article.id, name, FileState::Written)?;
        Ok(path)
    }

    /// Writes `article`'s file unless this renderer already did or tombstoned it (or retention would remove
    /// it at once, when `keep_old` is false). Returns the path written.
    pub fn publish(&self, article: &StoredArticle, keep_old: bool) -> Result<Option<PathBuf>, PublishError> {
        match self.claim(article, keep_old)? {
            Claim::New(name) => Ok(Some(self.write_claimed(article, &name)?)),
            Claim::InPlace(_) | Claim::Settled => Ok(None),
        }
    }

    /// Drops `article_id`'s pending-file record (its file and images are done).
    pub fn clear_pending(&self, article_id: i64) -> Result<(), StoreError> {
        self.store.clear_pending_file(article_id)
    }

    /// Rewrites the file of `article` (whose text changed, `on_update = "rewrite"`) in place under the name it
    /// has; writes it first if it has none yet. A tombstone or a file the admin deleted stays as it is.
    pub fn rewrite(&self, article: &StoredArticle) -> Result<Option<PathBuf>, PublishError> {
        let record = self
            .store
            .written_files(&self.renderer, Some(&article.record.feed))?
            .into_iter()
            .find(|record| record.article_id == article.id);
        match record {
            Some(record) if record.state == FileState::Written && self.exists(&record.path) => {
                Ok(Some(self.write(article, &record.path)?))
            }
            Some(record) if record.state != FileState::Writing => Ok(None),
            _ => self.publish(article, false),
        }
    }

    /// At start-up: removes the temporary files a killed process left, [checks the files](Self::check_files)
    /// (of `feed`, or of every feed) and writes those of articles committed but never written.
    pub fn reconcile(&self, feed: Option<&str>) -> Result<Reconciled, PublishError> {
        output::remove_stale_temp_files(self.dir());
        let mut done = self.check_files(feed)?;
        done.written = self
            .write_unwritten()?
            .into_iter()
            .map(|(_, path)| path)
            .collect();
        Ok(done)
    }

    /// Tombstones the files the admin deleted and applies retention (`max_age_days`), over the files this
    /// renderer wrote for `feed`, or for every feed.
    pub fn check_files(&self, feed: Option<&str>) -> Result<Reconciled, PublishError> {
        let mut done = Reconciled::default();
        // A missing (unmounted, blocked) output folder says nothing about single files: no tombstones then.
        if !self.dir().is_dir() {
            return Ok(done);
        }
        let records = self.store.written_files(&self.renderer, feed)?;
        // For every feed, one listing per folder costs less than a look at each file; for one feed's few
        // files, the looks cost less than listing folders that hold every feed's.
        let listed = feed.is_none().then(|| self.listed_files(&records));
        let exists = |path: &str| match &listed {
            Some(listed) => listed.contains(path),
            None => self.exists(path),
        };
        for record in &records {
            match record.state {
                FileState::Written if !exists(&record.path) => {
                    self.store.set_file(
                        &self.renderer,
                        record.article_id,
                        &record.path,
                        FileState::Deleted,
                    )?;
                    info!(feed = %record.feed, path = %record.path, "article file deleted by the admin; not written again (tidings forget URL undoes this)");
                    done.tombstoned += 1;
                }
                FileState::Written if self.is_expired(record.date) => {
                    images::remove_copies(self.dir(), &record.path)?;
                    output::remove_written(self.dir(), &record.path)?;
                    self.store.set_file(
                        &self.renderer,
                        record.article_id,
                        &record.path,
                        FileState::Expired,
                    )?;
                    done.expired.push(self.dir().join(&record.path));
                }
                _ => {}
            }
        }
        Ok(done)
    }

    /// Writes every complete article this renderer has neither written nor tombstoned, whoever stored it:
    /// those committed by a process killed before their file was in place, and, on a database shared by
    /// several instances, those the others fetched. Returns the feed and path of each file written.
    pub fn write_unwritten(&self) -> Result<Vec<(String, PathBuf)>, PublishError> {
        let mut written = Vec::new();
        let unwritten = |after| self.store.unwritten_articles(&self.renderer, after, PAGE);
        for_each_article(unwritten, |article| {
            match self.publish(&article, false) {
                Ok(Some(path)) => written.push((article.record.feed.clone(), path)),
                Ok(None) => {}
                Err(error) => {
                    warn!(feed = %article.record.feed, url = %article.record.canonical_url, error = %error, "cannot write article file")
                }
            }
            Ok(())
        })?;
        Ok(written)
    }

    /// Re-renders every stored article with the current preset and `filename`: files recorded as ours move to
    /// their new names (a name held by a file we did not write is skipped with `-2` …), tombstones stay.
    pub fn rebuild(&self) -> Result<Rebuilt, PublishError> {
        let mut done = Rebuilt::default();
        let records: std::collections::HashMap<i64, _> = self
            .store
            .written_files(&self.renderer, None)?
            .into_iter()
            .map(|record| (record.article_id, record))
            .collect();
        let every = |after| self.store.articles_after(after, PAGE);
        for_each_article(every, |article| {
            if article.record.body.is_empty() {
                return Ok(());
            }
            let Some(record) = records
                .get(&article.id)
                .filter(|record| record.state != FileState::Writing)
            else {
                if self.publish(&article, false)?.is_some() {
                    done.written += 1;
                }
                return Ok(());
            };
            if record.state.is_tombstone() {
                done.tombstones += 1;
                return Ok(());
            }
            if !self.exists(&record.path) {
                self.store
                    .set_file(&self.renderer, article.id, &record.path, FileState::Deleted)?;
                done.tombstones += 1;
                return Ok(());
            }
            let old = record.path.as_str();
            let name =
                self.store
                    .free_file_name(&self.renderer, article.id, &self.name_for(&article), &|name| {
                        name == old || self.is_free(name)
                    })?;
            if name != old {
                images::move_copies(self.dir(), old, &name, &self.settings.images_dir)?;
            }
            let path = self.write(&article, &name)?;
            if name == old {
                done.rewritten += 1;
                return Ok(());
            }
            self.store
                .set_file(&self.renderer, article.id, &name, FileState::Written)?;
            output::remove_written(self.dir(), old)?;
            done.moved.push((self.dir().join(old), path));
            Ok(())
        })?;
        self.refresh_manifest()?;
        Ok(done)
    }

    /// With `manifest = true`, rewrites `index.json` (atomically) to list every file this renderer wrote that
    /// is in place, with its front matter; returns its path. Nothing otherwise.
    pub fn refresh_manifest(&self) -> Result<Option<PathBuf>, PublishError> {
        if !self.settings.manifest {
            return Ok(None);
        }
        let records = self.store.written_files(&self.renderer, None)?;
        let listed = self.listed_files(&records);
        let written: HashMap<i64, String> = records
            .into_iter()
            .filter(|record| record.state == FileState::Written && listed.contains(&record.path))
            .map(|record| (record.article_id, record.path))
            .collect();
        let mut files = Vec::with_capacity(written.len());
        let every = |after| self.store.articles_after(after, PAGE);
        for_each_article(every, |article| {
            if let Some(path) = written.get(&article.id) {
                files.push(ManifestEntry {
                    path: path.clone(),
                    front_matter: output::front_matter(self.settings.preset, &self.page(&article, path))
                        .to_json(),
                });
            }
            Ok(())
        })?;
        let text = output::render_manifest(self.settings.preset, files);
        Ok(Some(output::write_atomically(
            self.dir(),
            MANIFEST_NAME,
            text.as_bytes(),
        )?))
    }

    /// Lifts the tombstone of the article stored under `url` and writes its file again (retention included).
    pub fn forget(&self, url: &Url) -> Result<Option<PathBuf>, PublishError> {
        let canonical = canonicalize(url);
        let article = self
            .store
            .article_by_url(&canonical)?
            .ok_or_else(|| PublishError::NotStored { url: url.clone() })?;
        let current =
            self.store
                .claim_file(&self.renderer, article.id, &self.name_for(&article), &|name| {
                    self.is_free(name)
                })?;
        if current.state.is_tombstone() {
            self.store.forget_file(&self.renderer, article.id)?;
        }
        let written = self.publish(&article, true)?;
        self.refresh_manifest()?;
        Ok(written)
    }
}
