//! Feed reading speed: `feed_parse::parse` over every fixture in `tests/fixtures/feeds/` (RSS of every version,
//! RDF, Atom 0.3/1.0, CDF, JSON Feed, ill-formed XML), plus one large synthetic RSS feed, on one core.
//! Prints items/s and bytes/s per set, and the time to load a `feeds.toml` of 1,000 and of 10,000 feeds (the
//! ratio shows loading is linear in feeds). Run with `cargo bench --bench feed_reading`.

use std::path::Path;
use std::time::{Duration, Instant};

use tidings::feed_parse;
use url::Url;

/// Each set is parsed repeatedly for at least this long.
const MEASURE_FOR: Duration = Duration::from_secs(2);

fn main() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/feeds");
    let mut fixtures: Vec<(String, Vec<u8>)> = std::fs::read_dir(&folder)
        .expect("fixture folder")
        .filter_map(Result::ok)
        .map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(entry.path()).expect("fixture"))
        })
        .collect();
    fixtures.sort();
    let url = Url::parse("https://bench.example/feed").expect("url");

    let per_fixture = measure(&fixtures, &url);
    println!(
        "fixtures ({} files, {} bytes): {:.0} items/s, {:.1} MB/s, {:.1} µs/feed",
        fixtures.len(),
        per_fixture.bytes,
        per_fixture.items_per_second(),
        per_fixture.megabytes_per_second(),
        per_fixture.micros_per_feed(fixtures.len())
    );

    let large = vec![("large.xml".to_string(), large_feed(2_000))];
    let big = measure(&large, &url);
    println!(
        "synthetic RSS (2,000 items, {} bytes): {:.0} items/s, {:.1} MB/s, {:.2} ms/feed",
        big.bytes,
        big.items_per_second(),
        big.megabytes_per_second(),
        big.micros_per_feed(1) / 1000.0
    );

    let small = config_load_time(1_000);
    let large = config_load_time(10_000);
    println!(
        "feeds.toml load: 1,000 feeds {:.1} ms, 10,000 feeds {:.1} ms, ratio {:.1} (linear: 10)",
        small.as_secs_f64() * 1e3,
        large.as_secs_f64() * 1e3,
        large.as_secs_f64() / small.as_secs_f64()
    );
}

/// Best of repeated `config::parse` runs over a file of `feeds` feeds, each with its own name, URL, tags and
/// one of a few schedules and patterns, as a large real file has.
fn config_load_time(feeds: usize) -> Duration {
    let mut text = String::from("[settings]\nschedule = \"*/15 * * * *\"\nblock = [\"(?i)sponsored\"]\n\n");
    for n in 0..feeds {
        text.push_str(&format!(
            "[[feeds]]\nname = \"feed {n}\"\nurl = \"https://host{n}.example/feed.xml\"\nschedule = \"*/{} * * * *\"\n\
             tags = [\"news\", \"region {}\"]\nkeep = [\"(?i)harbour\"]\n\n",
            10 + n % 5,
            n % 50
        ));
    }
    let path = Path::new("/etc/tidings/feeds.toml");
    let started = Instant::now();
    let mut best = Duration::MAX;
    while started.elapsed() < MEASURE_FOR {
        let run = Instant::now();
        let config = tidings::config::parse(std::hint::black_box(&text), path).expect("valid config");
        assert_eq!(config.feeds.len(), feeds);
        best = best.min(run.elapsed());
    }
    best
}

struct Figures {
    /// Bytes in one pass over the set.
    bytes: usize,
    items: usize,
    passes: u32,
    elapsed: Duration,
}

impl Figures {
    fn items_per_second(&self) -> f64 {
        self.items as f64 / self.elapsed.as_secs_f64()
    }

    fn megabytes_per_second(&self) -> f64 {
        (self.bytes as f64 * f64::from(self.passes)) / self.elapsed.as_secs_f64() / 1e6
    }

    fn micros_per_feed(&self, feeds: usize) -> f64 {
        self.elapsed.as_secs_f64() * 1e6 / (f64::from(self.passes) * feeds as f64)
    }
}

fn measure(set: &[(String, Vec<u8>)], url: &Url) -> Figures {
    let bytes = set.iter().map(|(_, body)| body.len()).sum();
    let started = Instant::now();
    let (mut items, mut passes) = (0, 0);
    while started.elapsed() < MEASURE_FOR {
        for (_, body) in set {
            if let Ok(parsed) = feed_parse::parse(std::hint::black_box(body), None, url) {
                items += parsed.items.len();
            }
        }
        passes += 1;
    }
    Figures {
        bytes,
        items,
        passes,
        elapsed: started.elapsed(),
    }
}

/// An RSS 2.0 feed shaped like a news site's: title, link, guid, date, categories, a few paragraphs of HTML.
fn large_feed(items: usize) -> Vec<u8> {
    let mut feed = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>Bench</title><link>https://bench.example/</link>",
    );
    for n in 0..items {
        feed.push_str(&format!(
            "<item><title>Story number {n} &amp; more</title><link>https://bench.example/2025/09/story-{n}</link>\
             <guid isPermaLink=\"false\">bench-{n}</guid><pubDate>Sat, 27 Sep 2025 08:00:00 +0900</pubDate>\
             <dc:creator>Reporter {n}</dc:creator><category>News</category><category>World</category>\
             <description><![CDATA[<p>The first paragraph of story {n}, with a <a href=\"/x\">link</a>.</p>]]></description>\
             <content:encoded><![CDATA[<p>Paragraph one of story {n}.</p><p>Paragraph two, somewhat longer, with more words in it to look like a real article body.</p><p>Paragraph three.</p>]]></content:encoded></item>"
        ));
    }
    feed.push_str("</channel></rss>");
    feed.into_bytes()
}
