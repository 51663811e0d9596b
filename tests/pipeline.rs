//! End to end through the real binary: feeds.toml → loopback server → SQLite → Markdown files.

use crate::support::pages::{article_page, paragraphs, rss, xml_escape};
use crate::support::server::{FixtureServer, Route};
use crate::support::workspace::{Workspace, config_with, feed_entry, front_matter, stderr, stdout};

const HTML: &str = "text/html; charset=utf-8";
const RSS: &str = "application/rss+xml";

/// Serves an article page at `path` with the standard fixture paragraphs about `topic`.
fn serve_article(server: &FixtureServer, path: &str, title: &str, topic: &str) {
    let paragraphs = paragraphs(topic);
    let paragraphs: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
    let page = article_page(title, "Jane Doe", "2025-09-27T09:30:00-07:00", &paragraphs);
    server.route(path, Route::ok(HTML, page));
}

fn once(workspace: &Workspace) -> std::process::Output {
    workspace.run(&["once"])
}

#[test]
fn rss_atom_and_json_feeds_each_produce_articles() {
    let server = FixtureServer::start();
    serve_article(&server, "/rss-story", "Chips act passes", "semiconductor");
    serve_article(&server, "/atom-story", "Rivers run dry", "drought");
    serve_article(&server, "/json-story", "Rockets return", "launch");
    server.route(
        "/rss",
        Route::ok(RSS, rss(&[("Chips act passes".into(), server.url("/rss-story"))])),
    );
    let atom = r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2025-09-27T10:00:00Z</updated>
<entry><title>Rivers run dry</title><id>urn:a:1</id><link rel="alternate" href="/atom-story"/><updated>2025-09-27T10:00:00Z</updated><author><name>Ann</name></author></entry></feed>"#.to_string();
    server.route("/atom", Route::ok("application/atom+xml", atom));
    let json = format!(
        r#"{{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{{"id":"1","url":"{}","title":"Rockets return","date_published":"2025-09-27T10:00:00Z"}}]}}"#,
        server.url("/json-story")
    );
    server.route("/json", Route::ok("application/feed+json", json));

    let workspace = Workspace::new();
    workspace.write_config(&config_with(&format!(
        "{}{}{}",
        feed_entry(
            "rss",
            &server.url("/rss"),
            "category = \"Chips\"\ntags = [\"Policy\"]"
        ),
        feed_entry("atom", &server.url("/atom"), ""),
        feed_entry("json", &server.url("/json"), "")
    )));
    let output = once(&workspace);
    assert_eq!(output.status.code(), Some(0), "stderr:\n{}", stderr(&output));

    let articles = workspace.articles();
    let names: Vec<&str> = articles.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "2025-09-27-chips-act-passes.md",
            "2025-09-27-rivers-run-dry.md",
            "2025-09-27-rockets-return.md"
        ]
    );
    let (meta, body) = front_matter(&articles[0].1);
    assert_eq!(meta["title"], "Chips act passes");
    assert_eq!(meta["date"], "2025-09-27");
    assert_eq!(meta["author"], "Jane Doe");
    assert_eq!(meta["category"], "Chips");
    assert_eq!(meta["tags"], serde_json::json!(["Policy", "AI"]));
    assert_eq!(meta["source"], server.url("/rss-story"));
    assert_eq!(meta["coverImage"], server.url("/images/cover.jpg"));
    assert!(
        meta["excerpt"]
            .as_str()
            .is_some_and(|excerpt| !excerpt.is_empty())
    );
    assert!(body.contains("shortage of skilled engineers"), "{body}");
    assert!(
        body.contains("end of the quarter."),
        "last paragraph kept: {body}"
    );
    for boilerplate in [
        "Submit a Comment",
        "0 Comments",
        "About us",
        "All rights reserved",
    ] {
        assert!(!body.contains(boilerplate), "{boilerplate:?} in body:\n{body}");
    }
    let keys: Vec<&str> = articles[0]
        .1
        .lines()
        .skip(1)
        .take_while(|line| *line != "---")
        .filter_map(|line| line.split_once(':').map(|(key, _)| key))
        .filter(|key| !key.starts_with(' '))
        .collect();
    assert_eq!(
        keys,
        [
            "title",
            "date",
            "excerpt",
            "coverImage",
            "author",
            "tags",
            "category",
            "source"
        ]
    );
}

#[test]
fn euc_kr_feed_and_page_without_http_charset_come_out_as_hangul() {
    let server = FixtureServer::start();
    let title = "인공지능 반도체 수출이 사상 최대를 기록했다";
    let feed = format!(
        "<?xml version=\"1.0\" encoding=\"EUC-KR\"?><rss version=\"2.0\"><channel><title>뉴스</title><link>http://x/</link><description>d</description><item><title>{title}</title><link>{}</link></item></channel></rss>",
        server.url("/ko/1")
    );
    server.route(
        "/ko-feed",
        Route::ok(
            "application/xml",
            encoding_rs::EUC_KR.encode(&feed).0.into_owned(),
        ),
    );
    let korean_paragraphs = [
        "산업통상자원부는 지난달 인공지능 반도체 수출액이 전년 같은 기간보다 크게 늘어 사상 최대를 기록했다고 밝혔다.",
        "정부는 데이터센터 투자가 늘어나면서 고대역폭 메모리에 대한 수요가 급증한 것이 주된 원인이라고 설명했다.",
        "업계에서는 이러한 흐름이 내년까지 이어질 것으로 보고 생산 설비를 늘리는 방안을 검토하고 있다.",
        "전문가들은 다만 특정 국가에 대한 의존도가 높아지는 점은 위험 요인이 될 수 있다고 지적했다.",
    ];
    let page = format!(
        "<html><head><title>{title} - 한국일보</title></head><body><div id=\"gnb\"><a href=\"/\">홈</a> <a href=\"/eco\">경제</a></div><div class=\"article_txt\">{}</div><div class=\"copyright\">무단 전재 및 재배포 금지</div></body></html>",
        korean_paragraphs
            .iter()
            .map(|p| format!("<p>{p}</p>"))
            .collect::<String>()
    );
    // No charset anywhere: not in the header, not in the page. Detection must find EUC-KR.
    server.route(
        "/ko/1",
        Route::ok("text/html", encoding_rs::EUC_KR.encode(&page).0.into_owned()),
    );

    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("korean", &server.url("/ko-feed"), "")));
    let output = once(&workspace);
    assert_eq!(output.status.code(), Some(0), "stderr:\n{}", stderr(&output));
    let articles = workspace.articles();
    assert_eq!(articles.len(), 1, "{articles:?}");
    let (meta, body) = front_matter(&articles[0].1);
    assert_eq!(meta["title"], title);
    assert!(articles[0].0.contains("인공지능-반도체"), "{}", articles[0].0);
    assert!(body.contains("고대역폭 메모리에 대한 수요가 급증한"), "{body}");
    assert!(body.contains("위험 요인이 될 수 있다고 지적했다."), "{body}");
}

#[test]
fn same_story_in_two_feeds_with_tracking_and_fragment_gives_one_file() {
    let server = FixtureServer::start();
    serve_article(&server, "/story", "One story twice", "merger");
    server.route(
        "/feed-a",
        Route::ok(
            RSS,
            rss(&[(
                "One story twice".into(),
                server.url("/story?utm_source=rss&utm_medium=feed"),
            )]),
        ),
    );
    server.route(
        "/feed-b",
        Route::ok(
            RSS,
            rss(&[("One story twice".into(), server.url("/story#comments"))]),
        ),
    );
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&format!(
        "{}{}",
        feed_entry("a", &server.url("/feed-a"), ""),
        feed_entry("b", &server.url("/feed-b"), "")
    )));
    let output = once(&workspace);
    assert_eq!(output.status.code(), Some(0), "stderr:\n{}", stderr(&output));
    let articles = workspace.articles();
    assert_eq!(
        articles.len(),
        1,
        "{:?}",
        articles.iter().map(|(name, _)| name).collect::<Vec<_>>()
    );
    let (meta, _) = front_matter(&articles[0].1);
    assert_eq!(meta["source"], server.url("/story"));
}

#[test]
fn page_404_falls_back_to_rich_feed_content_or_stays_retryable() {
    let server = FixtureServer::start();
    let rich: String = paragraphs("harbour")
        .iter()
        .map(|p| format!("<p>{p}</p>"))
        .collect();
    let feed = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>F</title><link>http://x/</link><description>d</description>\
         <item><title>Harbour expansion</title><link>{}</link><content:encoded><![CDATA[{rich}]]></content:encoded></item>\
         <item><title>Teaser only</title><link>{}</link><description>Read more…</description></item></channel></rss>",
        xml_escape(&server.url("/gone-rich")),
        xml_escape(&server.url("/gone-teaser"))
    );
    server.route("/feed", Route::ok(RSS, feed));
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("f", &server.url("/feed"), "")));

    let output = once(&workspace);
    assert_eq!(
        output.status.code(),
        Some(0),
        "an item failure is not a feed failure:\n{}",
        stderr(&output)
    );
    let articles = workspace.articles();
    assert_eq!(articles.len(), 1);
    assert!(
        articles[0].1.contains("public consultation closes"),
        "{}",
        articles[0].1
    );
    let log = stderr(&output);
    assert!(
        log.contains("404") && log.contains("/gone-teaser"),
        "the failure names the URL and status:\n{log}"
    );
    assert!(
        stdout(&output).contains("HTTP 404"),
        "summary shows the reason:\n{}",
        stdout(&output)
    );

    // The teaser's page comes back: the next poll retries the item (the feed itself is unchanged) and
    // writes it.
    serve_article(&server, "/gone-teaser", "Teaser only", "festival");
    let output = once(&workspace);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(workspace.articles().len(), 2);
    assert_eq!(
        server.hits("/gone-rich"),
        1,
        "a stored article is not fetched again"
    );
}

#[test]
fn redirected_item_is_stored_under_its_final_url() {
    let server = FixtureServer::start();
    serve_article(&server, "/final", "Moved story", "airport");
    server.route("/short/1", Route::redirect("/final"));
    server.route(
        "/feed",
        Route::ok(RSS, rss(&[("Moved story".into(), server.url("/short/1"))])),
    );
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("f", &server.url("/feed"), "")));
    let output = once(&workspace);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let articles = workspace.articles();
    assert_eq!(articles.len(), 1);
    assert_eq!(front_matter(&articles[0].1).0["source"], server.url("/final"));

    // A second feed linking the final URL directly is a duplicate.
    server.route(
        "/feed2",
        Route::ok(RSS, rss(&[("Moved story".into(), server.url("/final"))])),
    );
    workspace.write_config(&config_with(&format!(
        "{}{}",
        feed_entry("f", &server.url("/feed"), ""),
        feed_entry("g", &server.url("/feed2"), "")
    )));
    let output = once(&workspace);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(workspace.articles().len(), 1);
    assert_eq!(server.hits("/final"), 1);

    // Another short link to the same story: fetched once to learn where it leads, then remembered.
    server.route("/short/2", Route::redirect("/final"));
    server.route(
        "/feed",
        Route::ok(RSS, rss(&[("Moved story".into(), server.url("/short/2"))])),
    );
    for _ in 0..2 {
        let output = once(&workspace);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    assert_eq!(workspace.articles().len(), 1);
    assert_eq!(
        server.hits("/short/2"),
        1,
        "a link known to redirect to a stored article is not fetched again"
    );
}

#[test]
fn malformed_feed_beside_a_good_one_exits_1_and_keeps_the_good_articles() {
    let server = FixtureServer::start();
    serve_article(&server, "/good-story", "Good news", "weather");
    server.route(
        "/good",
        Route::ok(RSS, rss(&[("Good news".into(), server.url("/good-story"))])),
    );
    server.route("/broken", Route::ok(RSS, "this is not XML at all { ] <"));
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&format!(
        "{}{}{}",
        feed_entry("broken", &server.url("/broken"), ""),
        feed_entry("missing", &server.url("/missing"), ""),
        feed_entry("good", &server.url("/good"), "")
    )));
    let output = once(&workspace);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(workspace.articles().len(), 1);
    let log = stderr(&output);
    for expected in [
        "feed=broken",
        "not a feed",
        "feed=missing",
        "HTTP 404",
        &server.url("/broken"),
    ] {
        assert!(log.contains(expected), "{expected:?} missing from log:\n{log}");
    }
    let summary = stdout(&output);
    assert!(
        summary.contains("FAILED") && summary.contains("good"),
        "{summary}"
    );
}

#[test]
fn rerun_writes_and_changes_nothing() {
    let server = FixtureServer::start();
    serve_article(&server, "/s1", "Stable story", "budget");
    server.route(
        "/feed",
        Route::ok(RSS, rss(&[("Stable story".into(), server.url("/s1"))])),
    );
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("f", &server.url("/feed"), "")));
    assert_eq!(once(&workspace).status.code(), Some(0));
    let first = workspace.articles();
    let modified = std::fs::metadata(workspace.output_dir().join(&first[0].0))
        .and_then(|meta| meta.modified())
        .ok();
    let output = once(&workspace);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(workspace.articles(), first);
    let modified_again = std::fs::metadata(workspace.output_dir().join(&first[0].0))
        .and_then(|meta| meta.modified())
        .ok();
    assert_eq!(modified, modified_again, "the file was rewritten");
    assert_eq!(server.hits("/s1"), 1);
    assert!(
        stdout(&output).contains("0 articles written"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn yaml_hostile_title_round_trips() {
    let hostile = "No: \"quotes\", 'single' #hash --- & *star [x] {y} | > % @ ` yes \\ 한국어 🚀";
    let server = FixtureServer::start();
    serve_article(&server, "/hostile", hostile, "parser");
    server.route(
        "/feed",
        Route::ok(RSS, rss(&[(hostile.into(), server.url("/hostile"))])),
    );
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry(
        "f",
        &server.url("/feed"),
        "tags = [\"no\", \"on\", \"1.0\"]\ncategory = \"null\"",
    )));
    let output = once(&workspace);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let articles = workspace.articles();
    let (meta, _) = front_matter(&articles[0].1);
    assert_eq!(meta["title"], hostile);
    assert_eq!(meta["category"], "null");
    assert_eq!(meta["tags"], serde_json::json!(["no", "on", "1.0", "AI"]));
    assert!(!articles[0].0.contains('/') && articles[0].0.ends_with(".md"));
}

#[test]
fn killed_between_commit_and_write_the_file_is_restored_on_next_start() {
    let server = FixtureServer::start();
    serve_article(&server, "/s", "Restored story", "rail");
    server.route(
        "/feed",
        Route::ok(RSS, rss(&[("Restored story".into(), server.url("/s"))])),
    );
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("f", &server.url("/feed"), "")));
    assert_eq!(once(&workspace).status.code(), Some(0));
    let articles = workspace.articles();
    // A crash between commit and rename leaves the row without a written file (a file deleted after it was
    // written is a tombstone instead, see output_files).
    std::fs::remove_file(workspace.output_dir().join(&articles[0].0)).expect("remove");
    rusqlite::Connection::open(workspace.path().join("tidings.db"))
        .and_then(|database| database.execute("DELETE FROM written_files", []))
        .expect("forget the write");
    std::fs::write(workspace.output_dir().join(".tidings-999-1.tmp"), "half").expect("stale temp");
    assert_eq!(once(&workspace).status.code(), Some(0));
    assert_eq!(workspace.articles(), articles, "file restored, temp file swept");
}

#[test]
fn a_feed_that_times_out_is_reported_and_the_others_complete() {
    let server = FixtureServer::start();
    serve_article(&server, "/ok-story", "Prompt story", "tram");
    server.route(
        "/ok",
        Route::ok(RSS, rss(&[("Prompt story".into(), server.url("/ok-story"))])),
    );
    server.route(
        "/slow",
        Route::ok(RSS, rss(&[])).delayed(std::time::Duration::from_secs(4)),
    );
    let workspace = Workspace::new();
    let config = config_with(&format!(
        "{}{}",
        feed_entry("slow", &server.url("/slow"), ""),
        feed_entry("ok", &server.url("/ok"), "")
    ))
    .replace("timeout = \"5s\"", "timeout = \"1s\"");
    workspace.write_config(&config);
    let output = once(&workspace);
    assert_eq!(output.status.code(), Some(1));
    let log = stderr(&output);
    assert!(
        log.contains("feed=slow") && log.contains("timed out") && log.contains(&server.url("/slow")),
        "{log}"
    );
    assert_eq!(workspace.articles().len(), 1);
}

#[test]
fn feeds_past_one_read_ahead_batch_each_poll_with_their_own_state() {
    // `once` reads its feeds' records in batches of 64 ahead of their polls: a record handed to the wrong
    // feed would send the wrong ETag and turn a 304 into a full fetch.
    let server = FixtureServer::start();
    let mut feeds = String::new();
    for n in 0..70 {
        let (page, feed) = (format!("/story-{n}"), format!("/feed-{n}"));
        serve_article(&server, &page, &format!("Story number {n}"), "harbour");
        let items = rss(&[(format!("Story number {n}"), server.url(&page))]);
        server.route(&feed, Route::ok(RSS, items).with_etag(&format!("\"v{n}\"")));
        feeds.push_str(&feed_entry(&format!("f{n:02}"), &server.url(&feed), ""));
    }
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feeds));
    let first = once(&workspace);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert_eq!(workspace.articles().len(), 70);

    let again = once(&workspace);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let summary = stdout(&again);
    let unchanged = summary
        .lines()
        .filter(|line| line.starts_with('f') && line.contains("not modified"))
        .count();
    assert_eq!(unchanged, 70, "{summary}");
    assert!(summary.contains("0 articles written"), "{summary}");
}
