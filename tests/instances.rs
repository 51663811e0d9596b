//! Several tidings instances on one PostgreSQL database, as an admin runs them: real `tidings run` processes
//! with their own config, instance name and output folder, polling one loopback site that counts requests.
//! Every article is stored once and written into every renderer's folder, no feed is polled twice in one
//! slot, and the feeds of an instance killed with SIGKILL are taken over once its leases run out. Skipped
//! (SKIPPED line) without a PostgreSQL server; see tests/support/postgres.rs.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::daemon::story;
use crate::support::pages::rss;
use crate::support::postgres::TestDatabase;
use crate::support::server::{FixtureServer, Route};
use crate::support::workspace::Workspace;

const RSS: &str = "application/rss+xml";

/// A loopback site of `feeds` feeds of `stories` stories each, feed `i` on server `i % servers`, pages
/// answering after `page_delay`.
struct Site {
    servers: Vec<FixtureServer>,
    /// Feed URLs, in order.
    feeds: Vec<String>,
    /// Story paths (unique across servers).
    stories: Vec<String>,
}

impl Site {
    fn serve(servers: usize, feeds: usize, stories: usize, page_delay: Duration) -> Self {
        let servers: Vec<FixtureServer> = (0..servers).map(|_| FixtureServer::start()).collect();
        let mut site = Site {
            servers: servers.clone(),
            feeds: Vec::new(),
            stories: Vec::new(),
        };
        for feed in 0..feeds {
            let server = &servers[feed % servers.len()];
            let mut items = Vec::new();
            for story_index in 0..stories {
                let path = format!("/story/{feed}/{story_index}");
                let title = format!("Story {story_index} of feed {feed}");
                server.route(&path, story(&title).delayed(page_delay));
                items.push((title, server.url(&path)));
                site.stories.push(path);
            }
            let path = format!("/feed/{feed}");
            server.route(&path, Route::ok(RSS, rss(&items)));
            let url = server.url(&path);
            site.feeds.push(url);
        }
        site
    }

    fn server_of(&self, feed: usize) -> &FixtureServer {
        &self.servers[feed % self.servers.len()]
    }

    /// When feed `feed` was requested, in order.
    fn polls(&self, feed: usize) -> Vec<Instant> {
        let path = format!("/feed/{feed}");
        self.server_of(feed)
            .seen()
            .into_iter()
            .filter(|seen| seen.path == path)
            .map(|seen| seen.at)
            .collect()
    }

    fn story_hits(&self, path: &str) -> usize {
        self.servers.iter().map(|server| server.hits(path)).sum()
    }
}

/// One instance: its workspace (config, output folder, log) and its running `tidings run`.
struct Instance {
    name: String,
    workspace: Workspace,
    child: Child,
}

impl Instance {
    fn start(name: &str, database: &TestDatabase, settings: &str, feeds: &[String]) -> Self {
        let workspace = Workspace::new();
        let mut config = format!(
            "[settings]\ndatabase = \"{}\"\ninstance = \"{name}\"\noutput_dir = \"articles\"\n\
             per_host_interval = \"0s\"\njitter = \"0s\"\n{settings}\n",
            database.url()
        );
        for (index, url) in feeds.iter().enumerate() {
            config.push_str(&format!("[[feeds]]\nname = \"feed-{index}\"\nurl = \"{url}\"\n"));
        }
        workspace.write_config(&config);
        let log = std::fs::File::create(workspace.path().join("log")).expect("log file");
        let child = workspace
            .command(&["run"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start tidings run");
        Self {
            name: name.into(),
            workspace,
            child,
        }
    }

    fn output(&self) -> PathBuf {
        self.workspace.output_dir()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.workspace.path().join("log")).unwrap_or_default()
    }

    /// SIGTERM, then waits for a graceful exit.
    fn stop(&mut self) -> String {
        // SAFETY: kill(2) on our own child's pid has no memory effects.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let status = self.child.wait().expect("wait");
        let log = self.log();
        assert!(
            status.success(),
            "instance {} exited with {status}:\n{log}",
            self.name
        );
        log
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Markdown files in `folder`, by name.
fn markdown_files(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".md"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Waits up to `limit` for `done`, checking every 100 ms.
fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    done()
}

/// (canonical URLs stored, distinct ones) in the shared database.
fn stored_articles(database: &TestDatabase) -> (i64, i64) {
    let row = database
        .client()
        .query_one(
            "SELECT COUNT(*), COUNT(DISTINCT canonical_url) FROM articles",
            &[],
        )
        .expect("count articles");
    (row.get(0), row.get(1))
}

/// The cron slot (of `slot` length, counted from the epoch) a request seen at `at` falls in, given one
/// instant whose wall-clock time is known.
fn slot_of(at: Instant, reference: (Instant, SystemTime), slot: Duration) -> u128 {
    let wall = if at >= reference.0 {
        reference.1 + (at - reference.0)
    } else {
        reference.1 - (reference.0 - at)
    };
    wall.duration_since(UNIX_EPOCH).expect("after 1970").as_millis() / slot.as_millis()
}

#[test]
fn two_instances_store_each_article_once_poll_each_feed_once_a_slot_and_both_render_everything() {
    let test = "instances::two_instances_store_each_article_once_poll_each_feed_once_a_slot_and_both_render_everything";
    let Some(database) = TestDatabase::create(test) else {
        return;
    };
    let site = Site::serve(1, 16, 3, Duration::ZERO);
    let reference = (Instant::now(), SystemTime::now());
    // Every 4 s: both instances wake for the same slots and race for each feed's lease.
    let slot = Duration::from_secs(4);
    let settings =
        "schedule = \"*/4 * * * * *\"\ntimeout = \"2s\"\nlease = \"10s\"\nper_host_concurrency = 8";
    let mut a = Instance::start("a", &database, settings, &site.feeds);
    let mut b = Instance::start("b", &database, settings, &site.feeds);

    let everything = |instance: &Instance| markdown_files(&instance.output()).len() == site.stories.len();
    assert!(
        wait_for(Duration::from_secs(60), || everything(&a) && everything(&b)),
        "not every article reached both folders: a has {}, b has {}\n--- a ---\n{}\n--- b ---\n{}",
        markdown_files(&a.output()).len(),
        markdown_files(&b.output()).len(),
        a.log(),
        b.log()
    );
    // Two more slots, so each feed is polled again (304s or unchanged bodies) while both run.
    std::thread::sleep(2 * slot + Duration::from_secs(1));
    let (a_log, b_log) = (a.stop(), b.stop());

    let count = site.stories.len() as i64;
    assert_eq!(stored_articles(&database), (count, count));
    for story in &site.stories {
        assert_eq!(
            site.story_hits(story),
            1,
            "{story} fetched more than once\n{a_log}\n{b_log}"
        );
    }
    assert_eq!(
        markdown_files(&a.output()),
        markdown_files(&b.output()),
        "same files in both folders"
    );

    // No feed twice in one slot (the first poll, at start, falls in the slot before the first tick).
    for feed in 0..site.feeds.len() {
        let slots: Vec<u128> = site
            .polls(feed)
            .into_iter()
            .map(|at| slot_of(at, reference, slot))
            .collect();
        assert!(slots.len() >= 3, "feed-{feed} polled {} times", slots.len());
        let mut distinct = slots.clone();
        distinct.dedup();
        assert_eq!(
            distinct, slots,
            "feed-{feed} polled twice in a slot\n{a_log}\n{b_log}"
        );
    }
    let polled_by = |log: &str| log.matches("feed polled").count();
    assert!(
        polled_by(&a_log) + polled_by(&b_log) >= 3 * site.feeds.len(),
        "a polled {}, b polled {}",
        polled_by(&a_log),
        polled_by(&b_log)
    );
}

#[test]
fn a_killed_instances_feeds_are_taken_over_within_the_lease_and_nothing_is_lost_or_doubled() {
    let test =
        "instances::a_killed_instances_feeds_are_taken_over_within_the_lease_and_nothing_is_lost_or_doubled";
    let Some(database) = TestDatabase::create(test) else {
        return;
    };
    // Slow pages, two at a time per site, keep instance a inside its polls, holding their leases, when it is
    // killed. A site per feed: a feed request never waits behind another feed's pages.
    let site = Site::serve(6, 6, 4, Duration::from_millis(1500));
    let lease = Duration::from_secs(3);
    let settings = "schedule = \"0 0 * * * *\"\ntimeout = \"2s\"\nlease = \"3s\"\nper_host_concurrency = 2\nconcurrency = 32";
    let mut a = Instance::start("a", &database, settings, &site.feeds);
    let mut client = database.client();
    let mut held_by_a = || -> Vec<String> {
        client
            .query(
                "SELECT name FROM feeds WHERE lease_holder = 'a' AND lease_expires_at > now() ORDER BY name",
                &[],
            )
            .map(|rows| rows.iter().map(|row| row.get::<_, String>(0)).collect())
            .unwrap_or_default()
    };
    assert!(
        wait_for(Duration::from_secs(20), || !held_by_a().is_empty()),
        "instance a never held a lease:\n{}",
        a.log()
    );
    // b runs alongside, finds the feeds leased and waits for the leases; then a dies holding them.
    let mut b = Instance::start("b", &database, settings, &site.feeds);
    assert!(
        wait_for(Duration::from_secs(20), || b
            .log()
            .contains("feed skipped: another instance is polling it")),
        "b never found a feed leased by a:\n--- a ---\n{}\n--- b ---\n{}",
        a.log(),
        b.log()
    );
    let held = held_by_a();
    a.child.kill().expect("SIGKILL");
    a.child.wait().expect("reaped");
    let killed = Instant::now();
    assert!(
        !held.is_empty(),
        "a finished its polls before it was killed:\n{}",
        a.log()
    );

    assert!(
        wait_for(Duration::from_secs(90), || markdown_files(&b.output()).len()
            == site.stories.len()),
        "b did not write every article: {:?}\n--- a ---\n{}\n--- b ---\n{}",
        markdown_files(&b.output()),
        a.log(),
        b.log()
    );
    let b_log = b.stop();
    // Each feed a held is polled by b once its lease runs out: within the lease after the kill (plus two
    // seconds for b's scheduler to wake and the poll to start on a busy machine).
    for name in &held {
        let feed: usize = name.trim_start_matches("feed-").parse().expect("feed number");
        let taken_over = site
            .polls(feed)
            .into_iter()
            .find(|at| *at > killed)
            .unwrap_or_else(|| panic!("{name} never polled after the kill:\n{b_log}"));
        let after = taken_over - killed;
        assert!(
            after <= lease + Duration::from_secs(2),
            "{name} taken over {after:?} after the kill\n{b_log}"
        );
    }
    let count = site.stories.len() as i64;
    assert_eq!(
        stored_articles(&database),
        (count, count),
        "nothing lost, nothing stored twice"
    );
    assert_eq!(markdown_files(&b.output()).len(), site.stories.len());
    let leftover: i64 = client
        .query_one(
            "SELECT COUNT(*) FROM feeds WHERE lease_holder IS NOT NULL AND lease_holder <> 'a'",
            &[],
        )
        .expect("leases")
        .get(0);
    assert_eq!(leftover, 0, "b released every lease it took");
}
