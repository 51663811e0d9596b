//! Any text as a page and as a feed item's HTML fragment, through both public extraction entry points: each
//! must return an article or a clear error (the budget's included), never panic or overflow its stack.
#![no_main]

use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|html: &str| {
    let url = Url::parse("https://news.example/2025/09/story").expect("fixed URL");
    let _ = tidings::extract::extract(html, &url, &Default::default());
    let _ = tidings::extract::extract_fragment(html, &url);
});
