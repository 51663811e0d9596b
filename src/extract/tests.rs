//! Behaviour of the whole extractor on small pages that each isolate one real-world layout problem.

use url::Url;

use super::{Article, ExtractOptions};

fn extract(html: &str, url: &Url, options: &ExtractOptions) -> Article {
    super::extract(html, url, options).unwrap_or_else(|error| panic!("{error}"))
}

fn extract_fragment(html: &str, url: &Url) -> Article {
    super::extract_fragment(html, url).unwrap_or_else(|error| panic!("{error}"))
}

const PROSE: &str = "The council voted on Tuesday, after a long and heated debate, to expand the tram network into \
                     the eastern districts, a plan that officials say will cut commuting times by a third.";

fn page(body: &str) -> String {
    format!("<!doctype html><html><head><title>Trams | Daily</title></head><body>{body}</body></html>")
}

fn url() -> Url {
    Url::parse("https://news.example.com/2025/trams").unwrap_or_else(|_| unreachable!("valid literal URL"))
}

fn text_of(html: &str) -> String {
    extract(html, &url(), &ExtractOptions::default()).text
}

#[test]
fn merges_an_article_split_by_ads() {
    let html = page(&format!(
        "<nav><a href='/'>Home</a></nav><div class='story'><div class='para'><p>First. {PROSE}</p></div>\
         <div class='ad-slot'>Advertisement</div><div class='para'><p>Second. {PROSE}</p></div>\
         <div class='para'><p>Last one.</p></div></div><div class='related'><a href='/x'>Other story</a></div>"
    ));
    let text = text_of(&html);
    assert!(text.starts_with("First."), "{text}");
    assert!(text.contains("Second."), "{text}");
    assert!(text.ends_with("Last one."), "{text}");
    assert!(
        !text.contains("Advertisement") && !text.contains("Other story"),
        "{text}"
    );
}

#[test]
fn double_breaks_separate_paragraphs() {
    let html = page(&format!(
        "<div class='post-body'>One {PROSE}<br><br>Two {PROSE}<br>still two</div>"
    ));
    let text = text_of(&html);
    assert!(text.contains(".\n\nTwo"), "{text:?}");
    assert!(text.contains("\nstill two"), "{text:?}");
}

#[test]
fn double_breaks_inside_an_inline_wrapper_separate_paragraphs() {
    // Blog hosts wrap a whole post in one styling `<span>`/`<font>`, its paragraphs split by breaks.
    for wrapper in ["span style='font-size:small'", "font size='2'"] {
        let tag = wrapper.split(' ').next().unwrap_or_default();
        let html = page(&format!(
            "<div class='entry'><{wrapper}>One {PROSE}<br><br>Two <b>{PROSE}</b><br>still two<br><br>\
             <a href='https://x.test/'>Three</a> {PROSE}</{tag}></div>"
        ));
        let text = text_of(&html);
        assert!(text.contains(".\n\nTwo"), "{wrapper}: {text:?}");
        assert!(text.contains("\nstill two\n\nThree"), "{wrapper}: {text:?}");
    }
}

#[test]
fn falls_back_to_json_ld_body_for_script_rendered_pages() {
    let body = format!("{PROSE}\\n\\nSecond paragraph. {PROSE}");
    let html = format!(
        "<html><head><script type='application/ld+json'>{{\"@type\":\"NewsArticle\",\"headline\":\"Trams\",\
         \"articleBody\":\"{body}\"}}</script></head><body><div id='root'>Loading…</div></body></html>"
    );
    let text = text_of(&html);
    assert!(
        text.starts_with("The council") && text.contains("\n\nSecond paragraph."),
        "{text}"
    );
}

#[test]
fn resolves_lazy_images_and_keeps_captions() {
    let html = page(&format!(
        "<article><p>{PROSE}</p><figure><img src='data:image/gif;base64,R0lGOD' data-srcset='/s.jpg 320w, /l.jpg 1280w' \
         alt='A tram'><figcaption>A tram. Photo: J. Doe</figcaption></figure><p>{PROSE}</p></article>"
    ));
    let article = extract(&html, &url(), &ExtractOptions::default());
    assert!(
        article
            .markdown
            .contains("![A tram](https://news.example.com/l.jpg)"),
        "{}",
        article.markdown
    );
    assert!(article.text.contains("A tram. Photo: J. Doe"), "{}", article.text);
    assert_eq!(
        article.cover_image.map(String::from).as_deref(),
        Some("https://news.example.com/l.jpg")
    );
}

#[test]
fn renders_markdown_structure() {
    let html = page(&format!(
        "<article><h1>Trams</h1><p>{PROSE} See <a href='/plan'>the plan</a> and *stars*.</p><h2>What happens next</h2>\
         <ul><li>one</li><li>two</li></ul><blockquote><p>Quoted words here.</p></blockquote>\
         <table><tr><th>Line</th><th>Year</th></tr><tr><td>East</td><td>2028</td></tr></table></article>"
    ));
    let article = extract(&html, &url(), &ExtractOptions::default());
    let markdown = article.markdown;
    assert!(!markdown.contains("# Trams"), "{markdown}");
    assert!(
        markdown.contains("[the plan](https://news.example.com/plan)"),
        "{markdown}"
    );
    assert!(markdown.contains("\\*stars\\*"), "{markdown}");
    assert!(
        markdown.contains("## What happens next\n\n- one\n- two"),
        "{markdown}"
    );
    assert!(markdown.contains("> Quoted words here."), "{markdown}");
    assert!(
        markdown.contains("| Line | Year |\n| --- | --- |\n| East | 2028 |"),
        "{markdown}"
    );
    assert!(
        !article.text.contains("##") && !article.text.contains("]("),
        "{}",
        article.text
    );
}

#[test]
fn options_override_scoring() {
    let html = page(&format!(
        "<div class='a'><p>{PROSE}</p><p class='junk'>Junk line here.</p></div><div id='b'><p>Short.</p></div>"
    ));
    let selector =
        |s: &str| scraper::Selector::parse(s).unwrap_or_else(|_| unreachable!("valid literal selector"));
    let options = ExtractOptions {
        content_selector: Some(selector("#b")),
        remove_selectors: vec![selector(".junk")],
        ..ExtractOptions::default()
    };
    assert_eq!(extract(&html, &url(), &options).text, "Short.");
    let options = ExtractOptions {
        content_selector: None,
        remove_selectors: vec![selector(".junk")],
        ..ExtractOptions::default()
    };
    assert!(!extract(&html, &url(), &options).text.contains("Junk"));
}

#[test]
fn fragments_lose_feed_boilerplate() {
    let html = format!(
        "<p>{PROSE}</p><script>track()</script><div class='sharedaddy'><a href='#'>Share</a></div>\
         <p>The post <a href='/x'>Trams</a> appeared first on <a href='/'>Daily</a>.</p>"
    );
    let article = extract_fragment(&html, &url());
    assert_eq!(article.text, PROSE);
    assert_eq!(article.language, None);
    assert_eq!(super::detect_language(&article.text).as_deref(), Some("en"));
    assert!(
        article
            .excerpt
            .is_some_and(|e| e.ends_with('…') && e.chars().count() <= 160)
    );
    assert!(article.title.is_none() && article.author.is_none() && article.published.is_none());
}

#[test]
fn pages_without_an_article_are_empty_not_errors() {
    for html in [
        "",
        "<html>",
        "<p>",
        "<<<>>>",
        "<body><nav><a href='/'>Home</a></nav></body>",
    ] {
        let article = extract(html, &url(), &ExtractOptions::default());
        assert!(article.text.is_empty(), "{html:?} → {:?}", article.text);
    }
}

#[test]
fn metadata_precedence() {
    let html = "<html lang='ko-KR'><head><title>제목 - 한국일보</title>\
        <meta property='og:site_name' content='한국일보'><meta property='og:title' content='OG 제목'>\
        <meta name='author' content='By 김기자'><meta property='article:published_time' content='2025-09-27T14:03:00+09:00'>\
        <meta property='og:image' content='/cover.jpg'></head><body><p>본문입니다.</p></body></html>";
    let article = extract(html, &url(), &ExtractOptions::default());
    assert_eq!(article.title.as_deref(), Some("OG 제목"));
    assert_eq!(article.author.as_deref(), Some("김기자"));
    assert_eq!(
        article.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2025-09-27T14:03:00+09:00")
    );
    assert_eq!(article.language.as_deref(), Some("ko"));
    assert_eq!(
        article.cover_image.map(String::from).as_deref(),
        Some("https://news.example.com/cover.jpg")
    );
}

#[test]
fn json_ld_name_wins_over_a_label_in_headline_when_the_title_repeats_it() {
    let html = "<html><head><title>List of films featuring time loops - Wikipedia</title>\
        <script type='application/ld+json'>{\"@type\":\"Article\",\"name\":\"List of films featuring time loops\",\
        \"headline\":\"Wikimedia list article\"}</script></head><body><p>Text.</p></body></html>";
    let article = extract(html, &url(), &ExtractOptions::default());
    assert_eq!(
        article.title.as_deref(),
        Some("List of films featuring time loops")
    );
    let html = html.replace("Wikimedia list article", "Films with time loops, listed");
    let article = extract(&html, &url(), &ExtractOptions::default());
    assert_eq!(
        article.title.as_deref(),
        Some("List of films featuring time loops")
    );
    let html = html.replace("List of films featuring time loops - Wikipedia", "Other");
    let article = extract(&html, &url(), &ExtractOptions::default());
    assert_eq!(article.title.as_deref(), Some("Films with time loops, listed"));
}

#[test]
fn keeps_the_rest_of_an_article_folded_into_a_read_more_box() {
    let html = page(&format!(
        "<div class='story-body'><p>Lede. {PROSE}</p><p>Second. {PROSE}</p><p>Third. {PROSE}</p>\
         <p>Fourth. {PROSE}</p><div id='read-more'><div id='read-more-link'><a href=''>Read more</a></div>\
         <div id='read-more-content'><p>Fifth. {PROSE}</p><p>Last. {PROSE}</p></div></div></div>"
    ));
    let text = text_of(&html);
    assert!(text.contains("Fifth.") && text.contains("Last."), "{text}");
    assert!(!text.contains("Read more"), "{text}");
}

#[test]
fn leaves_out_a_teaser_list_next_to_the_article() {
    let teaser = |n: u32| {
        format!(
            "<div class='story-block'><h4><strong>Kicker</strong> <a href='/s{n}'>Another story number {n}</a></h4>\
             <p class='standfirst'>A standfirst that sums up another story, number {n}, in one long sentence.</p></div>"
        )
    };
    let html = page(&format!(
        "<div id='story'><div class='story-body'><p>One. {PROSE}</p><p>Two. {PROSE}</p><p>Three. {PROSE}</p></div>\
         <div class='group'><h2>Other columns</h2>{}{}{}</div></div>",
        teaser(1),
        teaser(2),
        teaser(3)
    ));
    let text = text_of(&html);
    assert!(text.contains("Three."), "{text}");
    assert!(
        !text.contains("standfirst") && !text.contains("Other columns"),
        "{text}"
    );
}

#[test]
fn drops_headline_pieces_and_a_dated_byline_set_as_headings() {
    let html = "<!doctype html><html><head><title>Pearl Dress Stolen From Hotel | Gossip</title></head><body>\
                <div class='post-body'><h2>Pearl Dress</h2><h4>Stolen From Hotel!!!</h4>\
                <h5>2/26/2015 7:11 AM PST BY STAFF</h5>"
        .to_owned() + &format!("<p>One. {PROSE}</p><p>Two. {PROSE}</p></div></body></html>");
    let text = text_of(&html);
    assert!(text.starts_with("One."), "{text}");
}

#[test]
fn leaves_out_boxes_that_read_like_content() {
    let pitch = "<div class='story__insert member-pitch'><p>We are a nonprofit newsroom, and readers like you keep \
                 our reporting free for everyone in this city, which is why we ask.</p><p>A gift of any size helps \
                 us keep going through the year.</p><p><a href='/join/'>Become a member</a></p></div>";
    let cards = "<div class='carousel'><p>Shop the story</p><div><p>Steel shelf</p><p>$89.99</p>\
                 <a rel='sponsored nofollow' href='https://shop.example.com/1'>Buy at Shop</a></div><div>\
                 <p>Storage bins</p><p>$42.50</p><a rel='sponsored' href='https://shop.example.com/2'>Buy</a></div></div>";
    let html = page(&format!(
        "<div class='story'><p>One. {PROSE}</p>{pitch}<p>Two. {PROSE}</p>{cards}<p>Three. {PROSE}</p>\
         <p>Follow the desk on <a href='https://www.facebook.com/dailydesk'>Facebook</a> and \
         <a href='https://x.com/dailydesk'>X</a>.</p></div>"
    ));
    let text = text_of(&html);
    assert!(text.starts_with("One.") && text.ends_with("a third."), "{text}");
    for furniture in [
        "nonprofit",
        "Become a member",
        "Shop the story",
        "$89.99",
        "Follow the desk",
    ] {
        assert!(!text.contains(furniture), "{furniture}: {text}");
    }
}

#[test]
fn keeps_social_links_that_are_part_of_the_story() {
    let html = page(&format!(
        "<div class='story'><p>One. {PROSE}</p><p>The council posted the plan on \
         <a href='https://www.facebook.com/citycouncil'>Facebook</a> and <a href='https://x.com/citycouncil'>X</a> \
         before the vote.</p><p>Two. {PROSE}</p></div>"
    ));
    assert!(text_of(&html).contains("before the vote."));
}

#[test]
fn does_not_merge_bio_and_sign_up_boxes_beside_the_article() {
    let html = page(&format!(
        "<div class='grid'><div class='c1'><p>One. {PROSE}</p><p>Two. {PROSE}</p></div>\
         <div class='c2'><div><p><b>The Tideline</b> is our free weekly email about the coast and the people who \
         depend on it.</p><form><input type='email'><button>Sign me up</button></form></div></div>\
         <div class='c1'><p>Three. {PROSE}</p><p>Four. {PROSE}</p></div>\
         <div class='c3'><div><h4>About the author</h4><p>Noor Haddad is an ocean reporter based in Monterey who \
         has covered fisheries since 2016.</p></div></div></div>"
    ));
    let text = text_of(&html);
    assert!(text.contains("Three.") && text.contains("Four."), "{text}");
    assert!(
        !text.contains("Tideline") && !text.contains("About the author") && !text.contains("Monterey"),
        "{text}"
    );
}

#[test]
fn drops_caption_credits_and_code_filename_labels() {
    let html = page(&format!(
        "<article><p>One. {PROSE}</p><figure><img src='/a.jpg' alt='A tram'><figcaption><span>A tram at dusk \
         (from left: driver, conductor).</span><span>[Agency photo]</span></figcaption></figure>\
         <div class='code'><div class='code-header'><span>fetch_wait_for.py</span></div>\
         <pre><code class='language-python'>print(1)</code></pre></div><p>Two. {PROSE}</p></article>"
    ));
    let text = text_of(&html);
    assert!(
        text.contains("A tram at dusk (from left: driver, conductor)."),
        "{text}"
    );
    assert!(text.contains("print(1)"), "{text}");
    assert!(
        !text.contains("Agency photo") && !text.contains("fetch_wait_for.py"),
        "{text}"
    );
}

#[test]
fn reads_bylines_and_titles_from_the_page() {
    let body = format!("<div class='story'><p>One. {PROSE}</p><p>Two. {PROSE}</p></div>");
    let visible = format!(
        "<html><head><title>Trams | Daily</title></head><body><h1><a href='/'>Daily</a></h1>\
         <div class='meta'><span>By <a href='/people/jane'>Jane Doe</a></span> <time>May 2</time></div>{body}</body></html>"
    );
    let article = extract(&visible, &url(), &ExtractOptions::default());
    assert_eq!(article.title.as_deref(), Some("Trams"));
    assert_eq!(article.author.as_deref(), Some("Jane Doe"));
    let boxed = format!(
        "<html><body><div class='author-box'><div class='author-name'><span itemprop='name'>Jane Doe</span></div>\
         <small>Staff Engineer, Storage</small></div>{body}</body></html>"
    );
    let article = extract(&boxed, &url(), &ExtractOptions::default());
    assert_eq!(article.author.as_deref(), Some("Jane Doe"));
    let korean = format!("<html><body><p class='writer'><span>김민수 기자</span></p>{body}</body></html>");
    let article = extract(&korean, &url(), &ExtractOptions::default());
    assert_eq!(article.author.as_deref(), Some("김민수"));
}

#[test]
fn teaser_cards_need_a_sibling_a_link_away_one_site_and_prose_beside_them() {
    let card = |href: &str, n: u32| {
        format!(
            "<article class='card'><header><h3><a href='{href}'>Headline number {n} of the day</a></h3></header>\
             <p>A short blurb about story {n}, which the reader may open if it interests them.</p></article>"
        )
    };
    let story = format!("<div class='story'><p>One. {PROSE}</p><p>Two. {PROSE}</p></div>");
    // Beside a story, repeated cards linking elsewhere are other stories.
    let html = page(&format!(
        "<main>{story}<div class='more'>{}{}</div></main>",
        card("/a", 1),
        card("/b", 2)
    ));
    let text = text_of(&html);
    assert!(
        text.contains("Two.") && !text.contains("blurb about story"),
        "{text}"
    );
    // Sections whose headings link within the page (a table of contents' targets) are the story.
    let html = page(&format!(
        "<main>{story}<div class='more'>{}{}</div></main>",
        card("#one", 1),
        card("#two", 2)
    ));
    assert!(text_of(&html).contains("blurb about story 2"));
    // Headlines leading to different sites are a round-up's picks, not the site's other stories.
    let html = page(&format!(
        "<main>{story}<div class='picks'>{}{}</div></main>",
        card("https://shop-one.example/kettle", 1),
        card("https://shop-two.example/kettle", 2)
    ));
    assert!(text_of(&html).contains("blurb about story 2"));
    // A page of nothing but cards keeps them: they are what there is.
    let cards: String = (1..=6).map(|n| card(&format!("/s/{n}"), n)).collect();
    let html = page(&format!("<main><div class='river'>{cards}</div></main>"));
    assert!(text_of(&html).contains("blurb about story 3"));
}
