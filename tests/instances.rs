//! Several tidings instances on one PostgreSQL database, as an admin runs them: real `tidings run` processes
//! with their own config, instance name and output folder, polling one loopback site that counts requests.
//! Every article is stored once and written into every renderer's folder, no feed is polled twice in one
//! slot, and the feeds of an instance killed with SIGKILL are taken over once its leases run out. Skipped
//! (SKIPPED line) without a PostgreSQL server; see tests/support/postgres.rs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::daemon::story;
use crate::support::pages::rss;
use crate::support::postgres::TestDatabase;
use crate::support::server::{FixtureServer, Route};
use crate::support::workspace::Workspace;

const RSS: &str = "application/rss+xml";

/// Serves `feeds` feeds of `stories` stories each, pages answering after `page_delay`; returns the feed paths
/// and the story paths.
fn serve_site(
    server: &FixtureServer,
    feeds: usize,
    stories: usize,
    page_delay: Duration,
) -> (Vec<String>, Vec<String>) {
    let mut feed_paths = Vec::new();
    let mut story_paths = Vec::new();
    for feed in 0..feeds {
        let mut items = Vec::new();
        for story_index in 0..stories {
            let path = format!("/story/{feed}/{story_index}");
            let title = format!("Story {story_index} of feed {feed}");
            server.route(&path, story(&title).delayed(page_delay));
            items.push((title, server.url(&path)));
            story_paths.push(path);
        }
        let path = format!("/feed/{feed}");
        server.route(&path, Route::ok(RSS, rss(&items)));
        feed_paths.push(path);
    }
    (feed_paths, story_paths)
}

/// One instance: its workspace (config, output folder, log) and its running `tidings run`.
struct Instance {
    name: String,
    workspace: Workspace,
    child: Child,
}

impl Instance {
    fn start(
        name: &str,
        database: &TestDatabase,
        settings: &str,
        feeds: &[String],
        server: &FixtureServer,
    ) -> Self {
        let workspace = Workspace::new();
        let mut config = format!(
            "[settings]\ndatabase = \"{}\"\ninstance = \"{name}\"\noutput_dir = \"articles\"\n\
             per_host_interval = \"0s\"\nper_host_concurrency = 8\njitter = \"0s\"\n{settings}\n",
            database.url()
        );
        for (index, path) in feeds.iter().enumerate() {
            config.push_str(&format!(
                "[[feeds]]\nname = \"feed-{index}\"\nurl = \"{}\"\n",
                server.url(path)
            ));
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

#[test]
fn two_instances_store_each_article_once_poll_each_feed_once_a_slot_and_both_render_everything() {
    let test = "instances::two_instances_store_each_article_once_poll_each_feed_once_a_slot_and_both_render_everything";
    let Some(database) = TestDatabase::create(test) else {
        return;
    };
    let server = FixtureServer::start();
    let (feeds, stories) = serve_site(&server, 16, 3, Duration::ZERO);
    // Every 4 s: both instances wake for the same slots and race for each feed's lease.
    let settings = "schedule = \"*/4 * * * * *\"\ntimeout = \"2s\"\nlease = \"10s\"";
    let mut a = Instance::start("a", &database, settings, &feeds, &server);
    let mut b = Instance::start("b", &database, settings, &feeds, &server);

    let everything = |instance: &Instance| markdown_files(&instance.output()).len() == stories.len();
    assert!(
        wait_for(Duration::from_secs(60), || everything(&a) && everything(&b)),
        "not every article reached both folders: a has {}, b has {}\n--- a ---\n{}\n--- b ---\n{}",
        markdown_files(&a.output()).len(),
        markdown_files(&b.output()).len(),
        a.log(),
        b.log()
    );
    // Two more slots, so each feed is polled again (304s or unchanged bodies) while both run.
    std::thread::sleep(Duration::from_secs(9));
    let (a_log, b_log) = (a.stop(), b.stop());

    assert_eq!(
        stored_articles(&database),
        (stories.len() as i64, stories.len() as i64)
    );
    for story in &stories {
        assert_eq!(
            server.hits(story),
            1,
            "{story} fetched more than once\n{a_log}\n{b_log}"
        );
    }
    assert_eq!(
        markdown_files(&a.output()),
        markdown_files(&b.output()),
        "same files in both folders"
    );

    // No feed twice in one slot: polls of one feed are a slot (4 s) apart, never two at one tick.
    let mut polls: HashMap<String, Vec<Instant>> = HashMap::new();
    for seen in server.seen() {
        if seen.path.starts_with("/feed/") {
            polls.entry(seen.path).or_default().push(seen.at);
        }
    }
    for feed in &feeds {
        let times = &polls[feed];
        assert!(times.len() >= 2, "{feed} polled {} times", times.len());
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                gap >= Duration::from_secs(2),
                "{feed} polled twice {gap:?} apart\n{a_log}\n{b_log}"
            );
        }
    }
    let polled_by = |log: &str| log.matches("feed polled").count();
    assert!(
        polled_by(&a_log) + polled_by(&b_log) >= 2 * feeds.len(),
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
    let server = FixtureServer::start();
    // Slow pages keep instance a inside its polls, holding their leases, when it is killed.
    let (feeds, stories) = serve_site(&server, 6, 2, Duration::from_millis(1500));
    let lease = Duration::from_secs(3);
    let settings = "schedule = \"0 0 * * * *\"\ntimeout = \"2s\"\nlease = \"3s\"";
    let mut a = Instance::start("a", &database, settings, &feeds, &server);
    let mut client = database.client();
    let mut held_by_a = Vec::new();
    assert!(
        wait_for(Duration::from_secs(20), || {
            held_by_a = client
                .query(
                    "SELECT name FROM feeds WHERE lease_holder = 'a' AND lease_expires_at > now() ORDER BY name",
                    &[],
                )
                .map(|rows| rows.iter().map(|row| row.get::<_, String>(0)).collect())
                .unwrap_or_default();
            !held_by_a.is_empty()
        }),
        "instance a never held a lease:\n{}",
        a.log()
    );
    a.child.kill().expect("SIGKILL");
    a.child.wait().expect("reaped");
    let killed = Instant::now();

    let mut b = Instance::start("b", &database, settings, &feeds, &server);
    assert!(
        wait_for(Duration::from_secs(60), || markdown_files(&b.output()).len()
            == stories.len()),
        "b did not write every article: {:?}\n--- a ---\n{}\n--- b ---\n{}",
        markdown_files(&b.output()),
        a.log(),
        b.log()
    );
    let b_log = b.stop();
    assert!(
        b_log.contains("feed skipped: another instance is polling it"),
        "b waited for a's leases:\n{b_log}"
    );
    // Each feed a held was polled by b once its lease ran out: after the kill, within the lease (and a
    // second for the poll to start), not before the lease could have expired.
    let seen = server.seen();
    for name in &held_by_a {
        let path = format!("/feed/{}", name.trim_start_matches("feed-"));
        let taken_over = seen
            .iter()
            .find(|request| request.path == path && request.at > killed)
            .unwrap_or_else(|| panic!("{name} never polled after the kill:\n{b_log}"));
        let after = taken_over.at - killed;
        assert!(
            after <= lease + Duration::from_secs(1),
            "{name} taken over {after:?} after the kill"
        );
    }
    assert_eq!(
        stored_articles(&database),
        (stories.len() as i64, stories.len() as i64),
        "nothing lost, nothing stored twice"
    );
    assert_eq!(markdown_files(&b.output()).len(), stories.len());
    let leftover: i64 = client
        .query_one(
            "SELECT COUNT(*) FROM feeds WHERE lease_holder IS NOT NULL AND lease_holder <> 'a'",
            &[],
        )
        .expect("leases")
        .get(0);
    assert_eq!(leftover, 0, "b released every lease it took");
}
