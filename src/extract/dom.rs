//! A flat, pre-order view of the parsed document that the scoring and rendering passes share.
//!
//! scraper's tree is pointer-linked, so summing text over subtrees again and again is quadratic. Here every
//! node gets an index in document order and knows where its subtree ends, which makes "all descendants" a
//! range and lets one reverse sweep compute per-node text statistics for the whole page. Nesting is
//! flattened below [`MAX_DEPTH`], whatever the tree it is built from.

use scraper::node::Element;
use scraper::{Html, Node};

use super::text::push_collapsed;

/// One node of the flattened document.
pub(super) struct DomNode<'a> {
    pub node: &'a Node,
    /// Lower-case tag name for elements, "" for text and the document root.
    pub name: &'a str,
    pub parent: usize,
    /// One past the last descendant: the subtree is `index..end`.
    pub end: usize,
    /// Set by cleaning; a removed node hides its whole subtree from statistics and rendering.
    pub removed: bool,
    pub stats: Stats,
    /// For text nodes, their own (characters, commas), counted once at construction.
    own_text: (u32, u32),
    /// An `<a>` whose href runs a script instead of navigating: its text reads as text, not as a link.
    script_link: bool,
}

/// Text statistics of a subtree, ignoring removed nodes.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Stats {
    /// Non-whitespace characters.
    pub chars: u32,
    /// Non-whitespace characters inside links.
    pub link_chars: u32,
    /// Commas, Latin and CJK: a cheap signal of prose.
    pub commas: u32,
    pub paragraphs: u32,
    pub images: u32,
    pub list_items: u32,
    pub inputs: u32,
    /// Whether any descendant is a block-level element (so the node is not a plain run of inline text).
    pub has_block: bool,
}

impl Stats {
    pub fn link_density(&self) -> f64 {
        if self.chars == 0 {
            0.0
        } else {
            f64::from(self.link_chars) / f64::from(self.chars)
        }
    }
}

pub(super) struct Dom<'a> {
    pub nodes: Vec<DomNode<'a>>,
}

/// Index of the document root; its `parent` points at itself.
pub(super) const ROOT: usize = 0;

/// Elements nested deeper than this are indexed empty, their content attached to their deepest indexed
/// ancestor: every walk over the index (including the renderer's recursion) is bounded by this depth, and
/// block starts still separate paragraphs. Real articles sit well above it.
pub(super) const MAX_DEPTH: usize = 96;

impl<'a> Dom<'a> {
    pub fn new(html: &'a Html) -> Self {
        let root = html.tree.root();
        let mut nodes = Vec::with_capacity(html.tree.nodes().len());
        nodes.push(DomNode {
            node: root.value(),
            name: "",
            parent: ROOT,
            end: 1,
            removed: false,
            stats: Stats::default(),
            own_text: (0, 0),
            script_link: false,
        });
        // Explicit stack: real pages nest deeply enough to make recursion a stack-overflow risk. An entry
        // is (the index children attach to, whether the entry owns that index, its depth, the children).
        let mut stack = vec![(ROOT, true, 0usize, root.children())];
        while let Some((index, owner, depth, children)) = stack.last_mut() {
            let (parent, depth) = (*index, *depth);
            match children.next() {
                Some(child) => {
                    let value = child.value();
                    let (name, own_text) = match value {
                        Node::Element(element) => (element.name(), (0, 0)),
                        Node::Text(text) => ("", count_text(text)),
                        _ => continue,
                    };
                    let child_index = nodes.len();
                    nodes.push(DomNode {
                        node: value,
                        name,
                        parent,
                        end: child_index + 1,
                        removed: false,
                        stats: Stats::default(),
                        own_text,
                        script_link: name == "a" && runs_script(value),
                    });
                    if value.is_element() {
                        // Below the limit an element stays empty and its content joins `parent`.
                        if depth < MAX_DEPTH {
                            stack.push((child_index, true, depth + 1, child.children()));
                        } else {
                            stack.push((parent, false, depth, child.children()));
                        }
                    }
                }
                None => {
                    if *owner {
                        nodes[parent].end = nodes.len();
                    }
                    stack.pop();
                }
            }
        }
        let mut dom = Dom { nodes };
        dom.recompute();
        dom
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn element(&self, index: usize) -> Option<&'a Element> {
        self.nodes.get(index).and_then(|n| n.node.as_element())
    }

    /// An attribute by name. A linear scan: elements have few attributes, and `Element::attr` interns the
    /// name on every call, which costs more.
    pub fn attr(&self, index: usize, name: &str) -> Option<&'a str> {
        self.element(index)?
            .attrs()
            .find_map(|(key, value)| (key == name).then_some(value))
    }

    pub fn text(&self, index: usize) -> Option<&'a str> {
        match self.nodes.get(index).map(|n| n.node) {
            Some(Node::Text(text)) => Some(text),
            _ => None,
        }
    }

    pub fn name(&self, index: usize) -> &'a str {
        self.nodes.get(index).map_or("", |n| n.name)
    }

    pub fn stats(&self, index: usize) -> Stats {
        self.nodes.get(index).map(|n| n.stats).unwrap_or_default()
    }

    pub fn is_removed(&self, index: usize) -> bool {
        self.nodes.get(index).is_none_or(|n| n.removed)
    }

    pub fn remove(&mut self, index: usize) {
        if let Some(node) = self.nodes.get_mut(index) {
            node.removed = true;
        }
    }

    /// Direct children that are still present, in document order.
    pub fn children(&self, index: usize) -> Children<'_, 'a> {
        let end = self.nodes.get(index).map_or(0, |n| n.end);
        Children {
            dom: self,
            next: index + 1,
            end,
        }
    }

    /// The nearest ancestors, closest first, excluding the document root.
    pub fn ancestors(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        let mut current = index;
        std::iter::from_fn(move || {
            let parent = self.nodes.get(current)?.parent;
            if parent == current || parent == ROOT {
                return None;
            }
            current = parent;
            Some(parent)
        })
    }

    pub fn is_ancestor_of(&self, ancestor: usize, index: usize) -> bool {
        ancestor < index && self.nodes.get(ancestor).is_some_and(|n| index < n.end)
    }

    /// The nodes below `index` in document order without descending into removed ones: a removed node is
    /// yielded, its subtree skipped, whether or not [`recompute`](Self::recompute) has marked it yet.
    pub fn descendants_pruned(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        let end = self.nodes.get(index).map_or(index, |n| n.end);
        let mut next = index + 1;
        std::iter::from_fn(move || {
            let at = next;
            if at >= end {
                return None;
            }
            next = if self.nodes[at].removed {
                self.nodes[at].end
            } else {
                at + 1
            };
            Some(at)
        })
    }

    /// Whitespace-normalised text of a subtree, including removed parts (for metadata read before cleaning).
    pub fn text_content(&self, index: usize) -> String {
        self.collect_text(index, true)
    }

    /// Whitespace-normalised text of what is left of a subtree after cleaning: what a reader would see of
    /// it, for judging its wording (a removed newsletter box inside says nothing about the rest).
    pub fn present_text(&self, index: usize) -> String {
        self.collect_text(index, false)
    }

    fn collect_text(&self, index: usize, with_removed: bool) -> String {
        let end = self.nodes.get(index).map_or(index, |n| n.end);
        let mut out = String::new();
        // Ends of the open block elements: text after a block ("Name</div><small>Role") is a new run too.
        let mut block_ends: Vec<usize> = Vec::new();
        for (offset, node) in self.nodes.get(index..end).unwrap_or_default().iter().enumerate() {
            let at = index + offset;
            if node.removed && !with_removed {
                continue;
            }
            let mut boundary = false;
            while block_ends.last().is_some_and(|&e| e <= at) {
                block_ends.pop();
                boundary = true;
            }
            if node.node.is_element() && is_block(node.name) {
                block_ends.push(node.end);
                boundary = true;
            }
            if boundary && !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            if let Node::Text(text) = node.node {
                push_collapsed(&mut out, text);
            }
        }
        out.trim_end().to_owned()
    }

    /// The subtree's text exactly as written (script bodies, `<pre>`), including removed parts.
    pub fn text_content_raw(&self, index: usize) -> String {
        let end = self.nodes.get(index).map_or(index, |n| n.end);
        let mut out = String::new();
        for node in self.nodes.get(index..end).unwrap_or_default() {
            if let Node::Text(text) = node.node {
                out.push_str(text);
            }
        }
        out
    }

    /// Propagates removal to descendants and recomputes every node's statistics in one reverse sweep.
    pub fn recompute(&mut self) {
        for index in 1..self.nodes.len() {
            let parent = self.nodes[index].parent;
            if self.nodes[parent].removed {
                self.nodes[index].removed = true;
            }
            self.nodes[index].stats = Stats::default();
        }
        self.nodes[ROOT].stats = Stats::default();
        for index in (1..self.nodes.len()).rev() {
            if self.nodes[index].removed {
                continue;
            }
            let mut stats = self.nodes[index].stats;
            let name = self.nodes[index].name;
            let (own_chars, own_commas) = self.nodes[index].own_text;
            stats.chars += own_chars;
            stats.commas += own_commas;
            match name {
                "a" if !self.nodes[index].script_link => stats.link_chars = stats.chars,
                "p" => stats.paragraphs += 1,
                "img" => stats.images += 1,
                "li" => stats.list_items += 1,
                "input" | "select" | "textarea" | "button" => stats.inputs += 1,
                _ => {}
            }
            self.nodes[index].stats = stats;
            let parent = self.nodes[index].parent;
            let into = &mut self.nodes[parent].stats;
            into.chars += stats.chars;
            into.link_chars += stats.link_chars;
            into.commas += stats.commas;
            into.paragraphs += stats.paragraphs;
            into.images += stats.images;
            into.list_items += stats.list_items;
            into.inputs += stats.inputs;
            into.has_block |= stats.has_block || is_block(name);
        }
    }
}

fn runs_script(node: &Node) -> bool {
    node.as_element()
        .and_then(|element| {
            element
                .attrs()
                .find_map(|(key, value)| (key == "href").then_some(value))
        })
        .and_then(|href| href.trim_start().get(..11))
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("javascript:"))
}

/// Non-whitespace characters and commas (Latin `,`, CJK `，` and `、`) of a text node, over bytes: every
/// byte that is not ASCII whitespace and not a UTF-8 continuation byte starts a visible character (rare
/// Unicode spaces count as characters, which statistics can afford).
fn count_text(text: &str) -> (u32, u32) {
    let bytes = text.as_bytes();
    let (mut chars, mut commas) = (0u32, 0u32);
    for (i, &byte) in bytes.iter().enumerate() {
        if !byte.is_ascii_whitespace() && byte & 0xC0 != 0x80 {
            chars += 1;
        }
        let cjk_comma = || {
            matches!(bytes.get(i + 1..i + 3), Some([0xBC, 0x8C]) if byte == 0xEF)
                || matches!(bytes.get(i + 1..i + 3), Some([0x80, 0x81]) if byte == 0xE3)
        };
        if byte == b',' || (byte >= 0xE3 && cjk_comma()) {
            commas += 1;
        }
    }
    (chars, commas)
}

pub(super) struct Children<'d, 'a> {
    dom: &'d Dom<'a>,
    next: usize,
    end: usize,
}

impl Iterator for Children<'_, '_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        while self.next < self.end {
            let index = self.next;
            let node = self.dom.nodes.get(index)?;
            self.next = node.end;
            if !node.removed {
                return Some(index);
            }
        }
        None
    }
}

/// Elements that start a new block when rendered (HTML flow content that is not phrasing content).
pub(super) fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "center"
            | "dd"
            | "details"
            | "dialog"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "li"
            | "main"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
            | "caption"
    )
}

pub(super) fn heading_level(name: &str) -> Option<usize> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}
