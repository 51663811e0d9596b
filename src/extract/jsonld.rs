//! schema.org JSON-LD: the most deliberate metadata a page carries, so it ranks first for title, author,
//! date and image, and its `articleBody` backs up the DOM extraction.
//!
//! Articles are found anywhere in a script's JSON: top level, arrays, `@graph`, or nested (`mainEntity`).
//! Authors may be a string, a `Person`/`Organization` object, an `@id` reference into the graph, or an
//! array of those; they are joined as "A, B".

use std::collections::HashMap;

use serde_json::Value;

use super::text::normalize;

#[derive(Debug, Default)]
pub(super) struct JsonLdArticle {
    pub headline: Option<String>,
    /// The object's `name`, which some publishers fill with the headline and `headline` with a label.
    pub name: Option<String>,
    /// People only; an organisation as author is a weaker fallback than a visible byline.
    pub author: Option<String>,
    pub author_organization: Option<String>,
    pub published: Option<String>,
    pub image: Option<String>,
    pub body: Option<String>,
    pub description: Option<String>,
    pub language: Option<String>,
    pub publisher: Option<String>,
}

/// Nesting beyond this is not article metadata, and bounding it keeps hostile JSON cheap.
const MAX_DEPTH: usize = 8;

fn is_article_type(value: &Value) -> bool {
    let matches = |t: &str| {
        let t = t.rsplit(['/', ':']).next().unwrap_or(t);
        t.ends_with("Article")
            || matches!(
                t,
                "BlogPosting" | "LiveBlogPosting" | "Report" | "SocialMediaPosting"
            )
    };
    match value.get("@type") {
        Some(Value::String(t)) => matches(t),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).any(matches),
        _ => false,
    }
}

/// The best article object among all JSON-LD scripts, or `None` when no script describes an article.
pub(super) fn parse(scripts: &[String]) -> Option<JsonLdArticle> {
    let documents: Vec<Value> = scripts.iter().filter_map(|s| parse_lenient(s)).collect();
    let mut articles = Vec::new();
    let mut names_by_id = HashMap::new();
    for document in &documents {
        collect(document, 0, &mut articles, &mut names_by_id);
    }
    // Prefer the object that says the most: several articles (teasers, breadcrumbs) are common.
    let best = articles.iter().enumerate().max_by_key(|(position, article)| {
        let has = |key: &str| usize::from(article.get(key).is_some_and(|v| !v.is_null()));
        (
            has("articleBody") * 2 + has("headline") + has("datePublished") + has("author"),
            usize::MAX - position,
        )
    })?;
    let article = best.1;
    Some(JsonLdArticle {
        headline: string_field(article, "headline"),
        name: string_field(article, "name"),
        author: article
            .get("author")
            .and_then(|a| authors(a, &names_by_id, AuthorKind::Person)),
        author_organization: article
            .get("author")
            .and_then(|a| authors(a, &names_by_id, AuthorKind::Organization)),
        published: string_field(article, "datePublished").or_else(|| string_field(article, "dateCreated")),
        image: article
            .get("image")
            .or_else(|| article.get("thumbnailUrl"))
            .and_then(image_url),
        body: article
            .get("articleBody")
            .and_then(Value::as_str)
            .map(str::to_owned),
        description: string_field(article, "description"),
        language: string_field(article, "inLanguage"),
        publisher: article
            .get("publisher")
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .map(normalize),
    })
}

fn parse_lenient(script: &str) -> Option<Value> {
    let trimmed = script
        .trim()
        .trim_start_matches("<!--")
        .trim_end_matches("-->")
        .trim()
        .trim_start_matches("//")
        .trim_start_matches("<![CDATA[")
        .trim_end_matches("]]>")
        .trim_end()
        .trim_end_matches("//")
        .trim();
    serde_json::from_str(trimmed).ok().or_else(|| {
        // Raw control characters inside strings are the most common JSON-LD defect.
        let cleaned: String = trimmed
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        serde_json::from_str(&cleaned).ok()
    })
}

fn collect<'v>(
    value: &'v Value,
    depth: usize,
    articles: &mut Vec<&'v Value>,
    names_by_id: &mut HashMap<&'v str, String>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Array(items) => {
            for item in items {
                collect(item, depth + 1, articles, names_by_id);
            }
        }
        Value::Object(map) => {
            if let (Some(id), Some(name)) = (map.get("@id").and_then(Value::as_str), map.get("name"))
                && let Some(name) = name.as_str()
            {
                names_by_id.insert(id, normalize(name));
            }
            if is_article_type(value) {
                articles.push(value);
            }
            for child in map.values() {
                if child.is_object() || child.is_array() {
                    collect(child, depth + 1, articles, names_by_id);
                }
            }
        }
        _ => {}
    }
}

fn string_field(object: &Value, key: &str) -> Option<String> {
    let value = match object.get(key)? {
        Value::Array(items) => items.first()?,
        other => other,
    };
    value.as_str().map(normalize).filter(|s| !s.is_empty())
}

#[derive(Clone, Copy, PartialEq)]
enum AuthorKind {
    Person,
    Organization,
}

fn author_kind(item: &Value) -> AuthorKind {
    let is_organization = |t: &str| t.ends_with("Organization") || t == "Corporation";
    let organization = match item.get("@type") {
        Some(Value::String(t)) => is_organization(t),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).any(is_organization),
        _ => false,
    };
    if organization {
        AuthorKind::Organization
    } else {
        AuthorKind::Person
    }
}

fn authors(value: &Value, names_by_id: &HashMap<&str, String>, kind: AuthorKind) -> Option<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |name: String| {
        if !name.is_empty() && !looks_like_url(&name) && !names.contains(&name) {
            names.push(name);
        }
    };
    let one = |item: &Value| -> Option<String> {
        if author_kind(item) != kind {
            return None;
        }
        match item {
            Value::String(name) => Some(normalize(name)),
            Value::Object(map) => map
                .get("name")
                .and_then(|n| match n {
                    Value::Array(parts) => parts.first().and_then(Value::as_str),
                    other => other.as_str(),
                })
                .map(normalize)
                .or_else(|| {
                    map.get("@id")
                        .and_then(Value::as_str)
                        .and_then(|id| names_by_id.get(id).cloned())
                }),
            _ => None,
        }
    };
    match value {
        Value::Array(items) => items.iter().filter_map(one).for_each(&mut add),
        other => one(other).into_iter().for_each(&mut add),
    }
    (!names.is_empty()).then(|| names.join(", "))
}

fn image_url(value: &Value) -> Option<String> {
    match value {
        Value::String(url) => Some(url.trim().to_owned()).filter(|u| !u.is_empty()),
        Value::Array(items) => items.iter().find_map(image_url),
        Value::Object(map) => map
            .get("url")
            .or_else(|| map.get("contentUrl"))
            .and_then(image_url),
        _ => None,
    }
}

pub(super) fn looks_like_url(text: &str) -> bool {
    text.starts_with("http://") || text.starts_with("https://") || text.starts_with("//")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_article_in_graph_and_resolves_author_ids() {
        let script = r##"{"@context":"https://schema.org","@graph":[
            {"@type":"WebPage","name":"Page"},
            {"@type":["NewsArticle"],"headline":"Big news","author":[{"@id":"#p1"},{"@type":"Person","name":"B Two"}],
             "datePublished":"2025-01-02T03:04:05+01:00","image":{"@type":"ImageObject","url":"https://x.test/a.jpg"}},
            {"@type":"Person","@id":"#p1","name":"A  One"}]}"##;
        let article = parse(&[script.to_owned()]).unwrap_or_default();
        assert_eq!(article.headline.as_deref(), Some("Big news"));
        assert_eq!(article.author.as_deref(), Some("A One, B Two"));
        assert_eq!(article.image.as_deref(), Some("https://x.test/a.jpg"));
    }

    #[test]
    fn reads_scripts_wrapped_in_cdata_sections() {
        for script in [
            "<![CDATA[\n{\"@type\":\"Article\",\"author\":[{\"@type\":\"Person\",\"name\":\"D K\"}]}\n]]>",
            "//<![CDATA[\n{\"@type\":\"Article\",\"author\":\"D K\"}\n//]]>",
        ] {
            let article = parse(&[script.to_owned()]).unwrap_or_default();
            assert_eq!(article.author.as_deref(), Some("D K"), "{script}");
        }
    }

    #[test]
    fn ignores_broken_and_non_article_json() {
        assert!(
            parse(&[
                "{not json".to_owned(),
                r#"{"@type":"Organization","name":"X"}"#.to_owned()
            ])
            .is_none()
        );
    }
}
