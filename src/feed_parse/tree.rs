//! Tolerant XML reading: decoded feed text → a small element tree, recovering what a strict parser rejects.
//!
//! Feeds in the wild are often not well-formed XML, and feedparser reads them anyway; so does this reader.
//! Mismatched end tags close the element they most likely meant, a truncated document is closed at its end,
//! `&#X41;`, HTML-only named entities and bare `&` are read as a browser would, and nesting deeper than
//! [`MAX_DEPTH`] is flattened into its deepest allowed ancestor (no recursion can run away on hostile input).
//! Namespaces are resolved to the few vocabularies feeds use, so `atom:link`, an Atom 0.3 `<feed>` and an
//! RSS 0.90 `<rdf:RDF>` with a default namespace are all recognised by what they are, not how they are spelled.

use quick_xml::events::{BytesStart, Event};

/// Deeper elements are flattened: their text joins the deepest kept ancestor.
const MAX_DEPTH: usize = 64;
/// A reader error that does not advance the input ends the document; this many errors end it too.
const MAX_ERRORS: usize = 1000;

/// The vocabulary an element or attribute belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ns {
    /// No namespace, or one of the RSS 0.90 / 1.0 / Userland ones, whose element names all mean RSS.
    Rss,
    /// Atom 1.0 or Atom 0.3.
    Atom,
    Rdf,
    /// Dublin Core elements and terms.
    Dc,
    /// `content:encoded`.
    Content,
    /// Media RSS.
    Media,
    Itunes,
    Xhtml,
    Other,
}

impl Ns {
    fn from_uri(uri: &str) -> Self {
        let uri = uri.trim().to_ascii_lowercase();
        let uri = uri.trim_end_matches('/');
        if uri.contains("purl.org/atom") || uri.contains("w3.org/2005/atom") {
            Ns::Atom
        } else if uri.ends_with("22-rdf-syntax-ns#") {
            Ns::Rdf
        } else if uri.starts_with("http://purl.org/dc/") {
            Ns::Dc
        } else if uri.ends_with("rss/1.0/modules/content") {
            Ns::Content
        } else if uri.contains("search.yahoo.com/mrss") {
            Ns::Media
        } else if uri.contains("itunes.com/dtds") {
            Ns::Itunes
        } else if uri.ends_with("w3.org/1999/xhtml") {
            Ns::Xhtml
        } else if uri.is_empty()
            || uri.starts_with("http://purl.org/rss/1.0")
            || uri.starts_with("http://my.netscape.com/rdf/simple")
            || uri.starts_with("http://backend.userland.com/rss")
            || uri.starts_with("http://blogs.law.harvard.edu/tech/rss")
        {
            Ns::Rss
        } else {
            Ns::Other
        }
    }

    /// The vocabulary of a prefix that was used without being declared (common in hand-written feeds).
    fn from_undeclared_prefix(prefix: &str) -> Self {
        match prefix {
            "atom" | "atom03" => Ns::Atom,
            "rdf" => Ns::Rdf,
            "dc" | "dcterms" => Ns::Dc,
            "content" => Ns::Content,
            "media" => Ns::Media,
            "itunes" => Ns::Itunes,
            "xhtml" | "html" => Ns::Xhtml,
            _ => Ns::Other,
        }
    }
}

/// One element: vocabulary, local name (lower-cased: CDF writes `<TITLE>`), attributes, children.
#[derive(Debug, Clone)]
pub(super) struct Element {
    pub ns: Ns,
    pub name: String,
    /// `(qualified name lower-cased, value with references resolved)`.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone)]
pub(super) enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    /// The attribute `name`: `xml:base` or `rdf:about` match exactly, a plain name matches any prefix.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(key, _)| {
                key == name
                    || (!name.contains(':')
                        && key.rsplit_once(':').is_some_and(|(prefix, local)| {
                            local == name && prefix != "xmlns" && prefix != "xml"
                        }))
            })
            .map(|(_, value)| value.as_str())
    }

    pub fn is(&self, ns: Ns, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|node| match node {
            Node::Element(element) => Some(element),
            Node::Text(_) => None,
        })
    }

    pub fn child(&self, ns: Ns, name: &str) -> Option<&Element> {
        self.elements().find(|element| element.is(ns, name))
    }

    /// All text inside, child elements included (a title with stray `<b>` keeps its words), trimmed.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let mut stack: Vec<std::slice::Iter<'_, Node>> = vec![self.children.iter()];
        while let Some(top) = stack.last_mut() {
            match top.next() {
                Some(Node::Text(text)) => out.push_str(text),
                Some(Node::Element(element)) => stack.push(element.children.iter()),
                None => {
                    stack.pop();
                }
            }
        }
        out.trim().to_string()
    }

    /// True when the element has child elements (markup that was not escaped).
    pub fn has_elements(&self) -> bool {
        self.elements().next().is_some()
    }

    /// The children serialised as HTML: for Atom `type="xhtml"` content and for descriptions whose HTML was
    /// not escaped.
    pub fn inner_html(&self) -> String {
        let mut out = String::new();
        // (element being closed, remaining children)
        let mut stack: Vec<(Option<&str>, std::slice::Iter<'_, Node>)> = vec![(None, self.children.iter())];
        while let Some((_, children)) = stack.last_mut() {
            match children.next() {
                Some(Node::Text(text)) => escape_into(&mut out, text, false),
                Some(Node::Element(element)) => {
                    out.push('<');
                    out.push_str(&element.name);
                    for (key, value) in &element.attrs {
                        if key.starts_with("xmlns") {
                            continue;
                        }
                        out.push(' ');
                        out.push_str(key.rsplit(':').next().unwrap_or(key));
                        out.push_str("=\"");
                        escape_into(&mut out, value, true);
                        out.push('"');
                    }
                    out.push('>');
                    stack.push((Some(&element.name), element.children.iter()));
                }
                None => {
                    if let Some((Some(name), _)) = stack.pop()
                        && !is_void_html(name)
                    {
                        out.push_str("</");
                        out.push_str(name);
                        out.push('>');
                    }
                }
            }
        }
        out
    }
}

fn is_void_html(name: &str) -> bool {
    matches!(
        name,
        "br" | "img" | "hr" | "input" | "meta" | "link" | "source" | "area" | "col" | "embed" | "wbr"
    )
}

/// Escapes `&`, `<`, `>` (and `"` inside attributes) for HTML.
pub(super) fn escape_into(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// Feed elements that never contain themselves: a second one opening while one is open means the first
/// was never closed (`<item>` without `</item>`).
fn never_nests(name: &str) -> bool {
    matches!(
        name,
        "item" | "entry" | "title" | "link" | "guid" | "pubdate" | "description"
    )
}

/// Element names an unescaped HTML fragment typically closes; such a stray end tag never closes a feed field.
fn is_html_name(name: &str) -> bool {
    matches!(
        name,
        "p" | "b"
            | "i"
            | "a"
            | "br"
            | "span"
            | "div"
            | "em"
            | "strong"
            | "li"
            | "ul"
            | "ol"
            | "font"
            | "img"
            | "table"
            | "tr"
            | "td"
            | "u"
            | "small"
            | "center"
            | "blockquote"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
    )
}

/// One open element and the namespace prefixes it declared.
struct Open {
    element: Element,
    qname: String,
    prefixes: Vec<(String, Ns)>,
}

/// Reads `text` into a tree, and whether anything had to be recovered; `None` when there is no element.
pub(super) fn read(text: &str) -> Option<(Element, bool)> {
    let mut reader = quick_xml::Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
    config.check_comments = false;

    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Element> = None;
    let mut flattened = 0usize;
    let mut errors = 0usize;
    let mut recovered = false;
    loop {
        let position = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(event) => event,
            Err(_) => {
                errors += 1;
                if reader.buffer_position() == position || errors > MAX_ERRORS {
                    break;
                }
                continue;
            }
        };
        if root.is_some() {
            break;
        }
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    flattened += 1;
                    continue;
                }
                let open = open_element(&start, &stack);
                if never_nests(&open.element.name)
                    && open.element.ns != Ns::Xhtml
                    && let Some(depth) = stack.iter().rposition(|other| other.qname == open.qname)
                {
                    recovered = true;
                    close_down_to(&mut stack, depth, &mut root);
                }
                stack.push(open);
            }
            Event::Empty(start) => {
                let open = open_element(&start, &stack);
                match stack.last_mut() {
                    Some(parent) => parent.element.children.push(Node::Element(open.element)),
                    None => root = Some(open.element),
                }
            }
            Event::End(end) => {
                if flattened > 0 {
                    flattened -= 1;
                    continue;
                }
                let qname = end.name().as_ref().to_ascii_lowercase();
                match stack.iter().rposition(|open| open.qname == qname) {
                    Some(depth) => {
                        recovered |= depth + 1 != stack.len();
                        close_down_to(&mut stack, depth, &mut root);
                    }
                    None => {
                        recovered = true;
                        // `<title>A</titel>`: a misspelled end tag closes the leaf it follows.
                        let local = qname.rsplit(':').next().unwrap_or(&qname);
                        if stack.len() > 1
                            && !is_html_name(local)
                            && stack.last().is_some_and(|open| !open.element.has_elements())
                        {
                            let leaf = stack.len() - 1;
                            close_down_to(&mut stack, leaf, &mut root);
                        }
                    }
                }
            }
            Event::Text(text) => push_text(&mut stack, &text.into_inner()),
            Event::CData(data) => push_text(&mut stack, &data.into_inner()),
            Event::GeneralRef(reference) => {
                let resolved = resolve_reference(&reference);
                push_text(&mut stack, &resolved);
            }
            _ => {}
        }
    }
    if !stack.is_empty() {
        recovered = true;
        close_down_to(&mut stack, 0, &mut root);
    }
    root.map(|root| (root, recovered || errors > 0))
}

fn push_text(stack: &mut [Open], text: &str) {
    let Some(open) = stack.last_mut() else {
        return;
    };
    match open.element.children.last_mut() {
        Some(Node::Text(previous)) => previous.push_str(text),
        _ => open.element.children.push(Node::Text(text.to_string())),
    }
}

fn close_down_to(stack: &mut Vec<Open>, depth: usize, root: &mut Option<Element>) {
    while stack.len() > depth {
        let Some(open) = stack.pop() else {
            return;
        };
        match stack.last_mut() {
            Some(parent) => parent.element.children.push(Node::Element(open.element)),
            None => *root = Some(open.element),
        }
    }
}

fn open_element(start: &BytesStart<'_>, stack: &[Open]) -> Open {
    let qname = start.name().as_ref().to_ascii_lowercase();
    let mut attrs = Vec::new();
    let mut prefixes = Vec::new();
    for attribute in start.html_attributes().flatten() {
        let key = attribute.key.as_ref().to_ascii_lowercase();
        let value = decode_references(&attribute.value);
        if key == "xmlns" {
            prefixes.push((String::new(), Ns::from_uri(&value)));
        } else if let Some(prefix) = key.strip_prefix("xmlns:") {
            prefixes.push((prefix.to_string(), Ns::from_uri(&value)));
        }
        attrs.push((key, value));
    }
    let (prefix, local) = qname.split_once(':').unwrap_or(("", &qname));
    let declared = prefixes
        .iter()
        .rev()
        .chain(stack.iter().rev().flat_map(|open| open.prefixes.iter().rev()))
        .find(|(known, _)| known == prefix)
        .map(|(_, ns)| *ns);
    let ns = match declared {
        // An unknown default namespace still holds RSS-shaped elements more often than not.
        Some(Ns::Other) if prefix.is_empty() => Ns::Rss,
        Some(ns) => ns,
        None if prefix.is_empty() => Ns::Rss,
        None => Ns::from_undeclared_prefix(prefix),
    };
    Open {
        element: Element {
            ns,
            name: local.to_string(),
            attrs,
            children: Vec::new(),
        },
        qname,
        prefixes,
    }
}

/// Decodes `&name;`/`&#n;`/`&#xh;` references in `text` (an attribute value, or title text that still holds
/// references); a bare `&` or an unknown name stays as written.
pub(super) fn decode_references(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        match tail.find(';').filter(|end| *end <= 32 && *end > 0) {
            Some(end) if !tail[..end].contains(char::is_whitespace) => {
                out.push_str(&resolve_reference(&tail[..end]));
                rest = &tail[end + 1..];
            }
            _ => {
                out.push('&');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `&name;` → its text: XML's five, numeric references in any case (`&#X41;`), then HTML's named entities;
/// anything else stays as written.
pub(super) fn resolve_reference(name: &str) -> String {
    if let Some(number) = name.strip_prefix('#') {
        let value = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => number.parse::<u32>().ok(),
        };
        return match value.and_then(char::from_u32) {
            Some(c) => c.to_string(),
            None => format!("&{name};"),
        };
    }
    match name {
        "amp" => return "&".into(),
        "lt" => return "<".into(),
        "gt" => return ">".into(),
        "quot" => return "\"".into(),
        "apos" => return "'".into(),
        _ => {}
    }
    match markup5ever::data::NAMED_ENTITIES.get(format!("{name};").as_str()) {
        Some(&(first, second)) => [first, second]
            .into_iter()
            .filter(|code| *code != 0)
            .filter_map(char::from_u32)
            .collect(),
        None => format!("&{name};"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_mismatched_truncated_and_odd_references() {
        let (root, recovered) = read(
            "<rss><channel><item><title>A &#X41; &eacute; Q&A</titel><link>x</link></item><item><title>B",
        )
        .expect("root");
        assert!(recovered);
        let channel = root.child(Ns::Rss, "channel").expect("channel");
        let items: Vec<&Element> = channel.elements().filter(|e| e.name == "item").collect();
        assert_eq!(items.len(), 2);
        assert_eq!(
            items[0].child(Ns::Rss, "title").map(Element::text).as_deref(),
            Some("A A é Q&A")
        );
        assert_eq!(
            items[0].child(Ns::Rss, "link").map(Element::text).as_deref(),
            Some("x")
        );
        assert_eq!(
            items[1].child(Ns::Rss, "title").map(Element::text).as_deref(),
            Some("B")
        );
    }

    #[test]
    fn deep_nesting_is_flattened_not_recursed() {
        let deep = format!(
            "<feed>{}text{}</feed>",
            "<div>".repeat(100_000),
            "</div>".repeat(100_000)
        );
        let (root, _) = read(&deep).expect("root");
        assert_eq!(root.text(), "text");
        assert!(!root.inner_html().is_empty());
    }
}
