//! Editing `feeds.toml` for `tidings add` (issue 12): a new `[[feeds]]` table is appended to the end of the
//! file's text, so every comment and the layout of everything else stay byte for byte; `toml_edit` reads the
//! existing feeds (to refuse duplicates) and renders the new table with correct quoting.

use toml_edit::{DocumentMut, Item, Table, value};
use url::Url;

/// Why a feed cannot be added.
#[derive(Debug, thiserror::Error)]
pub enum FeedsFileError {
    #[error("not valid TOML: {0}")]
    Syntax(#[from] toml_edit::TomlError),
    #[error("a feed named {0:?} already exists")]
    DuplicateName(String),
    #[error("feed {name:?} already polls {url}")]
    DuplicateUrl { name: String, url: String },
}

/// The names and URLs of the `[[feeds]]` already in `source`.
pub fn existing_feeds(source: &str) -> Result<Vec<(String, String)>, FeedsFileError> {
    let document: DocumentMut = source.parse()?;
    let feeds = document
        .get("feeds")
        .and_then(Item::as_array_of_tables)
        .map(|feeds| {
            feeds
                .iter()
                .map(|feed| {
                    let text = |key: &str| {
                        feed.get(key)
                            .and_then(Item::as_str)
                            .unwrap_or_default()
                            .to_string()
                    };
                    (text("name"), text("url"))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(feeds)
}

/// `source` with a `[[feeds]]` table for `name` at `url` (and `category`, when given) appended.
pub fn append_feed(
    source: &str,
    name: &str,
    url: &Url,
    category: Option<&str>,
) -> Result<String, FeedsFileError> {
    for (existing_name, existing_url) in existing_feeds(source)? {
        if existing_name == name {
            return Err(FeedsFileError::DuplicateName(existing_name));
        }
        if existing_url == url.as_str() {
            return Err(FeedsFileError::DuplicateUrl {
                name: existing_name,
                url: existing_url,
            });
        }
    }
    let mut table = Table::new();
    table.insert("name", value(name));
    table.insert("url", value(url.as_str()));
    if let Some(category) = category {
        table.insert("category", value(category));
    }
    let mut addition = DocumentMut::new();
    let mut feeds = toml_edit::ArrayOfTables::new();
    feeds.push(table);
    addition.insert("feeds", Item::ArrayOfTables(feeds));

    let mut text = source.to_string();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if !text.is_empty() {
        text.push('\n');
    }
    text.push_str(&addition.to_string());
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_without_touching_the_rest_and_refuses_duplicates() {
        let source = "# my feeds\n[settings]\nschedule = \"*/5 * * * *\"  # often\n\n[[feeds]]\nname = \"a\"\nurl = \"https://a.test/feed\"";
        let url = Url::parse("https://b.test/rss?x=\"1\"").expect("url");
        let added = append_feed(source, "b \"quoted\"", &url, Some("News")).expect("append");
        assert!(added.starts_with(source));
        let parsed: DocumentMut = added.parse().expect("still valid");
        assert_eq!(parsed["feeds"][1]["name"].as_str(), Some("b \"quoted\""));
        assert_eq!(parsed["feeds"][1]["category"].as_str(), Some("News"));
        assert!(matches!(
            append_feed(source, "a", &url, None),
            Err(FeedsFileError::DuplicateName(_))
        ));
        let same_url = Url::parse("https://a.test/feed").expect("url");
        assert!(matches!(
            append_feed(source, "c", &same_url, None),
            Err(FeedsFileError::DuplicateUrl { .. })
        ));
    }
}
