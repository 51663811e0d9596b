//! Evaluation of an expression tree over a [`Document`]: node-set semantics (document order, no
//! duplicates), the axes, predicates with position and size, and XPath 1.0's comparison and conversion rules.

use scraper::Node;

use super::parse::{Arith, Axis, Compare, Expr, NodeTest, Step};
use super::{Document, Value, XNode, XPathError};

/// The evaluation context: node, proximity position and size (XPath 1.0 §1).
#[derive(Clone, Copy)]
pub(super) struct Context<'d, 'a> {
    pub document: &'d Document<'a>,
    pub node: XNode,
    pub position: usize,
    pub size: usize,
}

pub(super) fn evaluate(expr: &Expr, document: &Document) -> Result<Value, XPathError> {
    let context = Context {
        document,
        node: document.root(),
        position: 1,
        size: 1,
    };
    eval(expr, &context)
}

pub(super) fn eval(expr: &Expr, context: &Context) -> Result<Value, XPathError> {
    Ok(match expr {
        Expr::Or(left, right) => {
            Value::Boolean(boolean(&eval(left, context)?) || boolean(&eval(right, context)?))
        }
        Expr::And(left, right) => {
            Value::Boolean(boolean(&eval(left, context)?) && boolean(&eval(right, context)?))
        }
        Expr::Compare(op, left, right) => {
            let (left, right) = (eval(left, context)?, eval(right, context)?);
            Value::Boolean(compare(context.document, *op, &left, &right))
        }
        Expr::Arith(op, left, right) => {
            let a = number(context.document, &eval(left, context)?);
            let b = number(context.document, &eval(right, context)?);
            Value::Number(match op {
                Arith::Add => a + b,
                Arith::Sub => a - b,
                Arith::Mul => a * b,
                Arith::Div => a / b,
                Arith::Mod => a % b,
            })
        }
        Expr::Negate(inner) => Value::Number(-number(context.document, &eval(inner, context)?)),
        Expr::Union(left, right) => {
            let mut nodes = node_set(eval(left, context)?, "|")?;
            nodes.extend(node_set(eval(right, context)?, "|")?);
            nodes.sort_unstable();
            nodes.dedup();
            Value::Nodes(nodes)
        }
        Expr::Literal(text) => Value::String(text.clone()),
        Expr::Number(value) => Value::Number(*value),
        Expr::Call(function, args) => function.call(args, context)?,
        Expr::Path { absolute, steps } => {
            let start = if *absolute {
                context.document.root()
            } else {
                context.node
            };
            Value::Nodes(follow(context.document, vec![start], steps)?)
        }
        Expr::Filter {
            primary,
            predicates,
            steps,
        } => {
            let mut nodes = node_set(eval(primary, context)?, "a predicate or '/'")?;
            for predicate in predicates {
                nodes = filter(context.document, nodes, predicate)?;
            }
            Value::Nodes(follow(context.document, nodes, steps)?)
        }
    })
}

fn node_set(value: Value, operator: &str) -> Result<Vec<XNode>, XPathError> {
    match value {
        Value::Nodes(nodes) => Ok(nodes),
        _ => Err(XPathError::type_error(format!(
            "{operator} needs a node-set operand"
        ))),
    }
}

/// Applies `steps` to every node of `start`, each step's results merged into one node-set.
fn follow(document: &Document, mut nodes: Vec<XNode>, steps: &[Step]) -> Result<Vec<XNode>, XPathError> {
    for step in steps {
        let mut next = Vec::new();
        for &node in &nodes {
            let mut selected = axis_nodes(document, node, step.axis);
            selected.retain(|&candidate| matches_test(document, candidate, step.axis, &step.test));
            for predicate in &step.predicates {
                selected = filter(document, selected, predicate)?;
            }
            next.extend(selected);
        }
        next.sort_unstable();
        next.dedup();
        nodes = next;
    }
    Ok(nodes)
}

/// Keeps the nodes for which `predicate` holds; a number predicate compares with the position (§2.4).
fn filter(document: &Document, nodes: Vec<XNode>, predicate: &Expr) -> Result<Vec<XNode>, XPathError> {
    let size = nodes.len();
    let mut kept = Vec::with_capacity(size);
    for (at, node) in nodes.into_iter().enumerate() {
        let context = Context {
            document,
            node,
            position: at + 1,
            size,
        };
        let holds = match eval(predicate, &context)? {
            Value::Number(n) => n == (at + 1) as f64,
            other => boolean(&other),
        };
        if holds {
            kept.push(node);
        }
    }
    Ok(kept)
}

fn tree(index: u32) -> XNode {
    XNode { index, attribute: 0 }
}

/// The nodes on `axis` from `node`, in axis order (nearest first for reverse axes).
fn axis_nodes(document: &Document, node: XNode, axis: Axis) -> Vec<XNode> {
    let entry = document.entry(node);
    let on_attribute = node.attribute > 0;
    let element = tree(node.index);
    let ancestors =
        |from: Option<u32>| std::iter::successors(from, |&i| document.entries[i as usize].parent).map(tree);
    match axis {
        Axis::Itself => vec![node],
        Axis::Child if on_attribute => Vec::new(),
        Axis::Child => {
            std::iter::successors(entry.first_child, |&i| document.entries[i as usize].next_sibling)
                .map(tree)
                .collect()
        }
        Axis::Descendant | Axis::DescendantOrSelf if on_attribute => {
            if axis == Axis::DescendantOrSelf {
                vec![node]
            } else {
                Vec::new()
            }
        }
        Axis::Descendant => (node.index + 1..entry.end).map(tree).collect(),
        Axis::DescendantOrSelf => (node.index..entry.end).map(tree).collect(),
        Axis::Parent if on_attribute => vec![element],
        Axis::Parent => entry.parent.map(tree).into_iter().collect(),
        Axis::Ancestor if on_attribute => ancestors(Some(node.index)).collect(),
        Axis::Ancestor => ancestors(entry.parent).collect(),
        Axis::AncestorOrSelf if on_attribute => {
            std::iter::once(node).chain(ancestors(Some(node.index))).collect()
        }
        Axis::AncestorOrSelf => ancestors(Some(node.index)).collect(),
        Axis::FollowingSibling | Axis::PrecedingSibling if on_attribute => Vec::new(),
        Axis::FollowingSibling => {
            std::iter::successors(entry.next_sibling, |&i| document.entries[i as usize].next_sibling)
                .map(tree)
                .collect()
        }
        Axis::PrecedingSibling => std::iter::successors(entry.previous_sibling, |&i| {
            document.entries[i as usize].previous_sibling
        })
        .map(tree)
        .collect(),
        Axis::Following => {
            // An attribute's following nodes include its element's content.
            let from = if on_attribute { node.index + 1 } else { entry.end };
            (from..super::index_of(document.entries.len()))
                .map(tree)
                .collect()
        }
        Axis::Preceding => {
            let mut above: Vec<u32> = ancestors(Some(node.index)).map(|n| n.index).collect();
            above.sort_unstable();
            (0..node.index)
                .rev()
                .filter(|i| above.binary_search(i).is_err())
                .map(tree)
                .collect()
        }
        Axis::Attribute => match entry.node {
            Node::Element(element) if !on_attribute => (1..=element.attrs().count())
                .map(|at| XNode {
                    index: node.index,
                    attribute: super::index_of(at),
                })
                .collect(),
            _ => Vec::new(),
        },
        Axis::Namespace => Vec::new(),
    }
}

fn matches_test(document: &Document, node: XNode, axis: Axis, test: &NodeTest) -> bool {
    let entry = document.entry(node);
    if node.attribute > 0 {
        return match test {
            NodeTest::Node => true,
            NodeTest::AnyName => axis == Axis::Attribute,
            NodeTest::Name(name) => {
                axis == Axis::Attribute
                    && document
                        .attribute_at(node)
                        .is_some_and(|(key, _)| key.eq_ignore_ascii_case(name))
            }
            _ => false,
        };
    }
    match (test, entry.node) {
        (NodeTest::Node, _) => true,
        (NodeTest::Text, Node::Text(_)) => true,
        (NodeTest::Comment, Node::Comment(_)) => true,
        (NodeTest::ProcessingInstruction, Node::ProcessingInstruction(_)) => true,
        (NodeTest::AnyName, Node::Element(_)) => axis != Axis::Attribute,
        (NodeTest::Name(name), Node::Element(element)) => {
            axis != Axis::Attribute && element.name().eq_ignore_ascii_case(name)
        }
        _ => false,
    }
}

/// XPath `boolean()`.
pub(super) fn boolean(value: &Value) -> bool {
    match value {
        Value::Nodes(nodes) => !nodes.is_empty(),
        Value::String(text) => !text.is_empty(),
        Value::Number(n) => *n != 0.0 && !n.is_nan(),
        Value::Boolean(b) => *b,
    }
}

/// XPath `string()`: a node-set's first node's string-value.
pub(super) fn string(document: &Document, value: &Value) -> String {
    match value {
        Value::Nodes(nodes) => nodes
            .first()
            .map_or_else(String::new, |&node| document.string_value(node)),
        Value::String(text) => text.clone(),
        Value::Number(n) => number_to_string(*n),
        Value::Boolean(b) => b.to_string(),
    }
}

/// XPath `number()`.
pub(super) fn number(document: &Document, value: &Value) -> f64 {
    match value {
        Value::Number(n) => *n,
        Value::Boolean(b) => f64::from(u8::from(*b)),
        other => string_to_number(&string(document, other)),
    }
}

/// XPath's number grammar only: optional minus, digits with an optional fraction; anything else is NaN.
pub(super) fn string_to_number(text: &str) -> f64 {
    let trimmed = text.trim_matches([' ', '\t', '\r', '\n']);
    let digits = trimmed.strip_prefix('-').unwrap_or(trimmed);
    let valid = !digits.is_empty()
        && digits != "."
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1;
    if valid {
        trimmed.parse().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

pub(super) fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if n == n.trunc() && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// XPath 1.0 §3.4: comparisons involving node-sets hold if they hold for any node.
fn compare(document: &Document, op: Compare, left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Nodes(_), Value::Boolean(_)) | (Value::Boolean(_), Value::Nodes(_)) => compare_atoms(
            document,
            op,
            &Value::Boolean(boolean(left)),
            &Value::Boolean(boolean(right)),
        ),
        (Value::Nodes(a), Value::Nodes(b)) => {
            let b: Vec<String> = b.iter().map(|&n| document.string_value(n)).collect();
            a.iter().any(|&n| {
                let a = document.string_value(n);
                b.iter().any(|b| {
                    compare_atoms(document, op, &Value::String(a.clone()), &Value::String(b.clone()))
                })
            })
        }
        (Value::Nodes(nodes), other) => nodes.iter().any(|&n| {
            let atom = node_as(document, n, other);
            compare_atoms(document, op, &atom, other)
        }),
        (other, Value::Nodes(nodes)) => nodes.iter().any(|&n| {
            let atom = node_as(document, n, other);
            compare_atoms(document, op, other, &atom)
        }),
        _ => compare_atoms(document, op, left, right),
    }
}

/// A node converted to the type of the value it is compared with.
fn node_as(document: &Document, node: XNode, other: &Value) -> Value {
    let text = document.string_value(node);
    match other {
        Value::Number(_) => Value::Number(string_to_number(&text)),
        _ => Value::String(text),
    }
}

fn compare_atoms(document: &Document, op: Compare, left: &Value, right: &Value) -> bool {
    match op {
        Compare::Eq | Compare::Ne => {
            let equal = match (left, right) {
                (Value::Boolean(_), _) | (_, Value::Boolean(_)) => boolean(left) == boolean(right),
                (Value::Number(_), _) | (_, Value::Number(_)) => {
                    number(document, left) == number(document, right)
                }
                _ => string(document, left) == string(document, right),
            };
            equal == (op == Compare::Eq)
        }
        _ => {
            let (a, b) = (number(document, left), number(document, right));
            match op {
                Compare::Lt => a < b,
                Compare::Le => a <= b,
                Compare::Gt => a > b,
                _ => a >= b,
            }
        }
    }
}
