//! Applying one site's rules to a page, in the format's order: `replace_string` on the HTML text; after
//! parsing, `title`/`author`/`date` (before anything is stripped, so a stripped headline is still read), then
//! `strip`/`strip_id_or_class`/`strip_image_src` (nodes detached from the tree), `native_ad_clue`, and last
//! `body`. The caller hands the modified document and the chosen body to the extractor.

use std::borrow::Cow;

use ego_tree::NodeId;
use scraper::Html;
use url::Url;

use super::{Rule, SiteRules};
use crate::xpath::{Document, Value, XNode};

/// What the rules decided for one page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// Body elements from the first `body` rule that selected something; empty means generic extraction.
    pub body: Vec<NodeId>,
    pub title: Option<String>,
    /// Every author the first matching `author` rule names, joined with ", ".
    pub author: Option<String>,
    /// Date text, for the extractor's date parser.
    pub date: Option<String>,
    /// A `native_ad_clue` matched: the page is sponsored content.
    pub native_ad: bool,
    /// The file has `body` rules, none selected anything, and it says `autodetect_on_failure: no`.
    pub body_required: bool,
    /// One line per directive that applied, for `tidings extract --explain`.
    pub explain: Vec<String>,
}

impl SiteRules {
    /// The page's HTML with every `replace_string` applied in file order.
    pub fn rewrite<'a>(&self, html: &'a str) -> Cow<'a, str> {
        let mut text = Cow::Borrowed(html);
        for (find, replace) in &self.replace {
            if text.contains(find.as_str()) {
                text = Cow::Owned(text.replace(find.as_str(), replace));
            }
        }
        text
    }

    /// Applies the extraction directives to `html`, detaching stripped nodes from it.
    pub fn apply(&self, html: &mut Html) -> Applied {
        let mut applied = Applied::default();
        let replaced = self.replace.len();
        if replaced > 0 {
            applied.explain.push(format!(
                "replace_string: {replaced} replacement(s) applied to the HTML"
            ));
        }
        let doomed = {
            let document = Document::new(html);
            applied.title = self.first_text(&document, &self.title, "title", &mut applied.explain);
            applied.author = self.all_texts(&document, &mut applied.explain);
            applied.date = self.first_text(&document, &self.date, "date", &mut applied.explain);
            self.doomed(&document, &mut applied.explain)
        };
        for id in doomed {
            if let Some(mut node) = html.tree.get_mut(id) {
                node.detach();
            }
        }
        let document = Document::new(html);
        if let Some(rule) = self
            .native_ad_clue
            .iter()
            .find(|rule| !elements(&document, rule).is_empty())
        {
            applied.native_ad = true;
            applied
                .explain
                .push(explain_rule("native_ad_clue", rule, "matched: sponsored content"));
        }
        for rule in &self.body {
            let selected = elements(&document, rule);
            if !selected.is_empty() {
                let count = selected.len();
                applied.body = selected.into_iter().map(|node| document.node_id(node)).collect();
                applied
                    .explain
                    .push(explain_rule("body", rule, &format!("{count} element(s)")));
                break;
            }
        }
        if applied.body.is_empty() && !self.body.is_empty() {
            applied.body_required = self.autodetect_on_failure == Some(false);
            tracing::debug!(rules = %self.path.display(), "no body rule selected anything; generic extraction");
            applied.explain.push(format!(
                "body: none of {} rule(s) selected anything; {}",
                self.body.len(),
                if applied.body_required {
                    "autodetect_on_failure: no, so the page fails"
                } else {
                    "generic extraction used"
                }
            ));
        }
        if let Some(prune) = self.prune {
            applied
                .explain
                .push(format!("prune: {}", if prune { "yes" } else { "no" }));
        }
        applied
    }

    /// The print/single-page view's URL, when a `single_page_link` selects one (relative links resolved).
    pub fn single_page_url(&self, html: &Html, base: &Url) -> Option<(Url, usize)> {
        link(html, base, &self.single_page_link)
    }

    /// The next page of a multi-page article, when a `next_page_link` selects one.
    pub fn next_page_url(&self, html: &Html, base: &Url) -> Option<(Url, usize)> {
        link(html, base, &self.next_page_link)
    }

    /// Nodes the strip directives select, in one pass over the unmodified document.
    fn doomed(&self, document: &Document, explain: &mut Vec<String>) -> Vec<NodeId> {
        let mut doomed = Vec::new();
        for rule in &self.strip {
            let selected = elements(document, rule);
            if !selected.is_empty() {
                explain.push(explain_rule(
                    "strip",
                    rule,
                    &format!("{} element(s) removed", selected.len()),
                ));
            }
            doomed.extend(selected);
        }
        if !self.strip_id_or_class.is_empty() || !self.strip_image_src.is_empty() {
            let before = doomed.len();
            doomed.extend(document.elements().filter(|&node| {
                let has = |attribute: &str, needles: &[String]| {
                    document
                        .attribute(node, attribute)
                        .is_some_and(|value| needles.iter().any(|needle| value.contains(needle.as_str())))
                };
                has("id", &self.strip_id_or_class)
                    || has("class", &self.strip_id_or_class)
                    || (document.element_name(node) == Some("img") && has("src", &self.strip_image_src))
            }));
            if doomed.len() > before {
                explain.push(format!(
                    "strip_id_or_class/strip_image_src: {} element(s) removed",
                    doomed.len() - before
                ));
            }
        }
        doomed.into_iter().map(|node| document.node_id(node)).collect()
    }

    fn first_text(
        &self,
        document: &Document,
        rules: &[Rule],
        name: &str,
        explain: &mut Vec<String>,
    ) -> Option<String> {
        rules.iter().find_map(|rule| {
            let text = texts(document, rule).into_iter().next()?;
            explain.push(explain_rule(name, rule, &format!("{text:?}")));
            Some(text)
        })
    }

    fn all_texts(&self, document: &Document, explain: &mut Vec<String>) -> Option<String> {
        self.author.iter().find_map(|rule| {
            let mut names = texts(document, rule);
            names.dedup();
            let joined = names.join(", ");
            (!joined.is_empty()).then(|| {
                explain.push(explain_rule("author", rule, &format!("{joined:?}")));
                joined
            })
        })
    }
}

fn explain_rule(directive: &str, rule: &Rule, outcome: &str) -> String {
    format!(
        "{directive} (line {}): {} → {outcome}",
        rule.line,
        rule.xpath.as_str()
    )
}

fn evaluate(document: &Document, rule: &Rule) -> Option<Value> {
    match rule.xpath.evaluate(document) {
        Ok(value) => Some(value),
        Err(error) => {
            tracing::debug!(line = rule.line, expression = rule.xpath.as_str(), error = %error, "site rule failed to evaluate");
            None
        }
    }
}

/// The tree nodes (not attributes) a rule selects.
fn elements(document: &Document, rule: &Rule) -> Vec<XNode> {
    match evaluate(document, rule) {
        Some(Value::Nodes(nodes)) => nodes
            .into_iter()
            .filter(|&node| !document.is_attribute(node))
            .collect(),
        _ => Vec::new(),
    }
}

/// Non-empty, whitespace-collapsed texts a rule yields: each selected node's, or the string it computes.
fn texts(document: &Document, rule: &Rule) -> Vec<String> {
    let collapse = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let found = match evaluate(document, rule) {
        Some(Value::Nodes(nodes)) => nodes
            .into_iter()
            .map(|node| collapse(&document.string_value(node)))
            .collect(),
        Some(Value::String(text)) => vec![collapse(&text)],
        _ => Vec::new(),
    };
    found.into_iter().filter(|text| !text.is_empty()).collect()
}

/// The first URL any of `rules` yields: an element's `href`, an attribute's value, or a computed string.
fn link(html: &Html, base: &Url, rules: &[Rule]) -> Option<(Url, usize)> {
    if rules.is_empty() {
        return None;
    }
    let document = Document::new(html);
    rules.iter().find_map(|rule| {
        let target = match evaluate(&document, rule)? {
            Value::Nodes(nodes) => {
                let node = *nodes.first()?;
                if document.is_attribute(node) {
                    document.string_value(node)
                } else {
                    document.attribute(node, "href")?.to_string()
                }
            }
            Value::String(text) => text,
            _ => return None,
        };
        let url = base.join(target.trim()).ok()?;
        matches!(url.scheme(), "http" | "https").then_some((url, rule.line))
    })
}
