//! OPML 2.0, the subscription list every reader imports and exports (issue 12). Import reads each
//! `<outline xmlUrl=…>` at any depth; the titles of the outlines around it become its category (joined with
//! `/` when nested). Export writes one folder outline per category.

use quick_xml::escape::escape;
use quick_xml::events::{BytesStart, Event};

/// One subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The outline's `text` (or `title`); may be empty.
    pub title: String,
    pub url: String,
    pub category: Option<String>,
}

/// Why an OPML file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("not valid OPML at byte {position}: {reason}")]
pub struct OpmlError {
    position: u64,
    reason: String,
}

/// Every subscription in `text`, in document order.
pub fn read(text: &str) -> Result<Vec<Subscription>, OpmlError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut found = Vec::new();
    let mut saw_opml = false;
    loop {
        let event = reader.read_event().map_err(|error| OpmlError {
            position: reader.buffer_position(),
            reason: error.to_string(),
        })?;
        match event {
            Event::Start(start) | Event::Empty(start) if start.local_name().into_inner() == "opml" => {
                saw_opml = true;
            }
            Event::Start(start) if start.local_name().into_inner() == "outline" => {
                let outline = Outline::of(&start);
                // An outline with a feed URL and children still counts as a feed; its children are not
                // in a folder named after it.
                if let Some(url) = outline.url {
                    found.push(subscription(outline.title, url, &folders));
                    folders.push(None);
                } else {
                    folders.push(Some(outline.title));
                }
            }
            Event::Empty(start) if start.local_name().into_inner() == "outline" => {
                let outline = Outline::of(&start);
                if let Some(url) = outline.url {
                    found.push(subscription(outline.title, url, &folders));
                }
            }
            Event::End(end) if end.local_name().into_inner() == "outline" => {
                folders.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_opml {
        return Err(OpmlError {
            position: 0,
            reason: "no <opml> element".into(),
        });
    }
    Ok(found)
}

/// An OPML 2.0 document listing `subscriptions`: uncategorised ones at the top level, the rest in one folder
/// outline per category, in first-seen order.
pub fn write(title: &str, subscriptions: &[Subscription], created: &str) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n");
    out.push_str(&format!(
        "    <title>{}</title>\n    <dateCreated>{}</dateCreated>\n  </head>\n  <body>\n",
        escape(title),
        escape(created)
    ));
    let outline = |subscription: &Subscription, indent: &str| {
        format!(
            "{indent}<outline type=\"rss\" text=\"{0}\" title=\"{0}\" xmlUrl=\"{1}\"/>\n",
            escape(subscription.title.as_str()),
            escape(subscription.url.as_str())
        )
    };
    let mut categories: Vec<&str> = Vec::new();
    for subscription in subscriptions {
        match subscription.category.as_deref() {
            None => out.push_str(&outline(subscription, "    ")),
            Some(category) if !categories.contains(&category) => categories.push(category),
            Some(_) => {}
        }
    }
    for category in categories {
        out.push_str(&format!(
            "    <outline text=\"{0}\" title=\"{0}\">\n",
            escape(category)
        ));
        for subscription in subscriptions
            .iter()
            .filter(|subscription| subscription.category.as_deref() == Some(category))
        {
            out.push_str(&outline(subscription, "      "));
        }
        out.push_str("    </outline>\n");
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

/// The attributes of one `<outline>` that matter.
struct Outline {
    title: String,
    url: Option<String>,
}

impl Outline {
    fn of(start: &BytesStart) -> Self {
        let mut text = None;
        let mut title = None;
        let mut url = None;
        for attribute in start.attributes().flatten() {
            let Ok(value) = attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0) else {
                continue;
            };
            let value = value.trim().to_string();
            match attribute.key.local_name().into_inner() {
                "text" => text = Some(value),
                "title" => title = Some(value),
                "xmlUrl" | "xmlurl" => url = Some(value).filter(|url| !url.is_empty()),
                _ => {}
            }
        }
        Self {
            title: text.filter(|text| !text.is_empty()).or(title).unwrap_or_default(),
            url,
        }
    }
}

fn subscription(title: String, url: String, folders: &[Option<String>]) -> Subscription {
    let path: Vec<&str> = folders
        .iter()
        .flatten()
        .map(String::as_str)
        .filter(|name| !name.is_empty())
        .collect();
    Subscription {
        title,
        url,
        category: (!path.is_empty()).then(|| path.join("/")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_outlines_become_categories_and_writing_reads_back() {
        let text = r#"<?xml version="1.0"?><opml version="1.0"><head><title>x</title></head><body>
            <outline text="Loose" xmlUrl="https://loose.test/feed"/>
            <outline text="Tech"><outline text="Rust &amp; Go" xmlUrl="https://r.test/rss"/>
              <outline title="Deep"><outline text="D" type="rss" xmlUrl="https://d.test/atom"/></outline></outline>
            </body></opml>"#;
        let read_back = read(text).expect("read");
        assert_eq!(
            read_back,
            [
                Subscription {
                    title: "Loose".into(),
                    url: "https://loose.test/feed".into(),
                    category: None
                },
                Subscription {
                    title: "Rust & Go".into(),
                    url: "https://r.test/rss".into(),
                    category: Some("Tech".into())
                },
                Subscription {
                    title: "D".into(),
                    url: "https://d.test/atom".into(),
                    category: Some("Tech/Deep".into())
                },
            ]
        );
        let written = write("t", &read_back, "Fri, 27 Nov 2026 10:00:00 +0000");
        assert_eq!(read(&written).expect("reread"), read_back);
        assert!(read("<html/>").is_err());
    }
}
