//! Any bytes, with any `Content-Type`, through the feed reader: it must return (items or "not a feed"),
//! never panic, overflow its stack or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use url::Url;

const CONTENT_TYPES: [Option<&str>; 5] = [
    None,
    Some("application/rss+xml"),
    Some("application/atom+xml; charset=iso-8859-1"),
    Some("application/feed+json"),
    Some("text/xml; charset=utf-16"),
];

fuzz_target!(|input: &[u8]| {
    let Some((&selector, bytes)) = input.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(selector) % CONTENT_TYPES.len()];
    let url = Url::parse("https://feeds.example/news/feed.xml").expect("fixed URL");
    let _ = tidings::feed_parse::parse(bytes, content_type, &url);
});
