//! The loopback web the load bench polls: one HTTP server per feed, each on its own loopback address
//! (127.1.x.y; Linux routes all of 127/8 to `lo`), serving an RSS feed and its article pages with ETags and
//! Last-Modified, answering 304 to a matching `If-None-Match`. Pages are realistic news pages of about
//! 100 KB (head scripts and styles, navigation, article, related links, footer), assembled from a few
//! pre-built parts so the server spends little of the machine's CPU; or saved real pages, given as files,
//! served in turn.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

const LAST_MODIFIED: &str = "Wed, 25 Nov 2026 08:00:00 GMT";
/// Distinct article bodies; a page combines one with its own headline and lede.
const VARIANTS: usize = 8;

/// Requests the site answered, by kind.
#[derive(Default)]
pub struct Counters {
    pub feeds_full: AtomicUsize,
    pub feeds_not_modified: AtomicUsize,
    pub pages: AtomicUsize,
    pub page_bytes: AtomicUsize,
}

impl Counters {
    pub fn snapshot(&self) -> [usize; 4] {
        [
            self.feeds_full.load(Ordering::Relaxed),
            self.feeds_not_modified.load(Ordering::Relaxed),
            self.pages.load(Ordering::Relaxed),
            self.page_bytes.load(Ordering::Relaxed),
        ]
    }
}

/// The running site: one listener per feed, served by a runtime on its own thread.
pub struct Site {
    pub feed_urls: Vec<String>,
    pub counters: Arc<Counters>,
    /// The feeds' edition: every feed's body and ETag change with it, their items stay the same.
    edition: Arc<AtomicUsize>,
}

/// The loopback address of feed `index`: 127.1.0.1, 127.1.0.2, … 250 hosts per third octet.
fn feed_address(index: usize) -> Ipv4Addr {
    let third = u8::try_from(index / 250).expect("at most 64,000 feeds");
    let fourth = u8::try_from(index % 250 + 1).expect("below 251");
    Ipv4Addr::new(127, 1, third, fourth)
}

impl Site {
    /// `saved_pages` (may be empty) replace the built pages: item `i` of feed `f` is page `f × items + i`,
    /// round the list.
    pub fn start(feeds: usize, items: usize, saved_pages: Vec<Bytes>) -> Self {
        let parts = Arc::new(Parts::build());
        let saved_pages = Arc::new(saved_pages);
        let counters: Arc<Counters> = Arc::default();
        let edition: Arc<AtomicUsize> = Arc::default();
        let mut listeners = Vec::with_capacity(feeds);
        let mut feed_urls = Vec::with_capacity(feeds);
        for index in 0..feeds {
            let listener = std::net::TcpListener::bind((feed_address(index), 0))
                .unwrap_or_else(|error| panic!("bind {}: {error}", feed_address(index)));
            listener.set_nonblocking(true).expect("nonblocking listener");
            let address = listener.local_addr().expect("listener address");
            feed_urls.push(format!("http://{address}/feed.xml"));
            listeners.push((index, address, listener));
        }
        let served = Arc::clone(&counters);
        let current_edition = Arc::clone(&edition);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("server runtime");
            runtime.block_on(async move {
                for (index, address, listener) in listeners {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                    let feed = Arc::new(FeedSite {
                        index,
                        address,
                        items,
                        parts: Arc::clone(&parts),
                        saved_pages: Arc::clone(&saved_pages),
                        counters: Arc::clone(&served),
                        edition: Arc::clone(&current_edition),
                    });
                    tokio::spawn(accept_loop(listener, feed));
                }
                std::future::pending::<()>().await;
            });
        });
        Self {
            feed_urls,
            counters,
            edition,
        }
    }

    /// Changes every feed (a new edition: new body and ETag) without adding an item, as a feed looks to
    /// its reader after a typo fix or a reordering.
    pub fn change_every_feed(&self) {
        self.edition.fetch_add(1, Ordering::Relaxed);
    }
}

async fn accept_loop(listener: tokio::net::TcpListener, feed: Arc<FeedSite>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let feed = Arc::clone(&feed);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let feed = Arc::clone(&feed);
                async move { Ok::<_, Infallible>(feed.respond(&request)) }
            });
            // One request per connection: 10,000 hosts of idle keep-alive connections would exhaust the
            // bench's own descriptors; the client still pays a connect per request, as after a server's
            // idle timeout on a real schedule.
            let _ = http1::Builder::new()
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

struct FeedSite {
    index: usize,
    address: SocketAddr,
    items: usize,
    parts: Arc<Parts>,
    saved_pages: Arc<Vec<Bytes>>,
    counters: Arc<Counters>,
    edition: Arc<AtomicUsize>,
}

impl FeedSite {
    fn respond(&self, request: &Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
        let path = request.uri().path();
        let if_none_match = request
            .headers()
            .get("if-none-match")
            .and_then(|value| value.to_str().ok());
        if path == "/feed.xml" {
            let edition = self.edition.load(Ordering::Relaxed);
            let etag = format!("\"feed-{}-{edition}\"", self.index);
            if if_none_match == Some(etag.as_str()) {
                self.counters.feeds_not_modified.fetch_add(1, Ordering::Relaxed);
                return reply(304, "application/rss+xml", &etag, Vec::new());
            }
            self.counters.feeds_full.fetch_add(1, Ordering::Relaxed);
            return reply(
                200,
                "application/rss+xml",
                &etag,
                self.feed_xml(edition).into_bytes(),
            );
        }
        let item = path
            .strip_prefix("/news/")
            .and_then(|rest| rest.strip_suffix(".html"))
            .and_then(|number| number.parse::<usize>().ok())
            .filter(|item| *item < self.items);
        let Some(item) = item else {
            return reply(404, "text/plain", "\"none\"", b"not found".to_vec());
        };
        let etag = format!("\"page-{}-{item}\"", self.index);
        let (page, content_type) = match self.saved_pages.len() {
            0 => (Bytes::from(self.page(item)), "text/html; charset=utf-8"),
            // A saved page declares its own encoding, if at all, as it did on its site.
            saved => (
                self.saved_pages[(self.index * self.items + item) % saved].clone(),
                "text/html",
            ),
        };
        self.counters.pages.fetch_add(1, Ordering::Relaxed);
        self.counters.page_bytes.fetch_add(page.len(), Ordering::Relaxed);
        reply(200, content_type, &etag, page)
    }

    fn headline(&self, item: usize) -> String {
        format!(
            "Council {} approves plan {} for the harbour district",
            self.index, item
        )
    }

    fn feed_xml(&self, edition: usize) -> String {
        let mut xml = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>Loopback \
             Gazette {}</title><link>http://{}/</link><description>Local news, edition {edition}</description>\n",
            self.index, self.address
        );
        for item in 0..self.items {
            xml.push_str(&format!(
                "<item><title>{}</title><link>http://{}/news/{item}.html</link><guid>http://{}/news/{item}.html</guid>\
                 <pubDate>Wed, 25 Nov 2026 0{}:00:00 GMT</pubDate><description>A short teaser for story {item}: the \
                 council met on Tuesday.</description><category>Local</category></item>\n",
                self.headline(item),
                self.address,
                self.address,
                item % 8,
            ));
        }
        xml.push_str("</channel></rss>\n");
        xml
    }

    fn page(&self, item: usize) -> String {
        let title = self.headline(item);
        let parts = &self.parts;
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} | Loopback Gazette</title>\
             <meta property=\"og:title\" content=\"{title}\"><meta name=\"description\" content=\"What the vote on \
             plan {item} means for residents.\"><meta property=\"article:published_time\" \
             content=\"2026-11-25T0{hour}:00:00Z\"><meta name=\"author\" content=\"Reporter {feed}\">\
             <link rel=\"canonical\" href=\"http://{address}/news/{item}.html\">{head}</head><body>{nav}<main><article>\
             <h1>{title}</h1><p class=\"byline\">By Reporter {feed}</p><p>Councillors in district {feed} voted on \
             Tuesday to approve plan {item}, ending a debate that had run for most of the year.</p>{body}</article>\
             {tail}</body></html>",
            hour = item % 8,
            feed = self.index,
            address = self.address,
            head = parts.head,
            nav = parts.nav,
            body = parts.bodies[(self.index + item) % VARIANTS],
            tail = parts.tail,
        )
    }
}

fn reply(status: u16, content_type: &str, etag: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("etag", etag)
        .header("last-modified", LAST_MODIFIED)
        .body(Full::new(body.into()))
        .expect("valid response")
}

/// The pre-built parts pages are assembled from.
struct Parts {
    /// Inline styles and scripts, as news sites ship them (~40 KB).
    head: String,
    /// Site navigation (~14 KB).
    nav: String,
    /// Article bodies: ~16 paragraphs each (~9 KB).
    bodies: Vec<String>,
    /// Related stories, comments teaser, footer and trailing scripts (~35 KB).
    tail: String,
}

impl Parts {
    fn build() -> Self {
        let mut words = Words(0x2545_f491_4f6c_dd1d);
        let mut head = String::from("<style>");
        for rule in 0..700 {
            head.push_str(&format!(
                ".c{rule} .{}{{margin:{}px;color:#{:06x}}}",
                words.word(),
                rule % 17,
                rule * 2731 % 0xff_ffff
            ));
        }
        head.push_str("</style><script>window.dataLayer=window.dataLayer||[];");
        for call in 0..400 {
            head.push_str(&format!(
                "dataLayer.push({{event:'{}',slot:{call},size:[{},{}]}});",
                words.word(),
                call % 3 * 300,
                call % 5 * 50
            ));
        }
        head.push_str("</script>");
        let mut nav = String::from("<header><nav class=\"site-menu\"><ul>");
        for link in 0..220 {
            nav.push_str(&format!(
                "<li><a href=\"/section/{link}\">{} {}</a></li>",
                words.title(),
                words.word()
            ));
        }
        nav.push_str("</ul></nav></header>");
        let bodies = (0..VARIANTS)
            .map(|_| {
                let mut body = String::new();
                for paragraph in 0..16 {
                    body.push_str("<p>");
                    body.push_str(&words.sentences(5));
                    body.push_str("</p>");
                    if paragraph == 7 {
                        body.push_str(
                            "<div class=\"ad-slot\"><script>dataLayer.push({ad:'mid'});</script></div>",
                        );
                    }
                }
                body
            })
            .collect();
        let mut tail = String::from("</main><aside class=\"related\"><h2>More stories</h2><ul>");
        for story in 0..90 {
            tail.push_str(&format!(
                "<li><a href=\"/story/{story}\"><img src=\"/img/{story}.jpg\" alt=\"\">{}</a><p>{}</p></li>",
                words.title(),
                words.sentences(1)
            ));
        }
        tail.push_str("</ul></aside><footer><ul>");
        for link in 0..200 {
            tail.push_str(&format!(
                "<li><a href=\"/about/{link}\">{}</a></li>",
                words.title()
            ));
        }
        tail.push_str("</ul><p>© Loopback Gazette. All rights reserved.</p></footer><script>");
        for call in 0..250 {
            tail.push_str(&format!("track('{}',{call});", words.word()));
        }
        tail.push_str("</script>");
        Self {
            head,
            nav,
            bodies,
            tail,
        }
    }
}

/// Deterministic filler prose (a linear congruential generator over a small vocabulary).
struct Words(u64);

const VOCABULARY: &[&str] = &[
    "council",
    "harbour",
    "residents",
    "budget",
    "plan",
    "vote",
    "district",
    "transport",
    "housing",
    "school",
    "market",
    "river",
    "bridge",
    "mayor",
    "report",
    "season",
    "weather",
    "festival",
    "library",
    "station",
    "a",
    "the",
    "of",
    "and",
    "to",
    "in",
    "for",
    "with",
    "on",
    "by",
    "new",
    "local",
    "public",
    "said",
    "would",
    "could",
    "after",
    "before",
    "during",
    "years",
    "months",
    "week",
    "families",
    "workers",
    "owners",
    "support",
    "opposed",
    "approved",
    "delayed",
    "funding",
    "construction",
    "traffic",
    "parking",
    "park",
];

impl Words {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(self.0 >> 33).expect("31 bits fit") % VOCABULARY.len()
    }

    fn word(&mut self) -> &'static str {
        VOCABULARY[self.next()]
    }

    fn title(&mut self) -> String {
        let mut title = String::new();
        for index in 0..4 {
            let word = self.word();
            if index == 0 {
                let mut chars = word.chars();
                title.extend(chars.next().map(|first| first.to_ascii_uppercase()));
                title.push_str(chars.as_str());
            } else {
                title.push(' ');
                title.push_str(word);
            }
        }
        title
    }

    fn sentences(&mut self, count: usize) -> String {
        let mut text = String::new();
        for _ in 0..count {
            text.push_str(&self.title());
            for _ in 0..14 {
                text.push(' ');
                text.push_str(self.word());
            }
            text.push_str(". ");
        }
        text
    }
}
