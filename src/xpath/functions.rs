//! The XPath 1.0 core function library (§4), resolved at parse time so an unknown function is a compile
//! error rather than a surprise on some page.

use super::eval::{Context, boolean, eval, number, string, string_to_number};
use super::parse::Expr;
use super::{Value, XNode, XPathError};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Function {
    Last,
    Position,
    Count,
    Id,
    LocalName,
    NamespaceUri,
    Name,
    String,
    Concat,
    StartsWith,
    Contains,
    SubstringBefore,
    SubstringAfter,
    Substring,
    StringLength,
    NormalizeSpace,
    Translate,
    Boolean,
    Not,
    True,
    False,
    Lang,
    Number,
    Sum,
    Floor,
    Ceiling,
    Round,
}

impl Function {
    pub fn from_name(name: &str) -> Option<Function> {
        use Function as F;
        Some(match name {
            "last" => F::Last,
            "position" => F::Position,
            "count" => F::Count,
            "id" => F::Id,
            "local-name" => F::LocalName,
            "namespace-uri" => F::NamespaceUri,
            "name" => F::Name,
            "string" => F::String,
            "concat" => F::Concat,
            "starts-with" => F::StartsWith,
            "contains" => F::Contains,
            "substring-before" => F::SubstringBefore,
            "substring-after" => F::SubstringAfter,
            "substring" => F::Substring,
            "string-length" => F::StringLength,
            "normalize-space" => F::NormalizeSpace,
            "translate" => F::Translate,
            "boolean" => F::Boolean,
            "not" => F::Not,
            "true" => F::True,
            "false" => F::False,
            "lang" => F::Lang,
            "number" => F::Number,
            "sum" => F::Sum,
            "floor" => F::Floor,
            "ceiling" => F::Ceiling,
            "round" => F::Round,
            _ => return None,
        })
    }

    /// Whether the function takes `count` arguments.
    pub fn accepts(self, count: usize) -> bool {
        use Function as F;
        match self {
            F::Last | F::Position | F::True | F::False => count == 0,
            F::LocalName
            | F::NamespaceUri
            | F::Name
            | F::String
            | F::StringLength
            | F::NormalizeSpace
            | F::Number => count <= 1,
            F::Count | F::Id | F::Boolean | F::Not | F::Lang | F::Sum | F::Floor | F::Ceiling | F::Round => {
                count == 1
            }
            F::StartsWith | F::Contains | F::SubstringBefore | F::SubstringAfter => count == 2,
            F::Substring => count == 2 || count == 3,
            F::Translate => count == 3,
            F::Concat => count >= 2,
        }
    }

    pub fn call(self, args: &[Expr], context: &Context) -> Result<Value, XPathError> {
        use Function as F;
        let document = context.document;
        let values = args
            .iter()
            .map(|arg| eval(arg, context))
            .collect::<Result<Vec<_>, _>>()?;
        // The string of argument `i`, or of the context node when it is absent (the functions that allow it).
        let text = |i: usize| match values.get(i) {
            Some(value) => string(document, value),
            None => document.string_value(context.node),
        };
        let first_node = |name: &str| -> Result<Option<XNode>, XPathError> {
            match values.first() {
                None => Ok(Some(context.node)),
                Some(Value::Nodes(nodes)) => Ok(nodes.first().copied()),
                Some(_) => Err(XPathError::type_error(format!("{name}() needs a node-set"))),
            }
        };
        Ok(match self {
            F::Last => Value::Number(context.size as f64),
            F::Position => Value::Number(context.position as f64),
            F::Count => match &values[0] {
                Value::Nodes(nodes) => Value::Number(nodes.len() as f64),
                _ => return Err(XPathError::type_error("count() needs a node-set")),
            },
            F::Id => {
                let wanted: Vec<String> = match &values[0] {
                    Value::Nodes(nodes) => nodes.iter().map(|&n| document.string_value(n)).collect(),
                    other => vec![string(document, other)],
                };
                let wanted: Vec<&str> = wanted.iter().flat_map(|w| w.split_whitespace()).collect();
                Value::Nodes(
                    (0..super::index_of(document.entries.len()))
                        .map(|index| XNode { index, attribute: 0 })
                        .filter(|&n| document.attribute(n, "id").is_some_and(|id| wanted.contains(&id)))
                        .collect(),
                )
            }
            F::LocalName | F::Name => {
                let name = first_node("name")?.map_or_else(String::new, |node| node_name(context, node));
                Value::String(name)
            }
            F::NamespaceUri => {
                first_node("namespace-uri")?;
                Value::String(String::new())
            }
            F::String => Value::String(text(0)),
            F::Concat => Value::String((0..values.len()).map(text).collect()),
            F::StartsWith => Value::Boolean(text(0).starts_with(&text(1))),
            F::Contains => Value::Boolean(text(0).contains(&text(1))),
            F::SubstringBefore => {
                let (haystack, needle) = (text(0), text(1));
                Value::String(
                    haystack
                        .find(&needle)
                        .map_or_else(String::new, |at| haystack[..at].to_string()),
                )
            }
            F::SubstringAfter => {
                let (haystack, needle) = (text(0), text(1));
                Value::String(
                    haystack
                        .find(&needle)
                        .map_or_else(String::new, |at| haystack[at + needle.len()..].to_string()),
                )
            }
            F::Substring => {
                let source = text(0);
                let start = round(number(document, &values[1]));
                let end = values
                    .get(2)
                    .map_or(f64::INFINITY, |length| start + round(number(document, length)));
                // §4.2: characters at positions p (1-based) with start <= p < start + length.
                Value::String(
                    source
                        .chars()
                        .enumerate()
                        .filter(|&(at, _)| {
                            let p = (at + 1) as f64;
                            p >= start && p < end
                        })
                        .map(|(_, c)| c)
                        .collect(),
                )
            }
            F::StringLength => Value::Number(text(0).chars().count() as f64),
            F::NormalizeSpace => {
                Value::String(text(0).split_ascii_whitespace().collect::<Vec<_>>().join(" "))
            }
            F::Translate => {
                let (source, from, to) = (text(0), text(1), text(2));
                let from: Vec<char> = from.chars().collect();
                let to: Vec<char> = to.chars().collect();
                Value::String(
                    source
                        .chars()
                        .filter_map(|c| match from.iter().position(|&f| f == c) {
                            Some(at) => to.get(at).copied(),
                            None => Some(c),
                        })
                        .collect(),
                )
            }
            F::Boolean => Value::Boolean(boolean(&values[0])),
            F::Not => Value::Boolean(!boolean(&values[0])),
            F::True => Value::Boolean(true),
            F::False => Value::Boolean(false),
            F::Lang => {
                let wanted = string(document, &values[0]).to_ascii_lowercase();
                let declared =
                    std::iter::successors(Some(context.node.index), |&i| document.entries[i as usize].parent)
                        .find_map(|index| {
                            let node = XNode { index, attribute: 0 };
                            document
                                .attribute(node, "xml:lang")
                                .or_else(|| document.attribute(node, "lang"))
                        });
                Value::Boolean(declared.is_some_and(|lang| {
                    let lang = lang.to_ascii_lowercase();
                    lang == wanted || lang.starts_with(&format!("{wanted}-"))
                }))
            }
            F::Number => Value::Number(match values.first() {
                Some(value) => number(document, value),
                None => string_to_number(&document.string_value(context.node)),
            }),
            F::Sum => match &values[0] {
                Value::Nodes(nodes) => Value::Number(
                    nodes
                        .iter()
                        .map(|&n| string_to_number(&document.string_value(n)))
                        .sum(),
                ),
                _ => return Err(XPathError::type_error("sum() needs a node-set")),
            },
            F::Floor => Value::Number(number(document, &values[0]).floor()),
            F::Ceiling => Value::Number(number(document, &values[0]).ceil()),
            F::Round => Value::Number(round(number(document, &values[0]))),
        })
    }
}

/// XPath `round()`: halves round towards positive infinity.
fn round(n: f64) -> f64 {
    if n.is_finite() { (n + 0.5).floor() } else { n }
}

fn node_name(context: &Context, node: XNode) -> String {
    let document = context.document;
    if node.attribute > 0 {
        return document
            .attribute_at(node)
            .map_or_else(String::new, |(name, _)| name.to_string());
    }
    document.element_name(node).unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::super::eval::number_to_string;

    #[test]
    fn numbers_print_like_xpath() {
        assert_eq!(number_to_string(3.0), "3");
        assert_eq!(number_to_string(-0.5), "-0.5");
        assert_eq!(number_to_string(f64::NAN), "NaN");
    }
}
