//! `tidings import-opml FILE` and `tidings export-opml` against the real binary: nested outlines become
//! categories, configured feeds are skipped, the export is OPML 2.0, and a round trip keeps every feed.

use crate::support::workspace::{Workspace, stderr, stdout};

const OPML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>From another reader</title></head><body>
  <outline text="Hacker News" type="rss" xmlUrl="https://news.ycombinator.com/rss"/>
  <outline text="Science">
    <outline text="Nature &amp; Co" type="rss" xmlUrl="https://www.nature.com/nature.rss"/>
    <outline text="Space"><outline text="NASA" type="rss" xmlUrl="https://www.nasa.gov/feed/"/></outline>
  </outline>
  <outline text="Already here" type="rss" xmlUrl="https://example.com/feed"/>
  <outline text="Gopher" type="rss" xmlUrl="gopher://old.example/1"/>
</body></opml>"#;

fn export(workspace: &Workspace) -> String {
    let output = workspace.run(&["export-opml"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    stdout(&output)
}

/// The export without its creation time, which differs between runs.
fn without_date(opml: &str) -> String {
    opml.lines()
        .filter(|line| !line.contains("<dateCreated>"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn opml_import_makes_nested_outlines_categories_and_skips_existing_feeds() {
    let workspace = Workspace::new();
    let existing = "# mine\n[[feeds]]\nname = \"mine\"\nurl = \"https://example.com/feed\"\n";
    workspace.write_config(existing);
    let file = workspace.path().join("subscriptions.opml");
    std::fs::write(&file, OPML).expect("write");
    let output = workspace.run(&["import-opml", file.to_str().expect("path")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("imported 3 feeds"),
        "{}",
        stdout(&output)
    );
    assert!(stdout(&output).contains("skipped 2"), "{}", stdout(&output));
    let updated = std::fs::read_to_string(workspace.config_path()).expect("read");
    assert!(updated.starts_with(existing), "{updated}");
    assert!(
        updated.contains(
            "name = \"nature-co\"\nurl = \"https://www.nature.com/nature.rss\"\ncategory = \"Science\"\n"
        ),
        "{updated}"
    );
    assert!(
        updated.contains(
            "name = \"nasa\"\nurl = \"https://www.nasa.gov/feed/\"\ncategory = \"Science/Space\"\n"
        ),
        "{updated}"
    );
    assert!(updated.contains("name = \"hacker-news\""), "{updated}");
    assert_eq!(workspace.run(&["check"]).status.code(), Some(0));

    // Importing again adds nothing.
    let again = workspace.run(&["import-opml", file.to_str().expect("path")]);
    assert!(stdout(&again).contains("imported 0 feeds"), "{}", stdout(&again));
    assert_eq!(
        std::fs::read_to_string(workspace.config_path()).expect("read"),
        updated
    );

    std::fs::write(&file, "<html><body>not opml</body></html>").expect("write");
    assert_eq!(
        workspace
            .run(&["import-opml", file.to_str().expect("path")])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn opml_export_is_opml_2_and_round_trips() {
    let first = Workspace::new();
    first.write_config(
        "[[feeds]]\nname = \"alpha\"\nurl = \"https://a.test/feed?x=1&y=2\"\ncategory = \"News\"\n\n[[feeds]]\nname = \"c\"\nurl = \"https://c.test/rss\"\n",
    );
    let exported = export(&first);
    assert!(
        exported.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">"),
        "{exported}"
    );
    assert!(exported.contains("<dateCreated>"), "{exported}");
    assert!(
        exported.contains("xmlUrl=\"https://a.test/feed?x=1&amp;y=2\""),
        "{exported}"
    );
    // Well-formed XML with the OPML 2.0 shape: opml > head + body > outline.
    let document = element_names(&exported);
    assert_eq!(
        document,
        [
            "opml",
            "head",
            "title",
            "dateCreated",
            "body",
            "outline",
            "outline",
            "outline"
        ]
    );

    let second = Workspace::new();
    second.write_config("");
    let file = second.path().join("export.opml");
    std::fs::write(&file, &exported).expect("write");
    assert_eq!(
        second
            .run(&["import-opml", file.to_str().expect("path")])
            .status
            .code(),
        Some(0)
    );
    let reexported = export(&second);
    assert_eq!(without_date(&reexported), without_date(&exported));
}

/// The element names of `xml` in document order, checked to be well formed by quick-xml's reader.
fn element_names(xml: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut names = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(start) | quick_xml::events::Event::Empty(start) => {
                names.push(start.local_name().into_inner().to_string());
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    names
}
