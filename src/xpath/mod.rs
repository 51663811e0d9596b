//! XPath 1.0 over scraper's parsed HTML, as site-rule files use it: location paths on every axis,
//! predicates (positional too), unions, comparisons and arithmetic, and the whole XPath 1.0 core function
//! library. Variables and namespaces are not supported (rule files have no way to bind them).
//!
//! - `parse`: text → expression tree (tokenizer with the spec's disambiguation rules, recursive descent);
//! - `eval`: the expression tree evaluated over a [`Document`];
//! - `functions`: the core function library.
//!
//! HTML names are matched case-insensitively; a namespace prefix in a name test is ignored.

mod eval;
mod functions;
mod parse;

use ego_tree::NodeId;
use scraper::{Html, Node};

/// A compiled XPath expression.
#[derive(Debug, Clone)]
pub struct XPath {
    source: String,
    expr: parse::Expr,
}

/// Why an expression could not be compiled or evaluated. `offset` is a byte offset into the expression.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum XPathError {
    #[error("at character {offset}: {reason}")]
    Syntax { offset: usize, reason: String },
    #[error("at character {offset}: {what} not supported")]
    Unsupported { offset: usize, what: String },
    #[error("{reason}")]
    Type { reason: String },
}

impl XPathError {
    fn syntax(offset: usize, reason: impl Into<String>) -> Self {
        XPathError::Syntax {
            offset,
            reason: reason.into(),
        }
    }

    fn unsupported(offset: usize, what: impl Into<String>) -> Self {
        XPathError::Unsupported {
            offset,
            what: what.into(),
        }
    }

    fn type_error(reason: impl Into<String>) -> Self {
        XPathError::Type {
            reason: reason.into(),
        }
    }
}

impl XPath {
    /// Compiles `text`.
    pub fn parse(text: &str) -> Result<Self, XPathError> {
        Ok(Self {
            source: text.to_string(),
            expr: parse::parse(text)?,
        })
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Evaluates the expression with the document root as the context node.
    pub fn evaluate(&self, document: &Document) -> Result<Value, XPathError> {
        eval::evaluate(&self.expr, document)
    }
}

/// A node of the document in XPath's sense: a tree node, or one attribute of an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct XNode {
    /// Index in document order.
    index: u32,
    /// 0 for the tree node itself, `n` for its `n-1`th attribute (attributes sort after their element and
    /// before its children, as document order requires).
    attribute: u32,
}

/// The result of an evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Nodes in document order, without duplicates.
    Nodes(Vec<XNode>),
    String(String),
    Number(f64),
    Boolean(bool),
}

struct Entry<'a> {
    id: NodeId,
    node: &'a Node,
    parent: Option<u32>,
    /// One past the last descendant: the subtree is `index..end`.
    end: u32,
    first_child: Option<u32>,
    next_sibling: Option<u32>,
    previous_sibling: Option<u32>,
}

/// A parsed page indexed in document order, which XPath's node-set ordering and axes need.
pub struct Document<'a> {
    entries: Vec<Entry<'a>>,
}

impl<'a> Document<'a> {
    /// Indexes `html` (doctypes are not XPath nodes and are left out).
    pub fn new(html: &'a Html) -> Self {
        let root = html.tree.root();
        let mut entries = vec![Entry {
            id: root.id(),
            node: root.value(),
            parent: None,
            end: 1,
            first_child: None,
            next_sibling: None,
            previous_sibling: None,
        }];
        // Explicit stack: real pages nest deeply enough to make recursion a stack-overflow risk.
        let mut stack = vec![(0u32, root.children(), None::<u32>)];
        while let Some((parent, children, previous)) = stack.last_mut() {
            let parent = *parent;
            let Some(child) = children.next() else {
                let end = index_of(entries.len());
                entries[parent as usize].end = end;
                stack.pop();
                continue;
            };
            if matches!(child.value(), Node::Doctype(_)) {
                continue;
            }
            let index = index_of(entries.len());
            match *previous {
                Some(previous) => entries[previous as usize].next_sibling = Some(index),
                None => entries[parent as usize].first_child = Some(index),
            }
            entries.push(Entry {
                id: child.id(),
                node: child.value(),
                parent: Some(parent),
                end: index + 1,
                first_child: None,
                next_sibling: None,
                previous_sibling: *previous,
            });
            *previous = Some(index);
            if child.has_children() {
                stack.push((index, child.children(), None));
            }
        }
        Document { entries }
    }

    fn root(&self) -> XNode {
        XNode {
            index: 0,
            attribute: 0,
        }
    }

    fn entry(&self, node: XNode) -> &Entry<'a> {
        &self.entries[node.index as usize]
    }

    /// Every element, in document order.
    pub fn elements(&self) -> impl Iterator<Item = XNode> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, entry)| entry.node.is_element())
            .map(|(index, _)| XNode {
                index: index_of(index),
                attribute: 0,
            })
    }

    /// The tree node this is (for an attribute: its element).
    pub fn node_id(&self, node: XNode) -> NodeId {
        self.entry(node).id
    }

    /// Whether this is an attribute rather than a tree node.
    pub fn is_attribute(&self, node: XNode) -> bool {
        node.attribute > 0
    }

    /// The element's lower-case name, if this is an element.
    pub fn element_name(&self, node: XNode) -> Option<&'a str> {
        match self.entry(node).node {
            Node::Element(element) if node.attribute == 0 => Some(element.name()),
            _ => None,
        }
    }

    /// An attribute of the element `node`, by lower-case name.
    pub fn attribute(&self, node: XNode, name: &str) -> Option<&'a str> {
        match self.entry(node).node {
            Node::Element(element) if node.attribute == 0 => element
                .attrs()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value),
            _ => None,
        }
    }

    /// The node's XPath string-value: an element's text content, an attribute's value, a text node's text.
    pub fn string_value(&self, node: XNode) -> String {
        let entry = self.entry(node);
        if node.attribute > 0 {
            return self
                .attribute_at(node)
                .map_or_else(String::new, |(_, value)| value.to_string());
        }
        match entry.node {
            Node::Text(text) => text.to_string(),
            Node::Comment(comment) => comment.to_string(),
            Node::ProcessingInstruction(pi) => pi.data.to_string(),
            _ => {
                let mut text = String::new();
                for inner in &self.entries[node.index as usize..entry.end as usize] {
                    if let Node::Text(piece) = inner.node {
                        text.push_str(piece);
                    }
                }
                text
            }
        }
    }

    /// The `(name, value)` of an attribute node.
    fn attribute_at(&self, node: XNode) -> Option<(&'a str, &'a str)> {
        let Node::Element(element) = self.entry(node).node else {
            return None;
        };
        element.attrs().nth(node.attribute as usize - 1)
    }
}

/// Node counts fit u32: a page is capped far below 4 G nodes by the fetch size limit.
fn index_of(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
