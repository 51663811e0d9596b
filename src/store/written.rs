//! The record of what each renderer wrote: per output folder, which file holds which article, and which
//! articles must never be written again (tombstones). Files are only ever moved or removed if recorded here.

use chrono::NaiveDate;

use super::StoreError;
use crate::record::StoredArticle;

/// Where an article stands for one renderer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    /// The name is chosen; the file may not be in place yet (the process can die between the two).
    Writing,
    Written,
    /// The admin deleted the file: a tombstone, lifted only by `tidings forget`.
    Deleted,
    /// Retention (`max_age_days`) removed the file: a tombstone too.
    Expired,
}

impl FileState {
    pub fn as_str(self) -> &'static str {
        match self {
            FileState::Writing => "writing",
            FileState::Written => "written",
            FileState::Deleted => "deleted",
            FileState::Expired => "expired",
        }
    }

    /// Reads a stored word; unknown words read as `Writing`, which only ever leads to a (re)write.
    pub fn parse(text: &str) -> Self {
        match text {
            "written" => FileState::Written,
            "deleted" => FileState::Deleted,
            "expired" => FileState::Expired,
            _ => FileState::Writing,
        }
    }

    /// A tombstone: the article is never written again by this renderer.
    pub fn is_tombstone(self) -> bool {
        matches!(self, FileState::Deleted | FileState::Expired)
    }
}

/// One renderer's record of one article.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenFile {
    pub article_id: i64,
    /// Relative to the renderer's output folder.
    pub path: String,
    pub state: FileState,
    /// The article's feed and front-matter date (for per-feed checks and retention).
    pub feed: String,
    pub date: NaiveDate,
}

/// The written-files record; `renderer` names one output folder.
pub trait WrittenFiles {
    /// `renderer`'s records, oldest article first; only those of `feed` when given.
    fn written_files(&self, renderer: &str, feed: Option<&str>) -> Result<Vec<WrittenFile>, StoreError>;

    /// `renderer`'s record of article `article_id`; without one, records the first name of `name_for(1)`,
    /// `name_for(2)` … that no other article of `renderer` holds and `is_free` accepts, as `Writing`.
    fn claim_file(
        &self,
        renderer: &str,
        article_id: i64,
        name_for: &dyn Fn(u32) -> String,
        is_free: &dyn Fn(&str) -> bool,
    ) -> Result<WrittenFile, StoreError>;

    /// The first name of `name_for(1)`, `name_for(2)` … that no other article of `renderer` holds and
    /// `is_free` accepts (a new name for a rebuild; records nothing).
    fn free_file_name(
        &self,
        renderer: &str,
        article_id: i64,
        name_for: &dyn Fn(u32) -> String,
        is_free: &dyn Fn(&str) -> bool,
    ) -> Result<String, StoreError>;

    /// Records article `article_id` at `path` in `state` for `renderer`.
    fn set_file(
        &self,
        renderer: &str,
        article_id: i64,
        path: &str,
        state: FileState,
    ) -> Result<(), StoreError>;

    /// Up to `limit` articles with ids above `after_id`, in id order, that `renderer` has not settled: no
    /// record, or a name claimed but the file never confirmed (`Writing`). Articles whose extraction has not
    /// finished (empty body) are left out. Only these bodies are read at start-up, not every stored one.
    fn unwritten_articles(
        &self,
        renderer: &str,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<StoredArticle>, StoreError>;

    /// Drops `renderer`'s record of article `article_id`, lifting a tombstone; `false` if there was none.
    fn forget_file(&self, renderer: &str, article_id: i64) -> Result<bool, StoreError>;
}
