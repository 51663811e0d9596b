//! A small news site on the loopback server: article pages and an RSS feed listing them, for the ops tests
//! (status, articles, filters, metrics) that need real articles stored.

use super::pages::{article_page, paragraphs, rss};
use super::server::{FixtureServer, Route};

/// Serves an article page per `(path, title, topic)` and an RSS feed at `feed_path` listing them in order.
pub fn serve(server: &FixtureServer, feed_path: &str, stories: &[(&str, &str, &str)]) {
    let mut items = Vec::new();
    for (path, title, topic) in stories {
        let paragraphs = paragraphs(topic);
        let paragraphs: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
        let page = article_page(title, "Jane Doe", "2025-09-27T09:30:00-07:00", &paragraphs);
        server.route(path, Route::ok("text/html; charset=utf-8", page));
        items.push((title.to_string(), server.url(path)));
    }
    server.route(feed_path, Route::ok("application/rss+xml", rss(&items)));
}
