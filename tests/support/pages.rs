//! Fixture feeds and pages built in code, shaped like real sites (navigation, promos, comments around the
//! article), so pipeline tests exercise extraction and not just plumbing.

/// A news article page: site chrome, JSON-LD metadata, the article, then a comment section.
pub fn article_page(title: &str, author: &str, published: &str, paragraphs: &[&str]) -> String {
    let body: String = paragraphs
        .iter()
        .map(|paragraph| format!("<p>{paragraph}</p>\n"))
        .collect();
    let json_title = title.replace('\\', "\\\\").replace('"', "\\\"");
    let html_title = title.replace('&', "&amp;").replace('<', "&lt;");
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{html_title} | Example News</title>
<meta property="og:site_name" content="Example News">
<meta property="og:image" content="/images/cover.jpg">
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle","headline":"{json_title}","author":{{"@type":"Person","name":"{author}"}},"datePublished":"{published}"}}</script>
</head><body>
<header class="site-header"><nav><a href="/">Home</a> <a href="/tech">Tech</a> <a href="/ai">AI</a> <a href="/about">About us</a></nav></header>
<main><article class="post">
<h1 class="entry-title">{html_title}</h1>
<div class="byline">By {author}</div>
<div class="entry-content">
{body}</div>
</article>
<section class="comments"><h3>0 Comments</h3><h3>Submit a Comment</h3>
<form><p>Your email address will not be published. Required fields are marked *</p><textarea></textarea></form></section>
</main>
<footer class="site-footer"><p>© 2025 Example News. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
</body></html>"#
    )
}

/// Paragraphs long enough to look like an article to any extractor.
pub fn paragraphs(topic: &str) -> Vec<String> {
    vec![
        format!(
            "The {topic} story began early on Monday, when officials confirmed a plan that had been discussed for months behind closed doors."
        ),
        format!(
            "Analysts said the {topic} decision would reshape the market, citing years of slow growth, rising costs and a shortage of skilled engineers."
        ),
        format!(
            "Critics of the {topic} plan argued that the timeline was unrealistic, and that smaller companies would struggle to keep up with the new rules."
        ),
        format!(
            "Supporters countered that the {topic} changes were overdue, pointing to similar programmes abroad that had delivered measurable results."
        ),
        format!(
            "The final details of the {topic} programme are expected next month, after a public consultation closes at the end of the quarter."
        ),
    ]
}

pub fn rss(items: &[(String, String)]) -> String {
    let items: String = items
        .iter()
        .map(|(title, link)| {
            format!(
                "<item><title>{}</title><link>{}</link><pubDate>Sat, 27 Sep 2025 10:00:00 +0000</pubDate><category>AI</category></item>",
                xml_escape(title),
                xml_escape(link)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Fixture</title><link>http://example.test/</link><description>d</description>{items}</channel></rss>"
    )
}

pub fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
