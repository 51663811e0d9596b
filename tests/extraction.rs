//! The extraction corpus: real-world-shaped pages under `tests/fixtures/pages/<case>/` with a human-made
//! body (`expected.md`) and metadata (`expected.json`). One test per case, a guard that the case list and
//! the folders agree, and a corpus-wide shingle F1 floor.

use std::path::{Path, PathBuf};

use serde_json::Value;
use url::Url;

use crate::support::shingles::{f1, shingle_scores, strip_markdown};

/// Per-case floor: a page may be hard, but never this far off.
const CASE_MIN_F1: f64 = 0.90;
/// Corpus floor on F1 of the mean precision and mean recall.
const CORPUS_MIN_F1: f64 = 0.97;

macro_rules! cases {
    ($($case:ident),* $(,)?) => {
        const CASES: &[&str] = &[$(stringify!($case)),*];
        $(
            #[test]
            fn $case() {
                check_case(stringify!($case));
            }
        )*
    };
}

cases! {
    blog_blogger_br_separated,
    blog_comment_form_name_label,
    blog_entities_cafe_title,
    blog_essay_bio_and_letter_note_outside_article,
    blog_generatepress_stray_undefined,
    blog_hidden_panel_larger_than_post,
    blog_jekyll_disqus_code,
    blog_section_h1s_print_only_header,
    blog_wix_emoji_marathon,
    blog_wordpress_astra_comments,
    blog_wordpress_comments_longer_than_article,
    blog_wordpress_divi_comments,
    de_news_placeholder_jsonld_date_visible_time,
    de_news_soft_hyphens_consent,
    de_verein_div_only_paragraphs,
    docs_engineering_blog_prism_tables,
    es_guia_definition_list_data_table,
    es_news_promo_last_paragraph,
    fr_news_lire_aussi_entities,
    fr_perso_br_layout_table,
    ghost_casper_selfhosting,
    health_section_h1_site_og_title,
    interview_squarespace_blocks,
    it_spa_article_in_template,
    ja_blog_div_only_widget_long_comments,
    ja_news_regional_rail_no_author,
    ja_tech_blog_code_filenames,
    ko_euckr_http_equiv_cp949_extended,
    ko_euckr_meta_charset_newspaper,
    ko_euckr_mislabeled_as_utf8,
    ko_euckr_undeclared_wire,
    ko_utf8_modern_news_jsonld,
    ko_utf8_tistory_blog,
    listicle_newspaper_theme_hiking,
    listicle_ordered_steps_shop_cards,
    longread_feature_dropcap_pullquotes,
    medium_post_hashed_classes,
    minimal_loose_text_script_link,
    news_amp_match_report_table,
    news_author_box_job_title,
    news_bbc_like_text_blocks_org_author,
    news_brief_among_stream_teasers,
    news_cookie_bar_sibling_inline_span_link,
    news_cookie_consent_walls,
    news_figures_credits_noscript,
    news_inline_gallery_other_stories,
    news_long_leadin_byline_tag_run,
    news_member_pitch_lookalike,
    news_nextjs_span_divs,
    news_nyt_like_companion_columns,
    news_onward_teaser_cards_headers,
    news_player_settings_reply_threads,
    news_regional_paywall_after_complete,
    news_related_inline_readmore,
    news_short_brief_minimal,
    news_signup_box_removed_inside_last_part,
    news_split_sibling_grid_cells,
    news_supplemental_body_rail,
    news_supplemental_lede_wrapper,
    news_techcrunch_event_promo,
    news_techcrunch_newsletter_last_para,
    news_tweet_embeds_social_wrapper,
    nl_gemeente_sibling_table_and_dl,
    pl_magazine_story_split_by_figure,
    poem_repeated_refrain_paragraphs,
    press_release_about_company_outside_article,
    pt_br_news_content_text_blocks,
    pt_page_builder_split_sections,
    ru_body_loose_text_br,
    science_inline_link_leading_space,
    spa_article_in_noscript,
    story_split_beside_link_index,
    substack_coauthored_subscribe_widgets,
    tech_hugo_papermod_linenos,
    wire_ap_dateline_ads_offset_date,
    wire_reuters_paragraph_divs,
    zh_tw_news_inline_extended_reading,
    zh_wire_fullwidth_indent,
}

fn pages_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join("pages")
}

struct Outcome {
    article: tidings::extract::Article,
    expected: Value,
    reference: String,
}

fn run_case(case: &str) -> Outcome {
    let dir = pages_dir().join(case);
    let bytes = std::fs::read(dir.join("source.html")).unwrap_or_else(|e| panic!("{case}: source.html: {e}"));
    let expected: Value = std::fs::read_to_string(dir.join("expected.json"))
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_else(|| panic!("{case}: expected.json missing or invalid"));
    let reference_md = std::fs::read_to_string(dir.join("expected.md"))
        .unwrap_or_else(|e| panic!("{case}: expected.md: {e}"));
    let url = expected["url"].as_str().and_then(|u| Url::parse(u).ok());
    let url = url.unwrap_or_else(|| panic!("{case}: expected.json has no valid url"));
    let text = tidings::charset::decode(&bytes, None).text;
    let article = tidings::extract::extract(&text, &url, &Default::default())
        .unwrap_or_else(|error| panic!("{case}: {error}"));
    Outcome {
        article,
        expected,
        reference: strip_markdown(&reference_md),
    }
}

fn check_case(case: &str) {
    let Outcome {
        article,
        expected,
        reference,
    } = run_case(case);
    let mut failures = Vec::new();
    let mut field = |name: &str, got: Option<String>| {
        let want = expected[name].as_str().map(str::to_owned);
        if got != want {
            failures.push(format!("{name}: expected {want:?}, got {got:?}"));
        }
    };
    field("title", article.title.clone());
    field("author", article.author.clone());
    field(
        "published",
        article
            .published
            .map(|d| d.date_naive().format("%Y-%m-%d").to_string()),
    );
    field("language", article.language.clone());
    field("cover_image", article.cover_image.as_ref().map(|u| u.to_string()));

    let text = collapse(&article.text);
    let markdown = collapse(&article.markdown);
    for phrase in expected["must_contain"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let phrase = collapse(phrase);
        if !text.contains(&phrase) && !markdown.contains(&phrase) {
            failures.push(format!("must_contain: missing {phrase:?}"));
        }
    }
    for phrase in expected["must_not_contain"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if text.contains(phrase) || markdown.contains(phrase) {
            failures.push(format!("must_not_contain: found {phrase:?}"));
        }
    }
    let (precision, recall) = shingle_scores(&article.text, &reference);
    let score = f1(precision, recall);
    if score < CASE_MIN_F1 {
        failures.push(format!(
            "text F1 {score:.3} (precision {precision:.3}, recall {recall:.3}) < {CASE_MIN_F1}"
        ));
    }
    assert!(
        failures.is_empty(),
        "case {case}:\n  {}\n--- extracted text ---\n{}",
        failures.join("\n  "),
        article.text
    );
}

#[test]
fn case_list_matches_fixture_folders() {
    let mut folders: Vec<String> = std::fs::read_dir(pages_dir())
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    folders.sort();
    let mut listed: Vec<String> = CASES.iter().map(|c| (*c).to_owned()).collect();
    listed.sort();
    let unlisted: Vec<&String> = folders.iter().filter(|f| !listed.contains(f)).collect();
    let missing: Vec<&String> = listed.iter().filter(|c| !folders.contains(c)).collect();
    assert!(
        unlisted.is_empty(),
        "fixture folders not in the cases! list: {unlisted:?}"
    );
    assert!(
        missing.is_empty(),
        "cases! entries without a fixture folder: {missing:?}"
    );
}

#[test]
fn corpus_f1() {
    let mut precision_sum = 0.0;
    let mut recall_sum = 0.0;
    println!("{:<50} {:>9} {:>9}", "case", "precision", "recall");
    for case in CASES {
        let outcome = run_case(case);
        let (precision, recall) = shingle_scores(&outcome.article.text, &outcome.reference);
        println!("{case:<50} {precision:>9.3} {recall:>9.3}");
        precision_sum += precision;
        recall_sum += recall;
    }
    let count = CASES.len().max(1) as f64;
    let (precision, recall) = (precision_sum / count, recall_sum / count);
    let score = f1(precision, recall);
    println!("corpus: precision {precision:.4} recall {recall:.4} F1 {score:.4}");
    assert!(score >= CORPUS_MIN_F1, "corpus F1 {score:.4} < {CORPUS_MIN_F1}");
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
