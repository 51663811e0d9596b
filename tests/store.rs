//! The store contract, run on both backends: every test body takes a `Backend` and runs once on a SQLite
//! file and once on a fresh PostgreSQL database (skipped with a SKIPPED line when no server answers; see
//! tests/support/postgres.rs). What only a shared database does (leases held by other instances, races
//! between instances, per-instance records) is tested on PostgreSQL below the shared contract.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use tidings::record::{ArticleRecord, Origin, StoredArticle};
use tidings::store::{
    self, ArticleQuery, Database, FeedState, FileState, Lease, PollRecord, SavedState, Store, StoreError,
};
use url::Url;

use crate::support::postgres::TestDatabase;

/// Where one run of a contract test keeps its database.
enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres(TestDatabase),
}

impl Backend {
    fn database(&self) -> Database {
        match self {
            Backend::Sqlite(dir) => Database::Sqlite(dir.path().join("tidings.db")),
            Backend::Postgres(database) => Database::Postgres(database.url().to_string()),
        }
    }

    /// The store as instance `instance` sees it.
    fn open(&self, instance: &str) -> Arc<dyn Store> {
        store::open(&self.database(), instance).expect("open the store")
    }
}

/// Runs `contract` on SQLite and on PostgreSQL (when a server answers), each in a test of its own.
macro_rules! on_both_backends {
    ($($contract:ident),* $(,)?) => {$(
        mod $contract {
            #[test]
            fn sqlite() {
                super::$contract(super::Backend::Sqlite(tempfile::tempdir().expect("tempdir")));
            }

            #[test]
            fn postgres() {
                let test = concat!("store::", stringify!($contract), "::postgres");
                if let Some(database) = crate::support::postgres::TestDatabase::create(test) {
                    super::$contract(super::Backend::Postgres(database));
                }
            }
        }
    )*};
}

on_both_backends!(
    feed_state_round_trips,
    feed_states_saved_together_read_back_one_by_one,
    a_failed_poll_keeps_the_last_success,
    articles_dedup_by_canonical_url_and_alias,
    file_names_stay_unique,
    item_failures_count_attempts_and_are_forgotten,
    interrupted_extractions_are_given_up_once,
    filtered_items_are_remembered,
    pending_files_come_back_until_cleared,
    written_files_and_tombstones_per_renderer,
    feed_statuses_count_per_feed,
    article_summaries_filter_and_search,
    articles_read_back_whole_and_in_pages,
    item_updates_rewrite_the_record_in_place,
    migrations_apply_once,
);

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("time")
        .with_timezone(&Utc)
}

fn url(text: &str) -> Url {
    Url::parse(text).expect("url")
}

fn record(link: &str, feed: &str, title: &str, body: &str) -> ArticleRecord {
    ArticleRecord {
        canonical_url: url(link),
        feed: feed.into(),
        title: title.into(),
        date: NaiveDate::from_ymd_opt(2025, 3, 1).expect("date"),
        published: Some(
            FixedOffset::east_opt(5 * 3600 + 1800)
                .expect("offset")
                .with_ymd_and_hms(2025, 3, 1, 9, 30, 0)
                .single()
                .expect("time"),
        ),
        excerpt: "An excerpt.".into(),
        cover_image: Some(url("https://news.example/cover.jpg")),
        author: Some("Ann Writer".into()),
        tags: vec!["rust".into(), "Databases".into()],
        category: Some("tech".into()),
        language: Some("en".into()),
        body: body.into(),
        origin: Origin::Page,
    }
}

/// Stores `record` named `<slug>.md`, `<slug>-2.md` …
fn insert(store: &dyn Store, record: &ArticleRecord, aliases: &[Url]) -> Option<StoredArticle> {
    let slug = record.title.to_lowercase().replace(' ', "-");
    store
        .insert_article(record, aliases, &|attempt| match attempt {
            1 => format!("{slug}.md"),
            n => format!("{slug}-{n}.md"),
        })
        .expect("insert")
}

/// Items of feed `news` still to be retried with `max_attempts`, as a poll reads them.
fn retryable(store: &dyn Store, max_attempts: u32) -> u32 {
    store
        .poll_record("news", max_attempts)
        .expect("poll record")
        .retryable_failures
}

fn feed_state_round_trips(backend: Backend) {
    let store = backend.open("a");
    assert_eq!(
        store.feed_state("news").expect("unknown feed"),
        FeedState::default()
    );
    assert_eq!(
        store.poll_record("news", 5).expect("unknown feed"),
        PollRecord::default()
    );
    let state = FeedState {
        etag: Some("\"v1\"".into()),
        last_modified: Some("Sat, 01 Mar 2025 09:00:00 GMT".into()),
        body_hash: Some("ab12".into()),
        last_poll_at: Some(at("2025-03-01T09:00:00.123456Z")),
        last_result: Some("ok".into()),
        last_error: None,
        consecutive_failures: 0,
        next_poll_at: Some(at("2025-03-01T09:15:00Z")),
        articles_written: 3,
        skipped_items: 1,
        failing_since: None,
    };
    let feed_url = url("https://news.example/feed.xml");
    store.save_feed_state("news", &feed_url, &state).expect("save");
    assert_eq!(store.feed_state("news").expect("read"), state);
    assert_eq!(store.poll_record("news", 5).expect("read").state, state);

    store
        .set_next_poll("news", &feed_url, at("2025-03-01T10:00:00Z"))
        .expect("next poll");
    let moved = store.feed_state("news").expect("read");
    assert_eq!(moved.next_poll_at, Some(at("2025-03-01T10:00:00Z")));
    assert_eq!(moved.etag, state.etag, "only the due time changes");

    store
        .set_next_poll("new", &feed_url, at("2025-03-02T00:00:00Z"))
        .expect("next poll of a feed never polled");
    assert_eq!(
        store.feed_state("new").expect("read").next_poll_at,
        Some(at("2025-03-02T00:00:00Z"))
    );
}

fn feed_states_saved_together_read_back_one_by_one(backend: Backend) {
    let store = backend.open("a");
    let earlier = FeedState {
        last_poll_at: Some(at("2025-03-01T08:00:00Z")),
        last_result: Some("ok".into()),
        ..FeedState::default()
    };
    store
        .save_feed_state("known", &url("https://known.example/feed.xml"), &earlier)
        .expect("save");
    let batch: Vec<SavedState> = (0..5)
        .map(|index| SavedState {
            name: if index == 0 {
                "known".into()
            } else {
                format!("feed-{index}")
            },
            url: url(&format!("https://feed{index}.example/rss")),
            state: FeedState {
                etag: (index % 2 == 0).then(|| format!("\"e{index}\"")),
                last_modified: Some("Sat, 01 Mar 2025 09:00:00 GMT".into()),
                body_hash: Some(format!("hash{index}")),
                last_poll_at: Some(at("2025-03-01T09:00:00.25Z")),
                last_result: Some(if index == 0 { "failed" } else { "ok" }.into()),
                last_error: (index == 0).then(|| "HTTP 503".into()),
                consecutive_failures: u32::from(index == 0),
                next_poll_at: Some(at("2025-03-01T09:15:00Z")),
                articles_written: index,
                skipped_items: index * 2,
                failing_since: (index == 0).then(|| at("2025-03-01T09:00:00.25Z")),
            },
        })
        .collect();
    let results = store.save_feed_states(&batch);
    assert_eq!(results.len(), batch.len());
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    for saved in &batch {
        assert_eq!(
            store.feed_state(&saved.name).expect("read"),
            saved.state,
            "{}",
            saved.name
        );
    }
    let statuses = store
        .feed_statuses(at("2025-01-01T00:00:00Z"), 5)
        .expect("statuses");
    let known = statuses
        .iter()
        .find(|status| status.name == "known")
        .expect("known");
    assert_eq!(
        known.last_success_at,
        Some(at("2025-03-01T08:00:00Z")),
        "a failed poll in a batch keeps the last success"
    );
    let fresh = statuses
        .iter()
        .find(|status| status.name == "feed-1")
        .expect("feed-1");
    assert_eq!(fresh.last_success_at, Some(at("2025-03-01T09:00:00.25Z")));
}

fn a_failed_poll_keeps_the_last_success(backend: Backend) {
    let store = backend.open("a");
    let feed_url = url("https://news.example/feed.xml");
    let ok = FeedState {
        last_poll_at: Some(at("2025-03-01T09:00:00Z")),
        last_result: Some("ok".into()),
        ..FeedState::default()
    };
    store.save_feed_state("news", &feed_url, &ok).expect("save");
    let failed = FeedState {
        last_poll_at: Some(at("2025-03-01T10:00:00Z")),
        last_result: Some("failed".into()),
        last_error: Some("HTTP 500".into()),
        consecutive_failures: 1,
        failing_since: Some(at("2025-03-01T10:00:00Z")),
        ..FeedState::default()
    };
    store.save_feed_state("news", &feed_url, &failed).expect("save");
    let statuses = store
        .feed_statuses(at("2025-01-01T00:00:00Z"), 5)
        .expect("statuses");
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].last_success_at, Some(at("2025-03-01T09:00:00Z")));
    assert_eq!(statuses[0].state, failed);
    assert_eq!(statuses[0].leased_by, None);
}

fn articles_dedup_by_canonical_url_and_alias(backend: Backend) {
    let store = backend.open("a");
    let item = url("https://news.example/item?id=1");
    let first = record("https://news.example/story", "news", "Story", "Body text.");
    store
        .record_item_failure("news", &item, "timed out")
        .expect("an earlier failure");
    let stored = insert(store.as_ref(), &first, std::slice::from_ref(&item)).expect("new article");
    assert_eq!(stored.file_name, "story.md");
    assert_eq!(stored.record, first);
    assert!(store.is_known(&first.canonical_url).expect("known"));
    assert!(store.is_known(&item).expect("alias known"));
    assert_eq!(
        store.item_attempts(&item).expect("attempts"),
        0,
        "failures cleared"
    );

    let other_alias = url("https://news.example/amp/story");
    assert_eq!(
        insert(store.as_ref(), &first, std::slice::from_ref(&other_alias)),
        None
    );
    assert!(
        store
            .is_known(&other_alias)
            .expect("the duplicate's alias is recorded")
    );

    let via_alias = record("https://news.example/item?id=1", "other", "Story again", "Body.");
    assert_eq!(
        insert(store.as_ref(), &via_alias, &[]),
        None,
        "an alias is a known URL"
    );

    let redirect = url("https://short.example/s");
    assert!(store.add_alias(&first.canonical_url, &redirect).expect("alias"));
    assert!(store.is_known(&redirect).expect("known"));
    assert!(
        !store
            .add_alias(&url("https://news.example/unknown"), &url("https://x.example/"))
            .expect("alias of nothing")
    );
    assert!(
        !store
            .is_known(&url("https://news.example/unknown"))
            .expect("unknown")
    );
    assert_eq!(
        store
            .article_by_url(&redirect)
            .expect("by alias")
            .map(|article| article.id),
        Some(stored.id)
    );
}

fn file_names_stay_unique(backend: Backend) {
    let store = backend.open("a");
    let one = insert(
        store.as_ref(),
        &record("https://a.example/1", "news", "Same Title", "One."),
        &[],
    )
    .expect("first");
    let two = insert(
        store.as_ref(),
        &record("https://a.example/2", "news", "Same Title", "Two."),
        &[],
    )
    .expect("second");
    assert_eq!(one.file_name, "same-title.md");
    assert_eq!(two.file_name, "same-title-2.md");
}

fn item_failures_count_attempts_and_are_forgotten(backend: Backend) {
    let store = backend.open("a");
    let (first, second, third) = (
        url("https://news.example/1"),
        url("https://news.example/2"),
        url("https://news.example/3"),
    );
    assert_eq!(store.record_item_failure("news", &first, "404").expect("fail"), 1);
    assert_eq!(
        store
            .record_item_failure("news", &first, "404 again")
            .expect("fail"),
        2
    );
    assert_eq!(
        store.record_item_failure("news", &second, "500").expect("fail"),
        1
    );
    assert_eq!(store.item_attempts(&first).expect("attempts"), 2);
    assert_eq!(store.item_attempts(&third).expect("never failed"), 0);
    assert_eq!(retryable(store.as_ref(), 5), 2);
    assert_eq!(retryable(store.as_ref(), 2), 1);
    store
        .give_up_item("news", &third, "internal address", 5)
        .expect("give up");
    assert_eq!(store.item_attempts(&third).expect("attempts"), 5);
    assert_eq!(retryable(store.as_ref(), 5), 2);
    assert_eq!(
        store
            .forget_dropped_item_failures("news", std::slice::from_ref(&second))
            .expect("forget"),
        2
    );
    assert_eq!(store.item_attempts(&first).expect("forgotten"), 0);
    assert_eq!(store.item_attempts(&second).expect("still listed"), 1);
}

fn interrupted_extractions_are_given_up_once(backend: Backend) {
    let store = backend.open("a");
    let (crashed, finished) = (
        url("https://news.example/crash"),
        url("https://news.example/fine"),
    );
    store.begin_extraction("news", &crashed).expect("begin");
    store.begin_extraction("news", &finished).expect("begin");
    store.end_extraction(&finished).expect("end");
    let interrupted = store.fail_interrupted_extractions(5).expect("fail");
    assert_eq!(interrupted, [("news".to_string(), crashed.to_string())]);
    assert_eq!(store.item_attempts(&crashed).expect("attempts"), 5);
    assert_eq!(store.item_attempts(&finished).expect("attempts"), 0);
    assert!(store.fail_interrupted_extractions(5).expect("again").is_empty());
}

fn filtered_items_are_remembered(backend: Backend) {
    let store = backend.open("a");
    let item = url("https://news.example/sponsored");
    assert!(!store.is_filtered(&item).expect("not yet"));
    store
        .record_filtered("news", &item, "block: sponsored")
        .expect("record");
    store
        .record_filtered("news", &item, "block: sponsored")
        .expect("twice is fine");
    assert!(store.is_filtered(&item).expect("filtered"));
    store
        .set_next_poll("news", &url("https://news.example/feed"), Utc::now())
        .expect("feed row");
    let statuses = store.feed_statuses(Utc::now(), 5).expect("statuses");
    assert_eq!(statuses[0].filtered_items, 1);
}

fn pending_files_come_back_until_cleared(backend: Backend) {
    let store = backend.open("a");
    let stored = insert(
        store.as_ref(),
        &record("https://news.example/1", "news", "One", "Text."),
        &[],
    )
    .expect("stored");
    store.record_pending_file(&stored, "disk full").expect("pending");
    store
        .record_pending_file(&stored, "still full")
        .expect("pending again");
    assert_eq!(
        store.pending_files("news").expect("pending"),
        std::slice::from_ref(&stored)
    );
    let pending = |feed: &str| store.poll_record(feed, 5).expect("poll record").pending_files;
    assert!(pending("news"));
    assert!(store.pending_files("other").expect("other feed").is_empty());
    assert!(!pending("other"));
    store.clear_pending_file(stored.id).expect("clear");
    assert!(store.pending_files("news").expect("cleared").is_empty());
    assert!(!pending("news"));
}

fn written_files_and_tombstones_per_renderer(backend: Backend) {
    let store = backend.open("a");
    let one = insert(
        store.as_ref(),
        &record("https://news.example/1", "news", "One", "Text."),
        &[],
    )
    .expect("stored");
    let two = insert(
        store.as_ref(),
        &record("https://news.example/2", "sport", "Two", "Text."),
        &[],
    )
    .expect("stored");
    let same_name = |_: u32| "same.md".to_string();
    let numbered = |attempt: u32| format!("name-{attempt}.md");
    let anything = |_: &str| true;

    let claimed = store
        .claim_file("/out", one.id, &numbered, &anything)
        .expect("claim");
    assert_eq!(
        (claimed.path.as_str(), claimed.state),
        ("name-1.md", FileState::Writing)
    );
    assert_eq!(claimed.feed, "news");
    assert_eq!(claimed.date, one.record.date);
    let again = store
        .claim_file("/out", one.id, &same_name, &anything)
        .expect("claim again");
    assert_eq!(again, claimed, "an existing record is returned as it is");
    let on_disk = |name: &str| name != "name-2.md";
    let second = store
        .claim_file("/out", two.id, &numbered, &on_disk)
        .expect("claim");
    assert_eq!(
        second.path, "name-3.md",
        "name-1 is held, name-2 is taken on disk"
    );
    assert_eq!(
        store
            .free_file_name("/out", two.id, &numbered, &anything)
            .expect("free name"),
        "name-2.md"
    );

    assert_eq!(
        store
            .unwritten_articles("/out", 0, 10)
            .expect("unwritten")
            .iter()
            .map(|article| article.id)
            .collect::<Vec<_>>(),
        [one.id, two.id],
        "names claimed but not confirmed are still to write"
    );
    store
        .set_file("/out", one.id, "name-1.md", FileState::Written)
        .expect("written");
    store
        .set_file("/out", two.id, "name-3.md", FileState::Deleted)
        .expect("tombstone");
    assert!(
        store
            .unwritten_articles("/out", 0, 10)
            .expect("unwritten")
            .is_empty()
    );
    assert_eq!(
        store
            .unwritten_articles("/elsewhere", 0, 10)
            .expect("other renderer")
            .len(),
        2
    );

    let sport = store.written_files("/out", Some("sport")).expect("records");
    assert_eq!(sport.len(), 1);
    assert_eq!(sport[0].state, FileState::Deleted);
    assert!(sport[0].state.is_tombstone());
    assert_eq!(store.written_files("/out", None).expect("records").len(), 2);
    assert!(store.forget_file("/out", two.id).expect("forget"));
    assert!(!store.forget_file("/out", two.id).expect("nothing left"));
    assert_eq!(store.written_files("/out", None).expect("records").len(), 1);
}

fn feed_statuses_count_per_feed(backend: Backend) {
    let store = backend.open("a");
    for (feed, link) in [
        ("news", "https://news.example/1"),
        ("news", "https://news.example/2"),
        ("sport", "https://sport.example/1"),
    ] {
        insert(store.as_ref(), &record(link, feed, link, "Text."), &[]).expect("stored");
    }
    for name in ["sport", "news", "Zebra", "idle"] {
        store
            .set_next_poll(name, &url("https://news.example/feed"), Utc::now())
            .expect("feed row");
    }
    store
        .record_item_failure("news", &url("https://news.example/3"), "404")
        .expect("failure");
    let statuses = store
        .feed_statuses(Utc::now() - chrono::TimeDelta::hours(1), 5)
        .expect("statuses");
    let names: Vec<&str> = statuses.iter().map(|status| status.name.as_str()).collect();
    assert_eq!(
        names,
        ["Zebra", "idle", "news", "sport"],
        "byte order, as SQLite sorts"
    );
    let news = &statuses[2];
    assert_eq!((news.articles_total, news.articles_recent), (2, 2));
    assert_eq!(news.pending_failures, 1);
    let later = store
        .feed_statuses(Utc::now() + chrono::TimeDelta::hours(1), 5)
        .expect("statuses");
    assert_eq!((later[2].articles_total, later[2].articles_recent), (2, 0));
}

fn article_summaries_filter_and_search(backend: Backend) {
    let store = backend.open("a");
    let stories = [
        ("news", "Rust databases compared", "A look at storage engines."),
        ("news", "Gardening notes", "Tomatoes and rust on leaves."),
        (
            "sport",
            "Cup final",
            "The databases of results, and a rust-coloured kit.",
        ),
    ];
    for (index, (feed, title, body)) in stories.iter().enumerate() {
        let link = format!("https://{feed}.example/{index}");
        insert(store.as_ref(), &record(&link, feed, title, body), &[]).expect("stored");
        std::thread::sleep(Duration::from_millis(5));
    }
    let titles = |query: ArticleQuery| -> Vec<String> {
        store
            .article_summaries(&query)
            .expect("summaries")
            .into_iter()
            .map(|summary| summary.title)
            .collect()
    };
    assert_eq!(
        titles(ArticleQuery::default()),
        ["Cup final", "Gardening notes", "Rust databases compared"],
        "newest first"
    );
    assert_eq!(
        titles(ArticleQuery {
            feed: Some("news".into()),
            ..ArticleQuery::default()
        }),
        ["Gardening notes", "Rust databases compared"]
    );
    assert_eq!(
        titles(ArticleQuery {
            search: Some("RUST databases".into()),
            ..ArticleQuery::default()
        }),
        ["Cup final", "Rust databases compared"],
        "every word must match, in the title or the body, whatever the case"
    );
    assert_eq!(
        titles(ArticleQuery {
            search: Some("tomatoes".into()),
            limit: Some(5),
            ..ArticleQuery::default()
        }),
        ["Gardening notes"]
    );
    assert_eq!(
        titles(ArticleQuery {
            limit: Some(1),
            ..ArticleQuery::default()
        }),
        ["Cup final"]
    );
    assert!(
        titles(ArticleQuery {
            since: Some(Utc::now() + chrono::TimeDelta::minutes(1)),
            ..ArticleQuery::default()
        })
        .is_empty()
    );
    let summary = &store
        .article_summaries(&ArticleQuery::default())
        .expect("summaries")[0];
    assert_eq!(summary.url, url("https://sport.example/2"));
    assert_eq!(summary.file_name, "cup-final.md");
    assert_eq!(
        summary.published,
        record("https://x.example/", "", "", "").published
    );
}

fn articles_read_back_whole_and_in_pages(backend: Backend) {
    let store = backend.open("a");
    let mut ids = Vec::new();
    for index in 0..5 {
        let mut article = record(
            &format!("https://news.example/{index}"),
            "news",
            &format!("Story {index}"),
            "Text.",
        );
        if index == 4 {
            article.body.clear();
            article.cover_image = None;
            article.published = None;
            article.tags.clear();
            article.origin = Origin::Feed;
        }
        let stored = insert(store.as_ref(), &article, &[]).expect("stored");
        assert_eq!(stored.record, article);
        ids.push(stored.id);
    }
    let first = store.articles_after(0, 2).expect("page");
    assert_eq!(
        first.iter().map(|article| article.id).collect::<Vec<_>>(),
        ids[..2]
    );
    assert_eq!(
        first[0].record,
        record("https://news.example/0", "news", "Story 0", "Text.")
    );
    let rest = store.articles_after(ids[1], 10).expect("page");
    assert_eq!(rest.len(), 3);
    assert_eq!(rest[2].record.origin, Origin::Feed);
    assert_eq!(rest[2].record.published, None);
    assert_eq!(
        store.unwritten_articles("/out", 0, 10).expect("unwritten").len(),
        4,
        "an article whose extraction has not finished is not written"
    );
}

fn item_updates_rewrite_the_record_in_place(backend: Backend) {
    let store = backend.open("a");
    let alias = url("https://news.example/item?id=7");
    let first = record("https://news.example/7", "news", "First Title", "First text.");
    let stored = insert(store.as_ref(), &first, std::slice::from_ref(&alias)).expect("stored");
    let known = store.article_at(&alias).expect("lookup").expect("found by alias");
    assert_eq!(known.article, stored);
    let stored_at = known.text_as_of.expect("stored time");
    assert!(
        (Utc::now().fixed_offset() - stored_at).num_seconds().abs() < 60,
        "{stored_at}"
    );

    let checked = DateTime::parse_from_rfc3339("2025-03-02T08:00:00+02:00").expect("time");
    store
        .record_item_update(stored.id, checked, None)
        .expect("checked");
    let known = store
        .article_at(&first.canonical_url)
        .expect("lookup")
        .expect("found");
    assert_eq!(known.text_as_of, Some(checked));
    assert_eq!(known.article.record, first, "text unchanged");

    let changed = DateTime::parse_from_rfc3339("2025-03-03T09:30:00+05:30").expect("time");
    let rewritten = ArticleRecord {
        title: "Corrected Title".into(),
        body: "Corrected text.".into(),
        ..first.clone()
    };
    store
        .record_item_update(stored.id, changed, Some(&rewritten))
        .expect("rewritten");
    let known = store.article_at(&alias).expect("lookup").expect("found");
    assert_eq!(known.article.record, rewritten);
    assert_eq!(
        known.article.file_name, stored.file_name,
        "the file keeps its name"
    );
    assert_eq!(known.article.updated, Some(changed));
    assert_eq!(
        known.article.updated.map(|at| at.offset().local_minus_utc()),
        Some(5 * 3600 + 1800),
        "shown with the publisher's offset"
    );
    assert_eq!(known.text_as_of, Some(changed));
    assert!(
        store
            .article_at(&url("https://news.example/none"))
            .expect("lookup")
            .is_none()
    );
}

fn migrations_apply_once(backend: Backend) {
    drop(backend.open("a"));
    // A second open (a restart, or another instance) finds the schema current and changes nothing.
    let store = backend.open("a");
    store.ping().expect("ping");
    drop(store);
    let reader = store::open_read_only(&backend.database(), "a").expect("read-only");
    reader.ping().expect("ping");
}

#[test]
fn sqlite_leases_are_always_granted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Backend::Sqlite(dir).open("a");
    let feed_url = url("https://news.example/feed");
    let lease = Duration::from_secs(60);
    for _ in 0..2 {
        assert_eq!(
            store
                .lease_feed("news", &feed_url, lease, Some(Utc::now()))
                .expect("lease"),
            Lease::Granted
        );
    }
    assert!(store.renew_lease("news", lease).expect("renew"));
    store.release_feed("news").expect("release");
}

/// A database of its own for a PostgreSQL-only test, or `None` when skipped.
fn postgres(test: &str) -> Option<Backend> {
    TestDatabase::create(test).map(Backend::Postgres)
}

#[test]
fn postgres_a_lease_keeps_other_instances_out_until_released_or_expired() {
    let Some(backend) =
        postgres("store::postgres_a_lease_keeps_other_instances_out_until_released_or_expired")
    else {
        return;
    };
    let (a, b) = (backend.open("a"), backend.open("b"));
    let feed_url = url("https://news.example/feed");
    let long = Duration::from_secs(60);
    assert_eq!(
        a.lease_feed("news", &feed_url, long, Some(Utc::now()))
            .expect("lease"),
        Lease::Granted
    );
    match b.lease_feed("news", &feed_url, long, None).expect("lease") {
        Lease::Held { by, until } => {
            assert_eq!(by, "a");
            assert!(until > Utc::now() + chrono::TimeDelta::seconds(50), "{until}");
        }
        other => panic!("b got {other:?}"),
    }
    let statuses = b.feed_statuses(Utc::now(), 5).expect("statuses");
    assert_eq!(
        statuses[0].leased_by.as_deref(),
        Some("a"),
        "status shows the holder"
    );
    assert!(a.renew_lease("news", long).expect("renew"));
    assert!(!b.renew_lease("news", long).expect("b holds nothing"));

    // a polls, saves the next due time, lets go: b, due by the same slot, finds it polled already.
    let next = Utc::now() + chrono::TimeDelta::minutes(15);
    a.set_next_poll("news", &feed_url, next).expect("next poll");
    a.release_feed("news").expect("release");
    assert_eq!(
        b.feed_statuses(Utc::now(), 5).expect("statuses")[0].leased_by,
        None
    );
    match b
        .lease_feed("news", &feed_url, long, Some(Utc::now()))
        .expect("lease")
    {
        Lease::NotDue { next_poll_at } => {
            assert!(
                (next_poll_at - next).num_milliseconds().abs() < 1,
                "{next_poll_at} vs {next}"
            );
        }
        other => panic!("b got {other:?}"),
    }
    // Asked for outside the schedule (`once`), the feed is b's as nobody polls it now.
    assert_eq!(
        b.lease_feed("news", &feed_url, long, None).expect("lease"),
        Lease::Granted
    );
    b.release_feed("news").expect("release");

    // A holder that stops renewing (killed) loses the feed once its lease runs out.
    let short = Duration::from_millis(500);
    assert_eq!(
        a.lease_feed("late", &feed_url, short, None).expect("lease"),
        Lease::Granted
    );
    assert!(matches!(
        b.lease_feed("late", &feed_url, long, None).expect("lease"),
        Lease::Held { .. }
    ));
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(
        b.lease_feed("late", &feed_url, long, None).expect("lease"),
        Lease::Granted
    );
    assert!(
        !a.renew_lease("late", long).expect("taken over"),
        "the old holder learns it lost the lease"
    );
    a.release_feed("late")
        .expect("releasing a lost lease changes nothing");
    assert_eq!(
        a.feed_statuses(Utc::now(), 5)
            .expect("statuses")
            .iter()
            .find(|status| status.name == "late")
            .and_then(|status| status.leased_by.clone())
            .as_deref(),
        Some("b")
    );
}

#[test]
fn postgres_two_processes_with_one_instance_name_never_share_a_lease() {
    let Some(backend) = postgres("store::postgres_two_processes_with_one_instance_name_never_share_a_lease")
    else {
        return;
    };
    let (first, second) = (backend.open("same"), backend.open("same"));
    let feed_url = url("https://news.example/feed");
    let lease = Duration::from_secs(60);
    assert_eq!(
        first.lease_feed("news", &feed_url, lease, None).expect("lease"),
        Lease::Granted
    );
    assert!(matches!(
        second.lease_feed("news", &feed_url, lease, None).expect("lease"),
        Lease::Held { .. }
    ));
}

#[test]
fn postgres_racing_instances_store_an_article_once() {
    let Some(backend) = postgres("store::postgres_racing_instances_store_an_article_once") else {
        return;
    };
    let stores: Vec<Arc<dyn Store>> = (0..4).map(|n| backend.open(&format!("i{n}"))).collect();
    for round in 0..20 {
        let link = format!("https://news.example/story-{round}");
        let stored: Vec<bool> = std::thread::scope(|scope| {
            let racers: Vec<_> = stores
                .iter()
                .enumerate()
                .map(|(n, store)| {
                    let link = &link;
                    scope.spawn(move || {
                        let alias = url(&format!("{link}?via={n}"));
                        // Every racer's title differs, so each wants its own file name too.
                        let article = record(link, "news", &format!("Story {round} {n}"), "Text.");
                        insert(store.as_ref(), &article, &[alias]).is_some()
                    })
                })
                .collect();
            racers
                .into_iter()
                .map(|racer| racer.join().expect("racer"))
                .collect()
        });
        assert_eq!(
            stored.iter().filter(|won| **won).count(),
            1,
            "round {round}: {stored:?}"
        );
        for n in 0..4 {
            assert!(
                stores[0]
                    .is_known(&url(&format!("{link}?via={n}")))
                    .expect("known"),
                "the losers' aliases are recorded"
            );
        }
    }
    // Different articles wanting one file name all get stored, under different names.
    let names: Vec<String> = std::thread::scope(|scope| {
        let racers: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(n, store)| {
                scope.spawn(move || {
                    let article = record(&format!("https://other.example/{n}"), "news", "Same", "Text.");
                    insert(store.as_ref(), &article, &[]).expect("stored").file_name
                })
            })
            .collect();
        racers
            .into_iter()
            .map(|racer| racer.join().expect("racer"))
            .collect()
    });
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 4, "{names:?}");
}

#[test]
fn postgres_each_instance_keeps_its_own_files_and_extractions() {
    let Some(backend) = postgres("store::postgres_each_instance_keeps_its_own_files_and_extractions") else {
        return;
    };
    let (a, b) = (backend.open("a"), backend.open("b"));
    let stored = insert(
        a.as_ref(),
        &record("https://news.example/1", "news", "One", "Text."),
        &[],
    )
    .expect("stored by a");
    a.set_file("/srv/out", stored.id, "one.md", FileState::Written)
        .expect("a wrote it");
    assert!(a.unwritten_articles("/srv/out", 0, 10).expect("a").is_empty());
    assert_eq!(
        b.unwritten_articles("/srv/out", 0, 10).expect("b").len(),
        1,
        "the same folder path on another machine is another folder"
    );
    assert!(b.written_files("/srv/out", None).expect("b's records").is_empty());

    a.record_pending_file(&stored, "disk full")
        .expect("pending for a");
    assert!(b.pending_files("news").expect("b").is_empty());
    assert_eq!(a.pending_files("news").expect("a").len(), 1);
    assert!(!b.poll_record("news", 5).expect("b").pending_files);
    assert!(a.poll_record("news", 5).expect("a").pending_files);

    let running = url("https://news.example/2");
    a.begin_extraction("news", &running).expect("a extracts");
    assert!(
        b.fail_interrupted_extractions(5).expect("b starts").is_empty(),
        "a's extraction is still running: not b's to judge"
    );
    assert_eq!(a.fail_interrupted_extractions(5).expect("a restarts").len(), 1);
}

#[test]
fn postgres_a_second_process_of_one_instance_leaves_its_extractions_alone() {
    let Some(backend) =
        postgres("store::postgres_a_second_process_of_one_instance_leaves_its_extractions_alone")
    else {
        return;
    };
    let daemon = backend.open("a");
    let running = url("https://news.example/slow-page");
    daemon
        .begin_extraction("news", &running)
        .expect("the daemon extracts");
    // `once` with the daemon's config starts while the daemon extracts: not its extraction to judge.
    let once = backend.open("a");
    assert!(
        once.fail_interrupted_extractions(5)
            .expect("once starts")
            .is_empty()
    );
    assert_eq!(once.item_attempts(&running).expect("attempts"), 0);
    drop(once);
    drop(daemon);
    // The daemon is gone (its session with it): the next start of instance a marks the page failed.
    let mut interrupted = Vec::new();
    for _ in 0..50 {
        interrupted = backend
            .open("a")
            .fail_interrupted_extractions(5)
            .expect("restart");
        if !interrupted.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(interrupted, [("news".to_string(), running.to_string())]);
}

#[test]
fn postgres_read_only_refuses_a_database_tidings_never_set_up() {
    let Some(backend) = postgres("store::postgres_read_only_refuses_a_database_tidings_never_set_up") else {
        return;
    };
    match store::open_read_only(&backend.database(), "a") {
        Err(StoreError::Missing { .. }) => {}
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("opened a database without the schema"),
    }
    let writer = backend.open("a");
    let reader = store::open_read_only(&backend.database(), "a").expect("read-only");
    insert(
        writer.as_ref(),
        &record("https://news.example/1", "news", "One", "Text."),
        &[],
    )
    .expect("stored");
    assert_eq!(reader.articles_after(0, 10).expect("read").len(), 1);
    let refused = reader.record_item_failure("news", &url("https://news.example/2"), "x");
    assert!(refused.is_err(), "a read-only store never writes");
}

#[test]
fn postgres_is_usable_from_blocking_threads_of_a_runtime() {
    let Some(backend) = postgres("store::postgres_is_usable_from_blocking_threads_of_a_runtime") else {
        return;
    };
    let store = backend.open("a");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let calls: Vec<_> = (0..32)
            .map(|n| {
                let store = Arc::clone(&store);
                tokio::task::spawn_blocking(move || {
                    store.record_item_failure("news", &url(&format!("https://news.example/{n}")), "x")
                })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.expect("joined").expect("stored"), 1);
        }
    });
    assert_eq!(retryable(store.as_ref(), 5), 32);
}
