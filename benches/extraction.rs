//! Extraction throughput, latency, quality and memory on the fixture corpus (`cargo bench --bench
//! extraction`). A plain `main`: one thread, each page extracted repeatedly for about five seconds in
//! total, then one measured extraction per page under a counting allocator for peak heap use.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use url::Url;

// Its unit tests are not run here (no test harness), which leaves their imports unused under `--all-targets`.
#[cfg_attr(test, allow(unused_imports))]
#[path = "../tests/support/shingles.rs"]
mod shingles;

/// Counts live heap bytes and remembers the highest value since the last reset.
struct CountingAllocator;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`; the wrapper only updates counters.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            record_growth(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(pointer, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
            record_growth(new_size);
        }
        moved
    }
}

fn record_growth(bytes: usize) {
    let live = LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK_BYTES.fetch_max(live, Ordering::Relaxed);
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Heap growth above the starting level at the peak of `work`.
fn peak_heap_during(work: impl FnOnce()) -> usize {
    let baseline = LIVE_BYTES.load(Ordering::Relaxed);
    PEAK_BYTES.store(baseline, Ordering::Relaxed);
    work();
    PEAK_BYTES.load(Ordering::Relaxed).saturating_sub(baseline)
}

const MEASURE_FOR: Duration = Duration::from_secs(5);
const SYNTHETIC_PAGE_BYTES: usize = 15 * 1024 * 1024;

struct Page {
    case: String,
    url: Url,
    html: String,
    reference: String,
}

fn pages_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join("pages")
}

fn load_corpus() -> Vec<Page> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(pages_dir())
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs.iter()
        .filter_map(|dir| {
            let bytes = std::fs::read(dir.join("source.html")).ok()?;
            let expected: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).ok()?).ok()?;
            let url = Url::parse(expected["url"].as_str()?).ok()?;
            let reference = shingles::strip_markdown(&std::fs::read_to_string(dir.join("expected.md")).ok()?);
            Some(Page {
                case: dir.file_name()?.to_string_lossy().into_owned(),
                url,
                html: tidings::charset::decode(&bytes, None).text,
                reference,
            })
        })
        .collect()
}

/// A page of about `target_bytes`: realistic article and furniture blocks repeated.
fn synthetic_page(target_bytes: usize) -> String {
    let article = "<div class=\"article-body\"><p>The council voted on Tuesday, after a long and heated \
        debate, to expand the city's tram network into the eastern districts, a plan that officials say will \
        cut commuting times by a third.</p><h2>What happens next</h2><p>Construction is expected to begin \
        next spring, with the first <a href=\"/trams\">new line</a> opening in 2028.</p><figure><img \
        data-src=\"/img/tram.jpg\" alt=\"A tram\"><figcaption>A tram in the old town.</figcaption></figure>\
        </div>";
    let furniture = "<aside class=\"related\"><h3>Related stories</h3><ul><li><a href=\"/a\">One</a></li>\
        <li><a href=\"/b\">Two</a></li></ul></aside><div class=\"ad-slot\">Advertisement</div><div \
        class=\"share-bar\"><a href=\"#\">Share</a> <a href=\"#\">Tweet</a></div>";
    let mut page = String::from(
        "<!doctype html><html lang=\"en\"><head><title>Big page | Site</title></head>\
        <body><nav><a href=\"/\">Home</a></nav><main><article>",
    );
    while page.len() < target_bytes {
        page.push_str(article);
        page.push_str(furniture);
    }
    page.push_str("</article></main><footer>© Site</footer></body></html>");
    page
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

fn main() {
    let corpus = load_corpus();
    if corpus.is_empty() {
        eprintln!("no fixture pages under {}", pages_dir().display());
        return;
    }
    let options = tidings::extract::ExtractOptions::default();
    let total_bytes: usize = corpus.iter().map(|p| p.html.len()).sum();

    // Quality, and a warm-up for the timing loop.
    let (mut precision_sum, mut recall_sum) = (0.0, 0.0);
    for page in &corpus {
        let article = tidings::extract::extract(&page.html, &page.url, &options).unwrap_or_default();
        let (precision, recall) = shingles::shingle_scores(&article.text, &page.reference);
        precision_sum += precision;
        recall_sum += recall;
    }

    let mut latencies = Vec::new();
    let started = Instant::now();
    let mut rounds = 0usize;
    while started.elapsed() < MEASURE_FOR {
        for page in &corpus {
            let one = Instant::now();
            let article = tidings::extract::extract(&page.html, &page.url, &options);
            latencies.push(one.elapsed());
            std::hint::black_box(article.ok());
        }
        rounds += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pages = latencies.len() as f64;
    let mean = Duration::from_secs_f64(elapsed / pages);

    let largest = corpus.iter().max_by_key(|p| p.html.len());
    let largest_peak = largest.map_or(0, |page| {
        peak_heap_during(|| {
            std::hint::black_box(tidings::extract::extract(&page.html, &page.url, &options).ok());
        })
    });
    let synthetic = synthetic_page(SYNTHETIC_PAGE_BYTES);
    let synthetic_url = Url::parse("https://example.com/big").ok();
    let synthetic_started = Instant::now();
    let mut synthetic_outcome = String::from("not run");
    let synthetic_peak = synthetic_url.map_or(0, |url| {
        peak_heap_during(|| {
            synthetic_outcome = match tidings::extract::extract(&synthetic, &url, &options) {
                Ok(article) => format!("{} chars of text", article.text.len()),
                Err(error) => error.to_string(),
            };
        })
    });
    let synthetic_time = synthetic_started.elapsed();

    let count = corpus.len() as f64;
    let (precision, recall) = (precision_sum / count, recall_sum / count);
    let mib = |bytes: usize| bytes as f64 / (1024.0 * 1024.0);
    println!(
        "extraction bench: {} pages, {:.1} KiB total, {rounds} rounds",
        corpus.len(),
        total_bytes as f64 / 1024.0
    );
    println!("{:<34} {:>14}", "metric", "value");
    println!("{:<34} {:>14.1}", "pages/s", pages / elapsed);
    println!(
        "{:<34} {:>14.1}",
        "MB/s",
        (total_bytes * rounds) as f64 / 1e6 / elapsed
    );
    println!("{:<34} {:>14.3}", "ms/page (mean)", mean.as_secs_f64() * 1e3);
    println!(
        "{:<34} {:>14.3}",
        "ms/page (p95)",
        percentile(&latencies, 0.95).as_secs_f64() * 1e3
    );
    println!("{:<34} {:>14.4}", "mean precision", precision);
    println!("{:<34} {:>14.4}", "mean recall", recall);
    println!("{:<34} {:>14.4}", "corpus F1", shingles::f1(precision, recall));
    if let Some(page) = largest {
        let label = format!("peak heap, largest ({} KiB)", page.html.len() / 1024);
        println!("{label:<34} {:>11.1} MiB", mib(largest_peak));
        println!("{:<34} {:>14}", "largest page", page.case);
    }
    let label = format!("peak heap, synthetic {:.0} MiB", mib(synthetic.len()));
    println!("{label:<34} {:>11.1} MiB", mib(synthetic_peak));
    println!(
        "{:<34} {:>14.1}",
        "synthetic page time (ms)",
        synthetic_time.as_secs_f64() * 1e3
    );
    println!("{:<34} {synthetic_outcome}", "synthetic page outcome");
}
